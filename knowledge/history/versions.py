"""Source versions: every ingest of a source that changed it, its passages, and what changed.

A new version's passages are matched to the previous version's: identical text first, then
the most similar passage under the same heading path, then the most similar anywhere (a
section that was renamed or moved). Each passage is then unchanged, changed, removed or new.
The passages are kept as text, so a diff between any two versions needs no store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from core.clock import now
from core.database import Connection, Location, exists, transaction
from core.errors import InputError
from knowledge.sources.chunks import Chunk, content_hash

Change = Literal["unchanged", "changed", "removed", "new"]
SAME_SECTION = 0.5  # the least similarity for "changed" under the same heading path
ELSEWHERE = 0.8  # … and for a passage whose heading path changed
WHAT = "the evidence history database"


@dataclass(frozen=True)
class Passage:
    """One passage of one version of a source."""

    position: int
    chunk_id: str
    section: str
    content_hash: str
    text: str


@dataclass(frozen=True)
class ChunkChange:
    """How one passage fared between two versions."""

    change: Change
    old: Passage | None
    new: Passage | None
    similarity: float


@dataclass(frozen=True)
class SourceVersion:
    """One recorded version of a source."""

    source_id: str
    number: int
    doc_hash: str
    title: str
    origin: str
    status: str  # added, changed, removed
    author: str
    created_at: str
    passages: int


def passages_of(chunks: Iterable[Chunk]) -> list[Passage]:
    """A version's passages from the chunks ingestion writes to the store."""
    return [
        Passage(n, c.id, str(c.metadata.get("section", "")), _hash(c), c.text)
        for n, c in enumerate(chunks)
    ]


def _hash(chunk: Chunk) -> str:
    return str(chunk.metadata.get("hash") or content_hash(chunk.text))


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    """A passage's sentences (and lines: headings and list items end without a full stop)."""
    return [part.strip() for part in _SENTENCE.split(text) if part.strip()]


def changed_sentences(old: str, new: str) -> tuple[list[str], list[str]]:
    """The sentences only the old passage has, and those only the new one has, in order."""
    before, after = sentences(old), sentences(new)
    return [s for s in before if s not in after], [s for s in after if s not in before]


def similarity(old: str, new: str) -> float:
    """How alike two passages are, 0 to 1 (difflib's ratio over words)."""
    return SequenceMatcher(None, old.split(), new.split(), autojunk=False).ratio()


def match_passages(old: list[Passage], new: list[Passage]) -> list[ChunkChange]:
    """Pair a version's passages with the previous version's, in the new document's order."""
    changes: list[ChunkChange] = []
    left_old = list(old)
    left_new: list[Passage] = []
    for passage in new:  # identical text: unchanged, wherever it moved
        twin = next((o for o in left_old if o.content_hash == passage.content_hash), None)
        if twin is None:
            left_new.append(passage)
        else:
            left_old.remove(twin)
            changes.append(ChunkChange("unchanged", twin, passage, 1.0))
    for threshold, same_section in ((SAME_SECTION, True), (ELSEWHERE, False)):
        changes += _pair(left_old, left_new, threshold, same_section)
    changes += [ChunkChange("removed", o, None, 0.0) for o in left_old]
    changes += [ChunkChange("new", None, n, 0.0) for n in left_new]
    return sorted(changes, key=_order)


