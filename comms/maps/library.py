"""Where maps come from: the shipped files in catalog/maps, or the office's approved version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from comms.maps.schema import MessageMap, map_hash
from comms.maps.validation import parse_map
from core.database import location
from core.errors import InputError
from core.settings import PROJECT_ROOT, Settings

MAPS_DIR = PROJECT_ROOT / "catalog" / "maps"


@dataclass(frozen=True)
class LoadedMap:
    """A map with the version hash of the text it was read from."""

    map: MessageMap
    version: str
    text: str

    @property
    def id(self) -> str:
        return self.map.id


def shipped_map_ids() -> list[str]:
    """The topics Clarion ships a map for."""
    return sorted(path.stem for path in MAPS_DIR.glob("*.yaml"))


def shipped_map_text(map_id: str) -> str:
    """The text of the shipped map file."""
    path = MAPS_DIR / f"{map_id}.yaml"
    if not path.is_file():
        known = ", ".join(shipped_map_ids())
        raise InputError(f"No message map '{map_id}'; choose one of: {known}.")
    return path.read_text(encoding="utf-8")


def map_path(map_id: str, settings: Settings | None = None) -> Path:
    """The office's approved map in the data directory if present, else the shipped one."""
    if settings is not None:
        override = settings.data_dir / "maps" / f"{map_id}.yaml"
        if override.is_file():
            return override
    return MAPS_DIR / f"{map_id}.yaml"


_CACHE: dict[tuple[Path, str], LoadedMap] = {}


def load_map(map_id: str, settings: Settings | None = None) -> LoadedMap:
    """The map in effect for a topic, parsed and checked once per version of its text."""
    path = map_path(map_id, settings)
    if not path.is_file():
        shipped_map_text(map_id)  # raises the InputError that lists the maps
    text = path.read_text(encoding="utf-8")
    key = (path, map_hash(text))
    if key not in _CACHE:
        evidence_db = location(settings) if settings is not None else None
        _CACHE[key] = LoadedMap(parse_map(text, path.name, map_id, evidence_db), key[1], text)
    return _CACHE[key]
