"""Offline language detection over the languages Clarion writes in."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru")


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language among Clarion's languages, or 'und'."""
    sample = text[:4000]
    if len(sample.strip()) < 3:
        return "und"
    found = _detector().detect_language_of(sample)
    return found.iso_code_639_1.name.lower() if found is not None else "und"
