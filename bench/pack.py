"""P2: a 24-message pack (8 audiences × 3 channels, one language) against 24 independent calls.

Clarion's way: one evidence set for the pack (draft_message(passages=...)) and the cells in the
order the template changes them (audience outside, channel inside), so each prompt shares a long
prefix with the one before and llama.cpp evaluates only the rest. Naive: every call retrieves
its own evidence and starts from an empty KV cache. Both draft the same cells with the same seed
and generate at most CAP tokens per message (cut-off answers are closed, see RecordingChat), so
the decode work is the same and the difference is the prompt work.
"""

from __future__ import annotations

import time

from bench.report import Row
from bench.rig import FACTS, RecordingChat, Rig, TokenCount
from comms.drafting.draft import Request, draft_message, resolve
from core.catalog import load_catalog
from core.errors import GenerationError
from knowledge.retrieval.search import Filters, search

CHANNELS = ("sms", "social", "letter")
LANGUAGE = "en"
TOPIC = "flu"
CAP = 48
TARGET = 2.5


def requests() -> list[Request]:
    """The pack's cells: audience-major, so consecutive prompts differ as late as possible."""
    audiences = [a.id for a in load_catalog().audiences][:8]
    return [Request(TOPIC, a, c, LANGUAGE) for a in audiences for c in CHANNELS]


def draft_pack(rig: Rig, chat: RecordingChat, shared: bool) -> tuple[float, int]:
    """Draft every cell; seconds taken and how many failed."""
    rig.chat.reset()
    failed, started = 0, time.perf_counter()
    passages = None
    if shared:  # one evidence set for the whole pack, retrieved once
        topic = resolve(requests()[0]).topic
        passages = search(
            rig.store,
            topic.search["en"],
            k=rig.settings.retrieval_k,
            filters=Filters(vaccine=TOPIC),
        )
    for request in requests():
        try:
            draft_message(
                request,
                settings=rig.settings,
                chat=chat,
                store=rig.store,
                facts=FACTS,
                passages=passages,
            )
        except GenerationError:
            failed += 1
    return time.perf_counter() - started, failed


def run(rig: Rig) -> list[Row]:
    """One warm-up message, then the naive pack and Clarion's pack, each timed whole."""
    counter = TokenCount().watch_chat(rig.chat)
    warm = RecordingChat(rig.chat, cap=CAP)
    draft_message(requests()[0], settings=rig.settings, chat=warm, store=rig.store, facts=FACTS)
    results = {}
    for name, chat, shared in (
        ("naive", RecordingChat(rig.chat, cap=CAP, fresh_cache=True), False),
        ("clarion", RecordingChat(rig.chat, cap=CAP), True),
    ):
        counter.clear()
        with rig.measuring():
            seconds, failed = draft_pack(rig, chat, shared)
        results[name] = (
            seconds,
            failed,
            sum(counter.prompt),
            sum(counter.evaluated),
            sum(counter.generated),
            len(counter.prompt),
        )
    naive, ours = results["naive"], results["clarion"]
    speedup = naive[0] / ours[0]
    cells = len(requests())
    return [
        Row(
            "P2",
            f"{cells}-message pack ({len(CHANNELS)} channels × 8 audiences, {LANGUAGE}), s",
            f"{ours[0]:.1f}",
            f"{naive[0]:.1f}",
            ours[0] / naive[0],
            f"≤ {1 / TARGET:.2f}× (≥ {TARGET}× faster)",
            speedup >= TARGET,
            f"{speedup:.2f}× faster; ≤ {CAP} tokens generated per message "
            f"({ours[4]} vs {naive[4]} in all); failed {ours[1]} vs {naive[1]}",
        ),
        Row(
            "P2",
            "pack: prompt tokens llama.cpp evaluated",
            f"{ours[3]:,} of {ours[2]:,}",
            f"{naive[3]:,} of {naive[2]:,}",
            ours[3] / max(naive[3], 1),
            "–",
            None,
            f"{ours[2] - ours[3]:,} prompt tokens reused from the KV cache in {ours[5]} calls; "
            f"naive reused {naive[2] - naive[3]:,} in {naive[5]}",
        ),
    ]
