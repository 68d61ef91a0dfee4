"""Which of a map's concerns a free-text concern is: keywords first, then meaning."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from comms.maps.library import LoadedMap
from comms.maps.schema import Concern

Embed = Callable[[list[str]], Sequence[Sequence[float]]]
# Cosine similarity (all-MiniLM-L6-v2) of a concern to a map question above which they are
# taken as the same concern without a shared keyword; calibrated in tests/test_matching.py
# (the map's questions all name the topic, so unrelated concerns of one topic reach 0.6; a
# match by meaning needs a clear lead over the runner-up as well).
MATCH_SIMILARITY = 0.55
MATCH_MARGIN = 0.08
# The bundled embedder reads English; on German it ranks unrelated questions of a map at 0.6
# ("Warum sollte ich mich impfen lassen?" is 0.62 to the pregnancy question), while a real
# paraphrase reaches 0.78. Other languages need 0.7, or a keyword, to be matched.
MATCH_SIMILARITY_OTHER = 0.7
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class ConcernMatch:
    """The concern a request was answered as, and how it was found."""

    concern_id: str | None  # None: no concern matched; the general key messages are used
    how: str  # "keywords", "meaning", "chosen" or "none"
    similarity: float = 0.0
    keywords: tuple[str, ...] = ()


def _hits(text: str, concern: Concern) -> list[str]:
    """The concern's keywords (any language) that start a word of the text."""
    words = _WORD.findall(text.lower())
    found = []
    for keyword in (k for terms in concern.keywords.values() for k in terms):
        phrase = keyword.lower()
        if " " in phrase:
            hit = phrase in text.lower()
        else:
            hit = any(word.startswith(phrase) for word in words)
        if hit:
            found.append(keyword)
    return found


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


_QUESTIONS: dict[tuple[str, str], list[tuple[str, Sequence[float]]]] = {}


def _question_vectors(
    loaded: LoadedMap, language: str, embed: Embed
) -> list[tuple[str, Sequence[float]]]:
    """Each concern's questions (English, German and the message language), embedded once."""
    key = (loaded.version, language)
    if key not in _QUESTIONS:
        languages = dict.fromkeys(("en", "de", language))
        pairs = [
            (c.id, c.question[lang]) for c in loaded.map.concerns for lang in languages
            if lang in c.question
        ]  # fmt: skip
        vectors = embed([text for _, text in pairs]) if pairs else []
        _QUESTIONS[key] = [(cid, vector) for (cid, _), vector in zip(pairs, vectors, strict=True)]
    return _QUESTIONS[key]


def match_concern(
    text: str, loaded: LoadedMap, language: str, embed: Embed | None = None
) -> ConcernMatch:
    """The map concern a free-text concern asks about, or none (the general key messages)."""
    text = text.strip()
    if not text:
        return ConcernMatch(None, "none")
    concerns = list(loaded.map.concerns)
    scored = [(len(hits), c.id, tuple(hits)) for c in concerns if (hits := _hits(text, c))]
    similarity = _similarities(text, loaded, language, embed)
    if scored:
        best = max(scored, key=lambda s: (s[0], similarity.get(s[1], 0.0)))
        return ConcernMatch(best[1], "keywords", similarity.get(best[1], 0.0), best[2])
    ranked = sorted(similarity.items(), key=lambda item: item[1], reverse=True)
    if ranked:
        concern_id, value = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
        needed = MATCH_SIMILARITY if language == "en" else MATCH_SIMILARITY_OTHER
        if value >= needed and value - runner_up >= MATCH_MARGIN:
            return ConcernMatch(concern_id, "meaning", value)
        return ConcernMatch(None, "none", value)
    return ConcernMatch(None, "none")


def _similarities(
    text: str, loaded: LoadedMap, language: str, embed: Embed | None
) -> dict[str, float]:
    if embed is None:
        return {}
    vector = embed([text])[0]
    best: dict[str, float] = {}
    for concern_id, question in _question_vectors(loaded, language, embed):
        best[concern_id] = max(best.get(concern_id, -1.0), _cosine(vector, question))
    return best
