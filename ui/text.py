"""UI text in German and English. Pages look strings up by key; nothing else lives here."""

from __future__ import annotations

import re

import streamlit as st

TEXT: dict[str, dict[str, str]] = {
    "app_title": {"de": "Clarion", "en": "Clarion"},
    "tagline": {
        "de": "Evidenzbasierte, einfühlsame Impfkommunikation für Gesundheitsämter",
        "en": "Evidence-based, empathetic vaccination messages for health offices",
    },
    "ui_language": {"de": "Sprache der Oberfläche", "en": "Interface language"},
    "page_write": {"de": "Nachricht schreiben", "en": "Write a message"},
    "topic": {"de": "Thema", "en": "Topic"},
    "audience": {"de": "Zielgruppe", "en": "Audience"},
    "channel": {"de": "Kanal", "en": "Channel"},
    "language": {"de": "Sprache der Nachricht", "en": "Message language"},
    "concern": {"de": "Anliegen oder Frage (optional)", "en": "Concern or question (optional)"},
    "concern_help": {
        "de": "Zum Beispiel: „Ist die Impfung in der Schwangerschaft sicher?“",
        "en": "For example: “Is the vaccine safe in pregnancy?”",
    },
    "generate": {"de": "Nachricht erstellen", "en": "Write message"},
    "writing": {"de": "Clarion schreibt …", "en": "Clarion is writing …"},
    "message": {"de": "Nachricht", "en": "Message"},
    "citations": {"de": "Quellen", "en": "Sources"},
    "evidence": {"de": "Gefundene Evidenz", "en": "Retrieved evidence"},
    "provenance": {"de": "Herkunft", "en": "Provenance"},
    "model": {"de": "Modell", "en": "Model"},
    "store": {"de": "Wissensspeicher", "en": "Knowledge store"},
    "chunks": {"de": "Abschnitte", "en": "passages"},
    "template": {"de": "Vorlage", "en": "Template"},
    "rejected": {
        "de": "Verweise auf nicht gefundene Abschnitte wurden verworfen: {numbers}",
        "en": "Citations to passages that were not retrieved were rejected: {numbers}",
    },
    "error": {"de": "Das hat nicht geklappt: {error}", "en": "That did not work: {error}"},
    "not_loaded": {"de": "wird beim ersten Gebrauch geladen", "en": "loaded on first use"},
    "leichte_review": {
        "de": "Leichte Sprache: vor dem Versand von einer Prüfgruppe lesen lassen.",
        "en": "Leichte Sprache: have a test reader check it before sending.",
    },
    "characters": {
        "de": "{count} Zeichen (Grenze {limit})",
        "en": "{count} characters (limit {limit})",
    },
}


def ui_language() -> str:
    """The interface language chosen in the sidebar (German by default)."""
    return str(st.session_state.get("ui_language", "de"))


def t(key: str, **values: object) -> str:
    """The UI string for key in the current interface language."""
    text = TEXT[key][ui_language()]
    return text.format(**values) if values else text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def plain(text: str) -> str:
    """Escape Markdown so untrusted text (titles, uploads, model output) shows as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def link(title: str, url: str) -> str:
    """A Markdown link for http(s) addresses only; anything else is shown as plain text."""
    if re.fullmatch(r"https?://[^\s()<>]+", url):
        return f"[{plain(title)}]({url})"
    return plain(title)
