"""Accessibility (WCAG 2.1 AA, BITV 2.0) in Chromium: axe-core on every page in German and
English, the page's language, and the write page by keyboard alone with a visible focus.

axe-core comes from the pinned axe-playwright-python wheel (its axe.min.js, axe-core 4.12.1;
nothing is downloaded at run time). docs/accessibility.md lists what axe finds and what
Clarion cannot change. Borrows the servers and the browser of tests/test_browser.py.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image, ImageChops

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
AXE_VERSION = "4.12.1"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, locale="de-DE")
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def settle(page: Any) -> None:
    """Wait until the script run has ended and the page stops changing (Streamlit fades the
    previous run's elements out, and a page can render in several steps)."""
    status = page.locator('[data-testid="stStatusWidget"]')
    last = None
    for _ in range(30):
        status.wait_for(state="hidden")
        now = page.evaluate(
            "() => [document.querySelectorAll('[data-stale=\"true\"]').length,"
            " document.querySelectorAll('*').length, document.body.innerText.length]"
        )
        if now == last and now[0] == 0:
            return
        last = now
        page.wait_for_timeout(700)
    raise AssertionError(f"the page did not settle: {last}")


def open_in(page: Any, url: str, language: str, heading: str) -> None:
    """Open the app and choose the interface language in the sidebar, as a person does."""
    page.goto(url)
    page.get_by_role("heading", name=TEXT[heading]["de"], exact=True).wait_for()
    if language != "de":
        page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="English").click()
        page.get_by_role("heading", name=TEXT[heading][language], exact=True).wait_for()


def audit(page: Any) -> dict[str, list[str]]:
    """axe-core's violations on the settled page, by impact: each rule with its count."""
    settle(page)
    axe = Axe()
    assert f"axe v{AXE_VERSION}" in axe.axe_script[:40], "the axe-core the docs report"
    found = axe.run(page).response["violations"]
    by_impact: dict[str, list[str]] = {}
    for violation in found:
        nodes = violation["nodes"]
        where = " | ".join(node["html"][:120] for node in nodes[:3])
        by_impact.setdefault(violation["impact"], []).append(
            f"{violation['id']} ×{len(nodes)}: {where}"
        )
    counts = {impact: len(rules) for impact, rules in by_impact.items()}
    print(f"axe {page.url} lang={page.evaluate('document.documentElement.lang')}: {counts}")
    for rules in by_impact.values():
        print("  " + "\n  ".join(rules))
    return by_impact


def blocking(found: dict[str, list[str]]) -> list[str]:
    return [rule for impact in BLOCKING for rule in found.get(impact, [])]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", PAGES)
def test_every_page_passes_axe_in_its_language(
    page: Any, app_url: str, key: str, language: str
) -> None:
    open_in(page, app_url, language, "page_write")
    title = TEXT[key][language]
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    found = audit(page)
    lang = page.evaluate("document.documentElement.lang")
    assert lang == language, f'<html lang="{lang}"> on a page in {language}'
    assert not blocking(found), found


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_login_page_passes_axe_in_its_language(page: Any, auth_url: str, language: str) -> None:
    open_in(page, auth_url, language, "login_title")
    found = audit(page)
    assert page.evaluate("document.documentElement.lang") == language
    assert not blocking(found), found


def focused(page: Any) -> dict[str, str]:
    """What has the keyboard focus: its tag, role, test id and accessible text."""
    return dict(
        page.evaluate(
            """() => { const e = document.activeElement;
            const testid = e.closest('[data-testid]')?.getAttribute('data-testid') || '';
            return {tag: e.tagName, role: e.getAttribute('role') || '', testid,
                    name: (e.getAttribute('aria-label') || e.innerText || '').trim().slice(0, 80)};
            }"""
        )
    )


def focus_is_visible(page: Any) -> bool:
    """Whether the focused element looks different when it loses the focus: the pixels around
    it with the focus and without it (then the focus goes back, for the next Tab)."""
    element = page.evaluate_handle("document.activeElement")
    box = element.bounding_box()
    if box is None:
        return False
    margin = 6  # Streamlit's focus ring is a box shadow outside the element
    clip = {
        "x": max(box["x"] - margin, 0),
        "y": max(box["y"] - margin, 0),
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    with_focus = Image.open(io.BytesIO(page.screenshot(clip=clip, animations="disabled")))
    element.evaluate("e => e.blur()")
    page.wait_for_timeout(200)  # transitions
    without = Image.open(io.BytesIO(page.screenshot(clip=clip, animations="disabled")))
    element.evaluate("e => e.focus()")
    page.wait_for_timeout(200)
    changed = ImageChops.difference(with_focus.convert("RGB"), without.convert("RGB")).getbbox()
    if changed is None:
        return False
    # An indicator goes round the element (a ring, a border): a blinking caret or a tooltip
    # changes a small part of it only.
    left, top, right, bottom = changed
    return right - left >= 0.8 * box["width"] and bottom - top >= 0.8 * box["height"]


def tab_until(page: Any, wanted: Any, limit: int = 40) -> list[dict[str, str]]:
    """Press Tab until wanted(stop) holds; every stop on the way, each checked for a visible
    focus."""
    stops: list[dict[str, str]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = focused(page)
        stops.append(stop)
        assert focus_is_visible(page), f"no visible focus on {stop}; stops so far: {stops}"
        if wanted(stop):
            return stops
    raise AssertionError(f"not reached in {limit} Tab presses: {stops}")


def test_the_write_page_by_keyboard_alone(page: Any, app_url: str) -> None:
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 2000})  # no scrolling
    open_in(page, app_url, "de", "page_write")
    settle(page)
    stops = tab_until(page, lambda s: s["name"] == "Nachricht erstellen")
    assert {"Thema", "Zielgruppe", "Kanal", "Sprache der Nachricht"} <= {s["name"] for s in stops}
    page.keyboard.press("Enter")
    page.get_by_text("Aus der Botschaftskarte zusammengesetzt").wait_for()
    settle(page)
    stops = tab_until(page, lambda s: s["tag"] == "TEXTAREA" and s["name"] == "Text bearbeiten")
    assert any(s["testid"].startswith("stCode") for s in stops), stops  # the message's text
    page.keyboard.press("End")
    page.keyboard.type(" Bis bald!")
    tab_until(page, lambda s: s["name"] == "Erneut prüfen", limit=3)
    page.keyboard.press("Enter")
    page.get_by_text("Bis bald!").first.wait_for()  # the edited text, checked again
    found = audit(page)  # the page with a result
    assert not blocking(found), found
