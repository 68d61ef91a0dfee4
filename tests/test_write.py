"""The gate: staff get the composed message unless the model's version passes every error-level
check and keeps the key messages (fake store and scripted chat model; the CLI in-process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import comms.model.backends
import knowledge
from bench.rig import FACTS
from comms.cli.main import main
from comms.drafting.draft import Request
from comms.drafting.write import (
    adapt_message,
    compose_message,
    prefer_authority,
    should_ask,
    write_message,
)
from core.settings import Settings, load_settings
from knowledge.retrieval.search import Passage
from knowledge.retrieval.store import Store
from tests.conftest import ScriptedChat

SAFETY = Request("measles", "parents-infants", "letter", "de")
NONSENSE_TEXT = "text_message_here_is_the_text_here_is_the_text"
NONSENSE = {"citations": [1], "text": NONSENSE_TEXT}


def answers(settings: Settings, answer: str | dict[str, Any]) -> ScriptedChat:
    """The same answer for the first try and every repair round."""
    return ScriptedChat([answer] * (settings.repair_tries + 1))


@pytest.mark.parametrize(
    ("mode", "ask_model", "concern_id"),
    [
        ("always", False, "safety"),
        ("on-request", None, "safety"),
        ("never", None, None),
        ("never", True, "cost"),  # asked, but without a chat model
    ],
)
def test_without_the_model_staff_get_the_composed_message(
    tmp_path: Path,
    fake_store: Store,
    mode: str,
    ask_model: bool | None,
    concern_id: str | None,
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", ask_model=mode)
    chat = ScriptedChat([])
    message = write_message(SAFETY, settings=settings, store=fake_store, facts=FACTS,
                            chat=None if ask_model else chat, ask_model=ask_model,
                            concern_id=concern_id)  # fmt: skip
    assert message.version == "composed" and chat.calls == []
    assert message.map is not None and message.map.id == "measles"
    # three key messages; for cost, "we tell you the cost" gives way to the sheet's cost
    assert len(message.map.key_messages) == (2 if concern_id == "cost" else 3)
    assert all(k.text in message.text for k in message.map.key_messages)
    assert message.concern_matched == concern_id
    assert message.model.backend == "composer" and message.rejected_model_version is None
    assert message.checks.ok and message.composed_text == message.text


def test_a_nonsense_answer_is_rejected_and_the_composed_message_kept(
    settings: Settings, fake_store: Store
) -> None:
    floor = compose_message(SAFETY, settings=settings, store=fake_store, facts=FACTS,
                            concern_id="safety")  # fmt: skip
    chat = answers(settings, NONSENSE)
    message = adapt_message(floor, settings=settings, chat=chat, store=fake_store, facts=FACTS)
    assert message.version == "composed" and message.text == floor.message.text
    rejected = message.rejected_model_version
    assert rejected is not None and rejected.text == message.model_text
    assert rejected.text.startswith(NONSENSE_TEXT)
    items = [reason["item"] for reason in rejected.reasons]
    assert "fidelity" in items and {"well_formed", "real_words"} & set(items)
    assert not message.model_checks.ok and message.model_checks.score <= 40
    assert len(chat.calls) == settings.repair_tries + 1


def reworded(text: str) -> str:
    """The composed letter, reworded lightly: what a faithful model's version looks like."""
    edits = {
        "Liebe Eltern,": "Sehr geehrte Eltern,",
        "ist gut erprobt und wird seit Jahrzehnten gegeben.": "wird seit Jahrzehnten gegeben und ist gut erprobt.",
        "beantwortet gern Ihre Fragen.": "beantwortet Ihre Fragen gern.",
    }  # fmt: skip
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


# The composed safety letter written again in other words, as a faithful model would: every
# sentence's wording and order changed, the numbers, the fact lines and the meaning kept.
REWORDED = """Sehr geehrte Eltern,

seit Jahrzehnten wird die MMR-Impfung gegeben, und sie ist gründlich geprüft.
Viele Eltern möchten wissen, ob die Masernimpfung für ihr Kind sicher ist. Wir nehmen diese Frage ernst.
Ernste Nebenwirkungen nach der Impfung kommen selten vor.

Zwei Impfungen schützen etwa 97 von 100 Menschen.
Schon nach einer Impfung sind etwa 93 von 100 geschützt, nach der zweiten etwa 97 von 100.

Haben Sie Fragen? Ihre Kinderärztin oder Ihr Kinderarzt hilft Ihnen gern weiter.

Wann: 2.–27. November 2026, Mo–Fr 9–12 Uhr
Wo: Gesundheitsamt Musterstadt, Hauptstraße 5
Kosten: kostenlos / free
Termin vereinbaren: 0123 456789 · example.org/impfen

Mit freundlichen Grüßen
Ihr Gesundheitsamt"""


@pytest.mark.e2e
def test_a_faithful_version_in_other_words_is_what_staff_get(
    real_store_dir: Path, real_embedder: Any
) -> None:
    settings = load_settings(data_dir=real_store_dir)
    store = Store(settings, real_embedder)  # meaning is judged by the real sentence embedder
    floor = compose_message(SAFETY, settings=settings, store=store, facts=FACTS,
                            concern_id="safety")  # fmt: skip
    assert "gut erprobt" in floor.message.text and "gut erprobt" not in REWORDED
    chat = answers(settings, {"citations": [1], "text": REWORDED})
    message = adapt_message(floor, settings=settings, chat=chat, store=store, facts=FACTS)
    rejected = message.rejected_model_version
    assert message.version == "model", rejected.reasons if rejected else None
    assert message.text == message.model_text and message.text.startswith(REWORDED)
    assert message.checks.ok
    assert message.checks.item("fidelity").passed and message.checks.item("supported").passed
    cited = {c.chunk_id for c in message.citations}
    assert {c.chunk_id for c in floor.message.citations} <= cited
    assert message.composed_text == floor.message.text and message.concern_matched == "safety"
    assert message.map == floor.message.map and len(chat.calls) == 1


