"""Ingestion: the shipped corpus and an office's own files into the store."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from core.database import transaction
from core.errors import InputError
from knowledge.history.pins import Impact, flag_impact
from knowledge.history.versions import WHAT, Passage, latest, passages_of, record
from knowledge.retrieval.store import Store, embed_chunks
from knowledge.sources.chunks import Chunk, content_hash, document_hash, split_markdown
from knowledge.sources.corpus import UPLOAD_KIND, SourceDoc, read_corpus
from knowledge.sources.documents import MAX_FILE_BYTES, read_file


@dataclass(frozen=True)
class IngestResult:
    """What happened to one source."""

    source_id: str
    title: str
    chunks: int
    status: str  # "added", "replaced", "unchanged", "removed", "duplicate of …"
    version: int = 0  # the version this ingest recorded (0: none, nothing changed)
    impact: Impact | None = None  # the messages and map facts whose cited passages changed


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
        "review_by": meta.review_by.isoformat() if meta.review_by else "",
        "origin": "corpus",
        "doc_hash": document_hash(meta.model_dump_json() + doc.body),
    }
    return split_markdown(doc.body, meta.id, base)


@dataclass(frozen=True)
class _Plan:
    """What ingestion does with one source: its result, and the chunks to write (if any)."""

    result: IngestResult
    chunks: list[Chunk]
    replaces: bool  # an older version of the source is in the store


def _plan(source_id: str, title: str, chunks: list[Chunk], hashes: dict[str, str]) -> _Plan:
    """Added, replaced, unchanged or a duplicate; hashes learns the new document's hash."""
    if not chunks:
        raise InputError(f"{title}: no text found to index.")
    new_hash = str(chunks[0].metadata["doc_hash"])
    existing = hashes.get(source_id)
    if existing == new_hash:
        return _Plan(IngestResult(source_id, title, len(chunks), "unchanged"), [], False)
    twin = next((sid for sid, h in hashes.items() if h == new_hash and sid != source_id), None)
    if twin is not None:
        return _Plan(IngestResult(source_id, title, 0, f"duplicate of {twin}"), [], False)
    hashes[source_id] = new_hash
    status = "replaced" if existing else "added"
    return _Plan(IngestResult(source_id, title, len(chunks), status), chunks, existing is not None)


def _apply(store: Store, plans: list[_Plan], author: str = "") -> list[IngestResult]:
    """Write the planned sources, their new chunks embedded together in one batch."""
    todo = [plan for plan in plans if plan.chunks]
    # Embed first: if the embedder fails, the old chunks are still in place. One call for
    # every file batches across files (fewer, fuller batches than one call per file).
    new = [chunk for plan in todo for chunk in plan.chunks]
    vectors = embed_chunks(store.embedder, new) if new else []
    start = 0
    recorded: dict[str, IngestResult] = {}
    for plan in todo:
        part = vectors[start : start + len(plan.chunks)]
        start += len(plan.chunks)
        before = _current_passages(store, plan.result.source_id) if plan.replaces else []
        if plan.replaces:
            store.replace_source(plan.result.source_id, plan.chunks, part)
        else:
            store.add(plan.chunks, part)
        recorded[plan.result.source_id] = _record(store, plan.result, plan.chunks, before, author)
    return [recorded.get(plan.result.source_id, plan.result) for plan in plans]


def _current_passages(store: Store, source_id: str) -> list[Passage]:
    """A source's passages as the store holds them (the first version of a store made before
    Clarion kept a history)."""
    return [
        Passage(n, chunk_id, section, content_hash(text), text)
        for n, (chunk_id, section, text) in enumerate(store.chunks_of(source_id))
    ]


def _record(
    store: Store, result: IngestResult, chunks: list[Chunk], before: list[Passage], author: str
) -> IngestResult:
    """Record the new version of a source and flag what cited the passages it changed."""
    meta = chunks[0].metadata if chunks else {}
    with transaction(store.database, write=True, what=WHAT) as db:
        if before and latest(db, result.source_id) is None:
            record(db, result.source_id, result.title, str(meta.get("origin", "")), "", before, "")
        version, changes = record(
            db, result.source_id, result.title, str(meta.get("origin", "")),
            str(meta.get("doc_hash", "")), passages_of(chunks), author,
        )  # fmt: skip
        impact = flag_impact(db, result.source_id, version.number, changes)
    return dataclasses.replace(result, version=version.number, impact=impact)


def remove_source(store: Store, source_id: str, author: str = "") -> IngestResult:
    """Remove a source's passages from the store; its history records the removal and flags
    every message and map fact that cited it ("source removed")."""
    before = _current_passages(store, source_id)
    if not before:
        raise InputError(f"No source '{source_id}'; `python -m knowledge list` shows them.")
    title = next((s.title for s in store.sources() if s.source_id == source_id), source_id)
    store.delete_source(source_id)
    result = IngestResult(source_id, title, 0, "removed")
    with transaction(store.database, write=True, what=WHAT) as db:
        if latest(db, source_id) is None:
            record(db, source_id, title, "", "", before, "")
        version, changes = record(db, source_id, title, "", "", [], author)
        impact = flag_impact(db, source_id, version.number, changes)
    return dataclasses.replace(result, version=version.number, impact=impact)


