"""The "Write a message" page: the composed message from the map first, then, if asked, the
model's version beside it; staff choose one, edit it and check it again."""

from __future__ import annotations

import html
import re

import streamlit as st

from comms.campaign_facts import SLOTS, TRANSLATED_SLOTS, CampaignFacts
from comms.drafting.draft import Request, check_message
from comms.drafting.write import Floor, adapt_message, compose_message, should_ask
from comms.message import Message
from comms.packs.evidence_flags import updates
from comms.report import LintReport
from core.catalog import load_catalog
from core.errors import ClarionError
from ui import auth, publish, resources
from ui.text import counted, link, plain, t, ui_language
from ui.widgets import (
    cell_name,
    check_list,
    error_box,
    evidence_badge,
    labelled_select,
    meant_texts,
    refused_text,
    refused_version,
    review_notes,
    unchecked_translation,
)

auth.require("write")
catalog = load_catalog()
lang = ui_language()
languages = {lg.id: lg for lg in catalog.languages}
channels = {c.id: c for c in catalog.channels}
VERSIONS = ("composed", "model")
# Per-result state: cleared when a new message is composed or the model's version arrives.
RESULT_KEYS = ("edited-", "report-", "editor-")


def updates_list() -> None:
    """For reviewers and admins: each stored message and map fact on changed evidence, one
    line each, with a link to the page that confirms or regenerates it (one query, no store)."""
    if not auth.allowed("approve"):
        return
    try:
        found = updates(resources.settings())
    except ClarionError as exc:
        error_box(exc)
        return
    if not found:
        return
    with st.expander(t("upd_title", count=len(found.cells) + len(found.facts))):
        messages = counted("n_messages", len(found.cells))
        st.caption(t("upd_summary", messages=messages, facts=counted("n_facts", len(found.facts))))
        for item in found.cells:
            st.text(f"{item.campaign_id} · {cell_name(item.cell)}: {evidence_badge(item.flags)}")
        if found.cells:
            st.page_link("pages/packs.py", label=t("page_packs"), icon="📦")
        for name, flags in found.facts.items():
            st.text(f"{name}: {evidence_badge(flags)}")
        if found.facts:
            st.page_link("pages/maps.py", label=t("page_maps"), icon="🗺️")


st.title(t("page_write"))
st.caption(t("tagline"))
updates_list()

with st.form("write"):
    left, right = st.columns(2)
    with left:
        topic = labelled_select(t("topic"), catalog.topics, "topic")
        audience = labelled_select(t("audience"), catalog.audiences, "audience")
    with right:
        channel = labelled_select(t("channel"), catalog.channels, "channel")
        language = labelled_select(t("language"), catalog.languages, "language")
    concern = st.text_area(t("concern"), help=t("concern_help"), max_chars=500, key="concern")
    with st.expander(t("facts")):
        st.caption(t("facts_help"))
        fact_cols = st.columns(2)
        fact_values = {
            slot: fact_cols[n % 2].text_input(t(f"fact_{slot}"), key=f"fact_{slot}", max_chars=300)
            for n, slot in enumerate(SLOTS)
        }
    with st.expander(t("facts_translated")):
        st.caption(t("facts_translated_help"))
        fact_cols = st.columns(2)
        translated = {
            slot: fact_cols[n % 2].text_input(
                t(f"fact_{slot}"), key=f"fact_{slot}_translated", max_chars=300
            )
            for n, slot in enumerate(TRANSLATED_SLOTS)
        }
    submitted = st.form_submit_button(t("generate"), type="primary")


def show_text(message: Message, text: str, *, copyable: bool = True) -> None:
    """The message as text, never as markup; fact values highlighted; Arabic right to left."""
    if languages[message.language].rtl:
        st.html(
            f'<div dir="rtl" lang="{html.escape(message.language)}" '
            f'style="font-size:1.1rem;line-height:1.6;text-align:right">{html.escape(text)}</div>'
        )
    else:
        st.markdown(highlight(text, [*message.slots.values(), message.fact_line]))
    if copyable:
        st.code(text, language=None, wrap_lines=True)


