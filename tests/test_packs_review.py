"""Reviewing a pack: edits re-checked, comments, approvals (one or two people), the audit trail."""

from __future__ import annotations

import csv
import io

import pytest

from comms.packs.audit import CSV_HEADER, audit_csv
from comms.packs.campaign import Cell
from comms.packs.review import (
    ReviewConflict,
    add_comment,
    approvals_needed,
    approve,
    edit_text,
    reject,
    request_changes,
)
from core.errors import InputError
from tests.pack_helpers import generated, pack_settings, small_campaign

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CELL = Cell("older-adults", "sms", "de")


@pytest.fixture
def packs(settings, fake_store):  # type: ignore[no-untyped-def]
    packs, _ = generated(pack_settings(settings), fake_store)
    return packs


@pytest.fixture
def two_person(settings, fake_store):  # type: ignore[no-untyped-def]
    campaign = small_campaign(id="flu-two", approvals=2, languages=["de"], channels=["sms"])
    packs, _ = generated(pack_settings(settings), fake_store, campaign)
    return packs


def test_an_edit_is_rechecked_and_goes_back_to_draft(packs) -> None:  # type: ignore[no-untyped-def]
    before = packs.message("flu-test", CELL)
    approve(packs, "flu-test", CELL, user="Ann", revision=1)
    text = "Die Grippeimpfung schützt 97 von 100 Menschen. Termin: https://impfen.example.org"
    edited = edit_text(packs, "flu-test", CELL, text, user="Bo", revision=1)
    assert (edited.text, edited.revision, edited.status, edited.updated_by) == (
        text,
        2,
        "draft",
        "Bo",
    )
    assert edited.edited and edited.message == before.message  # provenance of the model's text kept
    numbers = edited.checks.item("numbers_grounded")
    assert not numbers.passed and "97" in numbers.reason
    assert packs.message("flu-test", CELL) == edited
    assert approvals_needed(packs, edited) == ([], 1)  # the approval was for revision 1
    event = packs.events("flu-test")[-1]
    assert (event.action, event.user, event.revision) == ("edit", "Bo", 2)
    assert "numbers_grounded" in event.checks_failed and event.check_score == edited.score


@pytest.mark.parametrize(
    ("text", "user", "error"),
    [
        ("   ", "Bo", "text is empty"),
        ("x", "  ", "Enter your name"),
        ("x" * 10_001, "Bo", "longer"),
    ],
)
def test_an_edit_that_cannot_be_saved_says_why(packs, text: str, user: str, error: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=error):
        edit_text(packs, "flu-test", CELL, text, user=user, revision=None)


def test_an_unchanged_text_is_not_a_new_revision(packs) -> None:  # type: ignore[no-untyped-def]
    current = packs.message("flu-test", CELL)
    with pytest.raises(InputError, match="unchanged"):
        edit_text(packs, "flu-test", CELL, current.text, user="Bo", revision=1)


def test_one_approval_approves_and_cannot_be_repeated(packs) -> None:  # type: ignore[no-untyped-def]
    approved = approve(packs, "flu-test", CELL, user="Ann", revision=1)
    assert approved.status == "approved"
    with pytest.raises(InputError, match="already approved"):
        approve(packs, "flu-test", CELL, user="Bo", revision=1)
    event = packs.events("flu-test")[-1]
    assert (event.action, event.user, event.detail) == ("approve", "Ann", "approval 1 of 1")
    assert event.model_id == "message map" and event.evidence_ids and event.check_score is not None


def test_two_approvals_must_come_from_two_people(two_person) -> None:  # type: ignore[no-untyped-def]
    first = approve(two_person, "flu-two", CELL, user="Ann", revision=1)
    assert first.status == "draft" and approvals_needed(two_person, first) == (["Ann"], 2)
    with pytest.raises(InputError, match="must come from someone else"):
        approve(two_person, "flu-two", CELL, user=" Ann ", revision=1)
    second = approve(two_person, "flu-two", CELL, user="Bo", revision=1)
    assert second.status == "approved"
    assert approvals_needed(two_person, second) == (["Ann", "Bo"], 2)


