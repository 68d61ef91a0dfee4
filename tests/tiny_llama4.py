"""Write a tiny random-weight Llama 4 (Maverick-shaped) GGUF model, split in shards.

The model is meant for tests that need a real ``llama4`` GGUF without downloading
hundreds of gigabytes: llama.cpp loads it, tokenizes with a Llama 4 style BPE
vocabulary, renders Llama 4's chat template and stops at ``<|eot|>``.  The text it
generates is noise (random weights), so tests should constrain output with a
grammar / JSON schema when they need parsable text.

Shape, in miniature, of Llama-4-Maverick-17B-128E-Instruct:

* 128 routed experts, 1 used per token, plus one shared expert on MoE layers;
* MoE FFN on every second layer (``interleave_moe_layer_step = 2``), dense FFN on
  the others;
* no ``attention.sliding_window`` key, so llama.cpp uses chunked attention on
  3 of every 4 layers and NoPE on every 4th layer (its built-in defaults for
  llama4);
* 128 experts makes llama.cpp classify it as ``17B.128x``, which (like Maverick)
  disables the QK L2-norm.

Usage::

    from tests.tiny_llama4 import write_tiny_llama4
    first_shard = write_tiny_llama4(tmp_path)  # .../tiny-llama4-00001-of-00003.gguf
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import numpy as np

# --------------------------------------------------------------------------- #
# Model constants
# --------------------------------------------------------------------------- #

ARCH = "llama4"
MODEL_NAME = "tiny-llama4-test"
FILE_STEM = "tiny-llama4"
SEED = 1234

N_LAYER = 4
N_EMBD = 64
N_HEAD = 4
N_HEAD_KV = 2
HEAD_DIM = N_EMBD // N_HEAD  # 16; llama4 requires n_rot == head dim
N_FF = 128  # dense FFN ("intermediate_size_mlp")
N_FF_EXP = 32  # per-expert and shared-expert FFN ("intermediate_size")
N_EXPERT = 128
N_EXPERT_USED = 1
MOE_LAYER_STEP = 2  # layers 1, 3 (0-based) are MoE
CONTEXT_LENGTH = 4096
ROPE_FREQ_BASE = 500000.0
RMS_EPS = 1e-5
N_MERGES = 240

# Llama 4 special tokens (a subset), all CONTROL tokens, appended after the
# byte tokens and the merged tokens.
BOS = "<|begin_of_text|>"
EOS_TEXT = "<|end_of_text|>"
HEADER_START = "<|header_start|>"
HEADER_END = "<|header_end|>"
EOT = "<|eot|>"
EOM = "<|eom|>"
PAD = "<|finetune_right_pad|>"
SPECIAL_TOKENS = (BOS, EOS_TEXT, HEADER_START, HEADER_END, EOT, EOM, PAD)

# Llama 4 chat format, written as a plain Jinja template (string or list-of-parts
# content; add_generation_prompt opens the assistant turn).  Every tag uses "-"
# whitespace control so the output is the same with or without trim_blocks /
# lstrip_blocks (llama-cpp-python and transformers enable both).
CHAT_TEMPLATE = (
    "{{- bos_token -}}\n"
    "{%- for message in messages -%}\n"
    "  {{- '<|header_start|>' + message['role'] + '<|header_end|>\\n\\n' -}}\n"
    "  {%- if message['content'] is string -%}\n"
    "    {{- message['content'] -}}\n"
    "  {%- elif message['content'] is not none -%}\n"
    "    {%- for part in message['content'] -%}\n"
    "      {%- if part['type'] == 'text' -%}\n"
    "        {{- part['text'] -}}\n"
    "      {%- endif -%}\n"
    "    {%- endfor -%}\n"
    "  {%- endif -%}\n"
    "  {{- '<|eot|>' -}}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "  {{- '<|header_start|>assistant<|header_end|>\\n\\n' -}}\n"
    "{%- endif -%}\n"
)

# Small English sample the BPE merges are learnt from (so common words and
# letter pairs become single tokens).
_MERGE_CORPUS = """
The quick brown fox jumps over the lazy dog. Hello, this is a test of the
tokenizer and the model. You are a helpful assistant that answers in JSON.
Please reply with a short name and a status. The answer is yes or no.
Thank you for your message; we will get back to you with the information
you requested. This message is about the order, the delivery and the
payment. There is one more thing to check before the meeting on Monday.
She said that they would come to the station in the morning and then
go to the office. What is your name? My name is Clarion and I write
messages for people. Text, string, number, value, type, object, true,
false, null, status, ready, pending, done, error, ok, and, the, ing, tion.
"""


# --------------------------------------------------------------------------- #
# Tokenizer
# --------------------------------------------------------------------------- #


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character mapping."""
    printable = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def _learn_merges(text: str, n_merges: int, byte_map: dict[int, str]) -> list[tuple[str, str]]:
    """Greedy BPE training on ``text`` (words keep their leading space)."""
    words = re.findall(r" ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]+|\s+", text)
    counts = Counter(tuple(byte_map[b] for b in w.encode("utf-8")) for w in words)
    seqs = {w: list(w) for w in counts}
    merges: list[tuple[str, str]] = []
    for _ in range(n_merges):
        pairs: Counter[tuple[str, str]] = Counter()
        for w, n in counts.items():
            s = seqs[w]
            for a, b in itertools.pairwise(s):
                pairs[(a, b)] += n
        if not pairs:
            break
        # most frequent pair; ties broken deterministically by the pair text
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        joined = best[0] + best[1]
        for w in counts:
            s = seqs[w]
            out: list[str] = []
            i = 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(joined)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    return merges


