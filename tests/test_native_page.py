"""Issue 30 on the Packs and Write pages under AppTest: the unchecked-translation badge and
warning, the native check button for a reader of the language (and none for anyone else), the
map's own German or English key messages beside a translation, and the export's notice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from comms.accounts.auth import add_user, set_languages
from comms.maps.originals import key_message_originals
from comms.message import Message
from comms.packs.campaign import Cell
from comms.packs.native import checked_by, unchecked
from comms.packs.review import approve
from comms.packs.store import PackStore
from core.settings import Settings
from tests.conftest import ROOT
from tests.pack_helpers import generated, pack_settings, small_campaign
from ui import resources

TR = Cell("older-adults", "sms", "tr")
AR = Cell("older-adults", "sms", "ar")
DE = Cell("older-adults", "sms", "de")


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    resources.settings.clear()
    yield
    resources.settings.clear()


@pytest.fixture
def packs(settings: Settings, fake_store) -> PackStore:  # type: ignore[no-untyped-def]
    campaign = small_campaign(audiences=["older-adults"], channels=["sms"],
                              languages=["de", "tr", "ar"])  # fmt: skip
    packs, _ = generated(pack_settings(settings), fake_store, campaign)
    return packs


def open_page(fake_store, monkeypatch, ui: str = "de") -> AppTest:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(resources, "store", lambda: fake_store)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["ui_language"] = ui
    at.run()
    at.switch_page("pages/packs.py").run()
    assert not at.exception, at.exception
    return at


def open_cell(at: AppTest, cell: Cell) -> AppTest:
    at.segmented_control(key="pk_language").set_value(cell.language).run()
    at.button(key=f"pk_cell:{cell.key}").click().run()
    assert not at.exception, at.exception
    return at


def meant(packs: PackStore, cell: Cell, ui: str) -> list[str]:
    message = packs.message("flu-test", cell)
    assert message is not None
    ref = Message.model_validate(message.message).map
    assert ref is not None
    originals = key_message_originals(ref, packs.settings)
    texts = [o.de if ui == "de" else o.en for o in originals]
    assert texts and all(texts)  # an SMS carries one key message, a letter three
    assert all(o.text not in texts for o in originals)  # the translation is something else
    return texts


def shown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def test_a_translation_has_a_badge_the_german_key_messages_and_no_check_button(
    packs: PackStore,
    fake_store,
    monkeypatch,
    fresh_settings: None,  # type: ignore[no-untyped-def]
) -> None:
    at = open_page(fake_store, monkeypatch)
    at.segmented_control(key="pk_language").set_value("ar").run()
    assert "ungeprüfte Übersetzung" in at.button(key=f"pk_cell:{AR.key}").label
    open_cell(at, AR)
    titles = [e.label for e in at.expander]
    assert any(title.startswith("Was die Nachricht sagen soll") for title in titles)
    page_text = shown(at).replace("\\", "")
    for german in meant(packs, AR, "de"):
        assert german in page_text
    assert any("Muttersprache „ar“" in w.value for w in at.warning)
    with pytest.raises(KeyError):
        at.button(key="pk_native_check")  # the local user reads no Arabic
    at.segmented_control(key="pk_language").set_value("de").run()
    assert "ungeprüfte" not in at.button(key=f"pk_cell:{DE.key}").label


def test_a_reader_of_turkish_marks_the_message_checked_on_the_page(
    packs: PackStore,
    fake_store,
    monkeypatch,
    fresh_settings: None,  # type: ignore[no-untyped-def]
) -> None:
    add_user(packs.settings, "local", "admin", None)
    set_languages(packs.settings, "local", ["tr"])
    at = open_page(fake_store, monkeypatch, ui="en")
    open_cell(at, TR)
    assert not any(e.label.startswith("What the message is meant") for e in at.expander)
    at.button(key="pk_native_check").click().run()
    assert not at.exception, at.exception
    message = packs.message("flu-test", TR)
    assert message is not None and not unchecked(message) and checked_by(message) == "local"
    assert "unchecked translation" not in at.button(key=f"pk_cell:{TR.key}").label
    assert any("Recorded as checked by a native speaker" in s.value for s in at.success)
    open_cell(at, AR)  # Arabic: still unchecked, and the English key messages beside it
    page_text = shown(at).replace("\\", "")
    for english in meant(packs, AR, "en"):
        assert english in page_text
    with pytest.raises(KeyError):
        at.button(key="pk_native_check")


def test_the_export_says_which_translations_it_left_out(
    packs: PackStore,
    fake_store,
    monkeypatch,
    fresh_settings: None,  # type: ignore[no-untyped-def]
) -> None:
    for cell in (DE, TR):
        approve(packs, "flu-test", cell, user="Ann", revision=1)
    at = open_page(fake_store, monkeypatch, ui="en")
    at.button(key="pk_export").click().run()
    assert not at.exception, at.exception
    warnings = "\n".join(w.value for w in at.warning)
    assert "Left out because no native speaker has checked the translation (1)" in warnings
    assert "Turkish" in warnings or "tr" in warnings
    assert any("1" in s.value for s in at.success)


def write_page(settings: Settings, fake_store, monkeypatch, language: str, ui: str) -> AppTest:  # type: ignore[no-untyped-def]
    from core.settings import load_settings

    current = load_settings(data_dir=settings.data_dir, repair_tries=0)
    monkeypatch.setattr(resources, "settings", lambda: current)
    monkeypatch.setattr(resources, "store", lambda: fake_store)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["ui_language"] = ui
    at.run()
    for key, value in (("topic", "measles"), ("audience", "parents-infants"),
                       ("channel", "letter"), ("language", language)):  # fmt: skip
        at.selectbox(key=key).set_value(value)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("language", "ui"), [("ar", "de"), ("tr", "en")])
def test_the_write_page_warns_and_shows_what_each_key_message_means(
    settings: Settings,
    fake_store,
    monkeypatch,
    language: str,
    ui: str,  # type: ignore[no-untyped-def]
) -> None:
    at = write_page(settings, fake_store, monkeypatch, language, ui)
    message = at.session_state["write_message"]
    assert message.language == language and message.map is not None
    warning = "Muttersprache" if ui == "de" else "no native speaker has checked"
    assert any(warning in w.value for w in at.warning)
    originals = key_message_originals(message.map, settings)
    assert len(originals) == len(message.map.key_messages) >= 1
    page_text = shown(at).replace("\\", "")
    for original in originals:
        assert (original.de if ui == "de" else original.en) in page_text
    if language == "ar":  # the Arabic key messages right to left, as text
        html = " ".join(str(h.proto.body) for h in at.get("html"))
        assert 'dir="rtl" lang="ar"' in html and originals[0].text.split()[0] in html


def test_the_write_page_shows_neither_for_german(
    settings: Settings,
    fake_store,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    at = write_page(settings, fake_store, monkeypatch, "de", "de")
    assert at.session_state["write_message"].language == "de"
    assert not any("Muttersprache" in w.value for w in at.warning)
    assert not any(e.label.startswith("Was die Nachricht") for e in at.expander)


def test_the_maps_page_proposes_a_language_checked_and_a_second_admin_approves(
    settings: Settings,
    monkeypatch,
    fresh_settings: None,  # type: ignore[no-untyped-def]
) -> None:
    from comms.maps.native import pending_languages
    from comms.maps.store import MapStore

    add_user(settings, "local", "admin", None)
    set_languages(settings, "local", ["tr"])
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.switch_page("pages/maps.py").run()
    at.selectbox(key="map_id").set_value("measles").run()
    at.selectbox(key="map_language").set_value("ar").run()
    assert any("„ar“" in w.value for w in at.warning)
    with pytest.raises(KeyError):
        at.button(key="map_native_check")  # the local user reads no Arabic
    at.selectbox(key="map_language").set_value("tr").run()
    at.button(key="map_native_check").click().run()
    assert not at.exception, at.exception
    maps = MapStore(settings)
    pending = maps.pending("measles")
    assert pending is not None and pending.author == "local"
    assert pending_languages(pending.text) == ["ar", "uk", "ru"]
    assert not any("„tr“" in w.value for w in at.warning)  # the newest version lists it no more
    at.text_input(key="map_author").input("Bob")
    at.button(key="map_approve").click().run()
    assert not at.exception, at.exception
    assert maps.current("measles").number == pending.number
