"""Widgets the pages share, so each is written (and escaped) once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import streamlit as st

from comms.checks.texts import check_name, check_reason
from comms.packs.campaign import Cell
from comms.report import LintItem, LintReport
from knowledge.base import clock
from knowledge.base.catalog import load_catalog
from knowledge.base.errors import ClarionError, ModelCrashed
from knowledge.history import ChunkChange, changed_sentences
from knowledge.pins import Flag, Impact
from knowledge.reviews import overdue
from ui import resources
from ui.text import counted, plain, t, ui_language


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


def evidence_badge(flags: Iterable[Flag]) -> str:
    """The badge of a message or fact on changed evidence: "source removed" where a whole
    cited source went away, else "evidence changed"."""
    removed = any(flag.source_status == "removed" for flag in flags)
    return t("ev_removed") if removed else t("ev_changed")


def flag_what(flag: Flag) -> str:
    """What happened to one cited passage, in the interface language."""
    if flag.source_status == "removed":
        return t("ev_source_removed")
    return t("ev_passage_removed") if flag.change == "removed" else t("ev_passage_changed")


def sentence_changes(old: str, new: str) -> None:
    """The sentences only the old text has, then those only the new one has, as plain text."""
    removed, added = changed_sentences(old, new)
    for label, sign, found in (
        (t("ev_sentences_removed"), "−", removed),
        (t("ev_sentences_added"), "+", added),
    ):
        if found:
            st.caption(label)
            st.text("\n".join(f"{sign} {sentence}" for sentence in found))


def evidence_change(flag: Flag) -> None:
    """One cited passage that changed: the old and the new text side by side, then the
    sentences that differ; untrusted text only ever as plain text."""
    section = flag.new_section or flag.old_section
    where = plain(f"{flag.source_id} · {section}" if section else flag.source_id)
    st.caption(f"{where} · {t('ev_flag', version=flag.version, what=flag_what(flag))}")
    old, new = st.columns(2)
    with old:
        st.caption(t("ev_old"))
        st.text(flag.old_text)
    with new:
        st.caption(t("ev_new", version=flag.version))
        st.text(flag.new_text or t("ev_gone"))
    if flag.new_text:  # a removed passage is all in the left column already
        sentence_changes(flag.old_text, flag.new_text)


def cell_name(cell: Cell) -> str:
    """A pack cell by its catalog labels: audience · channel · language (· variant); as text,
    to be escaped where Markdown renders it."""
    catalog, language = load_catalog(), ui_language()
    names = [
        next((e.label_in(language) for e in entries if e.id == wanted), wanted)
        for entries, wanted in (
            (catalog.audiences, cell.audience),
            (catalog.channels, cell.channel),
            (catalog.languages, cell.language),
        )
    ]
    return " · ".join(names) + (f" · v{cell.variant}" if cell.variant > 1 else "")


def impact_note(impact: Impact | None) -> None:
    """After an ingest or a removal: how many stored messages and map facts cite a passage
    it changed (nothing when none does)."""
    if impact is None or not (impact.cells or impact.facts):
        return
    messages = counted("n_messages", len(impact.cells))
    st.warning(t("kn_impact", messages=messages, facts=counted("n_facts", len(impact.facts))))


def passage_change(change: ChunkChange) -> None:
    """One passage between two versions of a source: its heading, then the sentences removed
    and added, as plain text."""
    sections = [p.section for p in (change.old, change.new) if p is not None and p.section]
    heading = " → ".join(dict.fromkeys(sections)) if sections else t("kn_no_heading")
    with st.container(border=True):
        st.caption(f"{t('kn_change_' + change.change)} · {plain(heading)}")
        old = change.old.text if change.old else ""
        sentence_changes(old, change.new.text if change.new else "")
