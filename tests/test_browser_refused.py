"""What a reviewer sees of a refused model version, in Chromium: each refused sentence on red
with its number, the reasons below, and the model's markup shown as typed, never rendered.

Saves docs/screenshots/refused-sentences.png when run with SCREENSHOTS_DIR=docs/screenshots
(see tests/test_browser.py, whose server and browser this borrows).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.test_browser import CHROMIUM, open_page, screenshot, serve
from tests.test_browser import browser as browser  # a fixture, used through `page`
from tests.test_browser import page as page  # a fixture
from tests.test_refused_sentences import MARKUP, NO_DOCTOR, NOT_BACKED, NUMBER, refused_message

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: `make browser` installs it (apt-get, as root)",
    ),
]


@pytest.fixture
def refused_url(real_store_dir: Path, real_embedder: Any, tmp_path: Path) -> Iterator[str]:
    """A server over a pack of one cell whose model version `supported` refused twice."""
    from comms.message import Message
    from comms.packs.campaign import Cell
    from comms.packs.store import PackStore
    from core.settings import load_settings
    from knowledge.retrieval.store import Store
    from tests.pack_helpers import generated, pack_settings, small_campaign

    data = tmp_path / "data"
    shutil.copytree(real_store_dir, data)
    settings = pack_settings(load_settings(data_dir=data))
    campaign = small_campaign(audiences=["older-adults"], channels=["sms"], languages=["de"])
    generated(settings, Store(settings, real_embedder), campaign)
    with PackStore(settings).transaction() as tx:
        stored = tx.message("flu-test", Cell("older-adults", "sms", "de"))
        assert stored is not None
        message = refused_message(Message.model_validate(stored.message))
        tx.update_message(replace(stored, message=message.model_dump(mode="json")))
    with serve(data) as url:
        yield url


def test_a_refused_model_version_shows_each_sentence_and_its_reason(
    page: Any, refused_url: str
) -> None:
    open_page(page, refused_url, "Nachrichtenpakete")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("button", name="📝 Entwurf", exact=False).first.click()
    main.get_by_role("textbox", name="Text bearbeiten").wait_for()
    main.get_by_text("Fassung des Modells – nicht verwendet").click()
    details = main.locator('[data-testid="stExpander"]').filter(
        has_text="Fassung des Modells – nicht verwendet"
    )
    marks = details.locator(".stMarkdownColoredBackground")
    expect(marks.first).to_be_visible()
    texts = [m.inner_text() for m in marks.all()]
    # in the text, then in the list: each refused sentence twice, as the model wrote it
    assert texts == [NO_DOCTOR, MARKUP, NO_DOCTOR, MARKUP], texts
    shown = details.inner_text()
    assert "**alle 12 Monate**" in shown and "<script>alert(1)</script>" in shown
    assert ":material/call: [hier](https://example.org) &lt;b&gt;." in shown.replace("\u2060", "")
    assert not details.locator("strong", has_text="alle 12 Monate").count()
    assert not details.locator("script, a[href*='example.org']").count()
    rendered = details.locator('[data-testid="stMarkdownContainer"]')
    assert not rendered.locator('[data-testid="stIconMaterial"], span[role="img"]').count()
    expect(details.get_by_text(f"· {NOT_BACKED['de']}")).to_be_visible()
    expect(details.get_by_text(f"· {NUMBER['de']}")).to_be_visible()
    expect(details.get_by_text("Abgelehnte Sätze (2), im Text rot markiert:")).to_be_visible()
    assert not page.locator('[data-testid="stException"]').count()
    page.get_by_role("heading", name="Prüfen", exact=True).scroll_into_view_if_needed()
    screenshot(page, "refused-sentences.png", height=1500)
