"""Drafting a concern from the evidence: the model's answer becomes labelled YAML of a concern."""

from __future__ import annotations

import pytest
import yaml

from comms.maps.proposal import LABEL, draft_concern, skeleton
from comms.maps.schema import Concern
from core.errors import InputError
from core.settings import Settings
from knowledge.retrieval.store import Store
from tests.conftest import ScriptedChat


def answer(source: str) -> dict[str, object]:
    fact = {"source": source, "de": "Die Impfung ist kostenlos.", "en": "The vaccine is free."}
    key = {"de": "Die Impfung kostet nichts.", "en": "The vaccine costs nothing.", "facts": [fact]}
    return {"key_messages": [key, key, key]}


def test_a_drafted_concern_cites_retrieved_sources_and_is_labelled(
    settings: Settings, fake_store: Store
) -> None:
    probe = ScriptedChat([answer("no-such-source")])
    refused = draft_concern("Kostet die Masernimpfung etwas?", "measles", chat=probe,
                            store=fake_store, settings=settings)  # fmt: skip
    assert "cited sources it was not given (no-such-source)" in refused
    offered = probe.calls[0]["schema"]["properties"]["key_messages"]["items"]["properties"]
    source = offered["facts"]["items"]["properties"]["source"]["enum"][0]
    user = probe.calls[0]["messages"][1]["content"]
    assert f"[{source}]" in user and "Kostet die Masernimpfung etwas?" in user

    text = draft_concern("Kostet die Masernimpfung etwas?", "measles",
                         chat=ScriptedChat([answer(source)]), store=fake_store,
                         settings=settings)  # fmt: skip
    assert text.startswith(LABEL + "\n")
    [raw] = yaml.safe_load(text)
    raw["kind"] = "cost"  # the editor corrects the kind; the rest has the map's shape
    concern = Concern.model_validate(raw)
    assert concern.id == "kostet-die-masernimpfung-etwas"
    assert [k.id for k in concern.key_messages] == [f"{concern.id}-{n}" for n in (1, 2, 3)]
    assert concern.key_messages[0].facts[0].source == source


def test_an_unreadable_answer_gives_the_skeleton_with_the_question(
    settings: Settings, fake_store: Store
) -> None:
    text = draft_concern("Ist das sicher?", "measles", chat=ScriptedChat(["{broken"]),
                         store=fake_store, settings=settings)  # fmt: skip
    assert text.startswith(LABEL) and "could not be read" in text
    [raw] = yaml.safe_load(text)
    assert raw["question"] == {"de": "Ist das sicher?", "en": "Ist das sicher?"}
    assert len(raw["key_messages"]) == 3


def test_an_empty_question_is_refused(settings: Settings, fake_store: Store) -> None:
    with pytest.raises(InputError, match="Type the concern's question"):
        draft_concern("  ", "measles", chat=ScriptedChat([]), store=fake_store, settings=settings)


def test_the_skeleton_alone_is_yaml_of_one_concern() -> None:
    [raw] = yaml.safe_load(skeleton("Wann impfen?"))
    assert raw["id"] == "wann-impfen" and raw["kind"] == "other"
