"""Which passage of a source grounds each map fact: the message's citations, and the pins that
tell a map when the evidence under one of its facts changed."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from comms.maps.compose import Composed
from comms.maps.library import LoadedMap
from comms.maps.schema import MapFact
from core.database import location, transaction
from knowledge.history.pins import Pin, fact_owner, replace_pins
from knowledge.history.versions import WHAT
from knowledge.sources.chunks import content_hash

if TYPE_CHECKING:
    from core.settings import Settings
    from knowledge.retrieval.search import Passage
    from knowledge.retrieval.store import Store


def cited_passages(store: Store | None, composed: Composed) -> list[Passage]:
    """For each source the composed message cites, the passage that best carries its facts,
    and any other passage of it needed for a number the message states: from the store where
    it holds the source, else from the shipped corpus document."""
    from comms.checks.numbers import find_numbers, normalise_number

    numbers = {normalise_number(n) for n in find_numbers(composed.text)}
    passages: list[Passage] = []
    for source in composed.sources:
        candidates = _source_passages(store, source)
        if not candidates:
            continue
        wanted = " ".join(f.text.get("en", "") + " " + f.text.get("de", "")
                          for f in composed.facts if f.source == source)  # fmt: skip
        passages.append(max(candidates, key=lambda p: _overlap(p.text, wanted)))
        have = set().union(*(_numbers_of(p.text) for p in passages))
        for number in sorted(numbers - have):
            found = next((p for p in candidates if number in _numbers_of(p.text)), None)
            if found is not None and found not in passages:
                passages.append(found)
    return passages


@lru_cache(maxsize=4096)
def _numbers_of(text: str) -> frozenset[str]:
    """The numbers a passage grounds, kept: a source's passages are read for every message."""
    from comms.checks.numbers import allowed_set

    return frozenset(allowed_set([text]))


def _source_passages(store: Store | None, source: str) -> list[Passage]:
    from knowledge.retrieval.search import source_passages

    return source_passages(store, source) or list(_corpus_passages(source))


def _overlap(text: str, wanted: str) -> int:
    words = {w.lower().strip(".,;:()") for w in wanted.split() if len(w) > 3}
    lowered = text.lower()
    return sum(1 for w in words if w in lowered)


@lru_cache(maxsize=64)
def _corpus_passages(source_id: str) -> tuple[Passage, ...]:
    """A shipped corpus document's chunks, as ingestion makes them (same ids)."""
    from knowledge.ingest import corpus_chunks
    from knowledge.retrieval.search import Passage
    from knowledge.sources.corpus import CORPUS_DIR, read_document

    path = CORPUS_DIR / f"{source_id}.md"
    if not path.is_file():
        return ()
    return tuple(
        Passage(chunk_id=c.id, source_id=source_id, title=str(c.metadata["title"]),
                url=str(c.metadata["url"]), date=str(c.metadata["date"]),
                language=str(c.metadata["language"]), kind=str(c.metadata["kind"]),
                section=str(c.metadata.get("section", "")), text=c.text, score=1.0)
        for c in corpus_chunks(read_document(path))
    )  # fmt: skip


def fact_passage(candidates: list[Passage], fact: MapFact) -> Passage | None:
    """The passage of its source (`candidates`) that best carries a fact; None if none."""
    wanted = fact.text.get("en", "") + " " + fact.text.get("de", "")
    return max(candidates, key=lambda p: _overlap(p.text, wanted)) if candidates else None


def pin_map_facts(settings: Settings, store: Store | None, loaded: LoadedMap) -> int:
    """Pin every supporting fact of a map to the passage that grounds it; how many were."""
    sources: dict[str, list[Passage]] = {}  # each source's passages read once, not per fact
    pinned: list[tuple[str, Pin]] = []
    for fact in _facts(loaded):
        if fact.source not in sources:
            sources[fact.source] = _source_passages(store, fact.source)
        passage = fact_passage(sources[fact.source], fact)
        if passage is not None:
            pin = Pin(passage.source_id, passage.chunk_id, content_hash(passage.text))
            pinned.append((fact_owner(loaded.id, fact.id), pin))
    with transaction(location(settings), write=True, what=WHAT) as db:
        for owner, pin in pinned:
            replace_pins(db, owner, "fact", [pin])
    return len(pinned)


def _facts(loaded: LoadedMap) -> list[MapFact]:
    found = loaded.map
    keys = [*found.key_messages, *(k for c in found.concerns for k in c.key_messages)]
    return [fact for key in keys for fact in key.facts]
