"""What each pack cell cites, and what staff do when that evidence changes.

A stored cell is pinned to the passages its citations name (chunk id and content hash). When a
new version of a source changes or removes such a passage, ingestion flags the cell (see
`knowledge.history.pins`). A flagged cell keeps its status; a reviewer confirms it unchanged, with a
reason, or regenerates it. Both are written to the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from comms.packs.audit import AuditEvent
from comms.packs.campaign import Cell
from core.database import Connection, location
from core.settings import Settings
from knowledge.history.pins import Flag, Pin, cell_owner, flags, replace_pins, resolve
from knowledge.sources.chunks import content_hash


@dataclass(frozen=True)
class ChangedCell:
    """A stored message one of whose cited passages changed or went away."""

    campaign_id: str
    cell: Cell
    flags: tuple[Flag, ...]

    def summary(self) -> str:
        """One line: the cell and, for each flag, the source, version and what happened."""
        what = "; ".join(
            f"{f.source_id} v{f.version}: "
            + ("source removed" if f.source_status == "removed" else f"passage {f.change}")
            + (f" ({f.old_section})" if f.old_section else "")
            for f in self.flags
        )
        return f"{self.campaign_id} {self.cell.key}: evidence changed ({what})"


def owner(campaign_id: str, cell: Cell) -> str:
    """The pin owner name of a cell."""
    return cell_owner(campaign_id, cell.audience, cell.channel, cell.language, cell.variant)


def message_pins(message: dict[str, Any]) -> list[Pin]:
    """The passages a stored message cites; for a message made before citations carried a
    hash, the hash of the cited passage's text in its evidence."""
    texts = {str(p.get("chunk_id")): str(p.get("text", "")) for p in message.get("evidence", [])}
    pins = []
    for citation in message.get("citations", []):
        chunk_id = str(citation.get("chunk_id", ""))
        digest = str(citation.get("content_hash") or "")
        if not digest and texts.get(chunk_id):
            digest = content_hash(texts[chunk_id])
        if digest:
            pins.append(Pin(str(citation.get("source_id", "")), chunk_id, digest))
    return pins


def pin_cell(db: Connection, campaign_id: str, cell: Cell, message: dict[str, Any]) -> None:
    """Pin a stored cell to what its message cites (inside the caller's transaction)."""
    replace_pins(db, owner(campaign_id, cell), "cell", message_pins(message))


def changed_cells(settings: Settings, campaign_id: str | None = None) -> list[ChangedCell]:
    """Cells with open evidence flags, of one campaign or of all."""
    prefix = f"cell:{campaign_id}/" if campaign_id else "cell:"
    grouped: dict[str, list[Flag]] = {}
    for flag in flags(location(settings), prefix):
        grouped.setdefault(flag.owner, []).append(flag)
    return [_changed(name, found) for name, found in grouped.items()]


@dataclass(frozen=True)
class Updates:
    """Every stored message and map fact whose cited evidence changed: the start page's list."""

    cells: tuple[ChangedCell, ...]
    facts: dict[str, tuple[Flag, ...]]  # by "map/fact id"

    def __bool__(self) -> bool:
        return bool(self.cells or self.facts)


def updates(settings: Settings) -> Updates:
    """The open evidence flags of cells and map facts, read with one query (no store)."""
    grouped: dict[str, list[Flag]] = {}
    for flag in flags(location(settings)):
        grouped.setdefault(flag.owner, []).append(flag)
    cells = [_changed(name, found) for name, found in grouped.items() if name.startswith("cell:")]
    facts = {
        name.removeprefix("fact:"): tuple(found)
        for name, found in grouped.items()
        if name.startswith("fact:")
    }
    return Updates(tuple(cells), facts)


def changed_keys(settings: Settings, campaign_id: str) -> dict[Cell, ChangedCell]:
    """The flagged cells of a campaign, by cell."""
    return {item.cell: item for item in changed_cells(settings, campaign_id)}


def close_flags(
    db: Connection,
    campaign_id: str,
    cell: Cell,
    *,
    regenerated: bool,
    user: str,
    reason: str,
) -> list[Flag]:
    """Resolve a cell's open flags: confirmed (the pins move to the new passages) or
    regenerated (the new message's own citations are pinned by the caller)."""
    name = owner(campaign_id, cell)
    if regenerated:
        return resolve(db, name, "regenerated", user, reason)
    return resolve(db, name, "confirmed", user, reason)


def has_open_flags(db: Connection, campaign_id: str, cell: Cell) -> bool:
    """Whether a cell has evidence flags nobody resolved yet."""
    row = db.execute(
        "SELECT 1 FROM evidence_flags WHERE owner = ? AND resolution = '' LIMIT 1",
        (owner(campaign_id, cell),),
    ).fetchone()
    return row is not None


def flag_events(db: Connection, campaign_id: str) -> list[AuditEvent]:
    """The evidence flags of a campaign's cells as audit events (raised by ingestion, which
    knows no campaigns): when, who ingested the new version, and what changed."""
    rows = db.execute(
        "SELECT f.owner, f.source_id, f.version, f.change, f.old_hash, f.flagged_at, "
        "COALESCE(v.author, '') FROM evidence_flags f LEFT JOIN source_versions v "
        "ON v.source_id = f.source_id AND v.number = f.version "
        "WHERE f.owner >= ? AND f.owner < ? ORDER BY f.flagged_at",
        (f"cell:{campaign_id}/", f"cell:{campaign_id}/\uffff"),
    ).fetchall()
    return [
        AuditEvent(
            campaign_id=campaign_id,
            user=author or "ingest",
            action="evidence_changed",
            cell=_cell(name),
            at=at,
            detail=f"{source_id} version {version}: cited passage {old_hash[:12]} {change}",
        )
        for name, source_id, version, change, old_hash, at, author in rows
    ]


def _changed(name: str, found: list[Flag]) -> ChangedCell:
    campaign_id = name.removeprefix("cell:").split("/", 1)[0]
    return ChangedCell(campaign_id, _cell(name), tuple(found))


def _cell(name: str) -> Cell:
    _, audience, channel, language, variant = name.removeprefix("cell:").split("/")
    return Cell(audience, channel, language, int(variant))
