"""The Maverick path without Maverick: a tiny random-weight llama4 GGUF shaped like it (128
experts, 1 used, MoE on every second layer, Llama 4's tokenizer, special tokens and chat template),
split into three shards. Random weights write nonsense: these tests check the plumbing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from comms.message import is_control, output_schema, parse_answer
from comms.model.backends import LlamaCppChat, build_chat_model
from comms.model.doctor import diagnose
from core.settings import Settings, load_settings
from tests.conftest import free_port, wait_for_http
from tests.tiny_llama4 import EOS_TEXT, EOT, shard_paths, write_tiny_llama4

MESSAGES = [
    {"role": "system", "content": "You write vaccination messages as JSON."},
    {"role": "user", "content": "Write an SMS about the flu vaccine."},
]


@pytest.fixture(scope="session")
def maverick_like(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first of three shards."""
    return write_tiny_llama4(tmp_path_factory.mktemp("tiny-llama4"))


def tiny_settings(tmp_path: Path, model: Path, **changes: Any) -> Settings:
    # One thread: the model is tiny, and a second thread only waits for the other core.
    return load_settings(
        data_dir=tmp_path / "data", model_path=model, llm_threads=1, llm_batch_threads=1,
        llm_context=2048, **changes,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("topic", "audience", "channel", "language"),
    [("rsv", "older-adults", "sms", "en"), ("measles", "parents-infants", "letter", "de"),
     ("flu", "limited-german", "sms", "tr")],
)  # fmt: skip
def test_the_gate_shows_the_composed_version_when_the_model_writes_nonsense(
    tmp_path: Path, maverick_like: Path, fake_store: Any, topic: str, audience: str,
    channel: str, language: str,
) -> None:  # fmt: skip
    from comms.drafting.draft import Request
    from comms.drafting.write import write_message

    settings = tiny_settings(tmp_path, maverick_like, repair_tries=0).model_copy(
        update={"llm_context": 8192}
    )
    chat = LlamaCppChat(settings)
    try:
        message = write_message(
            Request(topic, audience, channel, language), settings=settings, store=fake_store,
            chat=chat, ask_model=True, seed=7,
        )  # fmt: skip
    finally:
        chat.close()
    assert message.version == "composed" and message.text == message.composed_text
    assert message.checks.ok, "the composed floor passes every error-level check"
    rejected = message.rejected_model_version
    assert rejected is not None and rejected.text and rejected.text == message.model_text
    failed = {reason["item"] for reason in rejected.reasons}
    # refused for losing the key messages, or, cut off at the token limit, for breaking off
    assert failed & {"fidelity", "complete_sentences"}, failed
    assert failed <= {item.id for item in message.model_checks.failed()}  # as the checks say


@pytest.fixture
def chat(tmp_path: Path, maverick_like: Path) -> Iterator[LlamaCppChat]:
    model = LlamaCppChat(tiny_settings(tmp_path, maverick_like))
    yield model
    model.close()


def test_three_shards_and_clarion_loads_from_the_first(chat: LlamaCppChat) -> None:
    assert [p.name for p in shard_paths(chat.path.parent, 3)] == [
        "tiny-llama4-00001-of-00003.gguf",
        "tiny-llama4-00002-of-00003.gguf",
        "tiny-llama4-00003-of-00003.gguf",
    ]
    assert chat.facts["chat_format"] == "chat_template.default"  # the file's own template
    assert chat.facts["eos_token"] == EOT


def test_the_prompt_is_written_in_the_models_own_template(chat: LlamaCppChat) -> None:
    chat.complete(MESSAGES, {"type": "object"}, seed=1, max_tokens=8, temperature=0.0)
    prompt = chat.last_prompt()
    assert prompt.startswith(
        "<|begin_of_text|><|header_start|>system<|header_end|>\n\n"
        "You write vaccination messages as JSON.<|eot|>"
    ), prompt
    assert prompt.endswith(
        "<|header_start|>user<|header_end|>\n\nWrite an SMS about the flu vaccine.<|eot|>"
        "<|header_start|>assistant<|header_end|>\n\n"
    ), prompt
    assert "<|im_start|>" not in prompt


def test_the_schema_constrained_answer_parses_and_generation_stops_at_eot(
    chat: LlamaCppChat,
) -> None:
    schema = output_schema(passages=3, max_chars=40)
    done = chat.complete(MESSAGES, schema, seed=7, max_tokens=400, temperature=0.8)
    assert done.completion_tokens < 400, "the grammar ended and <|eot|> ended generation"
    text, cited = parse_answer(done.text)
    assert text and not any(is_control(c) for c in text)
    assert cited and set(cited) <= {1, 2, 3}
    data = json.loads(done.text, strict=False)
    assert set(data) <= {"text", "citations"}


