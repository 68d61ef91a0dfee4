"""The bench rig: a temporary data directory with the corpus indexed, Clarion's objects next to
the raw libraries' objects built with the same parameters, token counting and timing helpers."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from comms.campaign_facts import CampaignFacts
from comms.message import partial_text
from comms.model.backends import Completion, LlamaCppChat, Messages, OnToken
from core.settings import load_settings
from knowledge.retrieval.store import Store

FACTS = CampaignFacts(
    what="Grippeimpfung / flu vaccination",
    when="2.–27. November 2026, Mo–Fr 9–12 Uhr",
    where="Gesundheitsamt Musterstadt, Hauptstraße 5",
    cost="kostenlos / free",
    booking="0123 456789 · example.org/impfen",
)
# The same campaign as an office that wrote its facts in German and in the grid's other
# languages would give it (comms/campaign_facts.py: translations); the Arabic, Ukrainian and Russian
# values are Clarion's own and no native speaker has checked them.
FACTS_IN_LANGUAGES = CampaignFacts(
    what="Grippeimpfung",
    when="2.–27. November 2026, Mo–Fr 9–12 Uhr",
    where="Gesundheitsamt Musterstadt, Hauptstraße 5",
    cost="kostenlos",
    booking="0123 456789 · example.org/impfen",
    translations={
        "en": {"what": "Flu vaccination", "when": "2–27 November 2026, Mon–Fri 9 am to 12 noon",
               "where": "Musterstadt health office, Hauptstraße 5", "cost": "free of charge"},
        "tr": {"what": "Grip aşısı", "when": "2–27 Kasım 2026, Pzt–Cum 09.00–12.00",
               "where": "Musterstadt Sağlık Müdürlüğü, Hauptstraße 5", "cost": "ücretsiz"},
        "ar": {"what": "لقاح الإنفلونزا", "when": "2–27 نوفمبر 2026، الاثنين إلى الجمعة 9–12",
               "where": "مكتب الصحة في Musterstadt، Hauptstraße 5", "cost": "مجانًا"},
        "uk": {"what": "Щеплення від грипу", "when": "2–27 листопада 2026, пн–пт 9:00–12:00",
               "where": "Відділ охорони здоров’я Musterstadt, Hauptstraße 5",
               "cost": "безкоштовно"},
        "ru": {"what": "Прививка от гриппа", "when": "2–27 ноября 2026, пн–пт 9:00–12:00",
               "where": "Отдел здравоохранения Musterstadt, Hauptstraße 5", "cost": "бесплатно"},
    },
)  # fmt: skip
# The 15 NHS pages the ingestion (P4) and impact (P8) rows read: the repository's copy.
NHS_PAGES = (
    Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "corpus" / "nhs-vaccinations"
)


class Background(Protocol):
    """A process that does untimed work beside the benchmarks (bench's store builder)."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...


class Rig:
    """Clarion's heavy objects and the raw libraries' twins, each built on first use."""

    def __init__(self, folder: Path, quick: bool = False) -> None:
        self.folder = folder
        self.quick = quick
        self.settings = load_settings(data_dir=folder / "data", repair_tries=0)
        self.background: Background | None = None
        self.native_python: str | None = None  # a Python with a native llama.cpp build (rows T)
        self._measuring = 0

    def runs(self, normal: int) -> int:
        """Measured repeats: fewer with --quick."""
        return max(1, normal // 2) if self.quick else normal

    @contextmanager
    def measuring(self) -> Iterator[None]:
        """Around timed work: the background process, if any, is paused until it ends."""
        self._measuring += 1
        if self._measuring == 1 and self.background is not None:
            self.background.pause()
        try:
            yield
        finally:
            self._measuring -= 1
            if self._measuring == 0 and self.background is not None:
                self.background.resume()

    @cached_property
    def store(self) -> Store:
        """Clarion's store with the shipped corpus indexed by the real embedder."""
        from knowledge.ingest import sync_corpus

        store = Store(self.settings, self.embedder)
        sync_corpus(store)
        return store

    @cached_property
    def embedder(self) -> Any:
        """Clarion's Embedder for the bundled sentence-transformers folder."""
        from knowledge.retrieval.embedder import Embedder

        return Embedder(self.settings.resolved_embedder_path())

    @cached_property
    def chat(self) -> LlamaCppChat:
        return LlamaCppChat(self.settings)

    @cached_property
    def raw_encoder(self) -> Any:
        """A SentenceTransformer loaded from the same folder, called directly."""
        from sentence_transformers import SentenceTransformer

        folder = str(self.settings.resolved_embedder_path())
        return SentenceTransformer(folder, device="cpu", local_files_only=True)

    @cached_property
    def raw_llama(self) -> Any:
        """A llama_cpp.Llama with the parameters LlamaCppChat uses, called directly."""
        import os

        # The same OpenMP wait policy as Clarion's worker, set before llama_cpp loads.
        os.environ.setdefault("OMP_WAIT_POLICY", self.settings.llm_omp_wait_policy)
        from llama_cpp import Llama

        return Llama(
            model_path=str(self.settings.resolved_model_path()),
            n_ctx=self.settings.llm_context,
            n_threads=self.settings.llm_threads,
            n_threads_batch=self.settings.llm_batch_threads,
            seed=self.settings.seed,
            verbose=False,
        )


@dataclass
class TokenCount:
    """Prompt tokens sent, prompt tokens llama.cpp evaluated, and tokens generated, per call.

    Counted at the Llama object: `generate` receives the whole prompt; the first `eval` after it
    gets only the part not already in the KV cache (llama-cpp-python reuses the longest common
    token prefix with what the context holds); every `sample` is one generated token.
    """

    prompt: list[int] = field(default_factory=list)
    evaluated: list[int] = field(default_factory=list)
    generated: list[int] = field(default_factory=list)

    def watch(self, llama: Any) -> TokenCount:
        generate, evaluate, sample = llama.generate, llama.eval, llama.sample
        pending = [False]

        def counting_generate(tokens: Any, *args: Any, **kwargs: Any) -> Any:
            self.prompt.append(len(tokens))
            self.evaluated.append(0)
            self.generated.append(0)
            pending[0] = True
            return generate(tokens, *args, **kwargs)

        def counting_eval(tokens: Any) -> None:
            if pending[0]:
                self.evaluated[-1] += len(tokens)
                pending[0] = False
            evaluate(tokens)

        def counting_sample(*args: Any, **kwargs: Any) -> Any:
            self.generated[-1] += 1
            return sample(*args, **kwargs)

        llama.generate, llama.eval, llama.sample = counting_generate, counting_eval, counting_sample
        return self

    def watch_chat(self, chat: LlamaCppChat) -> TokenCount:
        """Count the calls of Clarion's chat model, from what its worker reports per call."""
        complete = chat.complete

        def counting_complete(*args: Any, **kwargs: Any) -> Completion:
            done = complete(*args, **kwargs)
            self.prompt.append(done.prompt_tokens)
            self.evaluated.append(int(done.extra.get("evaluated_tokens", 0)))
            self.generated.append(done.completion_tokens)
            return done

        chat.complete = counting_complete  # type: ignore[method-assign]
        return self

    def clear(self) -> None:
        self.prompt.clear()
        self.evaluated.clear()
        self.generated.clear()

    @property
    def reused(self) -> int:
        return sum(self.prompt) - sum(self.evaluated)


@dataclass
class Call:
    """What Clarion asked the model: replayed against the raw library."""

    messages: Messages
    schema: dict[str, Any]
    seed: int
    max_tokens: int
    temperature: float


class RecordingChat:
    """A ChatModel in front of LlamaCppChat that records each call.

    `cap` limits the tokens generated per call; a JSON answer cut off by the cap is closed
    (its text so far, citing passage 1) so every message costs the same decode and still goes
    through Clarion's checks. `fresh_cache` clears llama.cpp's KV cache before every call.
    """

    def __init__(self, chat: LlamaCppChat, cap: int | None = None, fresh_cache: bool = False):
        self.chat, self.cap, self.fresh_cache = chat, cap, fresh_cache
        self.info = chat.info
        self.calls: list[Call] = []

    def complete(
        self,
        messages: Messages,
        schema: dict[str, Any],
        *,
        seed: int,
        max_tokens: int,
        temperature: float,
        on_token: OnToken | None = None,
    ) -> Completion:
        if self.fresh_cache:
            self.chat.reset()
        limit = min(max_tokens, self.cap) if self.cap else max_tokens
        self.calls.append(Call(messages, schema, seed, limit, temperature))
        completion = self.chat.complete(
            messages,
            schema,
            seed=seed,
            max_tokens=limit,
            temperature=temperature,
            on_token=on_token,
        )
        if self.cap:
            completion.text = closed(completion.text)
        return completion


def closed(text: str) -> str:
    """The answer itself if it is complete JSON, else its text so far as a finished answer."""
    try:
        json.loads(text)
        return text
    except json.JSONDecodeError:
        so_far = partial_text(text).strip() or "(cut off by the benchmark's token cap)"
        return json.dumps({"text": so_far.ljust(20, "."), "citations": [1]})


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds an action took, and its result."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def alternate(
    first: Callable[[], Any],
    second: Callable[[], Any],
    runs: int,
    warmup: int = 1,
    hold: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> tuple[list[float], list[float]]:
    """Time two actions over the same runs, alternating which goes first; warm-ups dropped.

    The measured runs (not the warm-ups) run inside hold(), e.g. Rig.measuring.
    """
    times: tuple[list[float], list[float]] = ([], [])
    for run in range(warmup + runs):
        pair = [(0, first), (1, second)]
        with hold() if run >= warmup else nullcontext():
            for side, action in pair if run % 2 == 0 else reversed(pair):
                seconds, _ = timed(action)
                if run >= warmup:
                    times[side].append(seconds)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], share: float) -> float:
    """The share-th quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
