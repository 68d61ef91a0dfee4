"""The "System" page: the same facts as `python -m comms doctor`, for the office's IT person,
and the office profile (who signs the messages), which only admins may change."""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from comms.model.doctor import Finding, diagnose
from comms.office import Office, load_office, office_path, save_office
from core.catalog import load_catalog
from core.errors import ClarionError
from ui import auth, resources
from ui.text import plain, t
from ui.widgets import error_box

auth.require()
st.title(t("page_system"))
st.caption(t("sys_intro"))

ICONS = {"ok": "✅", "warn": "⚠️", "fail": "❌"}


def show(findings: list[Finding]) -> None:
    """One line per finding, with its note underneath; every value shown as plain text."""
    for finding in findings:
        st.markdown(f"{ICONS[finding.status]} **{plain(finding.name)}**: {plain(finding.value)}")
        if finding.note:
            st.caption(plain(finding.note))


smoke = st.button(t("sys_smoke"), key="sys_smoke")
try:
    chat = resources.chat_model() if smoke else None
    report = diagnose(resources.settings(), smoke=smoke, chat=chat)
except ClarionError as exc:
    error_box(exc)
    st.stop()
if not report.ok:
    st.error(t("sys_failed", count=len(report.failures())))
show(report.findings)


def office_form(office: Office | None) -> Office | None:
    """The office profile's fields; the new profile when saved, else None."""
    names_now = office.name if office else {}
    sign_offs_now = office.sign_off if office else {}
    languages = [language.id for language in load_catalog().languages]
    with st.form("office"):
        names, sign_offs = {}, {}
        for language in languages:
            left, right = st.columns(2)
            names[language] = left.text_input(
                t("office_name", language=language), names_now.get(language, ""),
                key=f"office_name_{language}", max_chars=120,
            )  # fmt: skip
            sign_offs[language] = right.text_input(
                t("office_sign_off", language=language), sign_offs_now.get(language, ""),
                key=f"office_sign_off_{language}", max_chars=120,
            )  # fmt: skip
        lines = "\n".join(office.address) if office else ""
        address = st.text_area(t("office_address"), lines, max_chars=400)
        phone = st.text_input(t("office_phone"), office.phone if office else "", max_chars=60)
        email = st.text_input(t("office_email"), office.email if office else "", max_chars=120)
        web = st.text_input(t("office_web"), office.web if office else "", max_chars=200)
        if not st.form_submit_button(t("office_save")):
            return None
    return Office(name={k: v for k, v in names.items() if v.strip()},
                  sign_off={k: v for k, v in sign_offs.items() if v.strip()},
                  address=address.splitlines(), phone=phone, email=email, web=web)  # fmt: skip


st.divider()
st.header(t("office_title"))
st.caption(t("office_intro", path=plain(str(office_path(resources.settings())))))
try:
    office = load_office(resources.settings())
except ClarionError as exc:
    error_box(exc)
    office = None
if not auth.allowed("office"):
    st.markdown(plain("\n".join(office.contact_lines())) if office else t("office_none"))
else:
    try:
        saved = office_form(office)
        if saved is not None:
            save_office(resources.settings(), saved)
            st.success(t("office_saved"))
    except (ValidationError, ClarionError) as exc:
        error_box(exc)
