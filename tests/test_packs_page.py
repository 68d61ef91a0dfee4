"""The Packs page under AppTest: open a cell, edit, comment, approve, audit, export."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from comms.packs.campaign import Cell
from comms.packs.evidence_flags import changed_keys
from comms.packs.review import approve
from comms.packs.store import PackStore
from knowledge.history.pins import cell_owner
from knowledge.retrieval.store import Store
from tests.conftest import ROOT
from tests.evidence_helpers import NEW_SENTENCE, OLD_SENTENCE, change_evidence
from tests.pack_helpers import generated, pack_settings
from ui import resources

CELL = Cell("older-adults", "sms", "de")


@pytest.fixture
def packs(settings, fake_store) -> PackStore:  # type: ignore[no-untyped-def]
    packs, _ = generated(pack_settings(settings), fake_store)  # the data dir the page uses
    return packs


@pytest.fixture
def page(
    packs: PackStore, fake_store, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> AppTest:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(resources, "store", lambda: fake_store)  # the sources' review dates
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/packs.py").run()
    assert not at.exception, at.exception
    return at


def test_the_page_shows_the_campaign_grid(page: AppTest) -> None:
    assert page.title[0].value == "Nachrichtenpakete"
    assert page.selectbox(key="pk_campaign").value == "flu-test"
    label = page.button(key=f"pk_cell:{CELL.key}").label
    assert label.startswith("📝 Entwurf · ")
    assert len([b for b in page.button if b.key.startswith("pk_cell:")]) == 4  # German only
    with pytest.raises(KeyError):
        page.button(key="pk_cell:en__older-adults__sms__v1")  # the other language is hidden
    with pytest.raises(KeyError):
        page.button(key="pk_generate")  # every cell is stored: nothing to generate


def test_review_a_cell_approve_it_and_export_the_pack(page: AppTest, packs: PackStore) -> None:
    page.button(key=f"pk_cell:{CELL.key}").click().run()
    assert not page.exception, page.exception
    text = packs.message("flu-test", CELL).text  # type: ignore[union-attr]
    assert page.code[0].value == text
    page.text_area(key=f"pk_text:{CELL.key}:1").input("Grippeimpfung: jetzt Termin buchen.")
    page.button(key="pk_save").click().run()
    assert packs.message("flu-test", CELL).revision == 2  # type: ignore[union-attr]
    assert page.code[0].value == "Grippeimpfung: jetzt Termin buchen."
    page.text_input(key=f"pk_note:{CELL.key}").input("Sieht gut aus.")
    page.button(key="pk_add_comment").click().run()
    page.button(key="pk_approve").click().run()
    assert not page.exception, page.exception
    message = packs.message("flu-test", CELL)
    assert message is not None and message.status == "approved"
    assert page.button(key=f"pk_cell:{CELL.key}").label.startswith("✅ Freigegeben")
    actions = [e.action for e in packs.events("flu-test")]
    assert actions[-3:] == ["edit", "comment", "approve"]
    assert {e.user for e in packs.events("flu-test")[-3:]} == {"local"}
    page.button(key="pk_export").click().run()
    assert not page.exception, page.exception
    assert [s.value for s in page.success][-1] == "1 Nachrichten exportiert."
    name, data = page.session_state["pk_zip"]
    assert name.startswith("flu-test-") and name.endswith(".zip")
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert [m["text"] for m in manifest["messages"]] == ["Grippeimpfung: jetzt Termin buchen."]
    assert manifest["messages"][0]["approvals"] == ["local"] and manifest["draft"] is False


def test_a_cited_source_past_its_review_date_is_flagged_in_the_cell(
    page: AppTest, packs: PackStore, fake_store, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from core import clock
    from knowledge.history.reviews import overdue
    from ui.text import plain

    today = dt.date(2026, 12, 2)
    monkeypatch.setattr(clock, "today", lambda: today)
    page.button(key=f"pk_cell:{CELL.key}").click().run()
    assert not page.exception, page.exception
    cited = [c["source_id"] for c in packs.message("flu-test", CELL).message["citations"]]  # type: ignore[union-attr]
    due = overdue(packs.settings, fake_store, cited, today)
    assert due, "the shipped flu recommendations are past their review dates on this day"
    warnings = [w.value for w in page.warning]
    assert all(plain(o.notice("de")) in warnings for o in due.values())


def test_a_review_mistake_is_shown_not_raised(page: AppTest) -> None:
    page.button(key=f"pk_cell:{CELL.key}").click().run()
    page.button(key="pk_changes").click().run()  # without a comment
    assert not page.exception
    assert "Write a comment saying what should change" in page.error[0].value


def test_the_page_offers_the_model_and_warns_of_stale_cells(
    packs: PackStore, settings, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:  # type: ignore[no-untyped-def]
    from comms.maps.library import shipped_map_text

    changed = settings.data_dir / "maps" / "flu.yaml"
    changed.parent.mkdir(parents=True, exist_ok=True)
    changed.write_text(shipped_map_text("flu") + "\n# approved again\n", encoding="utf-8")
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/packs.py").run()
    assert not at.exception, at.exception
    ask = at.checkbox(key="pk_ask")
    assert ask.value is False and not ask.disabled  # on-request: staff choose per run
    warnings = [w.value for w in at.warning]
    assert any("älteren Version der Botschaftskarte" in w and CELL.key in w for w in warnings)
    # The composed messages of the fixture's pack agree with each other.
    assert not any("Uneinheitlich" in w for w in warnings), warnings
    consistent = "Einheitlich: keine Widersprüche zwischen den Nachrichten gefunden."
    assert consistent in [c.value for c in at.caption]


# Living evidence: a cell whose cited passage changed since it was made.
OWNER = cell_owner("flu-test", CELL.audience, CELL.channel, CELL.language, CELL.variant)
OTHER = Cell("health-workers", "sms", "de")


def flagged_page(fake_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Packs page after a re-ingest changed the passage CELL cites."""
    change_evidence(fake_store, tmp_path / "in", [OWNER])
    monkeypatch.setattr(resources, "store", lambda: fake_store)  # regenerating needs it
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/packs.py").run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> list[str]:
    return [x.value for x in at.text]


