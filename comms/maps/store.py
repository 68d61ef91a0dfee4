"""Versioned message maps with two-person approval.

An admin proposes a new version (a save, an import or a revert); it changes nothing until a
different admin approves it. Only then is it written to data_dir/maps/<id>.yaml, which
library.load_map reads. Every version, its author, comment, approver and times stay in
clarion.db (table map_versions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from comms.maps.library import map_path, shipped_map_ids, shipped_map_text
from comms.maps.schema import map_hash
from comms.maps.validation import InvalidMap, check_map
from comms.versions import VersionTable, note, person, pick, unified_diff, write_override
from core.clock import now
from core.database import Connection, DatabaseError, Location, location
from core.errors import InputError
from core.settings import Settings

SHIPPED_AUTHOR = "Clarion"


@dataclass(frozen=True)
class MapVersion:
    """One version of a map: proposed, approved (in effect once, or now) or superseded."""

    map_id: str
    number: int
    text: str
    content_hash: str
    author: str
    comment: str
    action: str  # shipped, save, import, revert
    created_at: str
    status: str  # proposed, approved, superseded
    approver: str
    approved_at: str


class MapStoreError(DatabaseError):
    """The map database cannot be read or written."""


class MapChangeError(InputError):
    """A change to a map was refused; the message says why and what to do."""


class SameApprover(MapChangeError):
    """The person who proposed a version tried to approve it."""


class UnknownVersion(MapChangeError):
    """A version number the map does not have."""


class NoPendingProposal(MapChangeError):
    """Nothing is waiting for approval."""


class MapConflict(MapChangeError):
    """Someone proposed a version after this editor started; nothing was saved."""

    def __init__(self, map_id: str, base_version: int, theirs: MapVersion, diff: str) -> None:
        self.theirs, self.diff = theirs, diff
        super().__init__(
            f"Map '{map_id}' changed while you were editing: you started from version "
            f"{base_version}, but version {theirs.number} by {theirs.author} is now the newest. "
            "Nothing was saved; compare and save again."
        )


class MapStore:
    """The versions of the office's message maps in data_dir/clarion.db, plus the map files."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.override_dir = settings.data_dir / "maps"
        self.table = VersionTable(
            location(settings),
            "map_versions",
            "map_id",
            MapVersion,
            "the map database",
            MapStoreError,
        )

    def ids(self) -> list[str]:
        """The topics with a map."""
        return shipped_map_ids()

    def history(self, map_id: str) -> list[MapVersion]:
        """Every version, newest first."""
        with self.table.session(write=False) as db:
            return self._history(db, map_id)

    def current(self, map_id: str) -> MapVersion:
        """The approved version in effect now."""
        return _in_effect(self.history(map_id))

    def pending(self, map_id: str) -> MapVersion | None:
        """The proposal waiting for a second admin, if any."""
        return _pending(self.history(map_id))

    def latest(self, map_id: str) -> MapVersion:
        """The newest version, proposed or approved: what the next change starts from."""
        return self.history(map_id)[0]

    def version(self, map_id: str, number: int) -> MapVersion:
        """One version by number."""
        return pick(self.history(map_id), number, f"Map '{map_id}'", UnknownVersion)

    def diff(self, map_id: str, old: int, new: int) -> str:
        """Unified diff from version `old` to version `new`."""
        before, after = self.version(map_id, old), self.version(map_id, new)
        return unified_diff(before.text, after.text, f"{map_id} v{old}", f"{map_id} v{new}")

    def propose(
        self,
        map_id: str,
        text: str,
        *,
        author: str,
        comment: str = "",
        base_version: int | None = None,
        action: str = "save",
    ) -> MapVersion:
        """Validate text and store it as a proposal; a pending older proposal is superseded.

        base_version is the newest version the editor started from: if another was proposed
        meanwhile, MapConflict is raised. None skips that check.
        """
        check_map_or_raise(text, map_id, location(self.settings))
        author, comment = person(author, MapChangeError), note(comment)
        with self.table.session(write=True) as db:
            latest = self._history(db, map_id)[0]
            _check_base(map_id, base_version, latest, text)
            if text == latest.text:
                raise MapChangeError(
                    f"Nothing to propose: the text is the same as version {latest.number}."
                )
            db.execute(
                "UPDATE map_versions SET status = 'superseded' "
                "WHERE map_id = ? AND status = 'proposed'",
                (map_id,),
            )
            new = MapVersion(map_id, latest.number + 1, text, map_hash(text), author, comment,
                             action, now(), "proposed", "", "")  # fmt: skip
            self.table.append(db, latest, new)
        return new

    def approve(self, map_id: str, *, approver: str, number: int | None = None) -> MapVersion:
        """Put the pending proposal into effect; the approver must not be its author.

        number, when given, must be the pending proposal's: an admin approves what they read.
        """
        approver = person(approver, MapChangeError)
        with self.table.session(write=True) as db:
            proposal = _proposal(map_id, self._history(db, map_id), number)
            if _same_person(proposal.author, approver):
                raise SameApprover(
                    f"{approver} proposed version {proposal.number} of map '{map_id}'; a "
                    "second admin must approve it."
                )
            check_map_or_raise(
                proposal.text, map_id, location(self.settings)
            )  # the corpus or catalog may have changed
            when = now()
            db.execute(
                "UPDATE map_versions SET status = 'approved', approver = ?, approved_at = ? "
                "WHERE map_id = ? AND number = ?",
                (approver, when, map_id, proposal.number),
            )
            # Written inside the transaction, so the file changes in the order approvals commit.
            write_override(self.override_dir, map_id, proposal.text)
        return _approved(proposal, approver, when)

    def revert(self, map_id: str, number: int, *, author: str, comment: str = "") -> MapVersion:
        """Propose an old version's text again (it needs approval like any other proposal)."""
        old = self.version(map_id, number)
        note_ = comment.strip() or f"revert to version {number}"
        return self.propose(map_id, old.text, author=author, comment=note_, action="revert")

    def _history(self, db: Connection, map_id: str) -> list[MapVersion]:
        return self.table.rows(db, map_id) or [self._baseline(map_id)]

    def _baseline(self, map_id: str) -> MapVersion:
        """Version 0: the shipped map, or an override file put in place by hand."""
        text = shipped_map_text(map_id)  # raises the error that lists the maps
        path = map_path(map_id, self.settings)
        if path.parent == self.override_dir:
            text = path.read_text(encoding="utf-8")
        comment = "shipped map" if text == shipped_map_text(map_id) else f"found in {path.parent}"
        return MapVersion(map_id, 0, text, map_hash(text), SHIPPED_AUTHOR, comment, "shipped",
                          "", "approved", SHIPPED_AUTHOR, "")  # fmt: skip


