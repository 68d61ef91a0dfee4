"""The embedded Chroma store is refused when several processes share Clarion's state.

CLARION_DATABASE_URL (PostgreSQL) means several app processes, workers or machines; Chroma's
embedded store may only be opened by one process, so opening it must fail with a ConfigError
that names the fix. No PostgreSQL is needed: the setting alone decides.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bench.chroma_server import chroma_server
from comms.model.doctor import diagnose
from core.errors import BackendError, ConfigError
from core.settings import load_settings
from knowledge import open_store
from knowledge.retrieval.store import Store, shared_store_error
from knowledge.sources.chunks import Chunk
from tests.conftest import ROOT, FakeEmbedder, free_port
from ui import resources

POSTGRES = "postgresql://clarion:secret@db.example:5432/clarion"
REFUSAL = r"CLARION_DATABASE_URL is set.*embedded Chroma.*chroma run.*CLARION_CHROMA_URL="


def closed_url() -> str:
    """A loopback URL where nothing listens (connections are refused at once)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.mark.parametrize(
    ("database_url", "chroma_url", "outcome"),
    [
        (None, None, "opens"),  # one process, SQLite: the embedded store as before
        (POSTGRES, None, "refused"),  # shared database, embedded store
        ("postgres://c@db/clarion", None, "refused"),  # the short scheme is PostgreSQL too
        (POSTGRES, "closed", "server"),  # shared database, Chroma server: not refused
        (None, "closed", "server"),
    ],
)
def test_opening_the_store(
    tmp_path: Path, database_url: str | None, chroma_url: str | None, outcome: str
) -> None:
    url = closed_url() if chroma_url == "closed" else None
    settings = load_settings(data_dir=tmp_path / "data", database_url=database_url, chroma_url=url)
    if outcome == "opens":
        assert Store(settings, FakeEmbedder()).count() == 0
    elif outcome == "refused":
        with pytest.raises(ConfigError, match=REFUSAL) as refused:
            Store(settings, FakeEmbedder())
        assert str(settings.chroma_dir) in str(refused.value)
        assert "docs/deployment.md" in str(refused.value)
        assert not settings.chroma_dir.exists(), "a refused store must not create its folder"
    else:  # the server is asked for (and is down here): the setting is not what stops it
        with pytest.raises(BackendError, match=f"Chroma server at {url} is unreachable"):
            Store(settings, FakeEmbedder())


@pytest.mark.e2e
def test_the_fix_the_refusal_names_works(tmp_path: Path) -> None:
    """A shared database with `chroma run` on the embedded store's own folder: the store opens
    and keeps what the embedded one held."""
    embedded = load_settings(data_dir=tmp_path / "data")
    Store(embedded, FakeEmbedder()).add(
        [Chunk("s#0", "Flu vaccination is free.", {"source_id": "s"})]
    )
    with chroma_server(embedded.chroma_dir) as url:
        shared = load_settings(data_dir=tmp_path / "data", database_url=POSTGRES, chroma_url=url)
        assert Store(shared, FakeEmbedder()).count() == 1


def test_the_environment_variable_alone_refuses_open_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLARION_DATABASE_URL", POSTGRES)
    settings = load_settings()
    assert settings.shared_database
    with pytest.raises(ConfigError, match=REFUSAL):
        open_store(settings)


@pytest.mark.parametrize(
    ("database_url", "chroma_url", "status"),
    [(None, None, "ok"), (POSTGRES, None, "fail"), (POSTGRES, "http://127.0.0.1:8000", "ok")],
)
def test_doctor_names_the_fix(
    tmp_path: Path, database_url: str | None, chroma_url: str | None, status: str
) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        chroma_url=chroma_url,
        llm_mode="openai",
        llm_url="http://127.0.0.1:9",  # not contacted without the smoke test
    )
    report = diagnose(settings, smoke=False)
    [store] = [f for f in report.findings if f.name == "store"]
    assert store.status == status
    failing = {finding.name for finding in report.failures()}
    assert ("store" in failing) == (status == "fail")
    assert ("database" in failing) == (database_url is not None)  # db.example does not answer
    if status == "fail":
        assert "CLARION_CHROMA_URL" in store.note and "chroma run" in store.note
    assert (shared_store_error(settings) is None) == (status == "ok")


def test_other_settings_still_load_with_a_shared_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Only opening the embedded store refuses: the settings, their labels and the private
    store of the retrieval evaluation (a throwaway folder of one process) still work."""
    from knowledge.evaluation import build_eval_store

    monkeypatch.setenv("CLARION_DATABASE_URL", POSTGRES)
    settings = load_settings()
    assert settings.store_label().startswith("Chroma in ")
    store = build_eval_store(tmp_path / "eval", FakeEmbedder(), None)
    assert store.count() > 20


@pytest.mark.e2e
def test_the_knowledge_page_shows_the_refusal_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for function in (resources.settings, resources.store, resources.chat_model):
        function.clear()
    monkeypatch.setenv("CLARION_DATABASE_URL", POSTGRES)
    monkeypatch.chdir(ROOT)
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
        at.switch_page("pages/knowledge.py").run()
        assert not at.exception, at.exception
        shown = " ".join(e.value for e in at.error).replace("\\", "")
        assert "CLARION_DATABASE_URL is set" in shown and "CLARION_CHROMA_URL" in shown
    finally:
        for function in (resources.settings, resources.store, resources.chat_model):
            function.clear()
