"""The tiny Llama 4 (Maverick-shaped) test model: written, split, loaded, chatted with."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import gguf
import pytest

from tests.tiny_llama4 import (
    BOS,
    EOT,
    HEADER_END,
    HEADER_START,
    shard_paths,
    write_tiny_llama4,
)

llama_cpp = pytest.importorskip("llama_cpp")

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 20},
        "status": {"type": "string", "enum": ["ready", "pending", "done"]},
    },
    "required": ["name", "status"],
    "additionalProperties": False,
}
# One thread: the model is tiny, and with all cores llama.cpp's thread barriers can
# stall for ~1 s per batch when another process keeps a core busy.
THREADS = {"n_threads": 1, "n_threads_batch": 1}
MESSAGES = [
    {"role": "system", "content": "You answer in JSON."},
    {"role": "user", "content": [{"type": "text", "text": "Name and status?"}]},
]


@pytest.fixture(scope="session")
def tiny_llama4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """First shard of the model, with all three shards next to it."""
    return write_tiny_llama4(tmp_path_factory.mktemp("tiny_llama4"))


@pytest.fixture(scope="session")
def llama(tiny_llama4: Path):
    model = llama_cpp.Llama(model_path=str(tiny_llama4), n_ctx=2048, verbose=False, **THREADS)
    yield model
    model.close()


def _field(reader: gguf.GGUFReader, key: str):
    field = reader.get_field(key)
    assert field is not None, key
    return field.contents()


def test_writes_three_llama_cpp_split_shards(tiny_llama4: Path) -> None:
    paths = shard_paths(tiny_llama4.parent)
    assert tiny_llama4 == paths[0]
    assert [p.name for p in paths] == [
        "tiny-llama4-00001-of-00003.gguf",
        "tiny-llama4-00002-of-00003.gguf",
        "tiny-llama4-00003-of-00003.gguf",
    ]
    assert sum(p.stat().st_size for p in paths) < 8 * 1024 * 1024
    total = 0
    for i, path in enumerate(paths):
        reader = gguf.GGUFReader(path)
        assert _field(reader, "split.no") == i
        assert _field(reader, "split.count") == 3
        assert len(reader.tensors) > 0
        total += len(reader.tensors)
    assert _field(gguf.GGUFReader(paths[0]), "split.tensors.count") == total


def test_metadata_is_maverick_shaped(tiny_llama4: Path) -> None:
    reader = gguf.GGUFReader(tiny_llama4)
    assert _field(reader, "general.architecture") == "llama4"
    assert _field(reader, "general.name") == "tiny-llama4-test"
    assert _field(reader, "general.license") == "llama4"
    assert _field(reader, "llama4.expert_count") == 128
    assert _field(reader, "llama4.expert_used_count") == 1
    assert _field(reader, "llama4.interleave_moe_layer_step") == 2
    assert _field(reader, "tokenizer.ggml.model") == "gpt2"
    assert _field(reader, "tokenizer.ggml.pre") == "llama4"
    template = _field(reader, "tokenizer.chat_template")
    assert HEADER_START in template and EOT in template
    tokens = _field(reader, "tokenizer.ggml.tokens")
    assert tokens[_field(reader, "tokenizer.ggml.eos_token_id")] == EOT
    assert tokens[_field(reader, "tokenizer.ggml.bos_token_id")] == BOS

    shards = [gguf.GGUFReader(p) for p in shard_paths(tiny_llama4.parent)]
    names = {t.name for r in shards for t in r.tensors}
    # MoE (routed experts + shared expert) on odd layers, dense FFN on even ones
    assert {"blk.1.ffn_gate_exps.weight", "blk.1.ffn_up_shexp.weight"} <= names
    assert "blk.0.ffn_gate.weight" in names and "blk.0.ffn_gate_inp.weight" not in names
    exps = next(t for r in shards for t in r.tensors if t.name == "blk.3.ffn_down_exps.weight")
    assert exps.shape[-1] == 128  # ggml order: {n_ff_exp, n_embd, n_expert}


def test_loads_from_first_shard_and_chats_in_json(llama) -> None:
    started = time.perf_counter()
    result = llama.create_chat_completion(
        messages=MESSAGES,
        max_tokens=96,
        temperature=0.0,
        response_format={"type": "json_object", "schema": SCHEMA},
    )
    elapsed = time.perf_counter() - started
    choice = result["choices"][0]
    assert choice["finish_reason"] == "stop"
    # llama-cpp-python's JSON grammar lets control characters into strings
    data = json.loads(choice["message"]["content"], strict=False)
    assert set(data) == {"name", "status"}
    assert data["status"] in {"ready", "pending", "done"}
    assert len(data["name"]) <= 20
    assert elapsed < 2.0


def test_uses_its_own_llama4_chat_template(llama) -> None:
    assert llama.chat_format == "chat_template.default"
    formatter = llama_cpp.llama_chat_format.Jinja2ChatFormatter(
        template=llama.metadata["tokenizer.chat_template"],
        eos_token=EOT,
        bos_token=BOS,
        stop_token_ids=[llama.token_eos()],
    )
    prompt = formatter(messages=MESSAGES).prompt
    assert prompt == (
        f"{BOS}{HEADER_START}system{HEADER_END}\n\nYou answer in JSON.{EOT}"
        f"{HEADER_START}user{HEADER_END}\n\nName and status?{EOT}"
        f"{HEADER_START}assistant{HEADER_END}\n\n"
    )
    assert "<|im_start|>" not in prompt
    # the chat call feeds exactly this prompt (one BOS, from the template)
    ids = llama.tokenize(prompt.encode(), add_bos=False, special=True)
    assert ids.count(llama.token_bos()) == 1
    used = llama.create_chat_completion(messages=MESSAGES, max_tokens=1)["usage"]
    assert used["prompt_tokens"] == len(ids)


def test_eot_is_one_token_and_end_of_generation(llama) -> None:
    ids = llama.tokenize(EOT.encode(), add_bos=False, special=True)
    assert ids == [llama.token_eos()]
    assert llama_cpp.llama_vocab_is_eog(llama._model.vocab, ids[0])
    # without special=True it is plain text, split into several tokens
    assert len(llama.tokenize(EOT.encode(), add_bos=False, special=False)) > 1
    # the merges make ordinary words shorter than byte-per-byte
    assert len(llama.tokenize(b" the message", add_bos=False)) < len(b" the message")


def test_missing_shard_is_an_error_not_a_crash(tiny_llama4: Path, tmp_path: Path) -> None:
    for path in shard_paths(tiny_llama4.parent)[:2]:  # leave out the third
        shutil.copy(path, tmp_path / path.name)
    with pytest.raises(ValueError):
        llama_cpp.Llama(model_path=str(tmp_path / tiny_llama4.name), verbose=False)
