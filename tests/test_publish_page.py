"""The write page's preview of the print and post formats, under AppTest with fakes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from comms.packs.campaign import Cell
from comms.packs.store import PackStore
from core.settings import Settings
from knowledge.retrieval.store import Store
from tests.conftest import ROOT, ScriptedChat
from tests.pack_helpers import generated, pack_settings, small_campaign
from tests.test_write_page import page
from ui import resources


def _write(at, channel: str):  # type: ignore[no-untyped-def]
    at.selectbox(key="topic").set_value("flu")
    at.selectbox(key="audience").set_value("older-adults")
    at.selectbox(key="channel").set_value(channel)
    at.selectbox(key="language").set_value("de")
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("channel", "images", "downloads"), [
    ("poster", 1, {"poster-a4.pdf", "poster-a3.pdf"}),
    ("social", 2, {"sharepic-1080x1080.png", "sharepic-1080x1350.png", "alt.txt"}),
])  # fmt: skip
def test_the_write_page_previews_poster_and_sharepic_as_images(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    fake_store: Store,
    channel: str,
    images: int,
    downloads: set[str],
) -> None:
    at = _write(page(monkeypatch, settings, fake_store, ScriptedChat([])), channel)
    at.toggle(key="publish_preview").set_value(True).run()
    assert not at.exception, at.exception
    assert len(at.get("image")) == images
    buttons = {b.proto.label for b in at.get("download_button")}
    assert buttons == downloads
    if channel == "social":
        alt = " ".join(m.value for m in at.markdown)
        assert "Grafik mit Text:" in alt


def test_the_preview_stays_closed_until_asked(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    at = _write(page(monkeypatch, settings, fake_store, ScriptedChat([])), "poster")
    assert not at.get("image") and not at.get("download_button")


LEICHT = Cell("older-adults", "poster", "de-leicht")


@pytest.fixture
def leicht_page(
    settings: Settings, fake_store: Store, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[AppTest, PackStore]]:
    campaign = small_campaign(audiences=["older-adults"], channels=["poster"],
                              languages=["de-leicht"])  # fmt: skip
    packs, _ = generated(pack_settings(settings), fake_store, campaign)
    resources.settings.clear()  # cached per process: read this test's data directory
    monkeypatch.setattr(resources, "store", lambda: fake_store)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/packs.py").run()
    assert not at.exception, at.exception
    yield at, packs
    resources.settings.clear()


def test_a_reviewer_records_the_test_reading_on_the_packs_page(
    leicht_page: tuple[AppTest, PackStore],
) -> None:
    at, packs = leicht_page
    at.button(key=f"pk_cell:{LEICHT.key}").click().run()
    assert any("DIN SPEC 33429" in w.value for w in at.warning)
    at.button(key="publish_test_read").click().run()
    assert not at.exception, at.exception
    assert any("Prüflesung dieser Fassung eingetragen" in s.value for s in at.success)
    events = [e for e in packs.events("flu-test") if e.action == "test_read"]
    assert [(e.cell, e.revision, e.user) for e in events] == [(LEICHT, 1, "local")]
    with pytest.raises(KeyError):
        at.button(key="publish_test_read")  # recorded: no button any more
