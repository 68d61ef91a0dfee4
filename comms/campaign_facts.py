"""The campaign fact sheet: facts that must be right are slots the model never writes itself."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.catalog import base_language
from core.errors import InputError, file_problems
from core.settings import PROJECT_ROOT

SLOTS = ("what", "who", "when", "where", "cost", "booking", "contact", "source")
TRANSLATED_SLOTS = tuple(s for s in SLOTS if s != "booking")  # a booking link reads the same
FACT_LABELS = PROJECT_ROOT / "catalog" / "fact_labels.yaml"
FACT_WORDS = PROJECT_ROOT / "catalog" / "fact_words.yaml"
# A concern of these kinds asks for these facts, whatever its words.
ASKED_BY_KIND = {"cost": ("cost",), "timing": ("when",)}
_PLACEHOLDER = re.compile(r"\{\s*([a-z_]+)\s*\}")
# Fields that belong in the closing fact line, per channel (SMS has room for the essentials).
FACT_LINE_FIELDS = {
    "sms": ("when", "booking"),
    "poster": ("when", "where", "cost", "booking"),
}
DEFAULT_LINE_FIELDS = ("when", "where", "cost", "booking", "contact")
# Plain German puts each fact on a line of its own, in an SMS too (fact_lines).
PLAIN_GERMAN = frozenset({"de-einfach", "de-leicht"})


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f{}]")


class Schedule(BaseModel):
    """When the campaign runs, as data: written in every message language by Babel."""

    model_config = ConfigDict(extra="forbid")

    weekday: Literal[WEEKDAYS] | None = None  # type: ignore[valid-type]
    opens: dt.time | None = None
    closes: dt.time | None = None
    first: dt.date | None = None
    last: dt.date | None = None

    @model_validator(mode="after")
    def _in_order(self) -> Schedule:
        if (self.opens is None) != (self.closes is None):
            raise ValueError("give both opens and closes, or neither")
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValueError("closes must be later than opens")
        if self.first and self.last and self.last < self.first:
            raise ValueError("last must not be before first")
        if not (self.weekday or self.opens or self.first):
            raise ValueError("give a weekday, opening hours or dates")
        return self


class CampaignFacts(BaseModel):
    """What, who, when, where, cost, how to book, contact and recommendation source.

    The values are written in `language` (the office's, German by default). `translations`
    gives a value in another message language (`translations: {en: {where: …}}`); `schedule`
    gives the time as data, which every language gets from Babel. `comms.campaign_facts.localized`
    makes the sheet of one message language."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    what: str = Field(default="", max_length=200)
    who: str = Field(default="", max_length=300)
    when: str = Field(default="", max_length=200)
    where: str = Field(default="", max_length=300)
    cost: str = Field(default="", max_length=200)
    booking: str = Field(default="", max_length=300)
    contact: str = Field(default="", max_length=300)
    source: str = Field(default="", max_length=300)
    language: str = Field(default="de", max_length=20)
    schedule: Schedule | None = None
    # the cost as data, in euros: 0 is written "kostenlos", "free of charge", "ücretsiz" …;
    # any other amount by Babel for the message's locale ("25,00 €", "€25.00")
    price: Decimal | None = Field(default=None, ge=0, le=10_000, decimal_places=2)
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)
    # the campaign's time as the office wrote it, kept when a message language's `when` takes
    # its place: its months are read for contradictions (contradicts_campaign)
    written_when: str = Field(default="", max_length=200, exclude=True)

    @field_validator(*SLOTS, "language", "written_when")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters or curly braces")
        return value

    @field_validator("translations")
    @classmethod
    def _known_fields(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for language, fields in value.items():
            for name, text in fields.items():
                if name not in SLOTS:
                    raise ValueError(f"{language}.{name} is not a field of the fact sheet")
                if _CONTROL.search(text) or len(text) > 300:
                    raise ValueError(f"{language}.{name}: at most 300 characters, no braces")
        return {lang: {k: v.strip() for k, v in fields.items()} for lang, fields in value.items()}

    def filled(self) -> dict[str, str]:
        """The slots that have a value."""
        return {slot: value for slot in SLOTS if (value := getattr(self, slot))}


# Values that read the same in every language: a link, a phone number, an e-mail address.
_NEUTRAL = re.compile(r"[\d\s+()/.\-–]+|\S+@\S+|(?:https?://|www\.)\S+|[\w.-]+\.[a-z]{2,}(?:/\S*)?")


def localized(facts: CampaignFacts, language: str) -> tuple[CampaignFacts, tuple[str, ...]]:
    """The sheet in one message language, and the fields it has no text of that language for
    (they keep the office's text; staff see a note). Easy-read German is German."""
    own = base_language(language) == base_language(facts.language)
    update = {} if own else dict(facts.translations.get(language) or
                                 facts.translations.get(base_language(language)) or {})  # fmt: skip
    if facts.schedule is not None and "when" not in update and not (own and facts.when):
        update["when"] = schedule_text(facts.schedule, language)
    if facts.price is not None and "cost" not in update and not (own and facts.cost):
        update["cost"] = price_text(facts.price, language)
    missing = tuple(
        slot for slot in SLOTS
        if (value := getattr(facts, slot)) and slot not in update and not own
        and not _NEUTRAL.fullmatch(value)
    )  # fmt: skip
    written = facts.written_when or facts.when
    if not written and facts.schedule is not None:
        written = schedule_text(facts.schedule, "en")  # its months, in words contradicts reads
    sheet = facts.model_copy(update={**update, "language": language, "written_when": written})
    return sheet, missing


def schedule_text(schedule: Schedule, language: str) -> str:
    """The schedule in a language, with Babel's names and formats for its locale ("jeden
    Dienstag, 14:00–18:00 Uhr (3. März – 28. Apr. 2026)", "every Tuesday, 14:00 – 18:00 …")."""
    from babel.dates import format_date, format_interval, get_day_names

    locale = base_language(language)
    pattern = _words()["schedule"].get(locale) or _words()["schedule"]["en"]
    parts = []
    if schedule.weekday:
        day = str(get_day_names("wide", locale=locale)[WEEKDAYS.index(schedule.weekday)])
        parts.append(pattern["weekly"].format(weekday=day.lower() if pattern.get("lower") else day))
    if schedule.opens and schedule.closes:
        parts.append(format_interval(schedule.opens, schedule.closes, "Hm", locale=locale))
    text = pattern["join"].join(parts)
    if schedule.first:
        last = schedule.last or schedule.first
        if last == schedule.first:
            dates = format_date(schedule.first, "medium", locale=locale)
        else:
            dates = format_interval(schedule.first, last, "yMMMd", locale=locale)
        text = pattern["dated"].format(times=text, dates=dates) if text else dates
    # Babel's thin and narrow no-break spaces would make an SMS UCS-2: plain spaces
    return re.sub(r"[\u00a0\u2009\u202f]", " ", text)


def price_text(price: Decimal, language: str) -> str:
    """The price in a language: the word for free of charge, else the amount in euros as
    Babel writes it for the locale ("25,00 €", "€25.00", "25,00 €" in Turkish)."""
    from babel.numbers import format_currency

    locale = base_language(language)
    if price == 0:
        return str(_words()["free"].get(locale) or _words()["free"]["en"])
    text = format_currency(price, "EUR", locale=locale)
    return re.sub(r"[\u00a0\u2009\u202f]", " ", text)


def load_facts(path: Path) -> CampaignFacts:
    """Read a fact sheet from a YAML file, naming the file and field on error."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(raw, dict) and {"topic", "audiences", "facts"} <= raw.keys():
            said = "give its `facts` in a file of their own, or make the pack with `comms packs`"
            raise InputError(f"{path.name} is a campaign file, not a fact sheet: {said}.")
        return CampaignFacts.model_validate(raw)
    except OSError as exc:
        raise InputError(f"Cannot read the fact sheet {path}: {exc.strerror}.") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        said = "; ".join(f"{p}{f' (line {p.line})' if p.line else ''}" for p in file_problems(exc))
        raise InputError(f"Fact sheet {path.name} is invalid: {said}") from exc


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    return dict(yaml.safe_load(FACT_LABELS.read_text(encoding="utf-8")))


def fill_slots(text: str, facts: CampaignFacts) -> tuple[str, list[str], list[str]]:
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


def fact_lines(facts: CampaignFacts, language: str, channel: str, fields: tuple[str, ...]) -> str:
    """The facts of `fields` as a message closes with them: one line in an SMS, else (and in
    plain German everywhere) a line each, since a row of facts joined by dots reads as one
    long sentence."""
    if channel != "sms" or language in PLAIN_GERMAN:
        each = [fact_line(facts, language, channel, (name,)) for name in fields]
        return "\n".join(part for part in each if part)
    return fact_line(facts, language, channel, fields) if fields else ""


def fact_line(
    facts: CampaignFacts, language: str, channel: str, fields: tuple[str, ...] | None = None
) -> str:
    """The closing line with the channel's essential facts, labelled in the message language."""
    labels = _labels().get(language) or _labels()["en"]
    fields = fields or FACT_LINE_FIELDS.get(channel, DEFAULT_LINE_FIELDS)
    values = facts.filled()
    parts = [f"{labels[field]}: {values[field]}" for field in fields if field in values]
    return " · ".join(parts)


def lacking_facts(
    text: str, facts: CampaignFacts, fields: tuple[str, ...], written: Callable[[str], str] = str
) -> tuple[str, ...]:
    """The fields of the fact sheet (of `fields`, in that order) whose value the text lacks.

    `written` turns a value into its form in the text (an SMS has GSM-7 dashes and quotes), so
    a value the text carries is never added a second time."""
    values = facts.filled()
    return tuple(f for f in fields if f in values and written(values[f]) not in text)


def grounded_numbers(facts: CampaignFacts, passages: list[str]) -> frozenset[str]:
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
    """Every month name of catalog/ (any language, short forms too) and its number."""
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
        month = _month_names().get(word)
        if month is not None:
            found.append((match.start(), month))
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
