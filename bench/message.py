"""P1: one message end to end (draft_message, no repair rounds) against the raw libraries.

Raw: the same query embedded with SentenceTransformer.encode, the same Chroma query, and
llama-cpp-python's create_chat_completion with the prompt, schema, seed and temperature Clarion
sent, limited to the number of tokens Clarion's call generated. Both start from an empty KV cache.
"""

from __future__ import annotations

from typing import Any

from bench.report import Row
from bench.rig import FACTS, Call, RecordingChat, Rig, TokenCount, alternate, median
from comms.drafting.draft import Request, draft_message, resolve, retrieval_query
from knowledge.retrieval.search import Filters

REQUEST = Request("flu", "older-adults", "sms", "en")
TARGET = 1.15


def raw_message(rig: Rig, calls: list[Call], generated: list[int]) -> None:
    """Embed, query Chroma and complete with the raw libraries, as Clarion's draft did."""
    resolved = resolve(REQUEST)
    vector = rig.raw_encoder.encode([retrieval_query(resolved)], normalize_embeddings=True)
    rig.store.collection.query(
        query_embeddings=vector,
        n_results=rig.settings.retrieval_k * 4,
        where=Filters(vaccine=resolved.topic.id).where(),
        include=["documents", "metadatas", "distances"],
    )
    rig.raw_llama.reset()
    for call, tokens in zip(calls, generated, strict=True):
        rig.raw_llama.create_chat_completion(
            messages=call.messages,
            response_format={"type": "json_object", "schema": call.schema},
            max_tokens=tokens,
            temperature=call.temperature,
            seed=call.seed,
        )


def run(rig: Rig) -> list[Row]:
    """Time both ways over the same runs; report the medians."""
    recorder = RecordingChat(rig.chat)
    clarion_tokens = TokenCount().watch_chat(rig.chat)
    raw_tokens = TokenCount().watch(rig.raw_llama)
    rig.raw_encoder  # noqa: B018 -- loaded before timing

    calls: list[Call] = []
    generated: list[int] = []

    def clarion() -> Any:
        recorder.calls.clear()
        clarion_tokens.clear()
        rig.chat.reset()  # a cold prompt, like a single message in the app
        message = draft_message(
            REQUEST, settings=rig.settings, chat=recorder, store=rig.store, facts=FACTS
        )
        if not calls:  # the first (warm-up) run tells the raw side what to replay
            calls.extend(recorder.calls)
            generated.extend(clarion_tokens.generated)
        return message

    def raw() -> None:
        raw_tokens.clear()
        raw_message(rig, calls, generated)

    # The warm-up runs Clarion first.
    ours, theirs = alternate(clarion, raw, rig.runs(3), hold=rig.measuring)
    ratio = median(ours) / median(theirs)
    same = generated == raw_tokens.generated == clarion_tokens.generated
    note = (
        f"{sum(clarion_tokens.prompt)} prompt + {sum(clarion_tokens.generated)} generated tokens "
        f"in {len(calls)} call(s); raw generated {sum(raw_tokens.generated)}"
        + ("" if same else " (differs: compare per token)")
        + f"; median of {len(ours)}, repair_tries 0"
    )
    return [
        Row(
            "P1",
            "one message end to end (SMS, en), s",
            f"{median(ours):.2f}",
            f"{median(theirs):.2f}",
            ratio,
            f"≤ {TARGET}×",
            ratio <= TARGET,
            note,
        )
    ]
