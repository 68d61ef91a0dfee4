"""What stored messages and map facts cited, pinned by passage hash, and the flags raised when
a new version of a source changes or removes a pinned passage.

An owner is a stored message ("cell:<campaign>/<audience>/<channel>/<language>/<variant>") or
a map's supporting fact ("fact:<map>/<fact id>"). The flags stay until someone resolves them:
confirmed unchanged (with a reason) or regenerated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from core.clock import now
from core.database import Connection, Location, exists, transaction
from core.errors import InputError
from knowledge.history.versions import WHAT, ChunkChange

Kind = Literal["cell", "fact"]
Resolution = Literal["confirmed", "regenerated", "revised"]


@dataclass(frozen=True)
class Pin:
    """One passage an owner cites: its source, chunk id and content hash."""

    source_id: str
    chunk_id: str
    content_hash: str


@dataclass(frozen=True)
class Flag:
    """A cited passage that changed or went away, with both texts for a side-by-side view."""

    owner: str
    kind: str
    source_id: str
    version: int
    change: str  # changed, removed
    flagged_at: str
    old_section: str
    old_text: str
    new_section: str = ""
    new_text: str = ""
    resolution: str = ""
    resolved_by: str = ""
    resolved_at: str = ""
    reason: str = ""
    source_status: str = ""  # the new version's: "removed" when the whole source went away


@dataclass(frozen=True)
class Impact:
    """What one new version of a source touched: owners flagged, by kind."""

    source_id: str
    version: int
    changed_passages: int
    cells: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


def cell_owner(campaign_id: str, audience: str, channel: str, language: str, variant: int) -> str:
    """The owner name of a pack cell."""
    return f"cell:{campaign_id}/{audience}/{channel}/{language}/{variant}"


def fact_owner(map_id: str, fact_id: str) -> str:
    """The owner name of a map's supporting fact."""
    return f"fact:{map_id}/{fact_id}"


def replace_pins(db: Connection, owner: str, kind: Kind, pins: Iterable[Pin]) -> None:
    """Set what an owner cites (inside the caller's transaction)."""
    db.execute("DELETE FROM evidence_pins WHERE owner = ?", (owner,))
    at = now()
    db.executemany(
        "INSERT INTO evidence_pins VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(owner, kind, p.source_id, p.chunk_id, p.content_hash, at) for p in pins],
    )


def pins_of(where: Location, owner: str) -> list[Pin]:
    """What an owner cites."""
    with transaction(where, write=False, what=WHAT) as db:
        rows = db.execute(
            "SELECT source_id, chunk_id, content_hash FROM evidence_pins WHERE owner = ? "
            "ORDER BY source_id, chunk_id",
            (owner,),
        )
        return [Pin(*row) for row in rows]


def flag_impact(db: Connection, source_id: str, version: int, changes: list[ChunkChange]) -> Impact:
    """Flag every owner pinned to a passage this version changed or removed."""
    gone = {c.old.content_hash: c for c in changes if c.old and c.change in ("changed", "removed")}
    impact = Impact(source_id, version, len(gone))
    removed = not any(c.new for c in changes)  # the whole source: every pin on it, however old
    if not gone and not removed:
        return impact
    if removed:
        rows = db.execute(
            "SELECT DISTINCT owner, kind, content_hash FROM evidence_pins WHERE source_id = ? "
            "ORDER BY owner",
            (source_id,),
        ).fetchall()
    else:
        marks = ",".join("?" * len(gone))
        rows = db.execute(
            f"SELECT DISTINCT owner, kind, content_hash FROM evidence_pins "
            f"WHERE source_id = ? AND content_hash IN ({marks}) ORDER BY owner",
            (source_id, *gone),
        ).fetchall()
    at = now()
    for owner, kind, old_hash in rows:
        change = gone.get(old_hash)
        new_hash = change.new.content_hash if change and change.new else ""
        db.execute(
            "INSERT INTO evidence_flags (owner, kind, source_id, version, old_hash, new_hash, "
            "change, flagged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (owner, kind, source_id, version, old_hash, new_hash,
             change.change if change else "removed", at),
        )  # fmt: skip
        owners = impact.cells if kind == "cell" else impact.facts
        if owner not in owners:
            owners.append(owner)
    return impact


