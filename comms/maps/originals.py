"""What a translated message was meant to say: the map's own German and English version of
each key message it carries, for staff who do not read the message's language."""

from __future__ import annotations

from dataclasses import dataclass

from comms.maps.library import load_map
from comms.message import MapRef
from core.errors import ClarionError
from core.settings import Settings


@dataclass(frozen=True)
class Original:
    """One key message: as the message carries it, and as the map says it in de and en."""

    id: str
    text: str  # in the message's language
    de: str
    en: str


def key_message_originals(ref: MapRef, settings: Settings | None = None) -> list[Original]:
    """Each key message of ref with the map's de and en text (from the map in effect; a key
    message it no longer has, or a map that cannot be read, gives empty texts)."""
    try:
        found = {key.id: key for _, key in load_map(ref.id, settings).map.all_key_messages()}
    except ClarionError:
        found = {}
    originals = []
    for key in ref.key_messages:
        texts = found[key.id].text if key.id in found else {}
        originals.append(Original(key.id, key.text, texts.get("de", ""), texts.get("en", "")))
    return originals
