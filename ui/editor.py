"""The session state of a page that edits versioned documents (the Maps and Templates pages):
the text in the editor, the version it was loaded from, and a notice shown once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import streamlit as st


class Loaded(Protocol):
    """A stored version of a document: its text and number."""

    @property
    def text(self) -> str: ...

    @property
    def number(self) -> int: ...


@dataclass(frozen=True)
class Editor:
    """One kind of document's session keys: <prefix>_text:<id>, <prefix>_base:<id> and
    <prefix>_notice, as the pages' tests and widgets name them."""

    prefix: str

    @property
    def notice(self) -> str:
        return f"{self.prefix}_notice"

    def text_key(self, document_id: str) -> str:
        return f"{self.prefix}_text:{document_id}"

    def base_key(self, document_id: str) -> str:
        return f"{self.prefix}_base:{document_id}"

    def load(self, document_id: str, version: Loaded) -> None:
        """Put a version's text in the editor and remember it as the base for the next change."""
        st.session_state[self.text_key(document_id)] = version.text
        st.session_state[self.base_key(document_id)] = version.number

    def notify(self, kind: str, **payload: Any) -> None:
        """Leave a notice for the next redraw (callbacks run before it)."""
        st.session_state[self.notice] = {"kind": kind, **payload}

    def take_notice(self) -> dict[str, Any] | None:
        """The notice left by the last change, once."""
        notice: dict[str, Any] | None = st.session_state.pop(self.notice, None)
        return notice
