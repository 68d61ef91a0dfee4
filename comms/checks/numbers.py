"""Numbers written in digits, found and normalised so "1.000" and "1,000" compare equal."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

# Phone numbers: a leading + or (, or a 0, then digit groups joined by spaces, hyphens, slashes
# or brackets; or the North American 555-123-4567 shape. Checked for >= 7 digits below.
_PHONE = re.compile(
    r"(?<![\w+./,:-])(?:\+|\(|0)[\d ()/\-]{5,}\d(?![\w/])"
    r"|(?<![\w./,:-])(?:1[ -])?\d{3}[ -]\d{3}[ -]\d{4}(?![\w/])"
)
_DATE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
# A number is not part of a word ("H1N1", "COVID-19"); inner . , : / and Arabic separators join
# its parts ("1.000", "0,5", "10:30", "12.03.2025", "24/7"); a space joins thousands ("10 000").
_NUMBER = re.compile(
    r"(?<![^\W\d_])(?<![^\W\d_]-)(?<!\d)\d+"
    r"(?:(?:[.,:/٫٬]|[ \u00a0\u202f\u2009](?=\d{3}(?!\d)))\d+)*"
)
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
_SPACED_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:[ \u00a0\u202f\u2009]\d{3})+")
_GROUPED = re.compile(r"([1-9]\d{0,2})([.,])(\d{3}(?:\2\d{3})*)(?:([.,])(\d+))?")
_DECIMAL = re.compile(r"(\d+)[.,](\d+)")


def _ascii_digits(raw: str) -> str:
    digits = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in raw)
    return digits.replace("٫", ".").replace("٬", ",")


def _is_phone(raw: str) -> bool:
    return sum(ch.isdecimal() for ch in raw) >= 7 and _DATE.fullmatch(raw.strip()) is None


def _plain_numbers(text: str) -> list[tuple[int, str]]:
    found = []
    for match in _NUMBER.finditer(text):
        raw = match.group()
        if _SPACES.search(raw) and not _SPACED_THOUSANDS.fullmatch(_ascii_digits(raw)):
            offset = match.start()
            for part in _SPACES.split(raw):  # "2023 100": two numbers, not one
                found.append((offset, part))
                offset += len(part) + 1
        else:
            found.append((match.start(), raw))
    return found


def find_numbers(text: str) -> list[str]:
    """Every number written in digits, as written, in order; phone numbers count as one."""
    found, taken = [], [False] * len(text)
    for match in _PHONE.finditer(text):
        if _is_phone(match.group()):
            found.append((match.start(), match.group().strip()))
            taken[match.start() : match.end()] = [True] * (match.end() - match.start())
    found += [(start, raw) for start, raw in _plain_numbers(text) if not taken[start]]
    return [raw for _, raw in sorted(found)]


def normalise_number(raw: str) -> str:
    """One spelling per number: digits in ASCII, thousands unmarked, "." as decimal mark."""
    text = _ascii_digits(raw.strip())
    if _is_phone(text) and _PHONE.fullmatch(text):
        return "".join(ch for ch in text if ch.isdigit())
    if _SPACED_THOUSANDS.fullmatch(text):
        return _SPACES.sub("", text)
    grouped = _GROUPED.fullmatch(text)
    if grouped and grouped.group(4) != grouped.group(2):
        whole = grouped.group(1) + grouped.group(3).replace(grouped.group(2), "")
        return whole + ("." + grouped.group(5) if grouped.group(4) else "")
    decimal = _DECIMAL.fullmatch(text)
    if decimal:
        return f"{decimal.group(1)}.{decimal.group(2)}"
    return text


def allowed_set(sources: Iterable[str]) -> set[str]:
    """Normalised numbers of the given strings: each one whole and every number inside it."""
    allowed = set()
    for source in sources:
        allowed.add(normalise_number(source))
        allowed.update(normalise_number(raw) for raw in find_numbers(source))
        allowed.update(spelled_numbers(source))
    return allowed


# Small numbers a source spells out ("zwei Impfungen") ground the digit a plain-language text
# writes instead ("2 Impfungen": Leichte Sprache writes numbers as digits).
_SPELLED = {
    "ein": "1", "eine": "1", "einmal": "1", "einmalig": "1", "one": "1", "once": "1",
    "zwei": "2", "zweimal": "2", "two": "2", "twice": "2", "drei": "3", "three": "3",
    "vier": "4", "four": "4", "fünf": "5", "five": "5", "sechs": "6", "six": "6",
    "sieben": "7", "seven": "7", "acht": "8", "eight": "8", "neun": "9", "nine": "9",
    "zehn": "10", "ten": "10", "elf": "11", "eleven": "11", "zwölf": "12", "twelve": "12",
    "erste": "1", "ersten": "1", "first": "1", "zweite": "2", "zweiten": "2", "second": "2",
    "dritte": "3", "dritten": "3", "third": "3",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def spelled_numbers(text: str) -> set[str]:
    """Digits for the small numbers a text spells out in German or English words."""
    return {_SPELLED[w] for w in _WORD.findall(text.lower()) if w in _SPELLED}


@functools.lru_cache(maxsize=512)
def _known(sources: frozenset[str]) -> frozenset[str]:
    """allowed_set, kept: a map's facts check their numbers against the same long sources."""
    return frozenset(allowed_set(sources))


def find_ungrounded(text: str, allowed: Iterable[str]) -> list[str]:
    """Numbers in `text` (as written, each once) whose normalised form is not allowed."""
    known = _known(frozenset(allowed))
    missing: list[str] = []
    for raw in find_numbers(text):
        if normalise_number(raw) not in known and raw not in missing:
            missing.append(raw)
    return missing
