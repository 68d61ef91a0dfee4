"""The Chroma store: embedded under the data directory, or a Chroma server by URL."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from core.database import location
from core.errors import BackendError, ConfigError
from core.settings import Settings
from knowledge.retrieval.embedder import ChromaEmbeddingFunction
from knowledge.retrieval.glossary import embedding_text
from knowledge.retrieval.lexical import LexicalIndex
from knowledge.sources.chunks import Chunk

WRITE_BATCH = 4_096  # chunks per Chroma write; under its limit (5,461 with SQLite)
GET_PAGE = 5_000  # chunks per get() when reading the whole collection
RECHECK_S = 1.0  # how often a search asks Chroma whether the snapshot is stale
TAG_FIELDS = ("topics", "vaccines", "audiences")


class TextEmbedder(Protocol):
    model_id: str

    def embed(self, texts: list[str]) -> list[list[float]]: ...


@dataclass(frozen=True)
class SourceSummary:
    """One source in the store: what the Knowledge page and `knowledge list` show."""

    source_id: str
    title: str
    url: str
    date: str
    language: str
    kind: str
    origin: str
    chunks: int


def tag_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Flatten list fields into boolean keys ("topic:flu": True) that Chroma can filter on."""
    flat = {k: v for k, v in meta.items() if k not in TAG_FIELDS}
    for field in TAG_FIELDS:
        values = meta.get(field) or []
        flat[field] = ",".join(values)
        for value in values:
            flat[f"{field[:-1]}:{value}"] = True
    return flat


def shared_store_error(settings: Settings) -> ConfigError | None:
    """The refusal of the embedded store when several processes share Clarion's state.

    Chroma's embedded store is one process's files: a second process that opens them (another
    app replica, a worker on another machine, a CLI run) corrupts them or never sees the first
    one's writes. With CLARION_DATABASE_URL (PostgreSQL) the knowledge must be a Chroma server.
    """
    if not settings.shared_database or settings.chroma_url:
        return None
    return ConfigError(
        "CLARION_DATABASE_URL is set, so several Clarion processes share one PostgreSQL "
        f"database, but the knowledge store is the embedded Chroma in {settings.chroma_dir}, "
        "which only one process may open. Run a Chroma server on it (`chroma run --path "
        f"{settings.chroma_dir} --host 127.0.0.1 --port 8000`) and set "
        "CLARION_CHROMA_URL=http://127.0.0.1:8000 for every process (docs/deployment.md, "
        '"Knowledge for several processes").'
    )


def _client(settings: Settings) -> Any:
    refused = shared_store_error(settings)
    if refused is not None:  # before chromadb is imported: the setting alone decides
        raise refused
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"CLARION_CHROMA_URL={settings.chroma_url} is not an http(s) URL.")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises bare Exception/ValueError when down
            raise BackendError(
                f"Chroma server at {settings.chroma_url} is unreachable: {exc}"
            ) from exc
    try:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except OSError as exc:  # the data directory is a file, read-only, or not ours
        raise ConfigError(
            f"The data directory {settings.data_dir} cannot be used: {exc.strerror or exc}. "
            "Set CLARION_DATA_DIR to a folder Clarion may write to."
        ) from exc
    except Exception as exc:  # chromadb raises its own errors, e.g. for a read-only database
        raise BackendError(
            f"The Chroma store in {settings.chroma_dir} cannot be opened: {exc}. Clarion must be "
            "able to write to its data directory (CLARION_DATA_DIR)."
        ) from exc


@dataclass
class Snapshot:
    """Every chunk's id, text and metadata with a BM25 index over the texts."""

    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    lexical: LexicalIndex
    masks: dict[Hashable, np.ndarray] = dataclasses.field(default_factory=dict, repr=False)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each chunk id's index in ids, texts and metadatas."""
        return {chunk_id: n for n, chunk_id in enumerate(self.ids)}

    def mask(self, key: Hashable, keep: Callable[[dict[str, Any]], bool]) -> np.ndarray:
        """Which chunks keep() accepts; computed once per snapshot and key, not per query."""
        found = self.masks.get(key)
        if found is None:
            found = np.fromiter(map(keep, self.metadatas), dtype=bool, count=len(self.metadatas))
            self.masks[key] = found
        return found


