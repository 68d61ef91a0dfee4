"""Sentences and words of a message, aware of abbreviations, numbers and Arabic punctuation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from comms.checks.lexicon import Lexicon, load_lexicon

# A run of sentence-final marks with closing quotes or brackets, followed by a space or the end;
# or a line break, which always ends a sentence (headlines, list items and salutations).
_CANDIDATE = re.compile(r"[.!?…؟۔]+[\"'»«“”’)\]]*(?=\s|$)|\n")
_STRONG = frozenset("!?؟۔")
_ORDINAL = re.compile(r"(?<![\d.])\d{1,2}\.$")
_WORD = re.compile(r"\w+(?:[-'’.,:/]\w+)*")


def _abbreviation(entry: str) -> str:
    # "z. b." also finds "z.B." and "z. B.": the space after an inner full stop is optional.
    parts = entry.replace(" ", "").split(".")[:-1]
    return r"\.\s?".join(map(re.escape, parts)) + r"\."


@lru_cache(maxsize=16)
def _abbreviation_pattern(abbreviations: tuple[str, ...]) -> re.Pattern[str] | None:
    if not abbreviations:
        return None
    forms = sorted(map(_abbreviation, abbreviations), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(forms) + ")", re.IGNORECASE)


def _protected_stops(text: str, lexicon: Lexicon) -> set[int]:
    """Positions of full stops that belong to an abbreviation."""
    pattern = _abbreviation_pattern(lexicon.abbreviations)
    if pattern is None:
        return set()
    return {
        m.start() + i for m in pattern.finditer(text) for i, ch in enumerate(m.group()) if ch == "."
    }


def _ends_sentence(text: str, mark: re.Match[str], protected: set[int], lexicon: Lexicon) -> bool:
    marks = mark.group()
    if marks == "\n" or _STRONG.intersection(marks):
        return True
    last_stop = mark.start() + marks.rfind(".")
    if last_stop in protected:
        return False
    rest = text[mark.end() :].lstrip(" \t")
    if rest[:1].islower():  # "ca. drei": a lowercase word goes on with the same sentence
        return False
    ordinal = lexicon.ordinal_dot and _ORDINAL.search(text[: last_stop + 1]) is not None
    return not (ordinal and rest[:1] not in ("", "\n"))  # "am 3. März", not "Kinder ab 3.\n"


def split_sentences(text: str, language: str) -> list[str]:
    """The sentences of `text` in order, stripped, empty ones left out."""
    lexicon = load_lexicon(language)
    protected = _protected_stops(text, lexicon)
    sentences, start = [], 0
    for mark in _CANDIDATE.finditer(text):
        if _ends_sentence(text, mark, protected, lexicon):
            sentences.append(text[start : mark.end()].strip())
            start = mark.end()
    sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


def split_words(text: str) -> list[str]:
    """Words, keeping "1.000", "Impf-Pass" and "don't" whole; combining marks are ignored."""
    bare = "".join(
        ch for ch in unicodedata.normalize("NFC", text) if unicodedata.category(ch) != "Mn"
    )
    return _WORD.findall(bare)