def highlight(text: str, values: list[str]) -> str:
    """Escaped Markdown of the text with each fact value on a coloured background."""
    wanted = sorted({v for v in values if v and v in text}, key=len, reverse=True)
    if not wanted:
        return plain(text).replace("\n", "  \n")
    pattern = re.compile("|".join(re.escape(v) for v in wanted))
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts += [plain(text[last : match.start()]), f":blue-background[{plain(match.group())}]"]
        last = match.end()
    parts.append(plain(text[last:]))
    return "".join(parts).replace("\n", "  \n")


def version_of(message: Message, version: str) -> tuple[str, LintReport]:
    """The text and checks of one version of a message ("composed" or "model")."""
    if version == "composed":
        if message.composed_text:
            return message.composed_text, message.composed_checks
        return message.text, message.checks  # a message from before maps: one version only
    if message.model_text:
        return message.model_text, message.model_checks
    return message.text, message.checks


def has_model_version(message: Message) -> bool:
    """Whether the model wrote a version of this composed message (used or not)."""
    return message.map is not None and bool(message.model_text)


def clear_result() -> None:
    for key in [k for k in st.session_state if str(k).startswith(RESULT_KEYS)]:
        del st.session_state[key]


def show_map(floor: Floor | None, message: Message) -> None:
    """Which map, concern and key messages the composed message was made from."""
    if message.map is None:
        return
    st.markdown(f"**{t('composed_label')}**")
    concern = message.concern_matched
    question = ""
    if concern and floor is not None and (found := floor.loaded.map.concern(concern)):
        question = found.question.get(lang) or found.question.get("en", "")
    named = f"{plain(concern)} · {plain(question)}" if question else plain(concern or "")
    st.markdown(t("concern_answered", concern=named) if concern else t("concern_general"))
    st.caption(t("map_used", map=f"{plain(message.map.id)}@{plain(message.map.version[:12])}"))
    for note in message.notes:
        args = {name: plain(value) for name, value in note.args.items()}
        st.warning(t(f"note_{note.id}", **args), icon="📅")
    with st.expander(t("key_messages", count=len(message.map.key_messages))):
        for key in message.map.key_messages:
            st.markdown(f"**{plain(key.id)}** · {plain(key.text)}")


def chosen_version(message: Message, version: str, facts: CampaignFacts) -> None:
    """The chosen version: its text, an editor that re-runs the checks, and the checks."""
    text, checks = version_of(message, version)
    st.subheader(t("chosen_composed") if version == "composed" else t("chosen_model"))
    if version == "model" and message.rejected_model_version is not None:
        st.warning(t("model_chosen_anyway"))
    current = st.session_state.get(f"edited-{version}", text)
    show_text(message, current)
    st.caption(t("characters", count=len(current), limit=channels[message.channel].max_chars))
    if languages[message.language].needs_test_reader:
        st.warning(t("leichte_review"))
    if unchecked_translation(checks):
        st.warning(t("native_review"), icon="🌐")
    meant_texts(message.map, message.language, auth.identity(), languages[message.language].rtl)
    publish.preview(message, current, facts)
    if version == "model" and message.attempts > 1:
        st.caption(t("repaired", rounds=message.attempts - 1))
    new_text = st.text_area(t("edit"), current, key=f"editor-{version}", max_chars=5000)
    if st.button(t("recheck"), key=f"recheck-{version}"):
        st.session_state[f"edited-{version}"] = new_text
        st.session_state[f"report-{version}"] = check_message(message, facts, new_text)
        st.rerun()
    st.markdown(f"**{t('checks')}**")
    report: LintReport = st.session_state.get(f"report-{version}", checks)
    check_list(report)
    if verdicts := report.refused_sentences():
        refused_text(current, verdicts, message.language)


