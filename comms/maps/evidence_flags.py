"""Map facts whose cited passage changed since they were pinned, and an admin's confirmation."""

from __future__ import annotations

from core.database import location, transaction
from core.settings import Settings
from knowledge.history.pins import Flag, fact_owner, flags, resolve
from knowledge.history.versions import WHAT


def changed_facts(settings: Settings, map_id: str | None = None) -> dict[str, list[Flag]]:
    """Open evidence flags of map facts, by "map/fact id"."""
    prefix = f"fact:{map_id}/" if map_id else "fact:"
    grouped: dict[str, list[Flag]] = {}
    for flag in flags(location(settings), prefix):
        grouped.setdefault(flag.owner.removeprefix("fact:"), []).append(flag)
    return grouped


def confirm_fact(
    settings: Settings, map_id: str, fact_id: str, *, user: str, reason: str
) -> list[Flag]:
    """An admin confirms that a fact still holds on the new passage (which it now rests on)."""
    with transaction(location(settings), write=True, what=WHAT) as db:
        return resolve(db, fact_owner(map_id, fact_id), "confirmed", user, reason)
