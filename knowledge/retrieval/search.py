"""Retrieval: nearest passages for a query, filtered by metadata, diverse across sources."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from core.errors import InputError
from knowledge.retrieval.glossary import english_terms, expand_query
from knowledge.retrieval.store import Snapshot, Store
from knowledge.sources.language import detect_language

if TYPE_CHECKING:
    import numpy as np

MAX_QUERY_CHARS = 2000
PER_SOURCE = 3
# Weighted reciprocal rank fusion; BM25 counts 1. Tuned on knowledge/eval/queries.yaml:
# the English-only default embedder is weaker than BM25, and weaker still on German.
RRF_K = 5
DENSE_WEIGHT = 0.5
DENSE_WEIGHT_DE = 0.1
# A German query also ranks the English chunks by BM25 over its glossary translation: the
# bridge to English guidance when no German passage answers it (see docs/retrieval.md).
BRIDGE_WEIGHT = 0.7
# A filtered dense search asks Chroma for OVERFETCH times the neighbours expected to pass the
# filter (at most MAX_UNFILTERED) and filters them in memory; see _dense.
OVERFETCH = 2
MAX_UNFILTERED = 400


@dataclass(frozen=True)
class Filters:
    """Metadata filters; None means any."""

    vaccine: str | None = None
    audience: str | None = None
    language: str | None = None
    kind: str | None = None

    def where(self) -> dict[str, Any] | None:
        """The Chroma `where` clause for these filters."""
        clauses: list[dict[str, Any]] = []
        if self.vaccine:
            # General guidance (topic "all") applies to every vaccine.
            clauses.append({"$or": [{f"vaccine:{self.vaccine}": True}, {"topic:all": True}]})
        if self.audience:
            clauses.append({"$or": [{f"audience:{self.audience}": True}, {"audience:all": True}]})
        if self.language:
            clauses.append({"language": self.language})
        if self.kind:
            clauses.append({"kind": self.kind})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, meta: dict[str, Any]) -> bool:
        """The same filter as where(), applied to one chunk's metadata in Python."""
        general = bool(meta.get("topic:all"))
        if self.vaccine and not (meta.get(f"vaccine:{self.vaccine}") or general):
            return False
        everyone = bool(meta.get("audience:all"))
        if self.audience and not (meta.get(f"audience:{self.audience}") or everyone):
            return False
        if self.language and meta.get("language") != self.language:
            return False
        return not (self.kind and meta.get("kind") != self.kind)


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk, with everything a citation needs."""

    chunk_id: str
    source_id: str
    title: str
    url: str
    date: str
    language: str
    kind: str
    section: str
    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def source_passages(store: Store | None, source_id: str) -> list[Passage]:
    """Every chunk of one source in the store, in document order, as passages."""
    if store is None:
        return []
    snapshot = store.snapshot()
    found = [n for n, meta in enumerate(snapshot.metadatas) if meta.get("source_id") == source_id]
    return [_passage(snapshot, n, 1.0) for n in found]


def search(store: Store, query: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
    """The k best passages: dense and BM25 rankings fused, at most PER_SOURCE per source."""
    query = _check(query, k)
    filters = filters or Filters()
    pool = k * 4
    snapshot = store.snapshot()
    if not snapshot.ids:
        return []
    allowed = snapshot.mask(filters, filters.matches) if filters.where() else None
    german = detect_language(query) == "de"
    # The default embedder reads English: a German query also carries its English key terms.
    vector = store.embedder.embed([expand_query(query) if german else query])[0]
    rankings = [
        (_dense(store, snapshot, vector, pool, filters, allowed),
         DENSE_WEIGHT_DE if german else DENSE_WEIGHT),
        (snapshot.lexical.top(query, pool, allowed), 1.0),
    ]  # fmt: skip
    bridge = english_terms(query) if german else ""
    if bridge:
        english = snapshot.mask("language:en", lambda meta: meta.get("language") == "en")
        scope = english if allowed is None else english & allowed
        rankings.append((snapshot.lexical.top(bridge, pool, scope), BRIDGE_WEIGHT))
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, (index, _) in enumerate(ranking):
            fused[index] = fused.get(index, 0.0) + weight / (RRF_K + rank + 1)
    ranked = sorted(fused, key=lambda index: -fused[index])
    return _diverse((_passage(snapshot, index, fused[index]) for index in ranked), k)


def _dense(
    store: Store,
    snapshot: Snapshot,
    vector: list[float],
    pool: int,
    filters: Filters,
    allowed: np.ndarray | None,
) -> list[tuple[int, float]]:
    """The pool nearest chunks the filters allow, as (snapshot index, cosine similarity).

    Chroma's metadata filter costs time in proportion to the chunks it matches (most of a
    query's time from 10k chunks on), so Clarion asks for more neighbours without a filter and
    keeps those the snapshot's mask allows; Chroma filters only when too few of them pass.
    """
    size = len(snapshot.ids)
    if allowed is None:
        return _indexed(snapshot, store.nearest(vector, min(pool, size)))
    passing = int(allowed.sum())
    if passing == 0:
        return []
    wanted = min(size, math.ceil(pool * size / passing * OVERFETCH))
    if wanted <= MAX_UNFILTERED:
        hits = [(n, s) for n, s in _indexed(snapshot, store.nearest(vector, wanted)) if allowed[n]]
        if len(hits) >= pool or wanted == size:
            return hits[:pool]
    return _indexed(snapshot, store.nearest(vector, min(pool, passing), filters.where()))


def _indexed(snapshot: Snapshot, hits: list[tuple[str, float]]) -> list[tuple[int, float]]:
    """Chroma's hits by snapshot index (a chunk written since the snapshot is left out)."""
    positions = snapshot.positions
    return [(positions[cid], score) for cid, score in hits if cid in positions]


def _check(query: str, k: int) -> str:
    query = query.strip()
    if not query:
        raise InputError("The search query is empty; type what you are looking for.")
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(f"The search query is longer than {MAX_QUERY_CHARS} characters.")
    if k < 1:
        raise InputError("k must be at least 1.")
    return query


def _diverse(passages: Iterable[Passage], k: int) -> list[Passage]:
    chosen: list[Passage] = []
    per_source: dict[str, int] = {}
    for passage in passages:
        if per_source.get(passage.source_id, 0) >= PER_SOURCE:
            continue
        per_source[passage.source_id] = per_source.get(passage.source_id, 0) + 1
        chosen.append(passage)
        if len(chosen) == k:
            break
    return chosen


def _passage(snapshot: Snapshot, index: int, score: float) -> Passage:
    chunk_id, text, meta = snapshot.ids[index], snapshot.texts[index], snapshot.metadatas[index]
    return Passage(
        chunk_id=chunk_id,
        source_id=str(meta["source_id"]),
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        date=str(meta.get("date", "")),
        language=str(meta.get("language", "")),
        kind=str(meta.get("kind", "")),
        section=str(meta.get("section", "")),
        text=text,
        score=round(float(score), 4),
    )
