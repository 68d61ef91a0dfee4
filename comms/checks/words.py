"""Real words: the share of a message's words that a word-frequency list of its language knows.

wordfreq carries frequency lists for 40+ languages inside its wheel, so nothing is downloaded at
run time. docs/checks.md (real_words) gives the calibration and why not a spell checker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from comms.checks.lexicon import normalise_text
from comms.checks.sentences import split_words
from core.catalog import base_language

WORD_FLOOR = 1.0  # zipf frequency a word needs to be known (1 = once per 100 million words)
PART_FLOOR = 2.3  # a part of a German compound needs more: short rare parts fit anything
MIN_PART = 3  # letters in a compound part
SHORT_PART = 3  # a part this short needs SHORT_FLOOR: rare ones ("imp", "rez", "ung") fit anything
SHORT_FLOOR = 4.2  # "tot", "amt", "tag", "alt" pass
MAX_PARTS = 3
LINKS = ("", "s", "es", "n")  # German linking elements: Infektions-, Tages-, Masern-
STEM_FLOOR = 3.0  # a Turkish stem needs this frequency ...
MIN_STEM = 3  # ... and this many letters,
MAX_SUFFIX = 8  # ... and the suffixes after it at most this many letters
LINK = re.compile(r"https?://\S+|\b[\w.-]+\.[a-z]{2,}/\S*", re.IGNORECASE)
_SPLIT = re.compile(r"[-/.,:]")  # split_words keeps these inside a word ("Impf-Pass", "1.000")
_SNAKE = re.compile(r"_")


@dataclass(frozen=True)
class WordShare:
    """How many of a text's words are known, and which are not (as written, first seen)."""

    known: int
    total: int
    unknown: tuple[str, ...]

    @property
    def share(self) -> float:
        """Known words as a share of all words (1.0 for a text without words)."""
        return self.known / self.total if self.total else 1.0


def word_tokens(text: str) -> list[str]:
    """The words of `text` without links; hyphens split words, underscores do not."""
    bare = LINK.sub(" ", text)
    return [part for word in split_words(bare) for part in _SPLIT.split(word) if part]


def words_of(texts: Iterable[str]) -> frozenset[str]:
    """Lowercase words of texts (fact sheet values, cited passages, glossary) for `known_words`."""
    return frozenset(token.lower() for text in texts for token in word_tokens(text))


@lru_cache(maxsize=65536)
def frequency(word: str, language: str) -> float:
    """wordfreq's zipf frequency of a lowercase word (0 when unknown)."""
    from wordfreq import zipf_frequency  # loads a few MB of lists: import on first use

    return float(zipf_frequency(word, base_language(language)))


def _known_part(part: str) -> bool:
    if len(part) < MIN_PART:
        return False
    if len(part) <= SHORT_PART:
        return frequency(part, "de") >= SHORT_FLOOR
    return frequency(part, "de") >= PART_FLOOR or frequency(part + "en", "de") >= PART_FLOOR


@lru_cache(maxsize=65536)
def is_compound(word: str, parts: int = MAX_PARTS) -> bool:
    """Whether a lowercase German word splits into 2 to `parts` known parts.

    A part may be a verb stem ("Schwimm-bad"); a linking -s-, -es- or -n- may follow the first
    part only ("Infektions-schutz-gesetz", not "Schwimm-funks-schutz").
    """
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        if not _known_part(word[:cut]):
            continue
        rest = word[cut:]
        links = LINKS if parts == MAX_PARTS else LINKS[:1]
        for link in links:
            tail = rest[len(link) :] if rest.startswith(link) else ""
            if _known_part(tail) or (parts > 2 and is_compound(tail, parts - 1)):
                return True
    return False


@lru_cache(maxsize=65536)
def has_known_stem(word: str) -> bool:
    """Whether a lowercase Turkish word is a known stem followed by a few letters of suffixes."""
    for cut in range(max(MIN_STEM, len(word) - MAX_SUFFIX), len(word)):
        if frequency(word[:cut], "tr") >= STEM_FLOOR:
            return True
    return False


def is_known(token: str, language: str, known_words: frozenset[str] = frozenset()) -> bool:
    """Whether a token is a number, a word the caller knows, or a word of the language."""
    if _SNAKE.search(token):
        return False  # "text_message_here" is a model's placeholder, not three words
    word = normalise_text(token).lower()
    if any(ch.isdigit() for ch in word) or word in known_words:
        return True
    if frequency(word, language) >= WORD_FLOOR:
        return True
    match base_language(language):
        case "de":
            return is_compound(word)
        case "tr":
            return has_known_stem(word)
    return False


def real_word_share(
    text: str, language: str, known_words: frozenset[str] = frozenset()
) -> WordShare:
    """The share of the text's words that are known in the language."""
    tokens = word_tokens(text)
    lowered = frozenset(word.lower() for word in known_words)
    unknown = [token for token in tokens if not is_known(token, language, lowered)]
    return WordShare(len(tokens) - len(unknown), len(tokens), tuple(dict.fromkeys(unknown)))
