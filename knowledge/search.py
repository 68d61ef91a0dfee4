"""Retrieval: nearest passages for a query, filtered by metadata, diverse across sources."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from comms.errors import InputError
from knowledge.glossary import expand_query
from knowledge.language import detect_language
from knowledge.store import Store

MAX_QUERY_CHARS = 2000
PER_SOURCE = 3
# Weighted reciprocal rank fusion; BM25 counts 1. Tuned on knowledge/eval/queries.yaml:
# the English-only default embedder is weaker than BM25, and weaker still on German.
RRF_K = 10
DENSE_WEIGHT = 0.5
DENSE_WEIGHT_DE = 0.1


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


def search(store: Store, query: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
    """The k best passages: dense and BM25 rankings fused, at most PER_SOURCE per source."""
    query = _check(query, k)
    filters = filters or Filters()
    pool = k * 4
    german = detect_language(query) == "de"
    # The default embedder reads English: a German query also carries its English key terms.
    dense_text = expand_query(query) if german else query
    dense = list(store.query(store.embedder.embed([dense_text])[0], pool, filters.where()))
    snapshot = store.snapshot()
    allowed = np.array([filters.matches(m) for m in snapshot.metadatas], dtype=bool)
    lexical = snapshot.lexical.top(query, pool, allowed) if snapshot.ids else []
    dense_weight = DENSE_WEIGHT_DE if german else DENSE_WEIGHT
    fused: dict[str, float] = {}
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for rank, (chunk_id, text, meta, _) in enumerate(dense):
        fused[chunk_id] = fused.get(chunk_id, 0.0) + dense_weight / (RRF_K + rank + 1)
        found[chunk_id] = (text, meta)
    for rank, (index, _) in enumerate(lexical):
        chunk_id = snapshot.ids[index]
        fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        found.setdefault(chunk_id, (snapshot.texts[index], snapshot.metadatas[index]))
    ranked = sorted(fused, key=lambda cid: -fused[cid])
    return _diverse([_passage(cid, *found[cid], fused[cid]) for cid in ranked], k)


def _check(query: str, k: int) -> str:
    query = query.strip()
    if not query:
        raise InputError("The search query is empty; type what you are looking for.")
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(f"The search query is longer than {MAX_QUERY_CHARS} characters.")
    if k < 1:
        raise InputError("k must be at least 1.")
    return query


def _diverse(passages: list[Passage], k: int) -> list[Passage]:
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


def _passage(chunk_id: str, text: str, meta: dict[str, Any], score: float) -> Passage:
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
