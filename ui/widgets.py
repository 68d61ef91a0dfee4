"""Widgets the pages share, so each is written (and escaped) once."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import streamlit as st

from comms.accounts.auth import Identity
from comms.checks.texts import check_name, check_reason
from comms.maps.originals import key_message_originals
from comms.message import MapRef
from comms.packs.campaign import Cell
from comms.report import LintItem, LintReport, SentenceVerdict
from core import clock
from core.catalog import base_language, load_catalog
from core.errors import ClarionError, ModelCrashed
from knowledge.history.pins import Flag, Impact
from knowledge.history.reviews import overdue
from knowledge.history.versions import ChunkChange, changed_sentences
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


def unchecked_translation(report: LintReport) -> bool:
    """Whether the checks advise that no native speaker has read the translation."""
    return any(i.id == "needs_native_reader" and not i.passed for i in report.items)


def meant_texts(
    ref: MapRef | None, language: str, reader: Identity | None, rtl: bool = False
) -> None:
    """Beside a message in a language the signed-in person does not read: each key message it
    carries, as the message has it and as the map says it in the interface language (escaped)."""
    if ref is None or (reader is not None and reader.reads_language(language)):
        return
    ui = ui_language()
    originals = key_message_originals(ref, resources.settings())
    if base_language(language) == ui or not originals:
        return
    with st.expander(t("originals_title", count=len(originals)), expanded=True):
        st.caption(t("originals_intro"))
        for n, key in enumerate(originals, 1):
            meant = (key.de if ui == "de" else key.en) or key.en or key.de or t("originals_gone")
            st.markdown(f"**{n}. {plain(meant)}**")
            if rtl:
                st.html(
                    f'<div dir="rtl" lang="{html.escape(language)}" style="text-align:right">'
                    f"{html.escape(key.text)}</div>"
                )
            else:
                st.caption(plain(key.text))


def check_label(check_id: str) -> str:
    """A check's name in the interface language where one is known, else its id."""
    if check_id == "model":  # the model's answer itself failed (no JSON, no text)
        return t("check_model_answer")
    return str(check_name(check_id, ui_language()))


def reason_text(item: LintItem | None, reason: str) -> str:
    """A failed check's reason in the interface language where it can be said, else English."""
    return reason if item is None else str(check_reason(item, ui_language()))


def rejection_list(
    reasons: list[dict[str, str]], checks: LintReport, *, skip: Iterable[str] = ()
) -> None:
    """Why a version was not used: each failed check by name, with its reason (escaped);
    the checks in `skip` are left out (they are shown sentence by sentence)."""
    items, skipped = {item.id: item for item in checks.items}, set(skip)
    for found in reasons:
        if found.get("item", "") in skipped:
            continue
        check_id, reason = found.get("item", ""), found.get("reason", "")
        text = reason_text(items.get(check_id), reason)
        st.markdown(f"❌ **{plain(check_label(check_id))}** · {plain(text)}")


@dataclass(frozen=True)
class Refused:
    """A refused stretch of a text: one sentence, or sentences that overlap, with every
    verdict on it; start and end are -1 where the text no longer holds it (an edit)."""

    start: int
    end: int
    text: str
    verdicts: tuple[SentenceVerdict, ...]


def place(text: str, verdict: SentenceVerdict) -> tuple[int, int] | None:
    """Where a refused sentence stands in the text: at its offsets when they hold it, else
    where it first occurs; None when the text does not hold it."""
    stretch = text[verdict.start : verdict.end] if verdict.end <= len(text) else ""
    wanted = verdict.text.strip() or stretch.strip()
    if not wanted:
        return None
    if stretch.strip() == wanted:  # the highlight starts and ends on a character
        start = verdict.start + len(stretch) - len(stretch.lstrip())
        return start, start + len(wanted)
    found = text.find(wanted)
    return (found, found + len(wanted)) if found >= 0 else None


def refused_parts(text: str, verdicts: Iterable[SentenceVerdict]) -> list[Refused]:
    """The refused stretches in text order, overlapping sentences as one; sentences the text
    does not hold come last."""
    placed: list[tuple[int, int, SentenceVerdict]] = []
    lost: list[Refused] = []
    for verdict in verdicts:
        where = place(text, verdict)
        if where is None:
            lost.append(Refused(-1, -1, verdict.text, (verdict,)))
        else:
            placed.append((*where, verdict))
    parts: list[Refused] = []
    for start, end, verdict in sorted(placed, key=lambda p: (p[0], p[1])):
        if parts and start < parts[-1].end:
            last = parts[-1]
            end = max(end, last.end)
            parts[-1] = Refused(last.start, end, text[last.start : end], (*last.verdicts, verdict))
        else:
            parts.append(Refused(start, end, text[start:end], (verdict,)))
    return parts + lost


