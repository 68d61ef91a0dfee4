"""The "System" page: the same facts as `python -m comms doctor`, for the office's IT person."""

from __future__ import annotations

import streamlit as st

from comms.model.doctor import Finding, diagnose
from knowledge.base.errors import ClarionError
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
