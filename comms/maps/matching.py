"""Which of a map's concerns a free-text concern is: the audience's first, then the words.

A concern written for other audiences (`speaks_to`, or an overview's `audiences`) is never the
answer for this one: where the words point only there, the audience's own overview answers, else
the general key messages. Among the rest, the audience's own concerns come first, then the one
the words name most (keywords), then the closest in meaning.
"""

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
# Audiences defined by attitude or language, not by a life situation: a hesitant or a
# limited-German reader may be pregnant, a parent or a nurse, so every concern may be theirs.
ANY_SITUATION = frozenset({"hesitant", "limited-german"})
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class ConcernMatch:
    """The concern a request was answered as, and how it was found."""

    concern_id: str | None  # None: no concern matched; the general key messages are used
    how: str  # "keywords", "meaning", "chosen", "audience" or "none"
    similarity: float = 0.0
    keywords: tuple[str, ...] = ()
    audience: str | None = None  # the audience it was matched for; None: any
    passed_over: tuple[str, ...] = ()  # concerns the words named, written for other audiences
    own: bool = False  # the concern is one this audience typically has, or is written for
    overview: str | None = None  # with no concern matched: the audience's overview, if any

    @property
    def reason(self) -> str:
        """Why this concern (or none) was chosen, in one sentence for staff and `--json`."""
        found = f"'{self.concern_id}'" if self.concern_id else "the general key messages"
        own = f", one of {self.audience}'s concerns" if self.own else ""
        match self.how:
            case "chosen":
                return f"{found} was chosen by id"
            case "keywords":
                words = ", ".join(f"'{k}'" for k in self.keywords)
                return f"the words {words} are keywords of {found}{own}"
            case "meaning":
                return f"{found} is closest in meaning ({self.similarity:.2f}){own}"
            case "audience":
                skipped = ", ".join(f"'{c}'" for c in self.passed_over)
                return (f"the words point to {skipped}, written for other audiences; "
                        f"{found} answer {self.audience} instead")  # fmt: skip
        if self.overview:
            found = f"'{self.overview}', the overview for {self.audience},"
        return f"no concern given, or none the words name: {found} answer"


def _hits(text: str, concern: Concern) -> tuple[list[str], int]:
    """The concern's keywords (any language) that start a word of the text, and how many words
    or phrases of the text they hit: "Schwangerschaftswoche" is one word, though both
    "schwanger" and "schwangerschaft" start it, and "baby" listed in German and English is one
    keyword."""
    words = _WORD.findall(text.lower())
    found: list[str] = []
    hit_words: set[str] = set()
    for keyword in dict.fromkeys(k for terms in concern.keywords.values() for k in terms):
        phrase = keyword.lower()
        if " " in phrase:
            hits = {phrase} if phrase in text.lower() else set()
        else:
            hits = {word for word in words if word.startswith(phrase)}
        if hits and phrase not in (f.lower() for f in found):
            found.append(keyword)
            hit_words |= hits
    return found, len(hit_words)


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


_QUESTIONS: dict[tuple[str, str, int], list[tuple[str, Sequence[float]]]] = {}


def _question_vectors(
    loaded: LoadedMap, language: str, embed: Embed
) -> list[tuple[str, Sequence[float]]]:
    """Each concern's questions (English, German and the message language), embedded once."""
    # per embedder too: vectors of two models (a test's fake and the real one) do not compare
    key = (loaded.version, language, id(getattr(embed, "__self__", embed)))
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
    text: str,
    loaded: LoadedMap,
    language: str,
    embed: Embed | None = None,
    audience: str | None = None,
) -> ConcernMatch:
    """The map concern a free-text concern asks about for this audience, or none (the general
    key messages, or the audience's overview)."""
    text = text.strip()
    overview = _overview(loaded, audience)
    if not text:
        return ConcernMatch(None, "none", audience=audience, overview=overview)
    fits = {c.id: _fits(c, audience) for c in loaded.map.concerns}
    own = {c.id: _own(c, audience) for c in loaded.map.concerns}
    similarity = _similarities(text, loaded, language, embed)
    named = [(c, hits) for c in loaded.map.concerns if (hits := _hits(text, c))[0]]
    scored = [
        ((own[c.id], count, c.kind != "overview", similarity.get(c.id, 0.0)), c.id, tuple(found))
        for c, (found, count) in named if fits[c.id]
    ]  # fmt: skip
    if scored:
        best = max(scored, key=lambda s: s[0])
        return ConcernMatch(best[1], "keywords", best[0][3], best[2], audience, own=best[0][0])
    passed = tuple(c.id for c, _ in named)
    if not passed:
        found = _by_meaning(similarity, fits, language)
        if found is None:
            closest = max(similarity.values(), default=0.0)
            return ConcernMatch(None, "none", closest, audience=audience, overview=overview)
        if fits[found[0]]:
            concern_id, value = found
            return ConcernMatch(
                concern_id, "meaning", value, audience=audience, own=own[concern_id]
            )
        passed = (found[0],)
    return ConcernMatch(overview, "audience", audience=audience, passed_over=passed, own=True)


def _fits(concern: Concern, audience: str | None) -> bool:
    """Whether the concern's key messages may answer this audience."""
    addressed = concern.addressed_to()
    return audience is None or not addressed or audience in addressed or audience in ANY_SITUATION


def _own(concern: Concern, audience: str | None) -> bool:
    return audience is not None and (
        audience in concern.audiences or audience in concern.addressed_to()
    )


def _overview(loaded: LoadedMap, audience: str | None) -> str | None:
    """The audience's own overview concern, where the map has one."""
    return next(
        (c.id for c in loaded.map.concerns if c.kind == "overview" and audience in c.audiences),
        None,
    )


def _by_meaning(
    similarity: dict[str, float], fits: dict[str, bool], language: str
) -> tuple[str, float] | None:
    """The concern closest in meaning, if it is close enough and clearly ahead: first among
    all concerns (one for another audience is then passed over), else among those that fit."""
    needed = MATCH_SIMILARITY if language == "en" else MATCH_SIMILARITY_OTHER
    for pool in (similarity, {c: v for c, v in similarity.items() if fits[c]}):
        ranked = sorted(pool.items(), key=lambda item: item[1], reverse=True)
        if not ranked:
            continue
        runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
        if ranked[0][1] >= needed and ranked[0][1] - runner_up >= MATCH_MARGIN:
            return ranked[0]
    return None


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
