"""The write page's preview of the print and post formats, under AppTest with fakes."""

from __future__ import annotations

import pytest

from knowledge.base.settings import Settings
from knowledge.store import Store
from tests.conftest import ScriptedChat
from tests.test_write_page import page


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
