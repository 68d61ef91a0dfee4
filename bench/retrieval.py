"""P3: retrieval latency at 1k, 10k and 100k chunks against the raw Chroma query.

Embedding 100k chunks with the real model takes hours here, so the store grows with synthetic
chunks: text drawn from the shipped corpus's words (German and English, natural frequencies),
metadata tagged like real chunks, random unit vectors inserted straight into the Chroma
collection. Queries are the labelled eval queries, embedded by the real model on both sides.
Clarion: search() (query embedding, Chroma query, BM25 over the lexical snapshot, fusion).
Raw: SentenceTransformer.encode + collection.query with the same `where`, k and includes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bench.report import Row
from bench.rig import Rig, percentile, timed
from core.catalog import load_catalog
from knowledge.retrieval.search import Filters, search
from knowledge.retrieval.store import Store, tag_metadata
from knowledge.sources.chunks import Chunk
from knowledge.sources.corpus import read_corpus

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
WORDS_PER_CHUNK = 75  # about 520 characters, the mean of the NHS pages' chunks
DIM = 384  # all-MiniLM-L6-v2
BATCH = 5_000  # chunks written at a time, under Chroma's largest batch (5,461 with SQLite)
FILTERS = Filters(vaccine="flu")  # what draft_message asks for
P95_TARGET_MS = 30.0
RATIO_TARGET = 1.2
ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "knowledge" / "eval" / "queries.yaml"


def word_pools() -> dict[str, list[str]]:
    """Every word of the shipped corpus by language, repeated as often as it occurs."""
    pools: dict[str, list[str]] = {"de": [], "en": []}
    for doc in read_corpus():
        pools.setdefault(doc.meta.language, []).extend(re.findall(r"\w+", doc.body))
    return {lang: words for lang, words in pools.items() if lang in ("de", "en") and words}


def synthetic(
    start: int,
    stop: int,
    rng: np.random.Generator,
    pools: dict[str, list[str]],
    vaccines: list[str],
    dim: int = DIM,
) -> tuple[list[Chunk], np.ndarray]:
    """Chunks start..stop with metadata like a real source's, and random unit vectors."""
    chunks = []
    for n in range(start, stop):
        language = "de" if n % 2 else "en"
        pool = pools[language]
        picks = rng.integers(0, len(pool), WORDS_PER_CHUNK)
        vaccine = [] if n % 5 == 0 else [vaccines[n % len(vaccines)]]  # every 5th: general
        meta = {
            "source_id": f"synthetic-{n // 8}", "title": f"Synthetic source {n // 8}",
            "url": "", "org": "", "date": "2025-01-01", "language": language,
            "kind": "guidance", "section": "", "origin": "synthetic", "doc_hash": "",
            "topics": vaccine or ["all"], "vaccines": vaccine, "audiences": ["all"],
        }  # fmt: skip
        text = " ".join(pool[i] for i in picks)
        chunks.append(Chunk(f"synthetic-{n // 8}#{n % 8}", text, meta))
    vectors = rng.standard_normal((stop - start, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return chunks, vectors


def grow(store: Store, size: int, rng: np.random.Generator, pools: dict[str, list[str]]) -> None:
    """Add synthetic chunks until there are size: Chroma's add with Clarion's metadata tags.

    Setup, not measured against anything: Chroma indexes about 450–700 chunks/s here (vectors
    and full text), and add skips the existence check that Store.add's upsert makes.
    """
    vaccines = [t.id for t in load_catalog().topics]
    for start in range(store.count(), size, BATCH):
        chunks, vectors = synthetic(start, min(size, start + BATCH), rng, pools, vaccines)
        store.collection.add(
            ids=[c.id for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[tag_metadata(c.metadata) for c in chunks],  # type: ignore[misc]
            embeddings=vectors,
        )


def queries() -> list[str]:
    return [str(entry["query"]) for entry in yaml.safe_load(QUERIES.read_text())]


def raw_search(rig: Rig, store: Store, query: str) -> Any:
    """Query embedding and Chroma query with the raw libraries."""
    vector = rig.raw_encoder.encode([query], normalize_embeddings=True)
    return store.collection.query(
        query_embeddings=vector,
        n_results=4 * 5,
        where=FILTERS.where(),
        include=["documents", "metadatas", "distances"],
    )


def latencies(rig: Rig, store: Store, texts: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds per query for both ways, interleaved so both see the same load."""
    ours: list[float] = []
    theirs: list[float] = []
    for n, query in enumerate(texts):
        pair = [
            (ours, lambda q=query: search(store, q, k=5, filters=FILTERS)),
            (theirs, lambda q=query: raw_search(rig, store, q)),
        ]
        for sink, action in pair if n % 2 == 0 else reversed(pair):
            sink.append(timed(action)[0] * 1000)
    return ours, theirs


def row(size: int, ours: list[float], theirs: list[float], note: str) -> Row:
    ratio = percentile(ours, 0.95) / percentile(theirs, 0.95)
    met = ratio <= RATIO_TARGET
    target = f"≤ {RATIO_TARGET}×"
    if size == 10_000:
        met = met and percentile(ours, 0.95) <= P95_TARGET_MS
        target = f"p95 ≤ {P95_TARGET_MS:.0f} ms, ≤ {RATIO_TARGET}×"
    return Row(
        "P3",
        f"retrieval at {size // 1000}k chunks, p50 / p95 ms",
        f"{percentile(ours, 0.5):.1f} / {percentile(ours, 0.95):.1f}",
        f"{percentile(theirs, 0.5):.1f} / {percentile(theirs, 0.95):.1f}",
        ratio,
        target,
        met,
        note,
    )


def measure(rig: Rig, store: Store, size: int, insert: str) -> Row:
    """Build the snapshot, warm up, then time both ways over the queries at one size."""
    texts = queries()[:: 4 if rig.quick else 2]  # German and English alike
    rig.raw_encoder  # noqa: B018 -- loaded before timing
    with rig.measuring():
        started = time.perf_counter()
        store.snapshot()  # built once per change in the chunk count, not per query
        built = time.perf_counter() - started
        latencies(rig, store, texts[:5])  # warm-up
        ours, theirs = latencies(rig, store, texts)
    note = (
        f"{len(texts)} queries, filter vaccine=flu; BM25 snapshot built in {built:.1f} s "
        f"once; {insert}"
    )
    return row(size, ours, theirs, note)


def synthetic_store(rig: Rig, folder: Path | None = None, embedder: Any = None) -> Store:
    """The store the synthetic chunks go into (its own data folder if one is given)."""
    update: dict[str, Any] = {"collection": "bench-synthetic"}
    if folder is not None:
        update["data_dir"] = folder
    return Store(rig.settings.model_copy(update=update), embedder or rig.embedder)


def run(rig: Rig, sizes: tuple[int, ...] | None = None) -> list[Row]:
    """Grow one synthetic store through the sizes, measuring at each."""
    store = synthetic_store(rig)
    rng, pools = np.random.default_rng(rig.settings.seed), word_pools()
    rows = []
    for size in sizes or (QUICK_SIZES if rig.quick else SIZES):
        inserted, _ = timed(partial(grow, store, size, rng, pools))
        rows.append(measure(rig, store, size, f"synthetic insert {inserted:.0f} s"))
    return rows


class Builder:
    """The largest synthetic store, written by a child process while other benchmarks run.

    Chroma is not process-safe, so the child writes a store of its own that this process
    opens only after the child has finished. Inserting is single-threaded (about one core).
    While another row is timed the child is stopped (SIGSTOP) and costs no CPU: see
    Rig.measuring, which calls pause() and resume().
    """

    def __init__(self, rig: Rig, size: int = SIZES[-1]) -> None:
        self.size = size
        self.folder = rig.folder / f"synthetic-{size}"
        self.started = time.perf_counter()
        self.paused = 0.0  # seconds spent stopped
        self._paused_at: float | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.retrieval", str(rig.folder), str(self.folder), str(size)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        if hasattr(os, "sched_setaffinity"):  # one core, as T's "one core busy" means
            os.sched_setaffinity(self.process.pid, {max(os.sched_getaffinity(0))})

    def running(self) -> bool:
        return self.process.poll() is None

    def pause(self) -> None:
        """Stop the child while something else is timed."""
        if self._paused_at is None and self.running():
            self.process.send_signal(signal.SIGSTOP)
            self._paused_at = time.perf_counter()

    def resume(self) -> None:
        if self._paused_at is not None:
            self.process.send_signal(signal.SIGCONT)
            self.paused += time.perf_counter() - self._paused_at
            self._paused_at = None

    def stop(self) -> None:
        """End the child if it is still running (a benchmark beside it failed)."""
        if self.running():
            self.process.kill()
            self.process.wait()

    def finish(self, rig: Rig) -> Row:
        """Wait for the child, then measure at its size."""
        self.resume()
        if self.process.wait() != 0:
            raise RuntimeError(f"building the {self.size:,}-chunk store failed")
        took = time.perf_counter() - self.started
        insert = (
            f"synthetic store built by a child process in {took - self.paused:.0f} s of its "
            f"running time ({took:.0f} s in all, stopped while other rows were timed)"
        )
        return measure(rig, synthetic_store(rig, self.folder), self.size, insert)


class _Unused:
    """The child inserts precomputed vectors: Chroma never calls the embedder."""

    model_id = "none"

    def embed(self, texts: list[str]) -> list[list[float]]:
        raise RuntimeError("the synthetic store is given its vectors")


def build(rig_folder: Path, folder: Path, size: int) -> None:
    """The child's work: a fresh synthetic store of size chunks in folder."""
    rig = Rig(rig_folder)
    store = synthetic_store(rig, folder, _Unused())
    grow(store, size, np.random.default_rng(rig.settings.seed), word_pools())


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
