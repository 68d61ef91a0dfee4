"""End to end with the real parts: bundled GGUF via llama.cpp, bundled embedder, real Chroma."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from comms.drafting.draft import Request, draft_message
from core.settings import bundled_model_path, load_settings
from knowledge.retrieval.search import search
from knowledge.retrieval.store import Store
from tests.conftest import ROOT, free_port, wait_for_http

pytestmark = pytest.mark.e2e


def test_real_retrieval_finds_the_topic(real_store_dir: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    store = Store(load_settings(data_dir=real_store_dir), real_embedder)
    passages = search(store, "shingles vaccine for older adults", k=5)
    assert any("shingles" in p.source_id for p in passages[:3]), [p.source_id for p in passages]
    assert passages == sorted(passages, key=lambda p: -p.score)


def test_real_model_writes_a_cited_message(real_store_dir: Path, real_embedder, real_chat) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir=real_store_dir)
    store = Store(settings, real_embedder)
    request = Request("flu", "older-adults", "sms", "en")
    message = draft_message(request, settings=settings, chat=real_chat, store=store, seed=3)
    assert len(message.text) >= 20
    assert message.citations, "the schema requires at least one citation"
    retrieved = {p.chunk_id for p in message.evidence}
    assert {c.chunk_id for c in message.citations} <= retrieved
    assert message.model.backend == "llamacpp" and message.model.model_id.endswith(".gguf")
    again = draft_message(request, settings=settings, chat=real_chat, store=store, seed=3)
    assert again.text == message.text, "the same seed must give the same text"


def _cli(
    *args: str, data_dir: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLARION_DATA_DIR": str(data_dir), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_cli_generate_json(real_store_dir: Path) -> None:
    done = _cli(
        "comms",
        "generate",
        "--topic",
        "measles",
        "--audience",
        "parents-infants",
        "--channel",
        "sms",
        "--language",
        "de",
        "--json",
        data_dir=real_store_dir,
    )
    assert done.returncode == 0, done.stderr
    message = json.loads(done.stdout)
    assert message["citations"] and message["citations"][0]["url"].startswith("https://")
    assert {c["chunk_id"] for c in message["citations"]} <= {
        p["chunk_id"] for p in message["evidence"]
    }
    assert message["template_id"] == "map:measles" and message["version"] == "composed"
    assert message["map"]["id"] == "measles" and message["map"]["key_messages"]
    assert message["map"]["key_messages"][0]["text"] in message["text"]
    assert message["rejected_model_version"] is None and message["model_text"] == ""
    assert message["checks"]["items"] and all(
        item["passed"] for item in message["checks"]["items"] if item["severity"] == "error"
    )


def test_cli_knowledge_search_json(real_store_dir: Path) -> None:
    done = _cli(
        "knowledge", "search", "HPV vaccine age", "--k", "3", "--json", data_dir=real_store_dir
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 3 and {"source_id", "title", "url", "score", "text"} <= set(rows[0])


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--audience", "aliens"], {}, "Unknown audience 'aliens'"),
        (["--topic", ""], {}, "The topic is empty"),
        ([], {"CLARION_MODEL_PATH": "/nonexistent/model.gguf"}, "Model file not found"),
        (
            [],
            {"CLARION_LLM_MODE": "openai", "CLARION_LLM_URL": "http://127.0.0.1:9"},
            "unreachable",
        ),
    ],
)
def test_cli_errors_are_one_clear_line(
    real_store_dir: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    base = {"--topic": "flu", "--audience": "older-adults", "--channel": "sms", "--language": "de"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [item for pair in base.items() for item in pair]
    argv += ["--ask-model"] if env else []  # without it the model is not even loaded
    done = _cli("comms", "generate", *argv, data_dir=real_store_dir, extra_env=env)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_cli_list_json() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "comms", "list", "audiences", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = json.loads(done.stdout)
    assert {"id": "hesitant", "label": "Hesitant people"} in rows


def test_cli_ingest_a_file(tmp_path: Path) -> None:
    doc = tmp_path / "notice.md"
    doc.write_text("# Grippeimpfung 2026\n\n## Termine\nDas Gesundheitsamt impft ab Oktober.\n")
    done = _cli("knowledge", "ingest", str(doc), data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert "added: Grippeimpfung 2026" in done.stdout
    listed = _cli("knowledge", "list", "--json", data_dir=tmp_path / "data")
    assert [row["source_id"] for row in json.loads(listed.stdout)] == ["file-notice.md"]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real OpenAI-compatible server (llama_cpp.server) with the bundled GGUF on loopback."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "llama.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(bundled_model_path()),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "4096",
                "--model_alias",
                "smollm2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/v1/models", timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_openai_backend_against_a_real_server(
    llama_server: str, real_store_dir: Path, real_embedder
) -> None:  # type: ignore[no-untyped-def]
    from comms.model.backends import build_chat_model

    settings = load_settings(
        data_dir=real_store_dir, llm_mode="openai", llm_url=llama_server, repair_tries=0
    )
    chat = build_chat_model(settings)
    assert chat.info.model_id == "smollm2"
    streamed: list[str] = []
    message = draft_message(
        Request("hpv", "parents-teens", "faq", "en"),
        settings=settings,
        chat=chat,
        store=Store(settings, real_embedder),
        on_text=streamed.append,
    )
    assert message.citations and message.model.backend == "openai"
    # The live view shows the text as it streams; Clarion only tidies whitespace afterwards.
    assert len(streamed) > 3 and streamed[-1].split() == message.text.split()


def test_openai_backend_unreachable_names_the_url() -> None:
    from comms.model.backends import build_chat_model
    from core.errors import BackendError

    with pytest.raises(BackendError, match=r"http://127.0.0.1:9/v1 is unreachable"):
        build_chat_model(load_settings(llm_mode="openai", llm_url="http://127.0.0.1:9"))


def test_openai_mode_without_url_names_the_setting() -> None:
    from comms.model.backends import build_chat_model
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="CLARION_LLM_URL"):
        build_chat_model(load_settings(llm_mode="openai"))


def test_chroma_server_mode(tmp_path: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    """The same store code against a real `chroma run` server on loopback."""
    from bench.chroma_server import chroma_server
    from knowledge.ingest import sync_corpus

    with chroma_server(tmp_path / "server") as url:
        settings = load_settings(data_dir=tmp_path / "data", chroma_url=url)
        store = Store(settings, real_embedder)
        sync_corpus(store)
        assert store.count() > 20
        assert search(store, "measles vaccination", k=3)
        assert not (tmp_path / "data" / "chroma").exists(), (
            "server mode must not write a local store"
        )