def test_a_cell_on_changed_evidence_has_a_badge_a_filter_and_both_passages(
    packs: PackStore,
    fake_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_settings: None,
) -> None:
    at = flagged_page(fake_store, tmp_path, monkeypatch)
    assert at.button(key=f"pk_cell:{CELL.key}").label.endswith(" · ⚠️ Evidenz geändert")
    assert "Evidenz" not in at.button(key=f"pk_cell:{OTHER.key}").label
    assert any("Auf Evidenz, die sich seitdem geändert hat: 1 gespeicherte Nachricht" in w.value
               for w in at.warning)  # fmt: skip
    at.checkbox(key="pk_only_changed").check().run()
    shown = [b for b in at.button if b.key.startswith("pk_cell:")]
    assert [b.key for b in shown] == [f"pk_cell:{CELL.key}"]  # every language, only flagged
    assert shown[0].label.startswith("Ältere Menschen · SMS · Deutsch · 📝 Entwurf")
    shown[0].click().run()
    assert not at.exception, at.exception
    assert any("Evidenz geändert" in m.value for m in at.markdown)  # the badge in the cell
    old, new = next(
        (left, right)
        for left, right in zip(at.main.columns, at.main.columns[1:], strict=False)
        if any(OLD_SENTENCE in x.value for x in left.text)
    )
    assert any(NEW_SENTENCE in x.value for x in new.text), "the new passage beside the old"
    assert [c.value for c in old.caption] == ["Vorher"]
    assert [c.value for c in new.caption] == ["Jetzt (Version 2)"]
    assert f"− {OLD_SENTENCE}" in texts(at) and f"+ {NEW_SENTENCE}" in texts(at)
    captions = " ".join(c.value for c in at.caption)
    assert "file\\-measles\\.md · Measles vaccine / Who should get it" in captions
    assert "Version 2: Abschnitt geändert" in captions


def test_a_reviewer_confirms_a_flagged_cell_with_a_reason(
    packs: PackStore,
    fake_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_settings: None,
) -> None:
    at = flagged_page(fake_store, tmp_path, monkeypatch)
    at.button(key=f"pk_cell:{CELL.key}").click().run()
    at.button(key="pk_confirm_evidence").click().run()  # no reason: refused, and said why
    assert not at.exception, at.exception
    assert any("a reason is required" in e.value for e in at.error)
    assert changed_keys(packs.settings, "flu-test")
    at.text_input(key=f"pk_reason:{CELL.key}").input("Die Nachricht nennt kein Impfalter.")
    at.button(key="pk_confirm_evidence").click().run()
    assert not at.exception, at.exception
    assert "Bestätigt: die Nachricht beruht jetzt auf den neuen Passagen." in [
        s.value for s in at.success
    ]
    assert changed_keys(packs.settings, "flu-test") == {}
    assert "Evidenz" not in at.button(key=f"pk_cell:{CELL.key}").label
    assert at.checkbox(key="pk_only_changed").disabled
    confirmed = [e for e in packs.events("flu-test") if e.action == "evidence_confirmed"]
    assert [(e.user, e.cell) for e in confirmed] == [("local", CELL)]
    assert "Die Nachricht nennt kein Impfalter." in confirmed[0].detail


def test_regenerating_a_flagged_cell_closes_its_flags(
    packs: PackStore,
    fake_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_settings: None,
) -> None:
    at = flagged_page(fake_store, tmp_path, monkeypatch)
    at.button(key=f"pk_cell:{CELL.key}").click().run()
    at.button(key="pk_regenerate_evidence").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert changed_keys(packs.settings, "flu-test") == {}
    assert [e.action for e in packs.events("flu-test")][-1] == "evidence_regenerated"


def test_export_warns_of_approved_cells_on_changed_evidence_and_strict_refuses(
    packs: PackStore,
    fake_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_settings: None,
) -> None:
    approve(packs, "flu-test", CELL, user="Rita", revision=None)
    at = flagged_page(fake_store, tmp_path, monkeypatch)
    at.checkbox(key="pk_export_strict").check()
    at.button(key="pk_export").click().run()
    assert not at.exception, at.exception
    refused = at.error[0].value.replace("\\", "")  # escaped: shown as typed
    assert "1 approved message(s) cite evidence that changed since: de__older-adults" in refused
    assert "pk_zip" not in at.session_state
    at.checkbox(key="pk_export_strict").uncheck()
    at.button(key="pk_export").click().run()
    assert [s.value for s in at.success][-1] == "1 Nachrichten exportiert."
    warning = at.warning[-1].value
    assert warning.startswith("Exportiert, aber diese freigegebenen Nachrichten beruhen auf")
    assert "- Ältere Menschen · SMS · Deutsch" in warning