def other_version(message: Message, version: str) -> None:
    """The version not chosen, read-only; the model's says why it was not used."""
    text, _ = version_of(message, version)
    rejected = message.rejected_model_version
    if version == "composed":
        st.subheader(t("other_composed"))
    elif rejected is not None:
        st.subheader(t("model_not_used"))
        st.markdown(f"**{t('not_used_because')}**")
        if refused_version(text, rejected.reasons, message.model_checks, message.language):
            return  # the text is shown, each refused sentence marked in it
    else:
        st.subheader(t("other_model"))
    if text:
        show_text(message, text, copyable=False)


def ask_model(floor: Floor, facts: CampaignFacts) -> None:
    """Ask the model for its version, streaming its text here, then show the outcome."""
    st.subheader(t("model_version"))
    live = st.empty()
    try:
        with st.spinner(t("writing")):
            result = adapt_message(
                floor,
                settings=resources.settings(),
                chat=resources.chat_model(),  # loaded only now: composing needs no model
                store=resources.store(),
                facts=facts,
                on_text=lambda text: live.text(text),
            )
    except ClarionError as exc:
        live.empty()
        error_box(exc)
        return
    clear_result()
    st.session_state["write_message"] = result
    st.session_state["write_version"] = result.version
    st.rerun()


def second_column(floor: Floor | None, message: Message, chosen: str, ask: bool) -> None:
    """Beside the chosen version: the other one, the model at work, or the button to ask it."""
    if message.map is None or floor is None:  # a message from before maps: one version only
        return
    if has_model_version(message) or message.rejected_model_version is not None:
        other_version(message, "model" if chosen == "composed" else "composed")
        return
    mode = resources.settings().ask_model
    if mode == "on-request":
        st.caption(t("ask_model_help"))
        ask = st.button(t("ask_model"), key="write_ask") or ask
    if ask:
        ask_model(floor, st.session_state.get("write_facts") or CampaignFacts())
    elif mode == "never":
        st.caption(t("model_never"))


def show_result(message: Message, ask: bool) -> None:
    """The message staff get, both versions, its sources and where it came from."""
    floor: Floor | None = st.session_state.get("write_floor")
    facts = st.session_state.get("write_facts") or CampaignFacts()
    st.header(t("message"))
    show_map(floor, message)
    chosen = message.version
    if has_model_version(message):
        chosen = str(st.radio(t("version"), VERSIONS, key="write_version", horizontal=True,
                              format_func=lambda v: t(f"version_{v}")))  # fmt: skip
    left, right = st.columns(2)
    with left:
        chosen_version(message, chosen, facts)
    with right:
        second_column(floor, message, chosen, ask)
    st.header(t("citations"))
    for c in message.citations:
        st.markdown(f"**[{c.number}]** {link(c.title, c.url)} · {plain(c.date)}")
    review_notes(c.source_id for c in message.citations)
    if message.rejected_citations:
        st.warning(t("rejected", numbers=", ".join(map(str, message.rejected_citations))))
    with st.expander(t("evidence")):
        for n, passage in enumerate(message.evidence, 1):
            flag = f" · ⚠️ {t('flagged')}" if n in message.flagged_passages else ""
            st.markdown(f"**[{n}] {plain(passage.title)}** · {passage.score:.3f}{flag}")
            st.text(passage.text)
    st.caption(
        f"{t('model')}: {plain(message.model.model_id)} · {t('template')}: "
        f"{plain(message.template_id)}@{message.template_version} · seed {message.seed}"
    )


ask_now = False
if submitted:
    try:
        given = {slot: value for slot, value in translated.items() if value.strip()}
        facts = CampaignFacts(**fact_values, translations={language: given} if given else {})
        settings = resources.settings()
        floor = compose_message(
            Request(topic, audience, channel, language, concern),
            settings=settings,
            store=resources.store(),
            facts=facts,
        )
    except (ValueError, ClarionError) as exc:  # a fact that fails validation; a backend
        error_box(exc)
    else:
        clear_result()
        st.session_state.pop("write_version", None)
        st.session_state["write_floor"] = floor
        st.session_state["write_facts"] = facts
        st.session_state["write_message"] = floor.message
        ask_now = should_ask(settings)

shown: Message | None = st.session_state.get("write_message")
if shown is not None:
    show_result(shown, ask_now)