_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_BARE_LINK = re.compile(r"(?i)(?<=http)(?=://)|(?<=https)(?=://)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"  # invisible; keeps "www.x.org" from becoming a link


def literal(text: str) -> str:
    """Markdown that shows untrusted text as typed, line breaks kept. Stricter than plain():
    Streamlit 1.67 still renders ":material/home:", ":smile:" and ":red[…]" after plain(),
    and decodes "&lt;"; escaping every ASCII punctuation character stops all of these, and a
    word joiner stops bare addresses (https://, www., a@b) from becoming links."""
    escaped = _PUNCTUATION.sub(r"\\\1", _BARE_LINK.sub(WORD_JOINER, text))
    return escaped.replace("\n", "  \n")


def on_red(sentence: str) -> str:
    """A sentence on a red background, line by line (a directive ends at a line break)."""
    lines = sentence.split("\n")
    return "  \n".join(
        f":red-background[{literal(line)}]" if line.strip() else "" for line in lines
    )


def number_mark(n: int) -> str:
    return f":red[**\\[{n}\\]**]"


def marked_markdown(text: str, parts: Sequence[Refused]) -> str:
    """The text as escaped Markdown, each refused stretch on red with its number after it."""
    out, last = [], 0
    for n, part in enumerate(parts, 1):
        if part.start >= 0:
            out += [literal(text[last : part.start]), on_red(part.text), " " + number_mark(n)]
            last = part.end
    return "".join([*out, literal(text[last:])])


def marked_html(text: str, parts: Sequence[Refused], lang: str = "") -> str:
    """The same, right to left: HTML built here, the untrusted text only ever escaped; lang
    is the text's language, for screen readers (WCAG 3.1.2)."""
    out, last = [], 0
    for n, part in enumerate(parts, 1):
        if part.start >= 0:
            out += [html.escape(text[last : part.start]),
                    f'<mark style="background:#ffd8d8">{html.escape(part.text)}</mark>',
                    f'<sup style="color:#c00"><b>[{n}]</b></sup>']  # fmt: skip
            last = part.end
    body = "".join([*out, html.escape(text[last:])])
    language = f' lang="{html.escape(lang)}"' if lang else ""
    style = "white-space:pre-wrap;line-height:1.6;text-align:right"
    return f'<div dir="rtl"{language} style="{style}">{body}</div>'


def verdict_reason(verdict: SentenceVerdict) -> str:
    """Why a sentence was refused, in the interface language where a template of
    catalog/checks.yaml says it (its reason_key, else its rule), else in English."""
    as_item = LintItem(
        id=verdict.check, passed=False, severity="error", reason=verdict.reason, points=0,
        max_points=0, reason_key=verdict.reason_key or verdict.rule,
        reason_args=verdict.reason_args,
    )  # fmt: skip
    return str(check_reason(as_item, ui_language()))


def refused_text(text: str, verdicts: Sequence[SentenceVerdict], lang: str) -> None:
    """A checked text with each refused sentence highlighted in place and numbered, then the
    numbered sentences, each with its check and reason in the interface language. `lang` is
    the text's language (Arabic reads right to left). Untrusted text is only ever escaped."""
    parts = refused_parts(text, verdicts)
    rtl = any(lg.id == lang and lg.rtl for lg in load_catalog().languages)
    if rtl:
        st.html(marked_html(text, parts, lang))
    else:
        st.markdown(marked_markdown(text, parts))
    st.markdown(f"**{t('refused_sentences', count=len(parts))}**")
    for n, part in enumerate(parts, 1):
        lost = f" · {t('refused_not_in_text')}" if part.start < 0 else ""
        reasons = dict.fromkeys(
            f"❌ **{literal(check_label(v.check))}** · {literal(verdict_reason(v))}"
            for v in part.verdicts
        )  # one line per distinct reason, in order
        head = f"{number_mark(n)} {on_red(part.text)}{lost}"
        st.markdown("  \n".join([head, *reasons]))


def refused_version(
    text: str, reasons: list[dict[str, str]], checks: LintReport, lang: str
) -> bool:
    """Why a version was not used: each failed check without sentences by name and reason,
    then the text with the sentences the others refused (refused_text). False when no check
    named a sentence: then the caller shows the text itself."""
    verdicts = checks.refused_sentences()
    rejection_list(reasons, checks, skip={v.check for v in verdicts})
    if verdicts:
        refused_text(text, verdicts, lang)
    return bool(verdicts)


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


def page_language(language: str) -> None:
    """Set the page's language for screen readers and hyphenation (WCAG 3.1.1): Streamlit
    serves <html lang="en"> whatever the interface language. st.html runs the script in the
    page itself (components.html would run it in an iframe)."""
    script = f"<script>document.documentElement.lang = {json.dumps(language)};</script>"
    st.html(script, unsafe_allow_javascript=True)
