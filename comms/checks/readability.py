"""Offline readability: Flesch-Kincaid for English, Wiener Sachtextformel for German.

textstat 0.7.13 counts English syllables with nltk's CMU dictionary and calls nltk.download when
the dictionary is missing. Clarion never gives textstat an English text: English syllables come
from pyphen (plus a vowel-group count), and textstat is called only for German, where its
dictionary lookup returns None before nltk is touched. _textstat_metric refuses any other language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from comms.checks.sentences import split_words

TEXTSTAT_LANGUAGES = frozenset({"de"})  # languages textstat may see; never "en" (see above)
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Readability:
    """A readability estimate: a school grade and the Flesch reading ease of the same text."""

    formula: str  # the formula behind `grade`
    grade: float
    reading_ease: float  # Flesch (English) or Flesch-Amstad (German): 0 hard, 100 easy


@lru_cache(maxsize=1)
def _english_hyphenator() -> Any:
    from pyphen import Pyphen

    return Pyphen(lang="en_US")


def english_syllables(word: str) -> int:
    """Syllables of an English word without any dictionary download."""
    if not _LETTER.search(word):
        return 1  # a number
    lower = word.lower()
    groups = len(_VOWEL_GROUPS.findall(lower))
    if lower.endswith("e") and not lower.endswith(("le", "ee")) and groups > 1:
        groups -= 1  # silent e: "vaccine", "make"
    # Hyphenation points under-count ("fever" has none), vowel groups miss hiatus ("idea").
    return max(1, groups, len(_english_hyphenator().positions(lower)) + 1)


def _english(sentences: list[str]) -> Readability:
    words = [word for sentence in sentences for word in split_words(sentence)]
    if not words:
        return Readability("Flesch-Kincaid grade", 0.0, 100.0)
    per_sentence = len(words) / len(sentences)
    syllables = sum(map(english_syllables, words)) / len(words)
    grade = 0.39 * per_sentence + 11.8 * syllables - 15.59
    ease = 206.835 - 1.015 * per_sentence - 84.6 * syllables
    return Readability("Flesch-Kincaid grade", round(grade, 1), round(ease, 1))


def _textstat_metric(name: str, text: str, language: str, *args: Any) -> float:
    if language not in TEXTSTAT_LANGUAGES:  # the guard: English would reach nltk.download
        raise ValueError(f"textstat is not used for '{language}' (it may download data)")
    from textstat.backend import metrics  # the module, not the shared textstat.set_lang state

    return float(getattr(metrics, name)(text, *args, language))


def _for_textstat(sentences: list[str]) -> str:
    # One full stop per sentence, none inside: textstat splits at every "." ("z. B.", "1.000").
    return " ".join(
        " ".join(split_words(sentence)).replace(".", "") + "." for sentence in sentences
    )


def _german(sentences: list[str]) -> Readability:
    text = _for_textstat(sentences)
    if not split_words(text):
        return Readability("Wiener Sachtextformel", 0.0, 100.0)
    grade = _textstat_metric("wiener_sachtextformel", text, "de", 1)
    ease = _textstat_metric("flesch_reading_ease", text, "de")
    return Readability("Wiener Sachtextformel", round(grade, 1), round(ease, 1))


def measure_readability(sentences: list[str], language: str) -> Readability:
    """Grade and reading ease of the sentences; language is "en" or "de"."""
    if language == "en":
        return _english(sentences)
    if language == "de":
        return _german(sentences)
    raise ValueError(f"No readability formula for '{language}'.")