def sync_corpus(store: Store) -> list[IngestResult]:
    """Bring the shipped corpus in the store up to date (added, changed and removed documents)."""
    docs = read_corpus()
    hashes = store.source_hashes()
    plans = [_plan(d.meta.id, d.meta.title, corpus_chunks(d), hashes) for d in docs]
    results = _apply(store, plans)
    shipped = {d.meta.id for d in docs}
    for summary in store.sources():
        if summary.origin == "corpus" and summary.source_id not in shipped:
            results.append(remove_source(store, summary.source_id))
    return results


def detect_topics(text: str) -> list[str]:
    """Catalog topics a document mentions at least twice (so a passing mention does not count)."""
    from core.catalog import load_catalog

    lowered = text.lower()
    return [
        topic.id
        for topic in load_catalog().topics
        if sum(lowered.count(word) for word in topic.keywords) >= 2
    ]


def file_chunks(path: Path, language: str | None = None) -> tuple[str, str, list[Chunk]]:
    """Read and chunk one user file: (source id, title, chunks)."""
    document = read_file(path)
    source_id = "file-" + path.name
    topics = detect_topics(document.markdown)
    base = {
        "source_id": source_id,
        "title": document.title,
        "url": document.url,
        "org": "",
        "date": document.date or dt.date.fromtimestamp(path.stat().st_mtime).isoformat(),
        "language": language or document.language,
        "kind": UPLOAD_KIND,
        "topics": topics or ["all"],
        "vaccines": topics,
        "audiences": ["all"],
        "review_by": document.review_by or "",
        "origin": "upload",
        "doc_hash": document_hash(document.markdown),
    }
    return source_id, document.title, split_markdown(document.markdown, source_id, base)


def ingest_paths(store: Store, paths: list[Path], author: str = "") -> list[IngestResult]:
    """Ingest files; every file is read and checked before the store is touched."""
    read = [_read(path) for path in paths]
    hashes = store.source_hashes()
    plans = [_plan(source_id, title, chunks, hashes) for source_id, title, chunks in read]
    return _apply(store, plans, author)


def _read(path: Path) -> tuple[str, str, list[Chunk]]:
    if not path.is_file():
        raise InputError(f"{path}: no such file.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{path.name}: larger than {MAX_FILE_BYTES // 1_000_000} MB.")
    return file_chunks(path)


def ingest_upload(store: Store, name: str, data: bytes, author: str = "") -> IngestResult:
    """Ingest an uploaded file's bytes under its own (sanitised) file name."""
    import tempfile

    safe = Path(name).name.strip() or "upload.txt"
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{safe}: larger than {MAX_FILE_BYTES // 1_000_000} MB.")
    with tempfile.TemporaryDirectory(prefix="clarion-upload-") as folder:
        path = Path(folder) / safe
        path.write_bytes(data)
        return ingest_paths(store, [path], author)[0]


@dataclass(frozen=True)
class FolderSync:
    """What mirroring a folder did: each file's result, and the sources whose files are gone."""

    results: list[IngestResult]
    gone: list[str]  # source ids whose file left the folder
    removed: list[IngestResult]  # those removed (empty unless removal was confirmed)


def sync_folder(store: Store, folder: Path, *, remove: bool, author: str = "") -> FolderSync:
    """Mirror a folder into the store: new files added, changed ones versioned, and (with
    `remove`) the sources of files no longer there removed. Unreadable files are errors before
    anything is written."""
    from knowledge.sources.documents import SUPPORTED

    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder.")
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)
    _refuse_twins(paths)
    key = str(folder.resolve())
    read = [_read(path) for path in paths]
    for _, _, chunks in read:
        for chunk in chunks:
            chunk.metadata["folder"] = key
    hashes = store.source_hashes()
    plans = [_plan(source_id, title, chunks, hashes) for source_id, title, chunks in read]
    results = _apply(store, plans, author)
    present = {source_id for source_id, _, _ in read}
    gone = sorted(
        sid for sid, meta in store.source_metadata().items()
        if meta.get("folder") == key and sid not in present
    )  # fmt: skip
    removed = [remove_source(store, sid, author) for sid in gone] if remove else []
    return FolderSync(results, gone, removed)


def _refuse_twins(paths: list[Path]) -> None:
    """Two files of one name in different subfolders would be one source: refuse them."""
    seen: dict[str, Path] = {}
    for path in paths:
        if path.name in seen:
            raise InputError(
                f"{path} and {seen[path.name]} have the same name; a source is known by its "
                "file name, so rename one of them."
            )
        seen[path.name] = path
