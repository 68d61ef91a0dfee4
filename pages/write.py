"""The "Write a message" page: choose, generate, and review the message with its checks."""

from __future__ import annotations

import html
import re

import streamlit as st

from comms.drafting.draft import Request, check_message, draft_variants, resolve
from comms.facts import SLOTS, FactSheet
from comms.message import Message
from knowledge.base.catalog import load_catalog
from knowledge.base.errors import ClarionError
from ui import auth, resources
from ui.text import link, plain, t, ui_language
from ui.widgets import check_list, error_box, labelled_select

auth.require("write")
catalog = load_catalog()
lang = ui_language()
languages = {lg.id: lg for lg in catalog.languages}
channels = {c.id: c for c in catalog.channels}


st.title(t("page_write"))
st.caption(t("tagline"))

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
    variants = st.number_input(t("variants"), min_value=1, max_value=3, value=1, key="variants")
    submitted = st.form_submit_button(t("generate"), type="primary")


def show_text(message: Message, text: str) -> None:
    """The message as text, never as markup; fact values highlighted; Arabic right to left."""
    if languages[message.language].rtl:
        st.html(
            f'<div dir="rtl" style="font-size:1.1rem;line-height:1.6">{html.escape(text)}</div>'
        )
    else:
        st.markdown(highlight(text, [*message.slots.values(), message.fact_line]))
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


def show_message(message: Message, index: int, facts: FactSheet) -> None:
    """A message, its checks beside it, an editor that re-runs the checks, and its sources."""
    text_col, checks_col = st.columns([3, 2])
    edited_key = f"edited-{index}"
    with text_col:
        show_text(message, st.session_state.get(edited_key, message.text))
        spec = channels[message.channel]
        current = st.session_state.get(edited_key, message.text)
        st.caption(t("characters", count=len(current), limit=spec.max_chars))
        if languages[message.language].needs_test_reader:
            st.warning(t("leichte_review"))
        if message.attempts > 1:
            st.caption(t("repaired", rounds=message.attempts - 1))
        new_text = st.text_area(t("edit"), current, key=f"editor-{index}", max_chars=5000)
        if st.button(t("recheck"), key=f"recheck-{index}"):
            st.session_state[edited_key] = new_text
            st.session_state[f"report-{index}"] = check_message(message, facts, new_text)
            st.rerun()
    with checks_col:
        st.subheader(t("checks"))
        check_list(st.session_state.get(f"report-{index}", message.checks))
    st.subheader(t("citations"))
    for c in message.citations:
        st.markdown(f"**[{c.number}]** {link(c.title, c.url)} · {plain(c.date)}")
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


if submitted:
    request = Request(topic, audience, channel, language, concern)
    try:
        resolved = resolve(request)  # the ids are checked before any model is asked
        facts = FactSheet(**fact_values)
        live = st.empty()
        with st.spinner(t("writing")):
            messages = draft_variants(
                resolved,
                int(variants),
                settings=resources.settings(),
                chat=resources.chat_model(),
                store=resources.store(),
                facts=facts,
                on_text=lambda text: live.text(text),
            )
        live.empty()
        for key in [k for k in st.session_state if str(k).startswith(("edited-", "report-"))]:
            del st.session_state[key]
        st.session_state["last_messages"] = messages
        st.session_state["last_facts"] = facts
    except ValueError as exc:  # a fact that fails validation
        error_box(exc)
    except ClarionError as exc:
        error_box(exc)

shown = st.session_state.get("last_messages") or []
facts_shown = st.session_state.get("last_facts") or FactSheet()
if len(shown) == 1:
    st.subheader(t("message"))
    show_message(shown[0], 0, facts_shown)
elif shown:
    tabs = st.tabs([t("variant", n=n + 1) for n in range(len(shown))])
    for n, (tab, message) in enumerate(zip(tabs, shown, strict=True)):
        with tab:
            show_message(message, n, facts_shown)
