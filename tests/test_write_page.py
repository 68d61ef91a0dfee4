"""The write page under AppTest with fakes: the composed message first, the model only when
asked, its version shown as not used when it fails, and the switch between the two."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from comms.accounts.auth import add_user
from core.settings import Settings, load_settings
from knowledge.history.pins import cell_owner, fact_owner
from knowledge.retrieval.store import Store
from tests.conftest import ROOT, ScriptedChat
from tests.evidence_helpers import change_evidence
from ui import resources

NONSENSE = {"text": "Blorf snarg wibble quux zonk plimf. Frabble dorn wex.", "citations": [1]}


def page(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    store: Store,
    chat: ScriptedChat,
    **over: Any,
) -> AppTest:
    """The app on the write page, with these settings, the fake store and the scripted model."""
    current = load_settings(data_dir=settings.data_dir, repair_tries=0, **over)
    built: list[ScriptedChat] = []

    def chat_model() -> ScriptedChat:
        built.append(chat)
        return chat

    monkeypatch.setattr(resources, "settings", lambda: current)
    monkeypatch.setattr(resources, "store", lambda: store)
    monkeypatch.setattr(resources, "chat_model", chat_model)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.session_state["chat_built"] = built  # the test reads whether the page built the model
    assert not at.exception, at.exception
    return at


def write(at: AppTest, concern: str = "Ist die Impfung in der Schwangerschaft sicher?") -> AppTest:
    at.selectbox(key="topic").set_value("flu")
    at.selectbox(key="audience").set_value("older-adults")
    at.selectbox(key="channel").set_value("sms")
    at.selectbox(key="language").set_value("de")
    at.text_area(key="concern").input(concern)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def shown(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_the_composed_message_shows_first_and_the_model_is_not_built(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    chat = ScriptedChat([])
    at = write(page(monkeypatch, settings, fake_store, chat))
    message = at.session_state["write_message"]
    assert message.version == "composed"
    assert at.code[0].value == message.text == message.composed_text
    assert "Aus der Botschaftskarte zusammengesetzt" in shown(at)
    assert at.header[0].value == "Nachricht"
    assert at.subheader[0].value == "Gewählt: die zusammengesetzte Fassung"
    assert message.map is not None
    if message.concern_matched:
        assert f"Beantwortetes Anliegen: {message.concern_matched}" in shown(at).replace("\\", "")
    else:
        assert "die allgemeinen Kernbotschaften" in shown(at)
    assert message.map.id in " ".join(c.value for c in at.caption).replace("\\", "")
    for key in message.map.key_messages:
        assert key.id in shown(at).replace("\\", "")
    assert at.button(key="write_ask").label == "Modell-Fassung anfordern"
    assert chat.calls == [] and at.session_state["chat_built"] == []
    with pytest.raises(KeyError):
        at.radio(key="write_version")  # one version only, nothing to switch


def test_a_nonsense_model_version_is_not_used_and_staff_can_switch_to_it(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    chat = ScriptedChat([NONSENSE])
    at = write(page(monkeypatch, settings, fake_store, chat, ask_model="always"))
    assert len(chat.calls) == 1, "with ask_model=always the model is asked at once"
    message = at.session_state["write_message"]
    assert message.version == "composed" and message.rejected_model_version is not None
    assert message.model_text.startswith("Blorf")
    assert at.code[0].value == message.composed_text, "the composed text stays chosen"
    headings = [s.value for s in at.subheader]
    assert "Fassung des Modells – nicht verwendet" in headings
    assert "Nicht verwendet, weil:" in shown(at)
    failed = [m.value for m in at.markdown if m.value.startswith("❌")]
    assert failed and any("Blorf" in m.value for m in at.markdown)
    with pytest.raises(KeyError):
        at.button(key="write_ask")  # asked already: no button
    radio = at.radio(key="write_version")
    assert radio.value == "composed" and radio.format_func("model") == "Modell"
    radio.set_value("model").run()
    assert not at.exception, at.exception
    assert at.code[0].value == message.model_text
    assert "Gewählt: die Fassung des Modells" in [s.value for s in at.subheader]
    assert any("nicht bestanden" in w.value for w in at.warning)
    assert "Zusammengesetzte Fassung" in [s.value for s in at.subheader]
    at.text_area(key="editor-model").input("Die Grippeimpfung schützt Sie. Rufen Sie uns an.")
    at.button(key="recheck-model").click().run()
    assert at.code[0].value == "Die Grippeimpfung schützt Sie. Rufen Sie uns an."
    at.radio(key="write_version").set_value("composed").run()
    assert at.code[0].value == message.composed_text, "each version keeps its own edits"
    assert len(chat.calls) == 1, "switching and checking again do not ask the model"


def test_a_cited_source_past_its_review_date_is_flagged_under_the_sources(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    import datetime as dt

    from core import clock
    from knowledge.history.reviews import overdue, set_review_date
    from ui.text import plain

    today = dt.date(2026, 12, 2)
    monkeypatch.setattr(clock, "today", lambda: today)
    at = write(page(monkeypatch, settings, fake_store, ScriptedChat([])))
    cited = [c.source_id for c in at.session_state["write_message"].citations]
    due = overdue(settings, fake_store, cited, today)
    assert due, "the shipped flu recommendations are past their review dates on this day"
    notices = [plain(o.notice("de")) for o in due.values()]
    assert [w.value for w in at.warning if w.icon == "📅"] == notices
    # escaped Markdown; which body's recommendation comes first follows the concern matched
    assert all(n.split(" vom ")[0].endswith("\\-Empfehlung") for n in notices), notices
    for source_id in due:  # checked: the next review is due in a year
        set_review_date(settings, fake_store, source_id, today.replace(year=2027), "Ann")
    at.run()
    assert [w.value for w in at.warning if w.icon == "📅"] == []


def test_on_request_the_model_is_asked_by_the_button(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    chat = ScriptedChat([NONSENSE])
    at = write(page(monkeypatch, settings, fake_store, chat))
    assert chat.calls == []
    at.button(key="write_ask").click().run()
    assert not at.exception, at.exception
    assert len(chat.calls) == 1 and len(at.session_state["chat_built"]) == 1
    assert at.session_state["write_message"].rejected_model_version is not None
    assert at.radio(key="write_version").value == "composed"


def test_never_shows_no_button(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    chat = ScriptedChat([])
    at = write(page(monkeypatch, settings, fake_store, chat, ask_model="never"))
    with pytest.raises(KeyError):
        at.button(key="write_ask")
    never = "Das Modell wird nicht gefragt (Einstellung CLARION_ASK_MODEL=never)."
    assert never in [c.value for c in at.caption]
    assert chat.calls == []


# The start page's "Updates": stored messages and map facts on changed evidence.
CELL_OWNER = cell_owner("flu-herbst", "older-adults", "sms", "de", 1)
FACT_OWNER = fact_owner("measles", "children-two-doses")


def signed_in(at: AppTest, name: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input("Impfen-2025!")
    next(b for b in at.button if b.label == "Anmelden").click().run()
    assert not at.exception, at.exception
    return at


def test_updates_list_what_cites_changed_evidence_with_links(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store, tmp_path: Path
) -> None:
    chat = ScriptedChat([])
    before = page(monkeypatch, settings, fake_store, chat)
    assert not [e for e in before.expander if e.label.startswith("Aktualisierungen")]
    change_evidence(fake_store, tmp_path / "in", [CELL_OWNER, FACT_OWNER])
    at = page(monkeypatch, settings, fake_store, chat)  # auth off: the local user is an admin
    assert at.expander[0].label == "Aktualisierungen (2)"  # above the form
    assert "1 gespeicherte Nachricht und 1 Kartenfakt beruhen auf geänderter Evidenz." in [
        c.value for c in at.caption
    ]
    lines = [x.value for x in at.text]
    assert "flu-herbst · Ältere Menschen · SMS · Deutsch: Evidenz geändert" in lines
    assert "measles/children-two-doses: Evidenz geändert" in lines
    assert [link.value for link in at.page_link] == ["Nachrichtenpakete", "Botschaftskarten"]


@pytest.mark.parametrize(
    ("user", "role", "shown"), [("rita", "reviewer", True), ("erika", "editor", False)]
)
def test_updates_show_for_reviewers_and_admins_only(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    fake_store: Store,
    tmp_path: Path,
    user: str,
    role: str,
    shown: bool,
) -> None:
    change_evidence(fake_store, tmp_path / "in", [CELL_OWNER])
    add_user(settings, user, role, "Impfen-2025!")  # type: ignore[arg-type]
    at = page(monkeypatch, settings, fake_store, ScriptedChat([]), auth_mode="local")
    at = signed_in(at, user)
    assert at.title[0].value == "Nachricht schreiben"
    labels = [e.label for e in at.expander]
    assert ("Aktualisierungen (1)" in labels) is shown
