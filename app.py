"""Clarion's Streamlit entry point: navigation, interface language, and what is active."""

from __future__ import annotations

import streamlit as st

from comms.model.licence import LLAMA4_AUP_URL, LLAMA4_LICENSE_URL
from ui import auth, resources
from ui.text import plain, t, ui_language
from ui.widgets import page_language

NOTICE_SHOWN = "llama4_notice_shown"

st.set_page_config(page_title="Clarion", page_icon="📣", layout="wide")

with st.sidebar:
    st.segmented_control(
        "Sprache · Language",  # both: a person who reads only one must find it (screen readers)
        options=["de", "en"],
        key="ui_language",
        default="de",
        format_func=lambda code: {"de": "Deutsch", "en": "English"}[code],
        label_visibility="collapsed",
    )
    if not st.session_state.get("ui_language"):
        st.session_state["ui_language"] = "de"
    page_language(ui_language())

pages = [st.Page("pages/write.py", title=t("page_write"), icon="✍️", default=True)]
pages.append(st.Page("pages/knowledge.py", title=t("page_knowledge"), icon="📚"))
pages.append(st.Page("pages/templates.py", title=t("page_templates"), icon="🧩"))
pages.append(st.Page("pages/maps.py", title=t("page_maps"), icon="🗺️"))
pages.append(st.Page("pages/packs.py", title=t("page_packs"), icon="📦"))
pages.append(st.Page("pages/system.py", title=t("page_system"), icon="🩺"))
navigation = st.navigation(auth.pages_for(pages))  # only the login page until signed in

resources.warm_up()  # the first message must not wait for the store and the word lists

with st.sidebar:
    settings = resources.settings()
    licence = resources.model_licence()
    if auth.identity() is not None:
        st.caption(f"**{t('model')}:** {settings.model_label()}")
        st.caption(f"**{t('licence')}:** {plain(licence.label())}")
        st.caption(f"**{t('store')}:** {settings.store_label(short=True)}")
    auth.sidebar()
    if licence.attribution:  # the Llama licence asks products built on it to say so
        st.caption(licence.attribution)

if licence.is_llama4 and auth.identity() is not None and not st.session_state.get(NOTICE_SHOWN):
    st.session_state[NOTICE_SHOWN] = True  # information, once per session; never a block
    st.info(t("llama4_notice", notice=licence.notice(ui_language()), licence=LLAMA4_LICENSE_URL,
              policy=LLAMA4_AUP_URL))  # fmt: skip

navigation.run()