def _pair(
    old: list[Passage], new: list[Passage], threshold: float, same_section: bool
) -> list[ChunkChange]:
    """Greedy pairs, most similar first; paired passages leave the two lists."""
    scored = sorted(
        (
            (similarity(o.text, n.text), i, j)
            for i, o in enumerate(old)
            for j, n in enumerate(new)
            if not same_section or o.section == n.section
        ),
        reverse=True,
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs = []
    for score, i, j in scored:
        if score < threshold or i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        pairs.append(ChunkChange("changed", old[i], new[j], round(score, 3)))
    old[:] = [o for i, o in enumerate(old) if i not in used_old]
    new[:] = [n for j, n in enumerate(new) if j not in used_new]
    return pairs


def _order(change: ChunkChange) -> tuple[int, int]:
    """New document order; removed passages where they stood in the old one."""
    if change.new is not None:
        return change.new.position, 1
    assert change.old is not None
    return change.old.position, 0


def latest(db: Connection, source_id: str) -> SourceVersion | None:
    """The newest version of a source, or None if none was recorded."""
    row = db.execute(
        f"SELECT {_VERSION_COLUMNS} FROM source_versions v WHERE source_id = ? "
        "ORDER BY number DESC LIMIT 1",
        (source_id,),
    ).fetchone()
    return _version(row) if row else None


def passages(db: Connection, source_id: str, number: int) -> list[Passage]:
    """The passages of one version, in document order."""
    rows = db.execute(
        "SELECT position, chunk_id, section, content_hash, text FROM source_chunks "
        "WHERE source_id = ? AND number = ? ORDER BY position",
        (source_id, number),
    )
    return [Passage(*row) for row in rows]


def record(
    db: Connection,
    source_id: str,
    title: str,
    origin: str,
    doc_hash: str,
    new: list[Passage],
    author: str,
) -> tuple[SourceVersion, list[ChunkChange]]:
    """Write a new version (an empty `new` records the source's removal); the changes."""
    previous = latest(db, source_id)
    old = passages(db, source_id, previous.number) if previous else []
    changes = match_passages(old, new)
    status = "removed" if not new else "changed" if previous else "added"
    version = SourceVersion(
        source_id, (previous.number if previous else 0) + 1, doc_hash, title, origin,
        status, author, now(), len(new),
    )  # fmt: skip
    db.execute(
        "INSERT INTO source_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (source_id, version.number, doc_hash, title, origin, status, author, version.created_at),
    )
    db.executemany(
        "INSERT INTO source_chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(source_id, version.number, p.position, p.chunk_id, p.section, p.content_hash, p.text)
         for p in new],
    )  # fmt: skip
    db.executemany(
        "INSERT INTO source_changes VALUES (?, ?, ?, ?, ?, ?)",
        [(source_id, version.number, c.old.content_hash if c.old else "",
          c.new.content_hash if c.new else "", c.change, c.similarity) for c in changes],
    )  # fmt: skip
    return version, changes


def versions(where: Location, source_id: str) -> list[SourceVersion]:
    """Every recorded version of a source, oldest first; InputError if there is none."""
    with transaction(where, write=False, what=WHAT) as db:
        rows = db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM source_versions v WHERE source_id = ? ORDER BY number",
            (source_id,),
        ).fetchall()
    if not rows:
        raise InputError(
            f"No history for '{source_id}': it was never ingested here. "
            "`python -m knowledge list` shows the sources."
        )
    return [_version(row) for row in rows]


def diff(where: Location, source_id: str, first: int, second: int) -> list[ChunkChange]:
    """Passage by passage, how version `second` of a source differs from version `first`."""
    numbers = {v.number for v in versions(where, source_id)}
    for number in (first, second):
        if number not in numbers:
            raise InputError(
                f"'{source_id}' has no version {number}; it has {_listing(sorted(numbers))}."
            )
    with transaction(where, write=False, what=WHAT) as db:
        return match_passages(passages(db, source_id, first), passages(db, source_id, second))


def latest_versions(where: Location) -> list[SourceVersion]:
    """The newest version of every source with a history, removed ones too, by title."""
    if not exists(where):
        return []
    with transaction(where, write=False, what=WHAT) as db:
        rows = db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM source_versions v WHERE number = "
            "(SELECT MAX(number) FROM source_versions w WHERE w.source_id = v.source_id) "
            "ORDER BY title, source_id"
        ).fetchall()
    return [_version(row) for row in rows]


def source_texts(where: Location, source_ids: Iterable[str]) -> dict[str, str]:
    """The text of each of these sources over every version the history holds (title, then
    its passages), by source id: what a map fact citing an ingested source may rest on. A fact
    whose passage later changed stays valid; the evidence flag tells staff to look at it."""
    if not exists(where):
        return {}
    rows = []
    with transaction(where, write=False, what=WHAT) as db:
        for source_id in sorted(set(source_ids)):
            rows += db.execute(
                "SELECT v.source_id, v.title, c.text FROM source_versions v "
                "JOIN source_chunks c ON c.source_id = v.source_id AND c.number = v.number "
                "WHERE v.source_id = ? ORDER BY v.number, c.position",
                (source_id,),
            ).fetchall()
    texts: dict[str, list[str]] = {}
    for source_id, title, text in rows:
        texts.setdefault(source_id, [title]).append(text)
    return {source_id: "\n".join(parts) for source_id, parts in texts.items()}


def _listing(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers) or "none"


_VERSION_COLUMNS = (
    "source_id, number, doc_hash, title, origin, status, author, created_at, "
    "(SELECT COUNT(*) FROM source_chunks c WHERE c.source_id = v.source_id "
    "AND c.number = v.number)"
)


def _version(row: tuple[object, ...]) -> SourceVersion:
    source_id, number, doc_hash, title, origin, status, author, created_at, count = row
    return SourceVersion(
        str(source_id), int(number), str(doc_hash), str(title), str(origin), str(status),  # type: ignore[call-overload]
        str(author), str(created_at), int(count),  # type: ignore[call-overload]
    )  # fmt: skip
