"""The answer table (tests/fixtures/concerns.yaml): every map × audience × typical concern gives
key messages a reviewer accepts; the concern is the audience's first, then the staff's words."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

import comms.model.backends
import knowledge
from bench.answer_table import TABLE, Cell, key_set, load_table
from comms.cli.main import main
from comms.maps.library import load_map, shipped_map_ids
from comms.maps.matching import match_concern
from core.catalog import load_catalog
from core.settings import Settings
from knowledge.retrieval.store import Store

CELLS = load_table()


def test_the_table_covers_every_map_and_audience() -> None:
    data = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    audiences = {a.id for a in load_catalog().audiences}
    assert set(data["expected"]) == set(shipped_map_ids())
    assert all(set(rows) == audiences for rows in data["expected"].values())
    assert all(len(data["phrases"][a]) == 5 for a in audiences)
    for cell in CELLS:
        known = {c.id for c in load_map(cell.map_id).map.concerns} | {"key_messages"}
        assert set(cell.accepted) <= known, cell


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: f"{c.map_id}-{c.audience}-{c.words}")
def test_every_cell_gets_key_messages_a_reviewer_accepts(real_embedder: Any, cell: Cell) -> None:
    found, reason = key_set(cell, real_embedder.embed)
    assert found in cell.accepted, reason


BOOSTER_FATIGUE = ("booster fatigue", "covid19", "en")


def test_staff_are_not_told_that_basic_protection_is_enough() -> None:
    """The issue's case: health workers' "booster fatigue" named the older adults' and the
    healthy under-60s' concerns by the keyword "booster"; the health workers' concern answers."""
    words, map_id, language = BOOSTER_FATIGUE
    found = match_concern(words, load_map(map_id), language, None, "health-workers")
    assert (found.concern_id, found.how) == ("health-workers", "audience")
    assert found.passed_over == ("older-and-at-risk", "healthy-adults")
    assert found.reason == (
        "the words point to 'older-and-at-risk', 'healthy-adults', written for other audiences; "
        "'health-workers' answer health-workers instead"
    )
    # without an audience the keyword decides: the "basic protection is enough"
    assert match_concern(words, load_map(map_id), language).concern_id == "healthy-adults"


@pytest.mark.parametrize(
    ("words", "map_id", "audience", "concern_id", "how", "reason"),
    [
        ("Was kostet das?", "flu", "health-workers", "cost", "keywords",
         "the words 'kostet' are keywords of 'cost'"),
        ("Was kostet das?", "flu", "older-adults", "cost", "keywords",
         "the words 'kostet' are keywords of 'cost', one of older-adults's concerns"),
        ("", "flu", "pregnant", None, "none",
         "no concern given, or none the words name: 'pregnancy', the overview for pregnant, answer"),
        ("", "shingles", "older-adults", None, "none",
         "no concern given, or none the words name: the general key messages answer"),
        ("Nebenwirkungen", "measles", "pregnant", "pregnancy", "audience",
         "the words point to 'side-effects', written for other audiences; 'pregnancy' answer "
         "pregnant instead"),
        ("Schweißen bei der Arbeit", "pneumococcal", "health-workers", None, "audience",
         "the words point to 'welding', written for other audiences; the general key messages "
         "answer health-workers instead"),
        # a hesitant or limited-German reader may be anyone: the pregnancy concern is theirs too
        ("Ich bin schwanger", "measles", "hesitant", "pregnancy", "keywords",
         "the words 'schwanger' are keywords of 'pregnancy'"),
    ],
)  # fmt: skip
def test_the_match_says_why(
    words: str, map_id: str, audience: str, concern_id: str | None, how: str, reason: str
) -> None:
    found = match_concern(words, load_map(map_id), "de", None, audience)
    assert (found.concern_id, found.how, found.reason) == (concern_id, how, reason)


def test_one_word_hit_by_two_keywords_counts_once() -> None:
    """A word that starts with two keywords of one concern ("Schwangerschaftswoche":
    "schwanger", "schwangerschaft", the pregnant overview) counts once, against the timing
    concern's one: the specific concern wins the tie."""
    found = match_concern("In welcher Schwangerschaftswoche?", load_map("pertussis"), "de",
                          None, "pregnant")  # fmt: skip
    assert found.concern_id == "timing"


def test_generate_json_says_which_concern_and_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_store: Store
) -> None:
    monkeypatch.setattr(knowledge, "open_store", lambda settings: fake_store)

    def build_chat_model(settings: Settings) -> None:
        raise AssertionError("the composed message needs no model")

    monkeypatch.setattr(comms.model.backends, "build_chat_model", build_chat_model)
    words, map_id, language = BOOSTER_FATIGUE
    code = main(["generate", "--topic", map_id, "--audience", "health-workers", "--channel",
                 "email", "--language", language, "--concern", words, "--json"])  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["concern_matched"] == "health-workers"
    assert payload["map"]["key_set"] == "health-workers"
    assert "written for other audiences" in payload["concern_reason"]
    assert "healthy and under 60" not in payload["text"]
