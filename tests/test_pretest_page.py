"""The Packs page's pretest section under AppTest (issue 29), in German and English: create a
pretest from the pack, get its files, read the result in words, tables and charts, and adopt
the winner in one step."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from comms.packs.campaign import Cell
from comms.packs.review import edit_text
from comms.packs.store import PackStore
from comms.pretest.store import PretestStore
from comms.pretest.versions import Choice
from comms.pretest.workflow import create_pretest, import_answers
from core.settings import Settings
from knowledge.retrieval.store import Store
from tests.conftest import ROOT
from tests.pack_helpers import generated, pack_settings, small_campaign
from tests.test_pretest_adoption import limesurvey_answers
from ui import resources

SMS = ("older-adults", "sms")


@pytest.fixture
def packs(settings: Settings, fake_store: Store) -> PackStore:
    campaign = small_campaign(variants=2)
    store, _ = generated(pack_settings(settings), fake_store, campaign)
    edit_text(store, campaign.id, Cell(*SMS, "de", 2), "Jetzt impfen.", user="Ann", revision=None)
    return store


def open_page(fake_store: Store, monkeypatch: pytest.MonkeyPatch, ui: str) -> AppTest:
    monkeypatch.setattr(resources, "store", lambda: fake_store)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["ui_language"] = ui
    at.run()
    at.switch_page("pages/packs.py").run()
    assert not at.exception, at.exception
    return at


def test_a_pretest_is_created_on_the_page_with_its_survey_files(  # type: ignore[no-untyped-def]
    packs, fake_store, settings: Settings, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    at = open_page(fake_store, monkeypatch, "de")
    assert at.info[-1].value == "Diese Kampagne hat noch keinen Vortest."
    assert at.multiselect(key="pt_versions").value == [Choice(1), Choice(2)]
    assert "etwa 34 Befragte" in " ".join(c.value for c in at.caption)  # dz 0.5, 2 versions
    at.selectbox(key="pt_hoped").set_value("groß (dz = 0,8)").run()
    assert "etwa 15 Befragte" in " ".join(c.value for c in at.caption)
    at.button(key="pt_create").click().run()
    assert not at.exception, at.exception
    assert "Vortest flu-test-older-adults-sms-1 angelegt, mit 2 Reihenfolgen." in [
        s.value for s in at.success
    ]
    (stored,) = PretestStore(settings).of_campaign("flu-test")
    assert (stored.id, stored.hoped_dz) == ("flu-test-older-adults-sms-1", 0.8)
    names = [b.proto.label for b in at.get("download_button")]
    assert "pretest-flu-test-older-adults-sms-1-limesurvey.txt" in names
    assert "pretest-flu-test-older-adults-sms-1-questionnaire-de.docx" in names
    assert "pretest-flu-test-older-adults-sms-1-questionnaire-de.pdf" in names
    assert at.info[-1].value == "Noch keine Antworten eingelesen."


@pytest.mark.parametrize(
    ("ui", "sentence", "adopted"),
    [
        ("de", "Fassung B wurde besser bewertet", "Fassung B übernommen"),
        ("en", "Version B was rated higher", "Version B adopted"),
    ],
)
def test_the_result_reads_in_words_and_charts_and_the_winner_is_adopted(  # type: ignore[no-untyped-def]
    packs,
    fake_store,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fresh_settings: None,
    ui: str,
    sentence: str,
    adopted: str,
) -> None:
    pretests = PretestStore(settings)
    made = create_pretest(
        packs, pretests, "flu-test", *SMS, ["de"], [Choice(1), Choice(2)], user="Ann"
    )
    data = limesurvey_answers(made, 40, {"B": 0.8})
    import_answers(pretests, made.id, data, "antworten.csv", user="Ann")
    at = open_page(fake_store, monkeypatch, ui)
    assert any(sentence in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert len(at.get("vega_lite_chart")) == 2
    assert len(at.dataframe) >= 2
    at.button(key="pt_adopt").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith(adopted) for s in at.success)
    message = packs.message("flu-test", Cell(*SMS, "de", 2))
    assert message is not None and message.status == "approved"