def test_an_edit_between_two_approvals_starts_them_again(two_person) -> None:  # type: ignore[no-untyped-def]
    approve(two_person, "flu-two", CELL, user="Ann", revision=1)
    edit_text(two_person, "flu-two", CELL, "Neuer Text zur Grippeimpfung.", user="Ann", revision=1)
    after = approve(two_person, "flu-two", CELL, user="Bo", revision=2)
    assert after.status == "draft" and approvals_needed(two_person, after) == (["Bo"], 2)


def test_changes_requested_rejected_and_a_stale_decision(packs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="saying what should change"):
        request_changes(packs, "flu-test", CELL, user="Ann", revision=1, note=" ")
    changed = request_changes(packs, "flu-test", CELL, user="Ann", revision=1, note="Kürzer!")
    assert changed.status == "needs_changes"
    rejected = reject(packs, "flu-test", CELL, user="Cy", revision=1, note="Falsches Datum")
    assert rejected.status == "rejected"
    with pytest.raises(InputError, match="already rejected"):
        approve(packs, "flu-test", CELL, user="Ann", revision=1)
    edit_text(
        packs, "flu-test", CELL, "Ein besserer Text zur Grippeimpfung.", user="Bo", revision=1
    )
    with pytest.raises(ReviewConflict, match="you opened revision 1; revision 2 by Bo is current"):
        approve(packs, "flu-test", CELL, user="Ann", revision=1)
    remarks = packs.remarks("flu-test", CELL)
    assert [(r.kind, r.user, r.text) for r in remarks] == [
        ("needs_changes", "Ann", "Kürzer!"),
        ("reject", "Cy", "Falsches Datum"),
    ]


def test_comments_are_kept_with_the_revision_and_audited(packs) -> None:  # type: ignore[no-untyped-def]
    add_comment(packs, "flu-test", CELL, "Bitte die Uhrzeit prüfen.", user="Ann")
    with pytest.raises(InputError):
        add_comment(packs, "flu-test", CELL, "", user="Ann")
    with pytest.raises(InputError, match="no message"):
        add_comment(packs, "flu-test", Cell("pregnant", "sms", "de"), "Hallo", user="Ann")
    [remark] = packs.remarks("flu-test", CELL)
    assert (remark.kind, remark.user, remark.text, remark.revision) == (
        "comment", "Ann", "Bitte die Uhrzeit prüfen.", 1,
    )  # fmt: skip
    event = packs.events("flu-test")[-1]
    assert (event.action, event.detail, event.cell) == ("comment", remark.text, CELL)


def test_the_audit_trail_as_csv(packs) -> None:  # type: ignore[no-untyped-def]
    add_comment(packs, "flu-test", CELL, '=HYPERLINK("http://evil")', user="@Ann")
    approve(packs, "flu-test", CELL, user="@Ann", revision=1)
    rows = list(csv.DictReader(io.StringIO(audit_csv(packs.events("flu-test")))))
    assert list(rows[0]) == CSV_HEADER
    assert [r["action"] for r in rows][:3] == ["create", "generate_run", "generate"]
    assert [r["action"] for r in rows][-2:] == ["comment", "approve"]
    comment = rows[-2]
    assert comment["user"] == "'@Ann" and comment["detail"].startswith("'=HYPERLINK")
    run, generate = rows[1], rows[2]
    assert run["template_id"] == "map:flu" and run["detail"].startswith("map flu version ")
    assert generate["model_id"] == "message map" and generate["template_id"] == "map:flu"
    assert generate["evidence_ids"].split() and generate["check_score"].isdigit()
    assert generate["detail"] == f"map flu version {run['template_version']}; composed version"
    assert generate["at"].endswith("+00:00") and generate["seed"] == "42"
