"""P4: ingestion throughput of the NHS HTML pages against the raw encoder on the same chunks.

Clarion: ingest_paths() into an empty store (read and parse the HTML, chunk, embed, write to
Chroma). Raw: SentenceTransformer.encode over the very texts Clarion embeds for those chunks,
with the batch size Clarion's Embedder uses. Throughput is chunks per second.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from functools import partial
from typing import Any

from bench.report import Row, skipped
from bench.rig import NHS_PAGES, Rig, median, timed
from knowledge.ingest import file_chunks, ingest_paths
from knowledge.retrieval.glossary import embedding_text
from knowledge.retrieval.store import Store

TARGET = 0.8


def run(rig: Rig) -> list[Row]:
    """Medians of fresh-store ingestions against medians of raw encodes."""
    what = "ingestion of the 15 NHS HTML pages, chunks/s"
    pages = sorted(NHS_PAGES.glob("*.html"))
    if not pages:
        return [skipped("P4", what, f"no HTML pages in {NHS_PAGES}", f"≥ {TARGET}×")]
    chunks = [chunk for page in pages for chunk in file_chunks(page)[2]]
    texts = [embedding_text(c.text, str(c.metadata.get("language"))) for c in chunks]
    encoder, batch = rig.raw_encoder, rig.embedder.batch_size
    ours: list[float] = []
    theirs: list[float] = []
    for run in range(1 + rig.runs(3)):  # the first run of each is a warm-up
        folder = rig.folder / f"ingest-{run}"
        store = Store(rig.settings.model_copy(update={"data_dir": folder}), rig.embedder)
        pair: list[tuple[list[float], Callable[[], Any]]] = [
            (ours, partial(ingest_paths, store, pages)),
            (theirs, lambda: encoder.encode(texts, batch_size=batch, normalize_embeddings=True)),
        ]
        with rig.measuring() if run else nullcontext():
            for sink, action in pair if run % 2 == 0 else reversed(pair):
                seconds, _ = timed(action)
                if run:
                    sink.append(seconds)
    ours_rate, raw_rate = len(chunks) / median(ours), len(chunks) / median(theirs)
    ratio = ours_rate / raw_rate
    note = (
        f"{len(pages)} files, {len(chunks)} chunks; medians of {len(ours)} runs "
        f"(Clarion {median(ours):.1f} s incl. parsing and Chroma writes, encode "
        f"{median(theirs):.1f} s)"
    )
    return [
        Row(
            "P4",
            what,
            f"{ours_rate:.1f}",
            f"{raw_rate:.1f}",
            ratio,
            f"≥ {TARGET}×",
            ratio >= TARGET,
            note,
        )
    ]
