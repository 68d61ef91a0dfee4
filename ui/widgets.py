"""Widgets the pages share, so each is written (and escaped) once."""

from __future__ import annotations

import streamlit as st

from knowledge.base.errors import ModelCrashed
from ui.text import plain, t


def error_text(problem: BaseException | str) -> str:
    """One line for a failure, in the interface language, with untrusted text escaped."""
    if isinstance(problem, ModelCrashed):
        return t("model_crashed")
    return t("error", error=plain(str(problem)))


def error_box(problem: BaseException | str) -> None:
    """Show a failure as one red line; the page and its form stay as they were."""
    st.error(error_text(problem))
