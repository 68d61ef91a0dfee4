"""The pretest section in Chromium (issue 29): the result of a pretest with 40 simulated
LimeSurvey respondents in words, tables and both charts, axe on the page with it, the winner
adopted with one click; docs/screenshots/pretest.png."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from comms.packs.campaign import Cell
from comms.packs.review import edit_text
from comms.pretest.store import PretestStore
from comms.pretest.versions import Choice
from comms.pretest.workflow import create_pretest, import_answers
from tests.test_browser import browser as browser  # a fixture, used through `page`
from tests.test_browser import page as page  # a fixture: one browser tab
from tests.test_browser import pytestmark as pytestmark  # e2e, browser, Chromium present
from tests.test_browser import screenshot, serve
from tests.test_browser_a11y import audit, blocking, settle
from tests.test_pretest_adoption import limesurvey_answers

SMS = Cell("older-adults", "sms", "de", 2)


@pytest.fixture
def pretest_url(real_store_dir: Path, real_embedder: Any, tmp_path: Path) -> Iterator[str]:
    """A server over a German SMS in two variants and a pretest of them with 40 answers."""
    from core.settings import load_settings
    from knowledge.retrieval.store import Store
    from tests.pack_helpers import generated, pack_settings, small_campaign

    data = tmp_path / "data"
    shutil.copytree(real_store_dir, data)
    settings = pack_settings(load_settings(data_dir=data))
    campaign = small_campaign(
        audiences=["older-adults"], channels=["sms"], languages=["de"], variants=2
    )
    packs, _ = generated(settings, Store(settings, real_embedder), campaign)
    text = (
        "Grippe kann Sie im Winter schwer treffen. Die STIKO empfiehlt die Impfung ab 60 jedes "
        "Jahr. Wann: 02.11.–27.11.2026 · Termin: https://impfen.example.org"
    )
    edit_text(packs, campaign.id, SMS, text, user="Anna", revision=None)
    pretests = PretestStore(settings)
    made = create_pretest(
        packs, pretests, campaign.id, "older-adults", "sms", ["de"], [Choice(1), Choice(2)],
        user="Anna",
    )  # fmt: skip
    answers = limesurvey_answers(made, 40, {"B": 0.8})
    import_answers(pretests, made.id, answers, "results-survey.csv", user="Anna")
    with serve(data) as url:
        yield url


def test_the_pretest_result_reads_in_the_browser_and_the_winner_is_adopted(
    page: Any, pretest_url: str
) -> None:
    """German here; the English page's words are tested under AppTest (test_pretest_page)."""
    page.goto(pretest_url)
    page.get_by_role("heading", name="Nachricht schreiben", exact=True).wait_for()
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name="Nachrichtenpakete").click()
    heading = page.get_by_role("heading", name="Vortest mit Lesenden", exact=True)
    heading.wait_for()
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("Fassung B wurde besser bewertet", exact=False).wait_for()
    charts = main.locator('[data-testid="stVegaLiteChart"]')
    charts.nth(1).wait_for()
    assert charts.count() == 2
    found = audit(page)  # waits until the page has settled
    assert not blocking(found), found
    result = main.get_by_role("heading", name="Ergebnis", exact=True)
    result.evaluate("e => e.scrollIntoView({block: 'start'})")
    screenshot(page, "pretest.png", height=1500)
    settle(page)  # the resized page has laid itself out again before the click
    main.get_by_role("button", name="Fassung B ins Paket übernehmen und freigeben").click()
    main.get_by_text("Fassung B übernommen", exact=False).wait_for()
