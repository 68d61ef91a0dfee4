"""Clarion's Streamlit entry point: navigation, interface language, and what is active."""

from __future__ import annotations

import streamlit as st

from ui import auth, resources
from ui.text import t

st.set_page_config(page_title="Clarion", page_icon="📣", layout="wide")

with st.sidebar:
    st.segmented_control(
        "🌐",
        options=["de", "en"],
        key="ui_language",
        default="de",
        format_func=lambda code: {"de": "Deutsch", "en": "English"}[code],
        label_visibility="collapsed",
    )
    if not st.session_state.get("ui_language"):
        st.session_state["ui_language"] = "de"

pages = [st.Page("pages/write.py", title=t("page_write"), icon="✍️", default=True)]
pages.append(st.Page("pages/knowledge.py", title=t("page_knowledge"), icon="📚"))
pages.append(st.Page("pages/templates.py", title=t("page_templates"), icon="🧩"))
pages.append(st.Page("pages/packs.py", title=t("page_packs"), icon="📦"))
pages.append(st.Page("pages/system.py", title=t("page_system"), icon="🩺"))
navigation = st.navigation(auth.pages_for(pages))  # only the login page until signed in

with st.sidebar:
    settings = resources.settings()
    if auth.identity() is not None:
        st.caption(f"**{t('model')}:** {settings.model_label()}")
        st.caption(f"**{t('store')}:** {settings.store_label()}")
    auth.sidebar()

navigation.run()
