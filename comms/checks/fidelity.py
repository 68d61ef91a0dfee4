"""Key-message fidelity: a model's version keeps the approved key messages it was given.

A key message is kept when the text carries its numbers, most of its key terms, and a sentence
whose meaning is close to it (embedding similarity). docs/checks.md gives the calibration.
"""

from __future__ import annotations

import math
from functools import lru_cache

from comms.checks.numbers import find_numbers, normalise_number
from comms.checks.sentences import split_sentences, split_words
from comms.checks.similarity import Embed, Vectors, cosine_matrix, embedded
from comms.report import LintItem
from core.catalog import base_language

TERM_SHARE = 0.6  # share of a key message's key terms the text must carry
# Cosine similarity (all-MiniLM-L6-v2) between a key message and the closest sentence of the
# text; see docs/checks.md for the calibration behind it.
FIDELITY_SIMILARITY = 0.6
COMMON_ZIPF = 5.5  # words at least this frequent (die, und, the, with) are not key terms
MIN_TERM = 3


@lru_cache(maxsize=4096)
def _common(word: str, language: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, language) >= COMMON_ZIPF


def key_terms(text: str, language: str) -> list[str]:
    """The words that carry a key message: not numbers, not the language's most common words."""
    lang = base_language(language)
    words = [w.lower() for w in split_words(text) if len(w) >= MIN_TERM and not w.isdigit()]
    return list(dict.fromkeys(w for w in words if not _common(w, lang)))


def _stem(word: str) -> str:
    return word[: max(4, len(word) - 3)]


def carried_terms(text: str, terms: list[str]) -> list[str]:
    """The key terms whose stem begins a word of the text (so "Impfung" finds "Impfungen")."""
    words = [w.lower() for w in split_words(text)]
    return [t for t in terms if any(w.startswith(_stem(t)) or t in w for w in words)]


def kept(key: str, text: str, language: str, closest: float) -> list[str]:
    """What the text lacks of one key message (empty when it keeps it)."""
    problems = []
    found = {normalise_number(n) for n in find_numbers(text)}
    lost = [n for n in find_numbers(key) if normalise_number(n) not in found]
    if lost:
        problems.append(f"its number(s) {', '.join(lost)}")
    terms = key_terms(key, language)
    carried = carried_terms(text, terms)
    if terms and len(carried) < math.ceil(TERM_SHARE * len(terms)):
        missing = [t for t in terms if t not in carried]
        problems.append(f"key terms ({', '.join(missing[:4])})")
    if closest < FIDELITY_SIMILARITY:
        problems.append(f"its meaning (closest sentence {closest:.2f} < {FIDELITY_SIMILARITY})")
    return problems


def check_fidelity(
    text: str, key_messages: list[tuple[str, str]], language: str, embed: Embed | None
) -> LintItem:
    """Whether the text keeps every key message: numbers, key terms and meaning (without an
    embedder, numbers and key terms only)."""
    sentences = split_sentences(text, language) or [text]
    if embed is None:
        vectors: Vectors = [[1.0]] * (len(key_messages) + len(sentences))
    else:
        vectors = embedded([*(k for _, k in key_messages), *sentences], embed)
    count = len(key_messages)
    # each key message against each sentence, in one matrix product: its closest sentence
    similar = cosine_matrix(vectors[:count], vectors[count:])
    closest = similar.max(axis=1).tolist() if similar.size else [0.0] * count
    lost = []
    for (key_id, key), near in zip(key_messages, closest, strict=True):
        problems = kept(key, text, language, near)
        if problems:
            lost.append(f"{key_id}: lacks {'; '.join(problems)}")
    if lost:
        reason = "Key messages not kept: " + " | ".join(lost) + "."
        args = {"count": str(len(lost)), "keys": ", ".join(x.split(":")[0] for x in lost)}
        return LintItem(id="fidelity", passed=False, severity="error", reason=reason,
                        points=0, max_points=1, reason_key="fidelity.lost",
                        reason_args=args)  # fmt: skip
    reason = f"Keeps all {len(key_messages)} key message(s): numbers, key terms and meaning."
    return LintItem(id="fidelity", passed=True, severity="error", reason=reason,
                    points=1, max_points=1, reason_key="fidelity.kept",
                    reason_args={"count": str(len(key_messages))})  # fmt: skip
