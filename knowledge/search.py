"""Retrieval: nearest passages for a query, filtered by metadata, diverse across sources."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from comms.errors import InputError
from knowledge.store import Store

MAX_QUERY_CHARS = 2000
PER_SOURCE = 2


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
            # General guidance (topic "all") and an office's uploads apply to every vaccine.
            general = [{"topic:all": True}, {"origin": "upload"}]
            clauses.append({"$or": [{f"vaccine:{self.vaccine}": True}, *general]})
        if self.audience:
            clauses.append({"$or": [{f"audience:{self.audience}": True}, {"audience:all": True}]})
        if self.language:
            clauses.append({"language": self.language})
        if self.kind:
            clauses.append({"kind": self.kind})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


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
    """The k best passages for the query, at most PER_SOURCE from any one source."""
    query = query.strip()
    if not query:
        raise InputError("The search query is empty; type what you are looking for.")
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(f"The search query is longer than {MAX_QUERY_CHARS} characters.")
    if k < 1:
        raise InputError("k must be at least 1.")
    embedding = store.embedder.embed([query])[0]
    where = (filters or Filters()).where()
    hits = store.query(embedding, k * 4, where)
    chosen: list[Passage] = []
    per_source: dict[str, int] = {}
    for chunk_id, text, meta, score in hits:
        sid = str(meta["source_id"])
        if per_source.get(sid, 0) >= PER_SOURCE:
            continue
        per_source[sid] = per_source.get(sid, 0) + 1
        chosen.append(_passage(chunk_id, text, meta, score))
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
