"""The campaign fact sheet: facts that must be right are slots the model never writes itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.base.errors import InputError
from knowledge.base.settings import PROJECT_ROOT

SLOTS = ("what", "who", "when", "where", "cost", "booking", "contact", "source")
FACT_LABELS = PROJECT_ROOT / "prompts" / "catalog" / "fact_labels.yaml"
_PLACEHOLDER = re.compile(r"\{\s*([a-z_]+)\s*\}")
# Fields that belong in the closing fact line, per channel (SMS has room for the essentials).
FACT_LINE_FIELDS = {
    "sms": ("when", "booking"),
    "poster": ("when", "where", "cost", "booking"),
}
DEFAULT_LINE_FIELDS = ("when", "where", "cost", "booking", "contact")


class FactSheet(BaseModel):
    """What, who, when, where, cost, how to book, contact and recommendation source."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    what: str = Field(default="", max_length=200)
    who: str = Field(default="", max_length=300)
    when: str = Field(default="", max_length=200)
    where: str = Field(default="", max_length=300)
    cost: str = Field(default="", max_length=200)
    booking: str = Field(default="", max_length=300)
    contact: str = Field(default="", max_length=300)
    source: str = Field(default="", max_length=300)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        if re.search(r"[\x00-\x08\x0b-\x1f\x7f{}]", value):
            raise ValueError("must not contain control characters or curly braces")
        return value

    def filled(self) -> dict[str, str]:
        """The slots that have a value."""
        return {slot: value for slot in SLOTS if (value := getattr(self, slot))}


def load_facts(path: Path) -> FactSheet:
    """Read a fact sheet from a YAML file, naming the file and field on error."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return FactSheet.model_validate(raw)
    except OSError as exc:
        raise InputError(f"Cannot read the fact sheet {path}: {exc.strerror}.") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise InputError(f"Fact sheet {path.name} is invalid: {exc}") from exc


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    return dict(yaml.safe_load(FACT_LABELS.read_text(encoding="utf-8")))


def fill_slots(text: str, facts: FactSheet) -> tuple[str, list[str], list[str]]:
    """Replace {slot} placeholders with fact values: (text, slots used, unknown placeholders).

    One pass: a value is put in where its placeholder stands and nowhere else (a value never
    holds braces, so nothing is expanded twice); an unknown placeholder is dropped."""
    values = facts.filled()
    used: list[str] = []
    unknown: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            used.append(name)
            return values[name]
        unknown.append(name)
        return ""

    filled = _PLACEHOLDER.sub(replace, text)
    return re.sub(r"[ \t]{2,}", " ", filled).strip(), used, unknown


def fact_line(
    facts: FactSheet, language: str, channel: str, fields: tuple[str, ...] | None = None
) -> str:
    """The closing line with the channel's essential facts, labelled in the message language."""
    labels = _labels().get(language) or _labels()["en"]
    fields = fields or FACT_LINE_FIELDS.get(channel, DEFAULT_LINE_FIELDS)
    values = facts.filled()
    parts = [f"{labels[field]}: {values[field]}" for field in fields if field in values]
    return " · ".join(parts)


def lacking_facts(
    text: str, facts: FactSheet, fields: tuple[str, ...], written: Callable[[str], str] = str
) -> tuple[str, ...]:
    """The fields of the fact sheet (of `fields`, in that order) whose value the text lacks.

    `written` turns a value into its form in the text (an SMS has GSM-7 dashes and quotes), so
    a value the text carries is never added a second time."""
    values = facts.filled()
    return tuple(f for f in fields if f in values and written(values[f]) not in text)


def grounded_numbers(facts: FactSheet, passages: list[str]) -> frozenset[str]:
    """Texts whose numbers a message may use: the fact sheet and the cited passages."""
    return frozenset([*facts.filled().values(), *passages])


def fact_labels(language: str) -> dict[str, str]:
    """The fact line's labels in a language ("Wann", "Termin vereinbaren")."""
    return dict(_labels().get(language) or _labels()["en"])
