"""Word lists the message linter uses, one data file per language in catalog/lexicon."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from core.catalog import base_language
from core.errors import ConfigError
from core.settings import PROJECT_ROOT

LEXICON_DIR = PROJECT_ROOT / "catalog" / "lexicon"

# Arabic short vowels, tanween, shadda, sukun, dagger alif and tatweel: often left out in writing.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALEF = str.maketrans("أإآٱ", "اااا")
_APOSTROPHES = str.maketrans("’ʼ‘`", "''''")


class JargonEntry(BaseModel):
    """A technical term and the everyday words to use instead."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    term: str
    plain: str

    @field_validator("term")
    @classmethod
    def _lowercase(cls, term: str) -> str:
        return _check_entry(term)


class Lexicon(BaseModel):
    """One language's word lists; see the header of catalog/lexicon/de.yaml for the rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    fear: tuple[str, ...]
    urgency: tuple[str, ...]
    pressure: tuple[str, ...]
    stigma: tuple[str, ...]
    jargon: tuple[JargonEntry, ...]
    myth_markers: tuple[str, ...]
    call_to_action: tuple[str, ...]
    greetings: tuple[str, ...]
    percent_words: tuple[str, ...]
    frequency_example: str
    abbreviations: tuple[str, ...]
    prefixes: tuple[str, ...] = ()
    clause_markers: tuple[str, ...] = ()
    fragment_ends: tuple[str, ...] = ()  # a sentence without final mark that ends here breaks off
    ordinal_dot: bool = False

    @field_validator(
        "fear", "urgency", "pressure", "stigma", "myth_markers", "call_to_action",
        "greetings", "percent_words", "clause_markers", "prefixes", "fragment_ends",
    )  # fmt: skip
    @classmethod
    def _entries(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        return _unique(tuple(_check_entry(entry) for entry in entries))

    @field_validator("abbreviations")
    @classmethod
    def _abbreviations(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        for entry in entries:
            if not entry.endswith(".") or entry != entry.lower():
                raise ValueError(f"abbreviation {entry!r} must be lowercase and end with '.'")
        return _unique(entries)


def _check_entry(entry: str) -> str:
    if not entry.strip("* ") or entry != entry.strip():
        raise ValueError(f"entry {entry!r} is empty or has spaces at either end")
    if entry != entry.lower():
        raise ValueError(f"entry {entry!r} must be lowercase")
    return entry


def _unique(entries: tuple[str, ...]) -> tuple[str, ...]:
    seen = {entry for entry in entries if entries.count(entry) > 1}
    if seen:
        raise ValueError(f"duplicate entries: {', '.join(sorted(seen))}")
    return entries


@lru_cache(maxsize=16)
def load_lexicon(language: str, folder: Path = LEXICON_DIR) -> Lexicon:
    """The lexicon of a language id (de-einfach and de-leicht use de.yaml)."""
    path = folder / f"{base_language(language)}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Lexicon.model_validate(raw)
    except FileNotFoundError as exc:
        raise ConfigError(
            f"No lexicon for language '{language}' ({path.name} is missing)."
        ) from exc
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"Lexicon file {path.name} is invalid: {exc}") from exc


def normalise_text(text: str) -> str:
    """Text as entries are matched against: NFC, one apostrophe, Arabic marks and alef unified."""
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    return _ARABIC_MARKS.sub("", text).translate(_ALEF)


def _word(token: str) -> str:
    body = re.escape(token.strip("*")).replace(",", ",?")  # a comma in an entry is optional
    lead = r"\w*" if token.startswith("*") else ""
    trail = r"\w*" if token.endswith("*") else ""
    return lead + body + trail


@lru_cache(maxsize=4096)
def _pattern(entry: str, prefixes: tuple[str, ...]) -> re.Pattern[str]:
    words = r"\s+".join(_word(token) for token in normalise_text(entry).split())
    clitic = "(?:" + "|".join(map(re.escape, prefixes)) + ")?" if prefixes else ""
    return re.compile(rf"(?<!\w){clitic}{words}(?!\w)", re.IGNORECASE)


def find_terms(text: str, entries: tuple[str, ...], prefixes: tuple[str, ...] = ()) -> list[str]:
    """The text as written for each entry found (first occurrence), in entry order."""
    plain = normalise_text(text)
    found = []
    for entry in entries:
        match = _pattern(entry, prefixes).search(plain)
        if match is not None:
            found.append(match.group(0))
    return found
