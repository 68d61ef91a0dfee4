"""Hybrid retrieval: BM25, compounds, the German→English bridge, fusion and evaluation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.evaluation import Answer, Query, evaluate, load_queries
from knowledge.retrieval.glossary import embedding_text, expand_query
from knowledge.retrieval.lexical import LexicalIndex, split_compound
from knowledge.retrieval.search import Passage
from tests.conftest import ROOT

DOCS = [
    "Die Gürtelrose-Impfung wird ab 60 Jahren empfohlen.",
    "Masern sind sehr ansteckend. Die MMR-Impfung schützt.",
    "The flu vaccine is offered every autumn to people aged 65 and over.",
    "Nebenwirkungen der Impfungen sind meist mild.",
]


def test_bm25_ranks_the_document_with_the_query_terms_first() -> None:
    index = LexicalIndex(DOCS, ["de", "de", "en", "de"])
    assert index.top("Masern Impfung", k=2)[0][0] == 1
    assert index.top("flu vaccines for older people", k=1)[0][0] == 2
    assert index.top("nothing matches zzz", k=3) == []


def test_german_compounds_match_their_parts() -> None:
    index = LexicalIndex(DOCS, ["de", "de", "en", "de"])
    assert split_compound("gürtelroseimpfung", "de", index.vocabulary) == ["gurtelros", "impfung"]
    assert index.top("Gürtelroseimpfung", k=1)[0][0] == 0
    assert split_compound("gürtelroseimpfung", "en", index.vocabulary) == []


def test_filters_exclude_documents() -> None:
    import numpy as np

    index = LexicalIndex(DOCS, ["de", "de", "en", "de"])
    allowed = np.array([False, False, True, True])
    assert [doc for doc, _ in index.top("Impfung", k=4, allowed=allowed)] == [3]


@pytest.mark.parametrize(
    ("query", "english"),
    [
        ("Gürtelroseimpfung für Ältere", ["shingles", "vaccine", "older adults"]),
        ("Masern in der Schwangerschaft", ["measles", "pregnant"]),
        ("Fieberkrämpfe nach MMR", ["febrile seizure"]),
    ],
)
def test_german_queries_carry_english_key_terms(query: str, english: list[str]) -> None:
    expanded = expand_query(query)
    assert expanded.startswith(query)
    for term in english:
        assert term in expanded


def test_only_german_passages_are_bridged_for_the_embedder() -> None:
    assert embedding_text("Masern", "de") != "Masern"
    assert embedding_text("kind of alternative terms", "en") == "kind of alternative terms"


def test_labelled_queries_are_well_formed() -> None:
    queries = load_queries()
    assert (
        sum(q.language == "de" for q in queries) >= 20
        and sum(q.language == "en" for q in queries) >= 20
    )
    assert any(q.cross_language for q in queries)


def test_a_hit_needs_the_answer_passage() -> None:
    query = Query(query="q", language="en", answers=[Answer(source="s", contains="the answer")])
    passage = Passage("s#1", "s", "T", "", "", "en", "principle", "", "here is the answer.", 1.0)
    other = Passage("s#2", "s", "T", "", "", "en", "principle", "", "something else", 1.0)
    assert query.rank_of_answer([other, passage]) == 2
    assert query.rank_of_answer([other]) is None


def test_evaluate_scores_per_language(fake_store) -> None:  # type: ignore[no-untyped-def]
    queries = [
        Query(
            query="Faktensandwich Mythos",
            language="de",
            answers=[Answer(source="principle-faktensandwich-de", contains="")],
        ),
        Query(
            query="not in store",
            language="en",
            answers=[Answer(source="file-absent.html", contains="x")],
        ),
    ]
    scores = evaluate(fake_store, queries)
    assert set(scores) == {"de"} and scores["de"].queries == 1 and scores["de"].recall == 1.0


@pytest.mark.e2e
def test_real_german_query_finds_german_guidance(real_store_dir: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from core.settings import load_settings
    from knowledge.retrieval.search import search
    from knowledge.retrieval.store import Store

    store = Store(load_settings(data_dir=real_store_dir), real_embedder)
    passages = search(store, "Ab welchem Alter wird die Gürtelrose-Impfung empfohlen?", k=5)
    assert any(p.language == "de" and "shingles" in p.source_id for p in passages)
    english = search(store, "shingles vaccine age", k=5)
    assert english[0].language == "en" and "shingles" in english[0].source_id


@pytest.mark.e2e
def test_eval_cli_prints_the_table() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "knowledge", "eval", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    rows = {row["language"]: row for row in json.loads(done.stdout)}
    assert set(rows) == {"de", "en"}
    # Regression guards well below the measured figures (see docs/retrieval.md).
    assert rows["en"]["recall@5"] >= 0.8 and rows["de"]["recall@5"] >= 0.6


@pytest.mark.parametrize("bridge", [True, False])
def test_german_query_reaches_english_only_guidance_through_the_bridge(
    settings, monkeypatch, bridge: bool
) -> None:  # type: ignore[no-untyped-def]
    """BM25 over the glossary translation ranks English chunks for a German question."""
    from knowledge.retrieval.glossary import english_terms
    from knowledge.retrieval.search import search
    from knowledge.retrieval.store import Store
    from knowledge.sources.chunks import Chunk
    from tests.conftest import FakeEmbedder

    assert english_terms("Schluckimpfung schwimmen") == "vaccine vaccination swimming"
    store = Store(settings, FakeEmbedder())
    base = {"title": "t", "url": "", "date": "2025-01-01", "kind": "vaccine-fact", "org": ""}
    texts = [
        ("de-1", "de", "Die Rotavirus-Impfung wird als Schluckimpfung gegeben."),
        ("de-2", "de", "Die Rotavirus-Impfung schützt Säuglinge vor schwerem Durchfall."),
        ("de-3", "de", "Säuglinge bekommen die erste Dosis ab 6 Wochen."),
        ("de-4", "de", "Das Baby bekommt die Schluckimpfung in der Praxis."),
        ("de-5", "de", "Nach der Schluckimpfung darf das Baby trinken."),
        ("de-6", "de", "Darf mein Baby geimpft werden, wenn es erkältet ist?"),
        ("en-1", "en", "Babies can do their usual activities, including swimming, afterwards."),
        ("en-2", "en", "The flu vaccine is offered every autumn."),
    ]
    store.add([Chunk(f"{sid}#0", text, base | {"source_id": sid, "language": lang})
               for sid, lang, text in texts])  # fmt: skip
    if not bridge:
        monkeypatch.setattr("knowledge.retrieval.search.BRIDGE_WEIGHT", 0.0)
    found = [
        p.source_id for p in search(store, "Darf mein Baby nach der Schluckimpfung schwimmen?")
    ]
    # Without the bridge only the weak dense ranking (weight 0.1 for German) knows en-1.
    assert ("en-1" in found[:2]) is bridge, found


def test_bm25_reads_each_chunk_with_its_source_title(settings) -> None:  # type: ignore[no-untyped-def]
    """A passage deep in a document is found by words only its document's title has."""
    from knowledge.retrieval.store import Store
    from knowledge.sources.chunks import Chunk
    from tests.conftest import FakeEmbedder

    store = Store(settings, FakeEmbedder())
    base = {"url": "", "date": "2025-01-01", "kind": "vaccine-fact", "org": "", "language": "de"}
    store.add([
        Chunk("shingles#3", "Zwei Dosen im Abstand von zwei bis sechs Monaten.",
              base | {"source_id": "shingles", "title": "Gürtelrose-Impfung"}),
        Chunk("flu#0", "Die Impfung wird jeden Herbst angeboten.",
              base | {"source_id": "flu", "title": "Grippe"}),
    ])  # fmt: skip
    snapshot = store.snapshot()
    assert [snapshot.ids[i] for i, _ in snapshot.lexical.top("Gürtelrose Abstand", 2)] == [
        "shingles#3"
    ]
    assert [snapshot.ids[i] for i, _ in snapshot.lexical.top("Grippe", 2)] == ["flu#0"]
    assert "Gürtelrose" not in snapshot.texts[snapshot.positions["shingles#3"]]  # stored as is