def build_vocab() -> tuple[list[str], list[int], list[str], dict[str, int]]:
    """Return (tokens, token_types, merges, special_token_ids)."""
    from gguf import TokenType

    byte_map = _bytes_to_unicode()
    tokens = [byte_map[b] for b in range(256)]
    types = [int(TokenType.NORMAL)] * 256
    merges = _learn_merges(_MERGE_CORPUS, N_MERGES, byte_map)
    seen = set(tokens)
    for a, b in merges:
        if a + b not in seen:
            seen.add(a + b)
            tokens.append(a + b)
            types.append(int(TokenType.NORMAL))
    special_ids: dict[str, int] = {}
    for tok in SPECIAL_TOKENS:
        special_ids[tok] = len(tokens)
        tokens.append(tok)
        types.append(int(TokenType.CONTROL))
    return tokens, types, [f"{a} {b}" for a, b in merges], special_ids


# --------------------------------------------------------------------------- #
# Weights
# --------------------------------------------------------------------------- #


def _tensors(n_vocab: int) -> list[tuple[str, np.ndarray]]:
    """All tensors, numpy shapes (reverse of ggml's ne order), in file order."""
    rng = np.random.default_rng(SEED)

    def mat(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16)

    def norm() -> np.ndarray:
        return np.ones(N_EMBD, dtype=np.float32)

    out: list[tuple[str, np.ndarray]] = [("token_embd.weight", mat(n_vocab, N_EMBD))]
    for i in range(N_LAYER):
        p = f"blk.{i}."
        out += [
            (p + "attn_norm.weight", norm()),
            (p + "attn_q.weight", mat(N_HEAD * HEAD_DIM, N_EMBD)),
            (p + "attn_k.weight", mat(N_HEAD_KV * HEAD_DIM, N_EMBD)),
            (p + "attn_v.weight", mat(N_HEAD_KV * HEAD_DIM, N_EMBD)),
            (p + "attn_output.weight", mat(N_EMBD, N_HEAD * HEAD_DIM)),
            (p + "ffn_norm.weight", norm()),
        ]
        if (i + 1) % MOE_LAYER_STEP == 0:
            out += [
                # router: ggml {n_embd, n_expert}; kept in F32 like real conversions
                (p + "ffn_gate_inp.weight", mat(N_EXPERT, N_EMBD).astype(np.float32)),
                (p + "ffn_gate_exps.weight", mat(N_EXPERT, N_FF_EXP, N_EMBD)),
                (p + "ffn_up_exps.weight", mat(N_EXPERT, N_FF_EXP, N_EMBD)),
                (p + "ffn_down_exps.weight", mat(N_EXPERT, N_EMBD, N_FF_EXP)),
                (p + "ffn_gate_shexp.weight", mat(N_FF_EXP, N_EMBD)),
                (p + "ffn_up_shexp.weight", mat(N_FF_EXP, N_EMBD)),
                (p + "ffn_down_shexp.weight", mat(N_EMBD, N_FF_EXP)),
            ]
        else:
            out += [
                (p + "ffn_gate.weight", mat(N_FF, N_EMBD)),
                (p + "ffn_up.weight", mat(N_FF, N_EMBD)),
                (p + "ffn_down.weight", mat(N_EMBD, N_FF)),
            ]
    out += [
        ("output_norm.weight", norm()),
        ("output.weight", mat(n_vocab, N_EMBD)),
    ]
    return out


