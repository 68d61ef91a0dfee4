"""The Streamlit app under AppTest: the message page with the real default model."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, real_store_dir: Path) -> AppTest:
    monkeypatch.setenv("CLARION_DATA_DIR", str(real_store_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    return at.run()


def test_page_starts_in_german_with_the_active_model(app: AppTest) -> None:
    assert not app.exception
    assert app.title[0].value == "Nachricht schreiben"
    sidebar = " ".join(c.value for c in app.sidebar.caption)
    assert ".gguf" in sidebar and "Chroma" in sidebar


def test_language_switch_to_english(app: AppTest) -> None:
    app.sidebar.segmented_control[0].set_value("en").run()
    assert app.title[0].value == "Write a message"
    assert app.selectbox(key="audience").format_func("hesitant") == "Hesitant people"


@pytest.mark.e2e
def test_generate_a_message_with_the_real_model(app: AppTest) -> None:
    app.selectbox(key="topic").set_value("rsv")
    app.selectbox(key="audience").set_value("older-adults")
    app.selectbox(key="channel").set_value("sms")
    app.selectbox(key="language").set_value("de")
    app.text_area(key="concern").input("Ist die Impfung für mich kostenlos?")
    app.button[0].click().run()
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    assert app.code and len(app.code[0].value) >= 20
    cited = [m.value for m in app.markdown if m.value.startswith("**[")]
    assert cited and "https://" in cited[0]


def test_leichte_sprache_is_flagged_for_a_test_reader(app: AppTest) -> None:
    from comms.message import Message, ModelRef

    message = Message(
        text="Impfen schützt.",
        topic="flu",
        audience="hesitant",
        channel="sms",
        language="de-leicht",
        citations=[],
        evidence=[],
        model=ModelRef(backend="fake", model_id="x"),
        template_id="draft_message",
        template_version="abc",
        seed=1,
    )
    app.session_state["last_message"] = message
    app.run()
    assert any("Prüfgruppe" in w.value for w in app.warning)
