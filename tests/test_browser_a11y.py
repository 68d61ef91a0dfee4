"""Accessibility (WCAG 2.1 AA, BITV 2.0) in Chromium: axe-core on every page in German and
English, the page's language, and the write page by keyboard alone.

axe-core comes from the pinned axe-playwright-python wheel (its axe.min.js; nothing is
downloaded at run time). docs/accessibility.md lists what axe finds and what Clarion cannot
change. Borrows the server and the browser of tests/test_browser.py.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.test_browser import CHROMIUM, VIEWPORT
from tests.test_browser import app_url as app_url  # a fixture: the app, auth off
from tests.test_browser import auth_url as auth_url  # a fixture: the app, auth on
from tests.test_browser import browser as browser  # a fixture, used through `page`
from ui.text import TEXT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: `make browser` installs it (apt-get, as root)",
    ),
]

LANGUAGES = ("de", "en")
PAGES = ("page_write", "page_knowledge", "page_templates", "page_maps", "page_packs", "page_system")
BLOCKING = ("serious", "critical")  # a finding of these fails the test; the rest are listed
AXE = Axe()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A tab whose browser language is the interface language under test."""
    language = getattr(request, "param", "de")
    context = browser.new_context(viewport=VIEWPORT, locale=f"{language}-DE")
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def settle(page: Any) -> None:
    """Wait until the script run has ended and nothing is fading in or out."""
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    page.wait_for_timeout(1_000)  # Streamlit fades stale elements out after a run
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")


def choose_language(page: Any, language: str) -> None:
    """Pick the interface language in the sidebar, as a person does."""
    if language != "de":
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_role("button", name="English").click()
    heading = TEXT["page_write"][language]
    page.get_by_role("heading", name=heading, exact=True).wait_for()


def audit(page: Any) -> dict[str, list[str]]:
    """axe-core's violations on the settled page: for each impact, the rules (with counts)."""
    settle(page)
    found = AXE.run(page, options={"resultTypes": ["violations"]}).response["violations"]
    by_impact: dict[str, list[str]] = {}
    for violation in found:
        by_impact.setdefault(violation["impact"], []).append(
            f"{violation['id']} ×{len(violation['nodes'])}: "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in violation["nodes"][:3])
        )
    return by_impact


@pytest.mark.parametrize("page", LANGUAGES, indirect=True, ids=LANGUAGES)
@pytest.mark.parametrize("key", PAGES)
def test_every_page_has_no_serious_accessibility_violation(
    page: Any, app_url: str, key: str, request: pytest.FixtureRequest
) -> None:
    language = request.node.callspec.params["page"]
    page.goto(app_url)
    page.get_by_role("heading", name=TEXT["page_write"]["de"], exact=True).wait_for()
    choose_language(page, language)
    title = TEXT[key][language]
    if key != "page_write":
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
        page.get_by_role("heading", name=title, exact=True).wait_for()
    found = audit(page)
    print(f"axe {language} {key}: " + repr({k: v for k, v in found.items()}))
    lang = page.evaluate("document.documentElement.lang")
    assert lang == language, f"<html lang={lang!r}> on a page in {language}"
    assert not [f for impact in BLOCKING for f in found.get(impact, [])], found
