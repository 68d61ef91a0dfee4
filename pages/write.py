"""The "Write a message" page: choose, generate, and see the message with its evidence."""

from __future__ import annotations

import streamlit as st

from comms.catalog import load_catalog
from comms.draft import Request, draft_message, resolve
from comms.errors import ClarionError
from comms.message import Message
from ui import auth, resources
from ui.text import link, plain, t, ui_language

auth.require("write")
catalog = load_catalog()
lang = ui_language()


def _select(label: str, entries: tuple, key: str) -> str:  # type: ignore[type-arg]
    labels = {e.id: e.label_in(lang) for e in entries}
    return str(st.selectbox(label, list(labels), format_func=labels.__getitem__, key=key))


st.title(t("page_write"))
st.caption(t("tagline"))

with st.form("write"):
    left, right = st.columns(2)
    with left:
        topic = _select(t("topic"), catalog.topics, "topic")
        audience = _select(t("audience"), catalog.audiences, "audience")
    with right:
        channel = _select(t("channel"), catalog.channels, "channel")
        language = _select(t("language"), catalog.languages, "language")
    concern = st.text_area(t("concern"), help=t("concern_help"), max_chars=500, key="concern")
    submitted = st.form_submit_button(t("generate"), type="primary")


def show_message(message: Message) -> None:
    """The message as plain text (never as markup), its sources and its evidence."""
    spec = next(lg for lg in catalog.languages if lg.id == message.language)
    channel_spec = next(c for c in catalog.channels if c.id == message.channel)
    st.subheader(t("message"))
    st.code(message.text, language=None, wrap_lines=True)
    st.caption(t("characters", count=len(message.text), limit=channel_spec.max_chars))
    if spec.needs_test_reader:
        st.warning(t("leichte_review"))
    st.subheader(t("citations"))
    for c in message.citations:
        st.markdown(f"**[{c.number}]** {link(c.title, c.url)} · {plain(c.date)}")
    if message.rejected_citations:
        st.warning(t("rejected", numbers=", ".join(map(str, message.rejected_citations))))
    with st.expander(t("evidence")):
        for n, passage in enumerate(message.evidence, 1):
            st.markdown(f"**[{n}] {plain(passage['title'])}** · score {passage['score']:.3f}")
            st.text(passage["text"])
    st.caption(
        f"{t('model')}: {message.model.model_id} · {t('template')}: "
        f"{message.template_id}@{message.template_version} · seed {message.seed}"
    )


if submitted:
    request = Request(topic, audience, channel, language, concern)
    try:
        resolve(request)
        settings = resources.settings()
        store = resources.store()
        chat = resources.chat_model()
        live = st.empty()
        with st.spinner(t("writing")):
            message = draft_message(
                request,
                settings=settings,
                chat=chat,
                store=store,
                on_text=lambda text: live.text(text),
            )
        live.empty()
        st.session_state["last_message"] = message
    except ClarionError as exc:
        st.error(t("error", error=exc))

if isinstance(st.session_state.get("last_message"), Message):
    show_message(st.session_state["last_message"])
