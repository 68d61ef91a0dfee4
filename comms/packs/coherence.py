"""Whether a pack holds together: every cell from the map in effect, the messages consistent."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from comms.checks.consistency import check_consistency
from comms.maps.library import load_map
from comms.message import Message
from comms.packs.campaign import Campaign, Cell, cells
from comms.packs.evidence_flags import ChangedCell, changed_keys
from comms.packs.store import PackMessage
from core.settings import Settings


@dataclass(frozen=True)
class PackFinding:
    """A disagreement between messages of a pack (comms.checks.consistency), by cell."""

    kind: str  # "facts", "recommendation" or "terminology"
    detail: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Coherence:
    """The map version in effect, the cells made from another one, and the consistency findings."""

    map_id: str
    map_version: str  # in effect now
    stale: tuple[Cell, ...]
    findings: tuple[PackFinding, ...]
    evidence: tuple[ChangedCell, ...] = ()  # cells whose cited passages changed since

    def approved_on_old_evidence(self, messages: list[PackMessage]) -> list[ChangedCell]:
        """The flagged cells that are approved: export warns about them (refuses if strict)."""
        approved = {m.cell for m in messages if m.status == "approved"}
        return [item for item in self.evidence if item.cell in approved]

    def lines(self) -> list[str]:
        """Plain-text lines for the CLI: the map, then what staff should look at."""
        out = [f"Message map: {self.map_id}, version {self.map_version}."]
        if self.stale:
            keys = ", ".join(cell.key for cell in self.stale)
            out.append(
                f"{len(self.stale)} message(s) came from an older map version: {keys}; "
                "regenerate them to use the map in effect."
            )
        out += [f"Consistency ({f.kind}): {f.detail}" for f in self.findings]
        if self.evidence:
            out.append(
                f"{len(self.evidence)} message(s) cite evidence that changed since they were "
                "made: confirm or regenerate them (`python -m comms stale` lists them)."
            )
            out += [f"  {item.summary()}" for item in self.evidence]
        return out


def message_map_version(message: PackMessage) -> str:
    """The map version a stored message was made from; "" if made before maps."""
    ref = message.message.get("map") or {}
    return str(ref.get("version") or "")


def stale_cells(campaign: Campaign, messages: list[PackMessage], settings: Settings) -> list[Cell]:
    """The cells whose message came from another map version than the one in effect now."""
    current = load_map(campaign.topic, settings).version
    stale = {m.cell for m in messages if message_map_version(m) != current}
    return [cell for cell in cells(campaign) if cell in stale]


def pack_consistency(campaign: Campaign, messages: list[PackMessage]) -> list[PackFinding]:
    """check_consistency over the pack's messages as they stand now (edits included)."""
    order = {cell: n for n, cell in enumerate(cells(campaign))}
    ordered = sorted(messages, key=lambda m: order.get(m.cell, len(order)))
    pairs = [(m.cell, checked) for m in ordered if (checked := _as_message(m)) is not None]
    findings = check_consistency([message for _, message in pairs], campaign.fact_sheet)
    return [PackFinding(f.kind, f.detail, tuple(pairs[i][0] for i in f.messages)) for f in findings]


def coherence(campaign: Campaign, messages: list[PackMessage], settings: Settings) -> Coherence:
    """Map version, stale cells and consistency findings of a pack's stored messages."""
    loaded = load_map(campaign.topic, settings)
    return Coherence(
        map_id=loaded.id,
        map_version=loaded.version,
        stale=tuple(stale_cells(campaign, messages, settings)),
        findings=tuple(pack_consistency(campaign, messages)),
        evidence=tuple(_changed_in_order(campaign, settings)),
    )


def _changed_in_order(campaign: Campaign, settings: Settings) -> list[ChangedCell]:
    changed = changed_keys(settings, campaign.id)
    return [changed[cell] for cell in cells(campaign) if cell in changed]


def _as_message(message: PackMessage) -> Message | None:
    try:
        generated = Message.model_validate(message.message)
    except ValidationError:  # an imported message from another Clarion: not checked
        return None
    return generated.model_copy(update={"text": message.text})