def check_map_or_raise(text: str, map_id: str, evidence_db: Location | None = None) -> None:
    """InvalidMap if the text has an error (warnings pass)."""
    _, problems = check_map(text, f"{map_id}.yaml", map_id, evidence_db)
    if any(problem.severity == "error" for problem in problems):
        raise InvalidMap(f"{map_id}.yaml", problems)


def _in_effect(history: list[MapVersion]) -> MapVersion:
    return next(v for v in history if v.status == "approved")


def _pending(history: list[MapVersion]) -> MapVersion | None:
    return next((v for v in history if v.status == "proposed"), None)


def _proposal(map_id: str, history: list[MapVersion], number: int | None) -> MapVersion:
    pending = _pending(history)
    if pending is None:
        raise NoPendingProposal(f"Map '{map_id}' has no proposal waiting for approval.")
    if number is not None and number != pending.number:
        pick(history, number, f"Map '{map_id}'", UnknownVersion)  # unknown numbers first
        raise MapChangeError(
            f"Version {number} of map '{map_id}' is not waiting for approval; "
            f"version {pending.number} is."
        )
    return pending


def _check_base(map_id: str, base: int | None, latest: MapVersion, text: str) -> None:
    if base is not None and base != latest.number:
        theirs = f"{map_id} v{latest.number} ({latest.author})"
        raise MapConflict(map_id, base, latest, unified_diff(latest.text, text, theirs, "yours"))


def _same_person(author: str, approver: str) -> bool:
    return author.casefold() == approver.casefold()


def _approved(proposal: MapVersion, approver: str, when: str) -> MapVersion:
    return replace(proposal, status="approved", approver=approver, approved_at=when)