# --------------------------------------------------------------------------- #
# Writer
# --------------------------------------------------------------------------- #


def shard_paths(folder: Path, shards: int = 3) -> list[Path]:
    """The llama.cpp split file names ``tiny-llama4-0000i-of-0000n.gguf``."""
    return [
        Path(folder) / f"{FILE_STEM}-{i:05d}-of-{shards:05d}.gguf" for i in range(1, shards + 1)
    ]


def write_tiny_llama4(
    folder: Path, shards: int = 3, *, eos: str = EOT, eot_key: bool = True, pre: str = "llama4"
) -> Path:
    """Write the tiny model into ``folder`` as ``shards`` split files.

    ``eos``, ``eot_key`` and ``pre`` write a model as some converters do: eos naming
    ``<|end_of_text|>`` with no EOT key, or the pre-tokenizer ``default``.

    Returns the path of the first shard (the one to pass to llama.cpp).  Only the
    first shard holds the model metadata; every shard has ``split.no``,
    ``split.count`` and ``split.tensors.count``, as ``llama-gguf-split`` writes.
    """
    import gguf

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    tokens, types, merges, special = build_vocab()
    tensors = _tensors(len(tokens))
    if not 2 <= shards <= len(tensors):
        raise ValueError(f"shards must be between 2 and {len(tensors)}, got {shards}")
    per_shard = -(-len(tensors) // shards)  # ceil
    if -(-len(tensors) // per_shard) != shards:
        raise ValueError(f"{len(tensors)} tensors cannot be split into exactly {shards} shards")

    writer = gguf.GGUFWriter(folder / f"{FILE_STEM}.gguf", ARCH, split_max_tensors=per_shard)

    # general
    writer.add_name(MODEL_NAME)
    writer.add_license("llama4")
    writer.add_file_type(int(gguf.LlamaFileType.MOSTLY_F16))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

    # hparams (llama4.*)
    writer.add_vocab_size(len(tokens))
    writer.add_context_length(CONTEXT_LENGTH)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_rope_freq_base(ROPE_FREQ_BASE)
    writer.add_layer_norm_rms_eps(RMS_EPS)
    writer.add_expert_count(N_EXPERT)
    writer.add_expert_used_count(N_EXPERT_USED)
    writer.add_expert_feed_forward_length(N_FF_EXP)
    writer.add_interleave_moe_layer_step(MOE_LAYER_STEP)

    # tokenizer
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(special[BOS])
    writer.add_eos_token_id(special[eos])  # the instruct model's eos is <|eot|>
    if eot_key:
        writer.add_eot_token_id(special[EOT])
    writer.add_eom_token_id(special[EOM])
    writer.add_pad_token_id(special[PAD])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    for name, data in tensors:
        writer.add_tensor(name, data)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    paths = shard_paths(folder, shards)
    missing = [p for p in paths if not p.is_file()]
    if missing:  # pragma: no cover - would mean gguf changed its naming
        raise RuntimeError(f"gguf did not write the expected shards: {missing}")
    return paths[0]


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(write_tiny_llama4(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