def test_eot_ends_generation_even_when_the_file_names_another_eos(tmp_path: Path) -> None:
    """Some conversions name <|end_of_text|> as eos and write no EOT key; llama.cpp does not
    recognise <|eot|> by its text, so Clarion tells it at load."""
    import llama_cpp

    first = write_tiny_llama4(tmp_path / "model", eos=EOS_TEXT, eot_key=False)
    raw = llama_cpp.Llama(model_path=str(first), vocab_only=True, verbose=False)
    eot = raw.tokenize(EOT.encode(), add_bos=False, special=True)[0]
    vocab = llama_cpp.llama_model_get_vocab(raw.model)
    assert not llama_cpp.llama_vocab_is_eog(vocab, eot), "llama.cpp alone would run past it"
    raw.close()

    chat = LlamaCppChat(tiny_settings(tmp_path, first))
    try:
        assert chat.facts["end_of_turn"] == [{"token": EOT, "id": eot, "ends_generation": True}]
        done = chat.complete(
            MESSAGES, output_schema(3, 40), seed=7, max_tokens=400, temperature=0.8
        )
        assert done.completion_tokens < 400
        parse_answer(done.text)
    finally:
        chat.close()


def test_a_whole_message_through_the_engine(
    tmp_path: Path, maverick_like: Path, fake_store: Any
) -> None:
    from comms.drafting.draft import Request, draft_message

    # The tiny vocabulary spells a prompt out in many more tokens than Llama 4's would.
    settings = tiny_settings(tmp_path, maverick_like, repair_tries=0).model_copy(
        update={"llm_context": 8192}
    )
    chat = LlamaCppChat(settings)
    try:
        message = draft_message(
            Request("flu", "older-adults", "sms", "en"), settings=settings, chat=chat,
            store=fake_store, seed=3,
        )  # fmt: skip
    finally:
        chat.close()
    assert message.model.model_id == maverick_like.name
    retrieved = {p.chunk_id for p in message.evidence}
    assert {c.chunk_id for c in message.citations} <= retrieved
    assert not any(is_control(c) for c in message.text)


@pytest.fixture
def llama4_server(maverick_like: Path, tmp_path: Path) -> Iterator[str]:
    """`python -m llama_cpp.server` serving the tiny llama4 model from its first shard."""
    port = free_port()
    with (tmp_path / "server.log").open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(maverick_like),
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
             "--n_threads", "1", "--n_threads_batch", "1", "--model_alias", "tiny-llama4"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/v1/models", timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.e2e
def test_the_same_model_served_by_llama_cpp_server_in_openai_mode(
    llama4_server: str, tmp_path: Path
) -> None:
    settings = load_settings(data_dir=tmp_path, llm_mode="openai", llm_url=llama4_server)
    chat = build_chat_model(settings)
    assert chat.info.model_id == "tiny-llama4"
    streamed: list[str] = []
    done = chat.complete(
        MESSAGES, output_schema(3, 40), seed=7, max_tokens=400, temperature=0.8,
        on_token=streamed.append,
    )  # fmt: skip
    text, cited = parse_answer(done.text)
    assert text and cited and "".join(streamed) == done.text


# doctor --------------------------------------------------------------------------------------


def findings(settings: Settings, smoke: bool = False) -> dict[str, Any]:
    report = diagnose(settings, smoke=smoke)
    return {f.name: f for f in report.findings} | {"_ok": report.ok, "_report": report}


def test_doctor_describes_the_maverick_shaped_model(tmp_path: Path, maverick_like: Path) -> None:
    found = findings(tiny_settings(tmp_path, maverick_like), smoke=True)
    assert found["_ok"], found
    assert found["architecture"].value == "llama4"
    assert found["experts"].value == "128 experts, 1 used per token"
    assert found["shards"].value == "3 of 3"
    assert found["chat template"].value == "llama4"
    assert found["tokenizer"].value == "gpt2 / pre-tokenizer llama4"
    assert found["tokenizer"].status == "ok"
    assert found["licence"].value == "llama4"
    assert found["quantisation"].value == "F16"
    assert found["prompt format"].value == "llama4"
    model = found["_report"].model
    assert model.parameters > 128 * 3 * 64 * 32  # every expert of every MoE layer counted


def test_doctor_warns_about_the_default_pre_tokenizer(tmp_path: Path) -> None:
    first = write_tiny_llama4(tmp_path / "model", pre="default")
    found = findings(tiny_settings(tmp_path, first))
    assert found["tokenizer"].status == "warn"
    assert "8–10 %" in found["tokenizer"].note


def test_doctor_fails_on_a_missing_shard(tmp_path: Path, maverick_like: Path) -> None:
    for path in shard_paths(maverick_like.parent, 3)[:2]:
        shutil.copy(path, tmp_path / path.name)
    found = findings(tiny_settings(tmp_path, tmp_path / maverick_like.name), smoke=True)
    assert not found["_ok"]
    assert found["shards"].status == "fail" and found["shards"].value == "2 of 3"
    assert "tiny-llama4-00003-of-00003.gguf" in found["shards"].note
