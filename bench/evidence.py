"""P8: the impact check when one changed source is ingested into a store of 10k chunks, with
5,000 stored messages pinned to the passages they cite.

Set-up, not timed: two stores of 10k chunks each, in data folders of their own. Each holds the
same synthetic chunks (bench/retrieval.py's words and metadata, random unit vectors, written
with Store.add) and one NHS page ingested with ingest_paths. The first store's history has a
version of every source, and 5,000 pack cells cite three passages each; every tenth cites one
passage of the NHS page. Each run ingests the other of two copies of the page (as published,
and with one figure changed in one section), so every run changes exactly one passage.

Clarion: ingest_paths into the first store, with the history and impact step timed inside it
(reading the source's old passages from Chroma, `record` matching the new passages to the last
version's, `flag_impact`, and the transaction around them). Raw: the same ingest_paths into the
second store with that step turned off, i.e. parse, chunk, embed and Chroma's replace. The target
is on the step's share of the first ingest. A run that does not flag exactly the messages
pinned to the changed passage stops the benchmark: it would be timing a broken path.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench import retrieval
from bench.report import Row, skipped
from bench.rig import NHS_PAGES, Rig, median, timed
from core.catalog import load_catalog
from core.database import transaction
from knowledge import ingest
from knowledge.history.pins import Pin, cell_owner, replace_pins
from knowledge.history.versions import WHAT, Passage, passages_of, record
from knowledge.ingest import IngestResult, file_chunks, ingest_paths
from knowledge.retrieval.store import Store
from knowledge.sources.chunks import Chunk

CHUNKS = 10_000
MESSAGES = 5_000
PINS = 3  # passages each stored message cites
ON_PAGE = 10  # every tenth message cites one passage of the NHS page
PAGE = "flu-vaccine.html"
CHANNELS = ("sms", "social", "letter")
LANGUAGES = ("de", "en")
TARGET = 0.10
RUNS = 5


def run(rig: Rig, chunks: int = CHUNKS, messages: int = MESSAGES) -> list[Row]:
    """Medians of re-ingests with the impact check against re-ingests without it."""
    what = f"impact check on re-ingest, {chunks:,} chunks, {messages:,} messages pinned, s"
    target = f"check ≤ {TARGET * 100:.0f} % of the ingest"
    page = NHS_PAGES / PAGE
    if not page.is_file():
        return [skipped("P8", what, f"no {PAGE} in {NHS_PAGES}", target)]
    copies, position = changed_copies(page, rig.folder / "evidence-pages")
    checked, plain = twin_stores(rig, chunks, copies[0])
    page_id, _, page_chunks = file_chunks(copies[0])
    pins = pin_messages(checked, messages, page_id, passages_of(page_chunks))
    expected = sorted(
        o for o, cited in pins.items() if cited[-1].chunk_id == f"{page_id}#{position}"
    )
    hashes = [passages_of(file_chunks(copy)[2])[position].content_hash for copy in copies]
    timings = Timings()
    for run in range(1 + rig.runs(RUNS)):  # the first run is a warm-up
        path = copies[(run + 1) % 2]  # the other copy than the store holds
        repin(checked, {owner: pins[owner] for owner in expected}, hashes[run % 2])
        pair = [
            partial(timings.checked, checked, path, expected, keep=run > 0),
            partial(timings.plain, plain, path, keep=run > 0),
        ]
        with rig.measuring() if run else nullcontext():
            for action in pair if run % 2 == 0 else reversed(pair):
                action()
    return [timings.row(what, target, len(expected), messages)]


@dataclass
class Timings:
    """Seconds per measured run: the two ingests and the parts of the check."""

    with_check: list[float] = field(default_factory=list)
    without: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)

    def checked(self, store: Store, path: Path, expected: list[str], keep: bool) -> None:
        """Ingest with the check, its parts timed; raise unless it flagged `expected`."""
        parts: dict[str, list[float]] = {"old": [], "check": [], "record": [], "flags": []}
        probes = {
            "_current_passages": clocked(ingest._current_passages, parts["old"]),
            "_record": clocked(ingest._record, parts["check"]),
            "record": clocked(ingest.record, parts["record"]),
            "flag_impact": clocked(ingest.flag_impact, parts["flags"]),
        }
        with swapped(probes):
            seconds, result = timed(lambda: ingest_paths(store, [path])[0])
        flagged = sorted(result.impact.cells) if result.impact else []
        if result.status != "replaced" or flagged != expected:
            raise RuntimeError(
                f"P8 timed a broken path: {path.name} {result.status}, {len(flagged)} messages "
                f"flagged where {len(expected)} cite the changed passage"
            )
        if keep:
            self.with_check.append(seconds)
            for name, sink in parts.items():
                self.parts.setdefault(name, []).append(sum(sink))

    def plain(self, store: Store, path: Path, keep: bool) -> None:
        """The same ingest with the history and impact step turned off."""
        off: dict[str, Callable[..., Any]] = {
            "_current_passages": _no_passages,
            "_record": _unrecorded,
        }
        with swapped(off):
            seconds, result = timed(lambda: ingest_paths(store, [path])[0])
        if result.status != "replaced":
            raise RuntimeError(f"P8 timed a broken path: {path.name} {result.status} (raw side)")
        if keep:
            self.without.append(seconds)

    def row(self, what: str, target: str, flagged: int, messages: int) -> Row:
        shares = [
            (old + check) / total
            for old, check, total in zip(
                self.parts["old"], self.parts["check"], self.with_check, strict=True
            )
        ]
        share = median(shares)
        ms = {name: 1000 * median(values) for name, values in self.parts.items()}
        rest = ms["check"] - ms["record"] - ms["flags"]
        ours, theirs = median(self.with_check), median(self.without)
        check = ms["old"] + ms["check"]
        note = (
            f"check {check:.0f} ms = {share * 100:.1f} % of the ingest: old passages "
            f"{ms['old']:.0f} ms, record (match to the last version) {ms['record']:.0f} ms, "
            f"flag_impact {ms['flags']:.0f} ms, transaction {rest:.0f} ms; {flagged} of "
            f"{messages:,} messages flagged per run, as pinned; {PAGE}, one figure changed; "
            f"medians of {len(shares)} runs; raw: the same ingest_paths with the step off"
        )
        return Row("P8", what, f"{ours:.2f}", f"{theirs:.2f}", ours / theirs, target,
                   share <= TARGET, note)  # fmt: skip


def _no_passages(store: Store, source_id: str) -> list[Passage]:
    return []


def _unrecorded(store: Store, result: IngestResult, *_: object) -> IngestResult:
    """_record's stand-in: the result as it is, nothing recorded or flagged."""
    return result