@pytest.mark.e2e
def test_the_same_words_saying_the_opposite_are_refused(
    real_store_dir: Path, real_embedder: Any
) -> None:
    settings = load_settings(data_dir=real_store_dir)
    store = Store(settings, real_embedder)
    floor = compose_message(SAFETY, settings=settings, store=store, facts=FACTS,
                            concern_id="safety")  # fmt: skip
    wrong = REWORDED.replace("kommen selten vor", "kommen häufig vor")  # one defect
    chat = answers(settings, {"citations": [1], "text": wrong})
    message = adapt_message(floor, settings=settings, chat=chat, store=store, facts=FACTS)
    assert message.version == "composed" and message.text == floor.message.text
    rejected = message.rejected_model_version
    assert rejected is not None and [r["item"] for r in rejected.reasons] == ["supported"]
    assert "kommen häufig vor" in rejected.reasons[0]["reason"]


def test_a_faithful_version_that_keeps_the_fact_lines_gets_no_second_fact_line(
    settings: Settings, fake_store: Store
) -> None:
    floor = compose_message(SAFETY, settings=settings, store=fake_store, facts=FACTS,
                            concern_id="safety")  # fmt: skip
    text = reworded(floor.message.text)
    chat = answers(settings, {"citations": [1], "text": text})
    message = adapt_message(floor, settings=settings, chat=chat, store=fake_store, facts=FACTS)
    assert (message.fact_line, message.text) == ("", text)


def test_an_answer_that_cannot_be_parsed_twice_keeps_the_composed_message(
    settings: Settings, fake_store: Store
) -> None:
    floor = compose_message(SAFETY, settings=settings, store=fake_store, facts=FACTS)
    chat = ScriptedChat(["no json", "no json either"])
    message = adapt_message(floor, settings=settings, chat=chat, store=fake_store, facts=FACTS)
    assert message.version == "composed" and message.text == floor.message.text
    rejected = message.rejected_model_version
    assert rejected is not None and rejected.text == ""
    assert [r["item"] for r in rejected.reasons] == ["model"]
    assert "not valid JSON" in rejected.reasons[0]["reason"] and len(chat.calls) == 2


@pytest.mark.parametrize(
    ("mode", "requested", "asks"),
    [
        ("always", False, True),
        ("always", True, True),
        ("on-request", False, False),
        ("on-request", True, True),
        ("never", False, False),
        ("never", True, False),
    ],
)
def test_should_ask(tmp_path: Path, mode: str, requested: bool, asks: bool) -> None:
    assert should_ask(load_settings(data_dir=tmp_path, ask_model=mode), requested) is asks


def passage(source_id: str, kind: str) -> Passage:
    return Passage(chunk_id=f"{source_id}#0", source_id=source_id, title=source_id, url="",
                   date="2024-01-01", language=source_id[-2:], kind=kind, section="",
                   text="…", score=0.5)  # fmt: skip


STIKO = ("rec-measles-stiko-de", "vaccine-measles-rki-de")
CDC_REC = passage("rec-measles-cdc-en", "recommendation")
CDC_SAFETY = passage("vaccine-measles-mmr-safety-cdc-en", "vaccine")
STIKO_REC = passage("rec-measles-stiko-de", "recommendation")
RKI = passage("vaccine-measles-rki-de", "vaccine")


@pytest.mark.parametrize(
    ("passages", "kept"),
    [
        ([CDC_REC, CDC_SAFETY, STIKO_REC], [STIKO_REC, CDC_SAFETY]),
        ([CDC_REC, RKI, STIKO_REC], [RKI, STIKO_REC]),
        ([CDC_REC, RKI], [RKI, CDC_REC]),  # no STIKO recommendation: the CDC's stays
        ([CDC_SAFETY, CDC_REC], [CDC_SAFETY, CDC_REC]),
    ],
)
def test_prefer_authority(passages: list[Passage], kept: list[Passage]) -> None:
    assert prefer_authority(passages, STIKO) == kept


def test_the_cli_writes_the_composed_message_without_building_the_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_store: Store
) -> None:
    monkeypatch.setenv("CLARION_MODEL_PATH", "/nonexistent/model.gguf")
    monkeypatch.setattr(knowledge, "open_store", lambda settings: fake_store)
    built: list[Settings] = []

    def build_chat_model(settings: Settings) -> None:
        built.append(settings)
        raise AssertionError("the chat model must not be built without --ask-model")

    monkeypatch.setattr(comms.model.backends, "build_chat_model", build_chat_model)
    code = main(["generate", "--topic", "measles", "--audience", "parents-infants",
                 "--channel", "sms", "--language", "de", "--concern-id", "safety", "--json"])  # fmt: skip
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert (code, err, built) == (0, "", [])
    assert payload["version"] == "composed" and payload["rejected_model_version"] is None
    assert payload["map"]["id"] == "measles" and payload["concern_matched"] == "safety"
    assert [k["id"] for k in payload["map"]["key_messages"]] == ["safe-well-tested"]
    assert payload["model"]["backend"] == "composer" and payload["citations"]


def test_the_cli_with_ask_model_fails_on_the_missing_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLARION_MODEL_PATH", "/nonexistent/model.gguf")
    code = main(["generate", "--topic", "measles", "--audience", "parents-infants",
                 "--channel", "sms", "--language", "de", "--ask-model", "--json"])  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, out) == (2, "") and "/nonexistent/model.gguf" in err
