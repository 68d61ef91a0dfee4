"""The map store on real SQLite: propose, approve by a second admin, revert, diff, refusals."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from comms.maps.library import MAPS_DIR, load_map, shipped_map_text
from comms.maps.store import (
    MapChangeError,
    MapConflict,
    MapStore,
    NoPendingProposal,
    SameApprover,
    UnknownVersion,
)
from comms.maps.validation import InvalidMap
from core.database import DB_FILE
from core.errors import InputError
from core.settings import Settings, load_settings

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

MEASLES = shipped_map_text("measles")
OLD_DB = Path(__file__).parent / "fixtures" / "clarion-before-migrations.db"


def edit(old: str, new: str, text: str = MEASLES) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


FIRM = edit("schützen zuverlässig vor Masern.", "schützen sehr zuverlässig vor Masern.")
SHORT = edit("can make people seriously ill.", "can make people very ill.")
UNKNOWN_SOURCE = edit("source: rec-measles-stiko-de", "source: no-such-document")


@pytest.fixture
def store(settings: Settings) -> MapStore:
    return MapStore(settings)


def override(settings: Settings) -> Path:
    return settings.data_dir / "maps" / "measles.yaml"


def test_before_any_change_version_0_is_the_shipped_map_in_effect(store: MapStore) -> None:
    [only] = store.history("measles")
    assert (only.number, only.status, only.author, only.text) == (0, "approved", "Clarion", MEASLES)
    assert store.pending("measles") is None


def test_a_proposal_changes_nothing_until_a_second_admin_approves_it(
    store: MapStore, settings: Settings
) -> None:
    proposed = store.propose("measles", FIRM, author="Ann", comment="firmer", base_version=0)
    assert (proposed.number, proposed.status, proposed.approver) == (1, "proposed", "")
    assert store.current("measles").number == 0
    assert not override(settings).exists()
    assert load_map("measles", settings).text == MEASLES

    approved = store.approve("measles", approver="Bob")
    assert (approved.number, approved.status, approved.approver) == (1, "approved", "Bob")
    assert approved.approved_at and approved.author == "Ann" and approved.comment == "firmer"
    assert override(settings).read_text(encoding="utf-8") == FIRM
    assert load_map("measles", settings).text == FIRM
    assert store.current("measles") == approved and store.pending("measles") is None
    assert (MAPS_DIR / "measles.yaml").read_text(encoding="utf-8") == MEASLES


def test_the_author_cannot_approve_their_own_proposal(store: MapStore, settings: Settings) -> None:
    store.propose("measles", FIRM, author="Ann")
    with pytest.raises(SameApprover, match="second admin"):
        store.approve("measles", approver=" ann ")
    assert store.pending("measles") is not None and not override(settings).exists()


def test_approving_with_nothing_pending_is_refused(store: MapStore) -> None:
    with pytest.raises(NoPendingProposal, match="no proposal"):
        store.approve("measles", approver="Bob")


def test_approving_a_version_that_is_not_pending_names_the_pending_one(store: MapStore) -> None:
    store.propose("measles", FIRM, author="Ann")
    with pytest.raises(UnknownVersion, match="no version 7; versions are 0 to 1"):
        store.approve("measles", approver="Bob", number=7)
    with pytest.raises(MapChangeError, match="version 1 is"):
        store.approve("measles", approver="Bob", number=0)


def test_an_invalid_map_is_refused_with_its_line_numbers(store: MapStore) -> None:
    with pytest.raises(InvalidMap) as caught:
        store.propose("measles", UNKNOWN_SOURCE, author="Ann")
    assert isinstance(caught.value, InputError)
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (26, "key_messages.0.facts.0.source")
    assert "measles.yaml:26: key_messages.0.facts.0.source" in str(caught.value)
    assert [v.number for v in store.history("measles")] == [0]


def test_a_newer_proposal_supersedes_the_pending_one(store: MapStore) -> None:
    store.propose("measles", FIRM, author="Ann")
    store.propose("measles", SHORT, author="Cem", base_version=1)
    statuses = [(v.number, v.status) for v in store.history("measles")]
    assert statuses == [(2, "proposed"), (1, "superseded"), (0, "approved")]
    assert store.approve("measles", approver="Ann").text == SHORT


def test_a_stale_editor_gets_a_conflict_with_the_diff(store: MapStore) -> None:
    store.propose("measles", FIRM, author="Ann", base_version=0)
    with pytest.raises(MapConflict) as caught:
        store.propose("measles", SHORT, author="Bob", base_version=0)
    assert caught.value.theirs.number == 1 and "+++ yours" in caught.value.diff


def test_nothing_to_propose_when_the_text_is_unchanged(store: MapStore) -> None:
    with pytest.raises(MapChangeError, match="same as version 0"):
        store.propose("measles", MEASLES, author="Ann")


def test_revert_proposes_an_old_version_and_needs_approval(
    store: MapStore, settings: Settings
) -> None:
    store.propose("measles", FIRM, author="Ann")
    store.approve("measles", approver="Bob")
    reverted = store.revert("measles", 0, author="Bob")
    assert (reverted.number, reverted.action, reverted.status) == (2, "revert", "proposed")
    assert reverted.comment == "revert to version 0" and reverted.text == MEASLES
    assert override(settings).read_text(encoding="utf-8") == FIRM  # still in effect
    with pytest.raises(SameApprover):
        store.approve("measles", approver="Bob")
    store.approve("measles", approver="Ann", number=2)
    assert load_map("measles", settings).text == MEASLES
    with pytest.raises(UnknownVersion):
        store.revert("measles", 9, author="Ann")


def test_diff_between_two_versions(store: MapStore) -> None:
    store.propose("measles", FIRM, author="Ann")
    diff = store.diff("measles", 0, 1)
    assert diff.startswith("--- measles v0\n+++ measles v1\n")
    assert "-      de: Zwei MMR-Impfungen schützen zuverlässig vor Masern.\n" in diff
    assert "+      de: Zwei MMR-Impfungen schützen sehr zuverlässig vor Masern.\n" in diff
    assert store.diff("measles", 1, 1) == ""


def test_unknown_map_and_empty_author_are_clear_errors(store: MapStore) -> None:
    with pytest.raises(InputError, match="No message map 'mumps'"):
        store.history("mumps")
    with pytest.raises(MapChangeError, match="Enter your name"):
        store.propose("measles", FIRM, author="  ")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the SQLite file itself
def test_an_old_database_gets_the_map_versions_table(tmp_path: Path) -> None:
    data = tmp_path / "old"
    data.mkdir()
    shutil.copy(OLD_DB, data / DB_FILE)
    with sqlite3.connect(data / DB_FILE) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "map_versions" not in tables
    store = MapStore(load_settings(data_dir=data))
    store.propose("measles", FIRM, author="Ann")
    with sqlite3.connect(data / DB_FILE) as db:
        applied = {r[0] for r in db.execute("SELECT name FROM clarion_migrations")}
        rows = db.execute("SELECT number, status FROM map_versions ORDER BY number").fetchall()
    assert "m005_map_versions" in applied
    assert rows == [(0, "approved"), (1, "proposed")]