def clocked(function: Callable[..., Any], sink: list[float]) -> Callable[..., Any]:
    """function, adding the seconds of each call to sink."""

    def probe(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            sink.append(time.perf_counter() - started)

    return probe


@contextmanager
def swapped(functions: dict[str, Callable[..., Any]]) -> Iterator[None]:
    """knowledge.ingest's functions of these names replaced while the block runs."""
    saved = {name: getattr(ingest, name) for name in functions}
    for name, function in functions.items():
        setattr(ingest, name, function)
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(ingest, name, function)


def changed_copies(page: Path, folder: Path) -> tuple[tuple[Path, Path], int]:
    """The page and a copy with one figure changed, same file name in two folders; the
    position of the one passage that differs."""
    html = page.read_text(encoding="utf-8")
    original = _copy(folder / "published", page.name, html)
    before = passages_of(file_chunks(original)[2])
    for number in re.finditer(r"(?<=[\s>(])\d+(?=[\s<)%])", html):
        text = html[: number.start()] + str(int(number.group()) + 1) + html[number.end() :]
        changed = _copy(folder / "changed", page.name, text)
        after = passages_of(file_chunks(changed)[2])
        if len(after) != len(before):
            continue
        pairs = enumerate(zip(before, after, strict=True))
        differ = [n for n, (old, new) in pairs if old.content_hash != new.content_hash]
        if len(differ) == 1:
            return (original, changed), differ[0]
    raise RuntimeError(f"{page.name}: no figure whose change alters exactly one passage")


def _copy(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def twin_stores(rig: Rig, size: int, page: Path) -> tuple[Store, Store]:
    """Two stores of size chunks: the same synthetic chunks and the page; the first also has
    a history of every synthetic source."""
    stores = tuple(
        Store(rig.settings.model_copy(update={"data_dir": rig.folder / name}), rig.embedder)
        for name in ("evidence-checked", "evidence-plain")
    )
    rng, pools = np.random.default_rng(rig.settings.seed), retrieval.word_pools()
    vaccines = [topic.id for topic in load_catalog().topics]
    dim = len(rig.embedder.embed(["dimension"])[0])
    synthetic = size - len(file_chunks(page)[2])
    for start in range(0, synthetic, retrieval.BATCH):
        stop = min(synthetic, start + retrieval.BATCH)
        chunks, vectors = retrieval.synthetic(start, stop, rng, pools, vaccines, dim)
        for store in stores:
            store.add(chunks, vectors.tolist())
        _history(stores[0], chunks)
    ingest_paths(stores[0], [page])
    with swapped({"_record": _unrecorded}):
        ingest_paths(stores[1], [page])
    return stores[0], stores[1]


def _history(store: Store, chunks: list[Chunk]) -> None:
    """A first version of each synthetic source, as ingesting it would have recorded."""
    by_source: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_source.setdefault(str(chunk.metadata["source_id"]), []).append(chunk)
    with transaction(store.database, write=True, what=WHAT) as db:
        for source_id, own in by_source.items():
            title = str(own[0].metadata["title"])
            record(db, source_id, title, "synthetic", "", passages_of(own), "")


def pin_messages(
    store: Store, messages: int, page_id: str, page: list[Passage]
) -> dict[str, list[Pin]]:
    """Pack cells citing PINS passages each, spread over the sources; every ON_PAGE-th cites
    one of the page's passages (last), in turn."""
    with transaction(store.database, write=True, what=WHAT) as db:
        stored = db.execute(
            "SELECT source_id, chunk_id, content_hash FROM source_chunks WHERE source_id LIKE "
            "'synthetic-%' ORDER BY source_id, position"
        ).fetchall()
        rng = np.random.default_rng(len(stored))
        audiences = [audience.id for audience in load_catalog().audiences]
        cells = len(audiences) * len(CHANNELS) * len(LANGUAGES)
        pins: dict[str, list[Pin]] = {}
        for n in range(messages):
            owner = cell_owner(
                f"bench-{n // cells:04d}", audiences[n % len(audiences)],
                CHANNELS[n // len(audiences) % len(CHANNELS)],
                LANGUAGES[n // (len(audiences) * len(CHANNELS)) % len(LANGUAGES)], 0,
            )  # fmt: skip
            on_page = n % ON_PAGE == 0
            cited = [Pin(*stored[i]) for i in rng.integers(0, len(stored), PINS - on_page)]
            if on_page:
                passage = page[n // ON_PAGE % len(page)]
                cited.append(Pin(page_id, passage.chunk_id, passage.content_hash))
            replace_pins(db, owner, "cell", cited)
            pins[owner] = cited
    return pins


def repin(store: Store, pins: dict[str, list[Pin]], current: str) -> None:
    """These messages cite the page's changed passage as the store now holds it (as after a
    regeneration), so the next ingest flags them again."""
    with transaction(store.database, write=True, what=WHAT) as db:
        for owner, cited in pins.items():
            last = cited[-1]
            replace_pins(
                db, owner, "cell", [*cited[:-1], Pin(last.source_id, last.chunk_id, current)]
            )
