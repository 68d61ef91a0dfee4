"""The campaign fact sheet: facts that must be right are slots the model never writes itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.base.errors import InputError
from knowledge.base.settings import PROJECT_ROOT

SLOTS = ("what", "who", "when", "where", "cost", "booking", "contact", "source")
FACT_LABELS = PROJECT_ROOT / "prompts" / "catalog" / "fact_labels.yaml"
FACT_WORDS = PROJECT_ROOT / "prompts" / "catalog" / "fact_words.yaml"
# A concern of these kinds asks for these facts, whatever its words.
ASKED_BY_KIND = {"cost": ("cost",), "timing": ("when",)}
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


@lru_cache(maxsize=1)
def _words() -> dict[str, Any]:
    return dict(yaml.safe_load(FACT_WORDS.read_text(encoding="utf-8")))


def _said(text: str, entries: list[str]) -> bool:
    """Whether the lowercased text has one of the entries: a whole word, a word beginning
    ("zeit*"), or a phrase (with a space)."""
    words = re.findall(r"[^\W_]+", text)
    for entry in entries:
        if " " in entry:
            if entry in text:
                return True
        elif entry.endswith("*"):
            if any(word.startswith(entry[:-1]) for word in words):
                return True
        elif entry in words:
            return True
    return False


def asked_fields(concern: str, kind: str | None = None) -> tuple[str, ...]:
    """The facts of the fact sheet (cost, where, when) a concern asks for: by its kind (a cost
    concern asks the cost) and by the staff's words in any language ("Wo und wann?")."""
    text = concern.lower()
    asked = set(ASKED_BY_KIND.get(kind or "", ()))
    for field, languages in _words()["asks"].items():
        if any(_said(text, entries) for entries in languages.values()):
            asked.add(field)
    return tuple(slot for slot in SLOTS if slot in asked)


@lru_cache(maxsize=1)
def _month_names() -> dict[str, int]:
    """Every month name of prompts/catalog (any language, short forms too) and its number."""
    months = _words()["months"]
    return {name: n for names in months.values() for n, name in enumerate(names, 1)}


def named_months(text: str, dated: bool = True) -> list[int]:
    """The months a text names, in order: month names (German, English, short forms such as
    "Nov."), and dates written 3.3.2026 or 2026-03-03. `dated` False leaves out a month with
    its year ("seit Januar 2024", "born after 31 December 1970"): a date in the past, not a
    time of year."""
    found: list[tuple[int, int]] = []
    for match in re.finditer(r"[^\W\d_]+", text):
        word = match.group().lower()
        if word == "may" and match.group() != "May":
            continue  # the verb
        if not dated and re.match(r"\.?\s*\d{4}\b", text[match.end() :]):
            continue
        if word in _month_names():
            found.append((match.start(), _month_names()[word]))
    dates = r"\b\d{1,2}\.(\d{1,2})\.|\b\d{4}-(\d{2})-\d{2}\b" if dated else r"(?!)"
    for match in re.finditer(dates, text):
        month = int(match.group(1) or match.group(2))
        if 1 <= month <= 12:
            found.append((match.start(), month))
    return [month for _, month in sorted(found)]


@lru_cache(maxsize=256)
def campaign_months(when: str) -> frozenset[int]:
    """The months a campaign runs in, from the fact sheet's `when`: from the first month it
    names to the last ("vom 3. März bis 28. April" is March and April; "November bis Februar"
    runs over the new year); empty when it names none ("jeden Dienstag")."""
    months = named_months(when)
    if not months:
        return frozenset()
    first, last = months[0], months[-1]
    span = (last - first) % 12
    return frozenset((first - 1 + n) % 12 + 1 for n in range(span + 1))


def stated_months(texts: dict[str, str]) -> frozenset[int]:
    """The months a map statement says to vaccinate in, read in its German and English texts:
    its seasons ("Autumn is the best time") and the months it names."""
    return _stated_months(texts.get("de", ""), texts.get("en", ""))


@lru_cache(maxsize=4096)
def _stated_months(de: str, en: str) -> frozenset[int]:
    months: set[int] = set()
    for language, text in (("de", de), ("en", en)):
        months |= set(named_months(text, dated=False))
        for season in _words()["seasons"].values():
            if _said(text.lower(), season.get(language, [])):
                months |= set(season["months"])
    return frozenset(months)


def contradicts_campaign(texts: dict[str, str], when: str) -> bool:
    """Whether a statement names a time to vaccinate that the campaign's dates never reach."""
    running = campaign_months(when)
    if not running:  # "jeden Dienstag": no month to contradict
        return False
    stated = stated_months(texts)
    return bool(stated and not stated & running)
