"""Ingestion: the shipped corpus and an office's own files into the store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from comms.errors import InputError
from knowledge.chunks import Chunk, content_hash, split_markdown
from knowledge.corpus import SourceDoc, read_corpus
from knowledge.documents import MAX_FILE_BYTES, read_file
from knowledge.store import Store


@dataclass(frozen=True)
class IngestResult:
    """What happened to one source."""

    source_id: str
    title: str
    chunks: int
    status: str  # "added", "replaced", "unchanged"


def corpus_chunks(doc: SourceDoc) -> list[Chunk]:
    """Chunks of one shipped corpus document with its metadata."""
    meta = doc.meta
    base = {
        "source_id": meta.id,
        "title": meta.title,
        "url": meta.source_url,
        "org": meta.source_org,
        "date": meta.date.isoformat(),
        "language": meta.language,
        "kind": meta.kind,
        "topics": meta.topics,
        "vaccines": meta.vaccines,
        "audiences": meta.audiences,
        "origin": "corpus",
        "doc_hash": content_hash(meta.model_dump_json() + doc.body),
    }
    return split_markdown(doc.body, meta.id, base)


def _replace(store: Store, source_id: str, title: str, chunks: list[Chunk]) -> IngestResult:
    """Swap a source's chunks for new ones; an unchanged document is left alone."""
    if not chunks:
        raise InputError(f"{title}: no text found to index.")
    existing = store.source_hashes().get(source_id)
    new_hash = str(chunks[0].metadata["doc_hash"])
    if existing == new_hash:
        return IngestResult(source_id, title, len(chunks), "unchanged")
    # Embed first: if embedding fails, the old chunks are still in place.
    embeddings = store.embedder.embed([c.text for c in chunks])
    if existing is not None:
        store.delete_source(source_id)
    store.add(chunks, embeddings)
    return IngestResult(source_id, title, len(chunks), "replaced" if existing else "added")


def sync_corpus(store: Store) -> list[IngestResult]:
    """Bring the shipped corpus in the store up to date (added, changed and removed documents)."""
    docs = read_corpus()
    results = [_replace(store, d.meta.id, d.meta.title, corpus_chunks(d)) for d in docs]
    shipped = {d.meta.id for d in docs}
    for summary in store.sources():
        if summary.origin == "corpus" and summary.source_id not in shipped:
            store.delete_source(summary.source_id)
    return results


def file_chunks(path: Path, language: str | None = None) -> tuple[str, str, list[Chunk]]:
    """Read and chunk one user file: (source id, title, chunks)."""
    document = read_file(path)
    source_id = "file-" + path.name
    base = {
        "source_id": source_id,
        "title": document.title,
        "url": document.url,
        "org": "",
        "date": document.date or dt.date.fromtimestamp(path.stat().st_mtime).isoformat(),
        "language": language or document.language,
        "kind": "document",
        "topics": [],
        "vaccines": [],
        "audiences": [],
        "origin": "upload",
        "doc_hash": content_hash(document.markdown),
    }
    return source_id, document.title, split_markdown(document.markdown, source_id, base)


def ingest_paths(store: Store, paths: list[Path]) -> list[IngestResult]:
    """Ingest files one by one; a file that fails raises before the store is touched."""
    results = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file.")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path.name}: larger than {MAX_FILE_BYTES // 1_000_000} MB.")
        source_id, title, chunks = file_chunks(path)
        results.append(_replace(store, source_id, title, chunks))
    return results
