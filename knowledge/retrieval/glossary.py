"""A German→English glossary that bridges the English-only default embedder to German text."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

GLOSSARY = Path(__file__).resolve().parent / "glossary.yaml"


@lru_cache(maxsize=1)
def _glossary() -> dict[str, str]:
    raw = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
    return {str(key).lower(): str(value) for key, value in raw.items()}


def english_terms(text: str) -> str:
    """The English equivalents of the German glossary terms in a text, space-separated."""
    glossary = _glossary()
    found: list[str] = []
    for word in re.findall(r"\w+", text.lower()):
        for stem, english in glossary.items():
            # Long stems also match inside compounds ("Gürtelroseimpfung").
            hit = stem in word if len(stem) >= 4 else word.startswith(stem)
            if hit and english not in found:
                found.append(english)
    return " ".join(found)


def expand_query(query: str) -> str:
    """Append English equivalents of the German terms in a text (query or German passage)."""
    extra = english_terms(query)
    return f"{query} {extra}" if extra else query


def embedding_text(text: str, language: str) -> str:
    """What the embedder sees for a passage: German passages carry their English key terms."""
    return expand_query(text) if language == "de" else text
