"""Accessibility of what an office publishes as HTML: the pack's overview page and the poster
and sharepic pages (the HTML WeasyPrint turns into the PDF and PNG), checked with the same
axe-core as the app's pages: 0 serious or critical findings, the document's language set, and
right-to-left for Arabic (issue 27, item 7)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from comms.packs.archive import export_pack
from comms.publish.design import load_design
from comms.publish.poster import page_html
from tests.pack_helpers import generated, pack_settings, small_campaign
from tests.publish_helpers import sheet
from tests.test_browser import CHROMIUM, VIEWPORT
from tests.test_browser import browser as browser  # a fixture, used through `page`
from tests.test_browser_a11y import blocking

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: `make browser` installs it (apt-get, as root)",
    ),
]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def audit_static(page: Any) -> dict[str, list[str]]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    by_impact: dict[str, list[str]] = {}
    for violation in found:
        by_impact.setdefault(violation["impact"], []).append(violation["id"])
    return by_impact


def test_the_pack_overview_page_passes_axe_in_its_language(
    page: Any, settings, fake_store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    campaign = small_campaign(audiences=["older-adults"], channels=["sms", "poster"],
                              languages=["de", "ar"])  # fmt: skip
    packs, _ = generated(pack_settings(settings), fake_store, campaign)
    result = export_pack(packs, "flu-test", tmp_path / "pack.zip", user="Ann", draft=True)
    with zipfile.ZipFile(result.path) as archive:
        pages = [n for n in archive.namelist() if n.endswith(".html")]
        assert pages, archive.namelist()
        archive.extractall(tmp_path / "pack")
    for name in pages:
        page.goto((tmp_path / "pack" / name).as_uri())
        assert page.evaluate("document.documentElement.lang") in ("de", "en"), name
        found = audit_static(page)
        assert blocking(found) == [], (name, found)


@pytest.mark.parametrize(("language", "direction"), [("de", "ltr"), ("ar", "rtl"),
                                                       ("de-leicht", "ltr"), ("en", "ltr")])  # fmt: skip
@pytest.mark.parametrize("format", ["a4", "sharepic square"])
def test_the_poster_and_sharepic_pages_pass_axe(
    page: Any, language: str, direction: str, format: str
) -> None:
    html = page_html(sheet(language), load_design(), format)
    page.set_content(html)
    assert page.evaluate("document.documentElement.lang") in (language, language.split("-")[0])
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    found = audit_static(page)
    assert blocking(found) == [], found