@pytest.mark.e2e
def test_one_query_embeds_as_in_a_batch(real_embedder) -> None:  # type: ignore[no-untyped-def]
    """A single text takes a shorter path through the model; its vector must not change."""
    import numpy as np

    texts = [
        "Wann sollte ich mich gegen Grippe impfen lassen?",
        "flu vaccine for older adults",
        "MMR",
        "Masern " * 400,  # past the model's 256 tokens: truncated the same way
    ]
    batch = np.array(real_embedder.embed(texts))
    single = np.array([real_embedder.embed([text])[0] for text in texts])
    assert real_embedder._trace is not None  # the traced graph ran, not the eager fallback
    assert single.shape == (4, 384)
    assert np.allclose(single, batch, atol=1e-5)
    assert np.allclose(np.linalg.norm(single, axis=1), 1.0, atol=1e-5)


@pytest.mark.e2e
def test_embedders_in_several_threads_each_trace_and_agree(real_embedder) -> None:  # type: ignore[no-untyped-def]
    """Three embedders tracing at the same moment (a page's search beside the app's warm-up):
    with one lock each, all three traces failed (torch.jit keeps module-level state)."""
    import threading

    import numpy as np

    from core.settings import bundled_embedder_path
    from knowledge.retrieval.embedder import Embedder

    text = "Wann sollte ich mich gegen Grippe impfen lassen?"
    expected = np.array(real_embedder.embed([text, "MMR"])[0])
    embedders = [Embedder(bundled_embedder_path()) for _ in range(3)]
    vectors: list[list[float]] = [[] for _ in embedders]
    start = threading.Barrier(len(embedders))

    def embed(n: int) -> None:
        start.wait()
        vectors[n] = embedders[n].embed([text])[0]

    threads = [threading.Thread(target=embed, args=(n,)) for n in range(len(embedders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e._trace is not None for e in embedders] == [True, True, True]
    assert all(np.allclose(v, expected, atol=1e-5) for v in vectors)


@pytest.mark.e2e
def test_a_model_that_cannot_be_traced_embeds_the_eager_way(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Tracing is only for speed: if TorchScript fails, one text still gets the right vector."""
    import numpy as np
    import torch

    from core.settings import bundled_embedder_path
    from knowledge.retrieval.embedder import Embedder

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("tracing is not supported")

    monkeypatch.setattr(torch.jit, "trace", broken)
    embedder = Embedder(bundled_embedder_path())
    text = "flu vaccine for older adults"
    vector = embedder.embed([text])[0]
    assert embedder._trace is None
    expected = embedder._model.encode([text], normalize_embeddings=True)[0]
    assert np.allclose(vector, expected, atol=1e-5)


@pytest.mark.e2e
def test_a_model_with_a_default_prompt_keeps_encode(tmp_path: Path) -> None:
    """An office's own model may prefix queries ("query: "); the short path must not skip it."""
    import json
    import shutil

    import numpy as np

    from core.settings import bundled_embedder_path
    from knowledge.retrieval.embedder import Embedder

    folder = tmp_path / "prompted-model"
    shutil.copytree(str(bundled_embedder_path()), folder)
    config = folder / "config_sentence_transformers.json"
    settings = json.loads(config.read_text())
    settings |= {"prompts": {"query": "query: "}, "default_prompt_name": "query"}
    config.write_text(json.dumps(settings))
    embedder = Embedder(folder)
    text = "flu vaccine for older adults"
    prompted = embedder._model.encode([text], normalize_embeddings=True)[0]
    bare = embedder._model.encode([text], prompt="", normalize_embeddings=True)[0]
    assert not np.allclose(prompted, bare, atol=1e-3)  # the prompt changes the vector
    assert np.allclose(embedder.embed([text])[0], prompted, atol=1e-5)
