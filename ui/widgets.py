"""Widgets the pages share, so each is written (and escaped) once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import streamlit as st

from comms.checks.texts import check_name, check_reason
from comms.report import LintItem, LintReport
from knowledge.base import clock
from knowledge.base.errors import ClarionError, ModelCrashed
from knowledge.reviews import overdue
from ui import resources
from ui.text import plain, t, ui_language


class Labelled(Protocol):
    """A catalog entry: an id and a label per interface language."""

    id: str

    def label_in(self, language: str) -> str: ...


def labelled_select(label: str, entries: Iterable[Labelled], key: str) -> str:
    """A select box of catalog entries, shown by their label in the interface language."""
    labels = {e.id: e.label_in(ui_language()) for e in entries}
    return str(st.selectbox(label, list(labels), format_func=labels.__getitem__, key=key))


def check_list(report: LintReport) -> None:
    """The score and each check with what passed, what failed and why (reasons escaped)."""
    st.metric(t("score"), f"{report.score}/100")
    language = ui_language()
    for item in report.items:
        icon = "✅" if item.passed else ("❌" if item.severity == "error" else "⚠️")
        name, reason = check_name(item.id, language), check_reason(item, language)
        st.markdown(f"{icon} **{plain(name)}** · {plain(reason)}")


def check_label(check_id: str) -> str:
    """A check's name in the interface language where one is known, else its id."""
    if check_id == "model":  # the model's answer itself failed (no JSON, no text)
        return t("check_model_answer")
    return str(check_name(check_id, ui_language()))


def reason_text(item: LintItem | None, reason: str) -> str:
    """A failed check's reason in the interface language where it can be said, else English."""
    return reason if item is None else str(check_reason(item, ui_language()))


def rejection_list(reasons: list[dict[str, str]], checks: LintReport) -> None:
    """Why a version was not used: each failed check by name, with its reason (escaped)."""
    items = {item.id: item for item in checks.items}
    for found in reasons:
        check_id, reason = found.get("item", ""), found.get("reason", "")
        text = reason_text(items.get(check_id), reason)
        st.markdown(f"❌ **{plain(check_label(check_id))}** · {plain(text)}")


def error_text(problem: BaseException | str) -> str:
    """One line for a failure, in the interface language, with untrusted text escaped."""
    if isinstance(problem, ModelCrashed):
        return t("model_crashed")
    return t("error", error=plain(str(problem)))


def error_box(problem: BaseException | str) -> None:
    """Show a failure as one red line; the page and its form stay as they were."""
    st.error(error_text(problem))


def review_notes(source_ids: Iterable[str]) -> None:
    """A warning for each cited source past its review date, in the interface language."""
    try:
        found = overdue(resources.settings(), resources.store(), source_ids, clock.today())
    except ClarionError as exc:  # the sources still show; only the dates could not be read
        error_box(exc)
        return
    for source in found.values():
        st.warning(plain(source.notice(ui_language())), icon="📅")