def flags(where: Location, prefix: str = "", *, include_resolved: bool = False) -> list[Flag]:
    """The flags of every owner whose name starts with `prefix`, open ones only by default."""
    if not exists(where):
        return []
    with transaction(where, write=False, what=WHAT) as db:
        rows = db.execute(
            f"SELECT {_FLAG_COLUMNS} FROM evidence_flags f WHERE owner >= ? AND owner < ? "
            + ("" if include_resolved else "AND resolution = '' ")
            + "ORDER BY owner, version",
            (prefix, prefix + "\uffff"),
        ).fetchall()
    return [Flag(*row) for row in rows]


def resolve(
    db: Connection, owner: str, resolution: Resolution, user: str, reason: str
) -> list[Flag]:
    """Close an owner's open flags (inside the caller's transaction); the flags closed."""
    if resolution == "confirmed" and not reason.strip():
        what = "message" if owner.startswith("cell:") else "fact"
        raise InputError(f"Say why the {what} still holds: a reason is required to confirm it.")
    open_rows = db.execute(
        f"SELECT {_FLAG_COLUMNS} FROM evidence_flags f WHERE owner = ? AND resolution = ''",
        (owner,),
    ).fetchall()
    if not open_rows:
        raise InputError(f"{owner}: nothing to confirm, its evidence has not changed.")
    db.execute(
        "UPDATE evidence_flags SET resolution = ?, resolved_by = ?, resolved_at = ?, reason = ? "
        "WHERE owner = ? AND resolution = ''",
        (resolution, user, now(), reason.strip(), owner),
    )
    if resolution == "confirmed":
        _move_pins(db, owner)
    return [Flag(*row) for row in open_rows]


def _move_pins(db: Connection, owner: str) -> None:
    """A confirmed owner now rests on the new passages (none, where one was removed)."""
    moved = db.execute(
        "SELECT f.old_hash, f.new_hash, f.source_id, f.version FROM evidence_flags f "
        "WHERE owner = ? AND resolution = 'confirmed' ORDER BY version",
        (owner,),
    ).fetchall()
    for old_hash, new_hash, source_id, version in moved:
        db.execute(
            "DELETE FROM evidence_pins WHERE owner = ? AND content_hash = ?", (owner, old_hash)
        )
        if not new_hash:
            continue
        chunk = db.execute(
            "SELECT chunk_id FROM source_chunks WHERE source_id = ? AND number = ? "
            "AND content_hash = ?",
            (source_id, version, new_hash),
        ).fetchone()
        kind = owner.split(":", 1)[0]
        db.execute(
            "INSERT INTO evidence_pins VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (owner, kind, source_id, chunk[0] if chunk else "", new_hash, now()),
        )


# Each flag with the old passage's text (the version before the change) and the new one's.
_FLAG_COLUMNS = """f.owner, f.kind, f.source_id, f.version, f.change, f.flagged_at,
    COALESCE((SELECT section FROM source_chunks c WHERE c.source_id = f.source_id
              AND c.number < f.version AND c.content_hash = f.old_hash
              ORDER BY c.number DESC LIMIT 1), ''),
    COALESCE((SELECT text FROM source_chunks c WHERE c.source_id = f.source_id
              AND c.number < f.version AND c.content_hash = f.old_hash
              ORDER BY c.number DESC LIMIT 1), ''),
    COALESCE((SELECT section FROM source_chunks c WHERE c.source_id = f.source_id
              AND c.number = f.version AND c.content_hash = f.new_hash LIMIT 1), ''),
    COALESCE((SELECT text FROM source_chunks c WHERE c.source_id = f.source_id
              AND c.number = f.version AND c.content_hash = f.new_hash LIMIT 1), ''),
    f.resolution, f.resolved_by, f.resolved_at, f.reason,
    COALESCE((SELECT status FROM source_versions v WHERE v.source_id = f.source_id
              AND v.number = f.version), '')"""
