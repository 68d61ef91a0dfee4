"""A map language checked by a native speaker: the reader's check becomes a proposed map
version without that language in `native_review_pending`, which a second admin approves like
any other change (docs/maps.md, "Native checks")."""

from __future__ import annotations

import re

import yaml

from comms.accounts.auth import Identity, require_reader
from comms.maps.store import MapChangeError, MapStore, MapVersion
from core.clock import now

_PENDING = re.compile(r"^native_review_pending:[ \t]*\[([^\]\n#]*)\]", re.MULTILINE)


def pending_languages(text: str) -> list[str]:
    """The languages a map's text lists in native_review_pending."""
    raw = yaml.safe_load(text)
    found = raw.get("native_review_pending") if isinstance(raw, dict) else None
    return [str(code) for code in found or []]


def without_pending(text: str, language: str) -> str:
    """The map's text with language left out of its native_review_pending line; every other
    byte (comments, order) stays."""
    match = _PENDING.search(text)
    if match is None:
        raise MapChangeError(
            "The map's native_review_pending is not written as one line `[tr, ar, …]`; "
            "edit it on the Maps page instead."
        )
    codes = [c.strip() for c in match.group(1).split(",") if c.strip()]
    kept = ", ".join(c for c in codes if c != language)
    changed = text[: match.start()] + f"native_review_pending: [{kept}]" + text[match.end() :]
    if pending_languages(changed) != [c for c in pending_languages(text) if c != language]:
        raise MapChangeError("The map's native_review_pending line could not be changed safely.")
    return changed


def propose_native_check(
    store: MapStore, map_id: str, language: str, *, reader: Identity
) -> MapVersion:
    """Record that reader checked the map's texts in language as a native speaker: a proposed
    version without language in native_review_pending, to be approved by a second admin."""
    code = require_reader(reader, language)
    latest = store.latest(map_id)
    if code not in pending_languages(latest.text):
        raise MapChangeError(
            f"Map '{map_id}' (version {latest.number}) does not list '{code}' as waiting for a "
            "native check: nothing to record."
        )
    comment = f"checked by a native speaker of {code}: {reader.name}, {now()[:10]}"
    text = without_pending(latest.text, code)
    return store.propose(map_id, text, author=reader.name, comment=comment,
                         base_version=latest.number, action="native_check")  # fmt: skip
