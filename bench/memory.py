"""P6: peak resident memory of the app's work with the default model, against the raw libraries.

Each side runs in a fresh subprocess over the rig's indexed store and reports its peak RSS
(VmHWM from /proc/PID/status; for Clarion, its own plus its model worker's, the two processes
added up). Clarion: load_settings, build_chat_model, open_store (Chroma with the embedder) and
one draft_message. Raw: Llama, SentenceTransformer and a Chroma client, one
query embedding, one Chroma query and one create_chat_completion with Clarion's prompt and schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.report import Row
from bench.rig import Rig

TARGET_GB = 1.5
ROOT = Path(__file__).resolve().parent.parent

CLARION = """
import dataclasses, json, os
from bench.rig import FACTS, RecordingChat
from comms.drafting.draft import Request, draft_message
from comms.model.backends import build_chat_model
from core.settings import load_settings
from knowledge import open_store

settings = load_settings(repair_tries=0)
chat, store = build_chat_model(settings), open_store(settings)
recorder = RecordingChat(chat)  # only to hand the same prompt to the raw side
draft_message(Request("flu", "older-adults", "sms", "en"), settings=settings, chat=recorder,
              store=store, facts=FACTS)
with open(os.environ["BENCH_CALL"], "w") as handle:
    json.dump(dataclasses.asdict(recorder.calls[0]), handle)
processes = [chat.worker_pid]  # the model lives in a worker process: its memory counts too
"""

RAW = """
import json, os
import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_cpp import Llama
from sentence_transformers import SentenceTransformer
from core.settings import load_settings

settings = load_settings()
llama = Llama(model_path=str(settings.resolved_model_path()), n_ctx=settings.llm_context,
              n_threads=settings.llm_threads, n_threads_batch=settings.llm_batch_threads,
              verbose=False)
encoder = SentenceTransformer(str(settings.resolved_embedder_path()), device="cpu")
client = chromadb.PersistentClient(path=str(settings.chroma_dir),
                                   settings=ChromaSettings(anonymized_telemetry=False))
collection = client.get_collection(settings.collection)
collection.query(query_embeddings=encoder.encode(["flu vaccination older adults"]),
                 n_results=20, include=["documents", "metadatas", "distances"])
with open(os.environ["BENCH_CALL"]) as handle:
    call = json.load(handle)
llama.create_chat_completion(
    messages=call["messages"], response_format={"type": "json_object", "schema": call["schema"]},
    max_tokens=call["max_tokens"], temperature=call["temperature"], seed=call["seed"])
processes = []
"""

REPORT = """
import json, re
def peak(pid):
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(r"VmHWM:\\s*(\\d+)", status).group(1))
print(json.dumps({"peak_kb": peak("self") + sum(peak(pid) for pid in processes)}))
"""


def peak_gb(code: str, data: Path) -> float:
    """Peak RSS in GB of a fresh Python running code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    env |= {"CLARION_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    env |= {"BENCH_CALL": str(data / "bench-call.json")}
    done = subprocess.run(
        [sys.executable, "-c", code + REPORT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_kb"]) / 1e6


def run(rig: Rig) -> list[Row]:
    rig.store  # noqa: B018 -- the indexed store both subprocesses open
    data = rig.settings.data_dir
    ours, theirs = peak_gb(CLARION, data), peak_gb(RAW, data)
    return [
        Row(
            "P6",
            "peak RSS with the default model, one message, GB",
            f"{ours:.2f}",
            f"{theirs:.2f}",
            ours / theirs,
            f"≤ {TARGET_GB} GB",
            ours <= TARGET_GB,
            "VmHWM of a fresh process: settings, chat model, store with embedder, one message",
        )
    ]
