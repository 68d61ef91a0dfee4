"""The rating scale of a pretest: items, response anchors and survey wording per language.

The data lives in catalog/pretest/scale.yaml; this module only reads and checks it."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.catalog import CATALOG_DIR
from core.errors import ConfigError

SCALE_FILE = CATALOG_DIR / "pretest" / "scale.yaml"
Kind = Literal["primary", "secondary"]
STRINGS = ("title", "intro", "message", "prompt", "tick", "form", "respondent", "thanks")
PLACEHOLDERS = {"intro": {"count"}, "message": {"position", "count"}, "form": {"form", "forms"}}
_FIELD = re.compile(r"\{(\w*)\}")


class Validation(BaseModel):
    """Whether a language's wording has been validated, and what is known about it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    validated: bool
    note: str = Field(min_length=1)


class Anchor(BaseModel):
    """One response option: its score and its label per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    score: int = Field(ge=1, le=7)
    text: dict[str, str]


class Item(BaseModel):
    """One rating item: an id a survey code can carry, its kind and its wording per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9]{0,14}$")
    kind: Kind
    adapted_from: str = ""  # the validated original's English wording, where adapted
    text: dict[str, str]


class Scale(BaseModel):
    """The items, the anchors and the survey wording, every one in every language listed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    source: str
    languages: dict[str, Validation]
    anchors: list[Anchor] = Field(min_length=2)
    items: list[Item] = Field(min_length=1)
    strings: dict[str, dict[str, str]]

    @model_validator(mode="after")
    def _complete(self) -> Scale:
        problems = _missing(self) + _order(self) + _placeholders(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def scores(self) -> list[int]:
        """The scores a respondent can give, lowest first."""
        return [anchor.score for anchor in self.anchors]

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError if none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def say(self, key: str, language: str, **fields: int) -> str:
        """A survey string in a language with its {fields} filled in."""
        return self.strings[key][language].format(**fields)


def _missing(scale: Scale) -> list[str]:
    wanted = set(scale.languages)
    texts = [(f"anchor {a.score}", a.text) for a in scale.anchors]
    texts += [(f"item {i.id}", i.text) for i in scale.items]
    texts += [(f"string {key}", scale.strings.get(key, {})) for key in STRINGS]
    problems = [
        f"{name} lacks {', '.join(sorted(wanted - set(text)))}"
        for name, text in texts
        if wanted - set(text)
    ]
    problems += [f"{name} has {', '.join(sorted(set(text) - wanted))} (not in languages)"
                 for name, text in texts if set(text) - wanted]  # fmt: skip
    extra = set(scale.strings) - set(STRINGS)
    return problems + ([f"unknown strings: {', '.join(sorted(extra))}"] if extra else [])


def _order(scale: Scale) -> list[str]:
    problems = []
    if scale.scores != list(range(1, len(scale.anchors) + 1)):
        problems.append("anchor scores must run 1, 2, 3, … without gaps")
    ids = [item.id for item in scale.items]
    if len(set(ids)) != len(ids):
        problems.append("item ids must be unique")
    kinds = [item.kind for item in scale.items]
    if kinds != sorted(kinds):  # "primary" sorts before "secondary"
        problems.append("primary items come before secondary ones")
    return problems


def _placeholders(scale: Scale) -> list[str]:
    problems = []
    for key, texts in scale.strings.items():
        for language, text in texts.items():
            found = set(_FIELD.findall(text))
            if found != PLACEHOLDERS.get(key, set()):
                problems.append(f"string {key} in {language} has fields {sorted(found)}")
    return problems


@lru_cache(maxsize=2)
def load_scale(path: Path = SCALE_FILE) -> Scale:
    """Read the scale file once; a ConfigError names what is wrong with it."""
    try:
        return Scale.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"The pretest scale file {path.name} is invalid: {exc}") from exc
