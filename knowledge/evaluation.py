"""Retrieval evaluation: recall@k and MRR per language over labelled queries."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter

from core.settings import PROJECT_ROOT, load_settings
from knowledge.ingest import ingest_paths, sync_corpus
from knowledge.retrieval.search import Passage, search
from knowledge.retrieval.store import Store, TextEmbedder

QUERIES = Path(__file__).resolve().parent / "eval" / "queries.yaml"
NHS_PAGES = PROJECT_ROOT.parent / "shared" / "corpus" / "nhs-vaccinations"


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    contains: str


class Query(BaseModel):
    """A labelled query: a hit is a passage from one answer's source containing its phrase."""

    model_config = ConfigDict(extra="forbid")

    query: str
    language: str
    answers: list[Answer]
    cross_language: bool = False

    def rank_of_answer(self, passages: list[Passage]) -> int | None:
        """1-based rank of the first passage that answers the query, or None."""
        for rank, passage in enumerate(passages, 1):
            for answer in self.answers:
                if passage.source_id == answer.source and answer.contains in passage.text:
                    return rank
        return None


@dataclass
class LanguageScore:
    queries: int = 0
    hits: int = 0
    reciprocal_ranks: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.hits / self.queries if self.queries else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_ranks / self.queries if self.queries else 0.0


def load_queries(path: Path = QUERIES) -> list[Query]:
    """The labelled queries."""
    return TypeAdapter(list[Query]).validate_python(yaml.safe_load(path.read_text("utf-8")))


def build_eval_store(folder: Path, embedder: TextEmbedder, extra: Path | None) -> Store:
    """A fresh store with the shipped corpus and, if present, the extra HTML pages."""
    # A private, throwaway store of this process: embedded even where Clarion's own is shared.
    private = load_settings(data_dir=folder, chroma_url=None, database_url=None)
    store = Store(private, embedder)
    sync_corpus(store)
    if extra is not None and extra.is_dir():
        ingest_paths(store, sorted(extra.glob("*.html")))
    return store


def evaluate(store: Store, queries: list[Query], k: int = 5) -> dict[str, LanguageScore]:
    """Score every query whose answers are in the store, grouped by query language."""
    present = set(store.source_hashes())
    scores: dict[str, LanguageScore] = {}
    for query in queries:
        if not any(a.source in present for a in query.answers):
            continue  # its answer's source (e.g. the NHS pages) is not loaded
        score = scores.setdefault(query.language, LanguageScore())
        rank = query.rank_of_answer(search(store, query.query, k=k))
        score.queries += 1
        if rank is not None:
            score.hits += 1
            score.reciprocal_ranks += 1.0 / rank
        else:
            score.misses.append(query.query)
    return scores


def run_eval(
    embedder: TextEmbedder, extra: Path | None = NHS_PAGES, k: int = 5
) -> tuple[dict[str, LanguageScore], float]:
    """Build a temporary store, run every query; returns the scores and the seconds taken."""
    with tempfile.TemporaryDirectory(prefix="clarion-eval-") as folder:
        store = build_eval_store(Path(folder), embedder, extra)
        started = time.perf_counter()
        scores = evaluate(store, load_queries(), k)
        return scores, time.perf_counter() - started