class Store:
    """Chunks with their embeddings and metadata, in one Chroma collection."""

    def __init__(self, settings: Settings, embedder: TextEmbedder) -> None:
        self.embedder = embedder
        self.data_dir = settings.data_dir
        self.database = location(settings)  # where the sources' history is kept
        self.location = settings.chroma_url or str(settings.chroma_dir)
        self._client = _client(settings)
        try:
            self.collection = self._client.get_or_create_collection(
                name=settings.collection,
                embedding_function=ChromaEmbeddingFunction(embedder),
                metadata={"hnsw:space": "cosine"},
            )
        except Exception as exc:
            raise BackendError(f"Chroma store at {self.location} failed: {exc}") from exc
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._checked = 0.0  # when the snapshot was last compared with Chroma's count

    def snapshot(self) -> Snapshot:
        """The lexical view of the store, rebuilt when the chunk count changed.

        This process's writes rebuild it at once; another process's (a CLI index run) are
        noticed within RECHECK_S, so a burst of searches asks Chroma for the count only once.
        """
        with self._snapshot_lock:
            if self._snapshot is None or time.monotonic() - self._checked >= RECHECK_S:
                if self._snapshot is None or len(self._snapshot.ids) != self.count():
                    got = self._get_all(["documents", "metadatas"])
                    texts = [str(t) for t in got["documents"] or []]
                    metas = [dict(m) for m in got["metadatas"] or []]
                    languages = [str(m.get("language", "en")) for m in metas]
                    indexed = [
                        lexical_text(text, meta) for text, meta in zip(texts, metas, strict=True)
                    ]
                    self._snapshot = Snapshot(
                        list(got["ids"]), texts, metas, LexicalIndex(indexed, languages)
                    )
                self._checked = time.monotonic()
            return self._snapshot

    def _get_all(self, include: list[str]) -> dict[str, list[Any]]:
        """Every chunk's id and the included fields, fetched in pages: one get() of a large
        collection fails in Chroma's SQLite ("too many SQL variables" at 100k chunks)."""
        got: dict[str, list[Any]] = {"ids": [], **{field: [] for field in include}}
        while True:
            page = self.collection.get(
                include=include,  # type: ignore[arg-type]
                limit=GET_PAGE,
                offset=len(got["ids"]),
            )
            for field in got:
                got[field].extend(page[field] or [])  # type: ignore[literal-required]
            if len(page["ids"]) < GET_PAGE:
                return got

    def _changed(self) -> None:
        with self._snapshot_lock:
            self._snapshot = None

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self.collection.count())

    def add(self, chunks: list[Chunk], embeddings: list[list[float]] | None = None) -> None:
        """Store chunks with their embeddings (computed here if not given)."""
        if embeddings is None:
            embeddings = embed_chunks(self.embedder, chunks)
        step = min(WRITE_BATCH, self._client.get_max_batch_size())
        for start in range(0, len(chunks), step):
            batch = chunks[start : start + step]
            self.collection.upsert(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[tag_metadata(c.metadata) for c in batch],
                embeddings=embeddings[start : start + step],  # type: ignore[arg-type]
            )
        self._changed()

    def delete_source(self, source_id: str) -> int:
        """Remove every chunk of a source; returns how many were removed."""
        found = self.collection.get(where={"source_id": source_id}, include=[])
        if found["ids"]:
            self.collection.delete(ids=found["ids"])
            self._changed()
        return len(found["ids"])

    def replace_source(
        self, source_id: str, chunks: list[Chunk], embeddings: list[list[float]]
    ) -> None:
        """Swap a source's chunks; if writing the new ones fails, the old ones are put back."""
        old = self.collection.get(
            where={"source_id": source_id}, include=["documents", "metadatas", "embeddings"]
        )
        self.delete_source(source_id)
        try:
            self.add(chunks, embeddings)
        except Exception:
            self.delete_source(source_id)
            if old["ids"]:
                self.collection.add(
                    ids=old["ids"],
                    documents=old["documents"],
                    metadatas=old["metadatas"],
                    embeddings=old["embeddings"],
                )
            self._changed()
            raise

    def chunks_of(self, source_id: str) -> list[tuple[str, str, str]]:
        """A source's chunks as (chunk id, section, text), in document order."""
        got = self.collection.get(
            where={"source_id": source_id}, include=["documents", "metadatas"]
        )
        rows = zip(got["ids"], got["metadatas"] or [], got["documents"] or [], strict=True)
        chunks = [(cid, str(meta.get("section", "")), str(text)) for cid, meta, text in rows]
        return sorted(chunks, key=lambda row: int(row[0].rsplit("#", 1)[-1]))

    def source_hashes(self) -> dict[str, str]:
        """Map of source id to the hash of the document its chunks came from."""
        got = self._get_all(["metadatas"])
        return {str(m["source_id"]): str(m.get("doc_hash", "")) for m in got["metadatas"] or []}

    def source_metadata(self) -> dict[str, dict[str, Any]]:
        """The metadata of each source's first chunk, by source id."""
        first: dict[str, dict[str, Any]] = {}
        for meta in self._get_all(["metadatas"])["metadatas"] or []:
            first.setdefault(str(meta["source_id"]), dict(meta))
        return first

    def sources(self) -> list[SourceSummary]:
        """Every source with its chunk count, sorted by title."""
        got = self._get_all(["metadatas"])
        counts: dict[str, int] = {}
        first: dict[str, dict[str, Any]] = {}
        for meta in got["metadatas"] or []:
            sid = str(meta["source_id"])
            counts[sid] = counts.get(sid, 0) + 1
            first.setdefault(sid, dict(meta))
        return sorted(
            (_summary(sid, first[sid], counts[sid]) for sid in counts),
            key=lambda s: s.title.lower(),
        )

    def nearest(
        self, embedding: list[float], k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Ids of the k nearest chunks with their cosine similarity; no texts, which are
        slow to fetch and which the snapshot already holds."""
        result = self.collection.query(
            query_embeddings=[embedding],  # type: ignore[arg-type]
            n_results=k,
            where=where,
            include=["distances"],
        )
        distances = (result["distances"] or [[]])[0]
        return [(cid, 1.0 - d) for cid, d in zip(result["ids"][0], distances, strict=True)]

    def query(
        self, embedding: list[float], k: int, where: dict[str, Any] | None = None
    ) -> Iterable[tuple[str, str, dict[str, Any], float]]:
        """Nearest chunks as (id, text, metadata, cosine similarity)."""
        total = self.count()  # one round trip (a Chroma server is a network call away)
        if total == 0:
            return []
        result = self.collection.query(
            query_embeddings=[embedding],  # type: ignore[arg-type]
            n_results=min(k, total),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return zip(
            result["ids"][0],
            (result["documents"] or [[]])[0],
            (result["metadatas"] or [[]])[0],
            (1.0 - d for d in (result["distances"] or [[]])[0]),
            strict=True,
        )


def lexical_text(text: str, meta: dict[str, Any]) -> str:
    """What BM25 reads for a chunk: its source's title, then the chunk (which starts with its
    section heading). A passage deep in a document often lacks the words its title has."""
    title = str(meta.get("title", ""))
    return f"{title}\n{text}" if title else text


def embed_chunks(embedder: TextEmbedder, chunks: list[Chunk]) -> list[list[float]]:
    """Embeddings of chunks (German ones bridged with English key terms)."""
    return embedder.embed([embedding_text(c.text, str(c.metadata.get("language"))) for c in chunks])


def _summary(source_id: str, meta: dict[str, Any], chunks: int) -> SourceSummary:
    return SourceSummary(
        source_id=source_id,
        title=str(meta.get("title", source_id)),
        url=str(meta.get("url", "")),
        date=str(meta.get("date", "")),
        language=str(meta.get("language", "")),
        kind=str(meta.get("kind", "")),
        origin=str(meta.get("origin", "")),
        chunks=chunks,
    )
