"""The Maps page under AppTest: the map in three columns, live validation, propose, approve,
history, revert, the composed preview and the drafted concern."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from comms.accounts.auth import add_user
from comms.maps.evidence_flags import changed_facts
from comms.maps.library import shipped_map_text
from comms.maps.store import MapStore
from core.database import location
from core.settings import Settings, load_settings
from knowledge.history.pins import fact_owner, flags, pins_of
from knowledge.retrieval.store import Store
from tests.conftest import ROOT, ScriptedChat
from tests.evidence_helpers import NEW_SENTENCE, OLD_SENTENCE, change_evidence
from ui import resources

MEASLES = shipped_map_text("measles")
EDITOR = "map_text:measles"
FIRM = MEASLES.replace("schützen zuverlässig vor Masern.", "schützen sehr zuverlässig vor Masern.")
BAD = MEASLES.replace("source: rec-measles-stiko-de", "source: no-such-document", 1)


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> AppTest:
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/maps.py").run()
    at.selectbox(key="map_id").set_value("measles").run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def store(settings: Settings) -> MapStore:
    return MapStore(settings)


def texts(at: AppTest) -> list[str]:
    return [x.value for x in at.text]


def propose_in_page(at: AppTest, text: str, author: str) -> AppTest:
    at.text_area(key=EDITOR).input(text)
    at.text_input(key="map_author").input(author)
    return at.button(key="map_propose").click().run()


def test_the_map_shows_three_key_messages_in_three_columns(page: AppTest) -> None:
    assert page.title[0].value == "Botschaftskarten"
    assert page.selectbox(key="map_concern").value == ""  # the overarching key messages first
    columns = page.main.columns[2:5]  # after the topic/language row
    assert len(columns) == 3
    first = [x.value for x in columns[0].text]
    assert first[0] == "Zwei MMR-Impfungen schützen zuverlässig vor Masern."
    assert first[1].startswith("• Die STIKO empfiehlt allen Kindern zwei MMR-Impfungen")
    captions = [c.value for c in columns[0].caption]
    assert captions[0] == "6 Wörter · Wiener Sachtextformel: 12"
    assert "\\[rec\\-measles\\-stiko\\-de\\]" in captions  # escaped, never Markdown
    assert "Zusammen 24 Wörter (Ziel: etwa 27)." in [c.value for c in page.caption]


def test_a_chosen_concern_and_language_change_the_columns(page: AppTest) -> None:
    page.selectbox(key="map_language").set_value("tr")
    page.selectbox(key="map_concern").set_value("safety").run()
    assert not page.exception
    columns = page.main.columns[2:5]
    assert all(len(c.text) >= 1 for c in columns)
    first = columns[0]
    assert first.text[0].value.startswith("MMR aşısı")  # the key message in Turkish
    assert first.caption[0].value == "9 Wörter · Wörter je Satz: 9"  # no formula for Turkish
    assert any(x.value.endswith("?") for x in page.text)  # the question, above the columns


def test_validation_errors_show_with_line_numbers_and_block_the_proposal(page: AppTest) -> None:
    page.text_area(key=EDITOR).input(BAD).run()
    assert [e.value for e in page.error] == [
        "1 Fehler: so kann die Karte nicht vorgeschlagen werden."
    ]
    assert (
        "measles.yaml:26: key_messages.0.facts.0.source: 'no-such-document' is not a document "
        "of the curated corpus (knowledge/corpus) nor a source ingested into the knowledge store"
    ) in [c.value for c in page.code]
    assert page.button(key="map_propose").disabled
    page.text_area(key=EDITOR).input(FIRM).run()
    assert not page.error and not page.button(key="map_propose").disabled


def test_propose_then_a_second_admin_approves(page: AppTest, store: MapStore) -> None:
    propose_in_page(page, FIRM, "Ann")
    assert not page.exception
    assert "Version 1 ist vorgeschlagen; eine zweite Admin-Person muss sie freigeben." in [
        s.value for s in page.success
    ]
    assert store.pending("measles") is not None and store.current("measles").number == 0
    diff = next(c for c in page.code if c.language == "diff").value
    assert diff.startswith("--- measles v0\n+++ measles v1\n")

    page.button(key="map_approve").click().run()  # still Ann: refused
    assert any("second admin" in e.value for e in page.error)
    assert store.current("measles").number == 0

    page.text_input(key="map_author").input("Bob")
    page.button(key="map_approve").click().run()
    assert "Version 1 ist freigegeben und jetzt in Kraft." in [s.value for s in page.success]
    current = store.current("measles")
    assert (current.number, current.author, current.approver) == (1, "Ann", "Bob")


def test_history_and_revert_propose_an_old_version(page: AppTest, store: MapStore) -> None:
    store.propose("measles", FIRM, author="Ann")
    store.approve("measles", approver="Bob")
    page.run()
    history = page.dataframe[0].value
    assert list(history["Version"]) == [1, 0] and list(history["Status"]) == ["approved"] * 2
    page.selectbox(key="map_revert_to:measles").set_value(0)
    page.text_input(key="map_author").input("Cem")
    page.button(key="map_revert").click().run()
    assert "Version 2 ist vorgeschlagen" in page.success[0].value
    assert store.pending("measles").text == MEASLES  # type: ignore[union-attr]


def test_preview_composes_sms_letter_and_faq(page: AppTest) -> None:
    captions = [c.value for c in page.caption]
    assert {"SMS", "Brief", "FAQ-Eintrag"} <= set(captions)
    previews = [c.value for c in page.code if c.language == "plaintext"]
    assert len(previews) == 3
    assert all("Zwei MMR-Impfungen schützen zuverlässig vor Masern." in p for p in previews)
    page.selectbox(key="map_preview_language").set_value("en").run()
    previews = [c.value for c in page.code if c.language == "plaintext"]
    assert all("Two MMR vaccinations protect reliably against measles." in p for p in previews)


def test_drafting_a_concern_shows_a_labelled_draft(
    page: AppTest, monkeypatch: pytest.MonkeyPatch, fake_store: object
) -> None:
    chat = ScriptedChat(["not json"])
    monkeypatch.setattr(resources, "chat_model", lambda: chat)
    monkeypatch.setattr(resources, "store", lambda: fake_store)
    page.text_input(key="map_draft_question").input("Ist die Impfung teuer?")
    page.button(key="map_draft_button").click().run()
    assert not page.exception
    draft = next(c for c in page.code if c.language == "yaml").value
    assert draft.startswith("# Entwurf/Draft – check every line\n")
    assert "could not be read" in draft and "de: Ist die Impfung teuer?" in draft
    assert len(chat.calls) == 1


def test_an_editor_sees_the_map_but_cannot_change_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_settings: None
) -> None:
    add_user(load_settings(), "erika", "editor", "Impfen-2025!")
    monkeypatch.setenv("CLARION_AUTH", "local")
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="login_name").input("erika")
    at.text_input(key="login_password").input("Impfen-2025!")
    next(b for b in at.button if b.label == "Anmelden").click().run()
    at.switch_page("pages/maps.py").run()
    assert not at.exception and at.title[0].value == "Botschaftskarten"
    assert len(at.main.columns[2:5]) == 3 and at.main.columns[2].text  # the map is shown
    assert not at.text_area and not [b for b in at.button if b.key == "map_propose"]
    assert "Ändern und freigeben dürfen Personen mit der Rolle admin." in [
        c.value for c in at.caption
    ]


# Living evidence: a map fact whose cited passage changed since it was pinned.
FACT = "children-two-doses"
FACT_TEXT = "Die STIKO empfiehlt allen Kindern zwei MMR-Impfungen"


def test_a_fact_on_changed_evidence_shows_both_passages_and_an_admin_confirms_it(
    page: AppTest, fake_store: Store, settings: Settings, tmp_path: Path
) -> None:
    change_evidence(fake_store, tmp_path / "in", [fact_owner("measles", FACT)])
    page.run()
    assert not page.exception, page.exception
    assert "Fakten auf geänderter Evidenz" in [s.value for s in page.header]
    assert "**Fakt children\\-two\\-doses** · ⚠️ Evidenz geändert" in [
        m.value for m in page.markdown
    ]
    assert any(x.startswith(FACT_TEXT) for x in texts(page)), "the fact, in the map's language"
    new = next(  # the column beside the one with the old passage
        right
        for left, right in zip(page.main.columns, page.main.columns[1:], strict=False)
        if any(OLD_SENTENCE in x.value for x in left.text)
    )
    assert any(NEW_SENTENCE in x.value for x in new.text)
    assert f"+ {NEW_SENTENCE}" in texts(page)
    confirm = f"map_fact_confirm:measles/{FACT}"
    page.button(key=confirm).click().run()  # no reason: refused
    assert any("a reason is required" in e.value for e in page.error)
    assert changed_facts(settings, "measles")
    page.text_input(key=f"map_fact_reason:measles/{FACT}").input("Das Impfalter nennt die STIKO.")
    page.button(key=confirm).click().run()
    assert not page.exception, page.exception
    assert "Fakt children\\-two\\-doses bestätigt: er beruht jetzt auf der neuen Passage." in [
        s.value for s in page.success
    ]
    assert changed_facts(settings, "measles") == {}
    assert "Fakten auf geänderter Evidenz" not in [s.value for s in page.header]
    closed = flags(location(settings), f"fact:measles/{FACT}", include_resolved=True)
    assert [(f.resolution, f.resolved_by) for f in closed] == [("confirmed", "local")]


def test_an_approved_map_pins_its_facts(
    page: AppTest,
    store: MapStore,
    settings: Settings,
    fake_store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(resources, "store", lambda: fake_store)
    store.propose("measles", FIRM, author="Ann")
    assert pins_of(location(settings), fact_owner("measles", FACT)) == []
    page.run()
    page.text_input(key="map_author").input("Bob")
    page.button(key="map_approve").click().run()
    assert "Version 1 ist freigegeben und jetzt in Kraft." in [s.value for s in page.success]
    assert not page.warning, [w.value for w in page.warning]
    pinned = pins_of(location(settings), fact_owner("measles", FACT))
    assert [p.source_id for p in pinned] == ["rec-measles-stiko-de"]


def test_an_editor_sees_a_changed_fact_but_cannot_confirm_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_settings: None, fake_store: Store
) -> None:
    change_evidence(fake_store, tmp_path / "in", [fact_owner("measles", FACT)])
    add_user(load_settings(), "erika", "editor", "Impfen-2025!")
    monkeypatch.setenv("CLARION_AUTH", "local")
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="login_name").input("erika")
    at.text_input(key="login_password").input("Impfen-2025!")
    next(b for b in at.button if b.label == "Anmelden").click().run()
    at.switch_page("pages/maps.py").run()
    at.selectbox(key="map_id").set_value("measles").run()
    assert not at.exception, at.exception
    assert "Fakten auf geänderter Evidenz" in [s.value for s in at.header]
    assert not [b for b in at.button if b.key.startswith("map_fact_confirm")]
    assert any(c.value.startswith("Fakten bestätigen dürfen") for c in at.caption)
