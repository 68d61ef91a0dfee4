"""Topics, audiences, channels and languages, loaded from the data files in catalog/."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, field_validator

from core.errors import ConfigError, InputError
from core.settings import PROJECT_ROOT

CATALOG_DIR = PROJECT_ROOT / "catalog"


class Labelled(BaseModel):
    """An entry with an id and a label per UI language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: dict[str, str]

    def label_in(self, ui_language: str) -> str:
        """The label in the UI language, falling back to English."""
        return self.label.get(ui_language) or self.label["en"]


class Topic(Labelled):
    search: dict[str, str]
    keywords: list[str]  # lower-case stems that mark a document as being about this topic


class Audience(Labelled):
    concerns: list[str]
    helps: list[str]
    tone: str
    grade: int
    # Per language, lexicon-style entries (lowercase, "*" for any ending) that mark a message as
    # being about another audience: the linter's audience_fit check fails on them.
    not_about: dict[str, list[str]] = {}

    @field_validator("not_about")
    @classmethod
    def _lowercase(cls, terms: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = [term for entries in terms.values() for term in entries if term != term.lower()]
        if bad:
            raise ValueError(f"not_about entries must be lowercase: {', '.join(bad)}")
        return terms


class Channel(Labelled):
    max_chars: int
    structure: str


def base_language(language: str) -> str:
    """The ISO code a language id is written in: de for de-einfach and de-leicht, en for en-GB."""
    return language.split("-", 1)[0]


class Language(Labelled):
    prompt_name: str
    base: str | None = None
    rtl: bool = False
    needs_test_reader: bool = False

    @property
    def base_language(self) -> str:
        """The ISO language the text is written in (de for Einfache/Leichte Sprache)."""
        return self.base or base_language(self.id)


class Catalog(BaseModel):
    """Every choice the app offers."""

    model_config = ConfigDict(frozen=True)

    topics: tuple[Topic, ...]
    audiences: tuple[Audience, ...]
    channels: tuple[Channel, ...]
    languages: tuple[Language, ...]


T = TypeVar("T", bound=Labelled)

KINDS = ("topics", "audiences", "channels", "languages")


def _load(path: Path, model: type[T]) -> tuple[T, ...]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return tuple(TypeAdapter(list[model]).validate_python(raw))  # type: ignore[valid-type]
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"Catalog file {path.name} is invalid: {exc}") from exc


@lru_cache(maxsize=4)
def load_catalog(folder: Path = CATALOG_DIR) -> Catalog:
    """Read the four catalog files once."""
    return Catalog(
        topics=_load(folder / "topics.yaml", Topic),
        audiences=_load(folder / "audiences.yaml", Audience),
        channels=_load(folder / "channels.yaml", Channel),
        languages=_load(folder / "languages.yaml", Language),
    )


def pick(entries: tuple[T, ...], wanted: str, kind: str) -> T:
    """Return the entry with id `wanted`, or an InputError listing the valid ids."""
    if not wanted or not wanted.strip():
        raise InputError(f"The {kind} is empty; choose one of: {_ids(entries)}.")
    for entry in entries:
        if entry.id == wanted.strip():
            return entry
    raise InputError(f"Unknown {kind} '{wanted}'; choose one of: {_ids(entries)}.")


def _ids(entries: tuple[Labelled, ...]) -> str:
    return ", ".join(entry.id for entry in entries)
