"""Helpers for the living-evidence page tests: a small source, cited by owners, then changed."""

from __future__ import annotations

from pathlib import Path

from core.database import transaction
from knowledge.history.pins import Pin, replace_pins
from knowledge.ingest import IngestResult, ingest_paths
from knowledge.retrieval.store import Store
from knowledge.sources.chunks import content_hash

SOURCE_ID = "file-measles.md"
SOURCE = """# Measles vaccine

## Who should get it

Children get two doses: the first at 11 months and the second at 15 months.
Adults born after 1970 get one dose if they never had one.

## Side effects

A sore arm and a mild fever are common. They pass within 3 days.

## How to book

Call your doctor's practice or the health office.
"""
CHANGED = SOURCE.replace("15 months", "18 months")
OLD_SENTENCE = "Children get two doses: the first at 11 months and the second at 15 months."
NEW_SENTENCE = OLD_SENTENCE.replace("15 months", "18 months")


def ingest(store: Store, folder: Path, text: str, author: str = "") -> IngestResult:
    """Write measles.md into folder with text and ingest it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "measles.md"
    path.write_text(text, encoding="utf-8")
    return ingest_paths(store, [path], author)[0]


def cite(store: Store, owner: str, section_word: str = "Who should get it") -> None:
    """Pin an owner ("cell:…" or "fact:…") to the source's passages under a heading."""
    chunks = [c for c in store.chunks_of(SOURCE_ID) if section_word in c[1]]
    assert chunks, f"no passage of {SOURCE_ID} under '{section_word}'"
    pins = [Pin(SOURCE_ID, chunk_id, content_hash(text)) for chunk_id, _, text in chunks]
    with transaction(store.database, write=True, what="test") as db:
        replace_pins(db, owner, "cell" if owner.startswith("cell:") else "fact", pins)


def change_evidence(store: Store, folder: Path, owners: list[str]) -> IngestResult:
    """Ingest the source, let each owner cite its doses passage, then ingest a changed copy
    (15 months becomes 18): each owner gets an open flag."""
    ingest(store, folder, SOURCE, author="anna")
    for owner in owners:
        cite(store, owner)
    result = ingest(store, folder, CHANGED, author="ben")
    assert result.impact is not None and result.version == 2
    return result
