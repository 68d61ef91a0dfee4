"""The gate end to end, on a slice of the labelled set (tests/fixtures/gate, docs/gate.md): each
version played by the OpenAI-compatible stand-in through the real HTTP client, judged with the
real embedder, the shipped maps and a real Chroma store. Every one-defect version is refused,
for its changed sentence where the defect is a sentence; every good version of the slice is
kept. The whole set runs in `python -m bench.gate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.gate import load_set, load_set_facts, run_set
from bench.standin import StandIn
from core.settings import load_settings
from knowledge.retrieval.store import Store

SLICE = ("measles-sms-de", "flu-poster-de", "hpv-social-tr", "rsv-social-de", "covid-sms-en")
SENTENCE_LEVEL = frozenset({"truncated"})  # a cut-off text is refused as a whole


@pytest.fixture(scope="module")
def outcomes(real_store_dir: Path, real_embedder: object) -> list:  # type: ignore[type-arg]
    gates = [g for g in load_set() if g.name in SLICE]
    assert {g.name for g in gates} == set(SLICE)
    with StandIn() as server:
        settings = load_settings(data_dir=real_store_dir, llm_mode="openai", llm_url=server.url,
                                 repair_tries=0)  # fmt: skip
        store = Store(settings, real_embedder)  # type: ignore[arg-type]
        found, _ = run_set(gates, load_set_facts(), settings, store, server)
    return found


def test_every_defect_of_the_slice_is_refused_for_its_sentence(outcomes: list) -> None:  # type: ignore[type-arg]
    defects = [o for o in outcomes if o.label == "defect"]
    assert len(defects) >= 20
    kept = [o.id for o in defects if o.kept]
    assert kept == []
    unnamed = [o.id for o in defects if o.defect not in SENTENCE_LEVEL and not o.names_changed]
    assert unnamed == []


def test_every_good_version_of_the_slice_is_kept(outcomes: list) -> None:  # type: ignore[type-arg]
    goods = [o for o in outcomes if o.label == "good"]
    assert len(goods) >= 8
    refused = [(o.id, o.refused_by, [s["text"] for s in o.sentences]) for o in goods if not o.kept]
    assert refused == []
