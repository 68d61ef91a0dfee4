"""Pack wall time with the prefix-sharing order against the reverse nesting.

    CLARION_DATA_DIR=data .venv/bin/python -m bench.pack_order \
        --campaign examples/flu-campaign.yaml [--audiences older-adults,health-workers] \
        [--channels sms] [--languages de,en]

Every run drafts the same cells with the same seeds and one model call per message (no repair
rounds), through one in-process llama.cpp model whose KV cache is cleared before each run.
"prefix-sharing" is what generate_pack does: the pack's one evidence set, packs.plan_order.
"reversed" uses the same evidence but nests the dimensions the other way round, so consecutive
prompts differ as early as they can. "own evidence per message" keeps the order but lets each
message retrieve its own evidence, as a message drafted alone does. The table gives messages,
failures, wall time, seconds per message, and the prompt tokens llama.cpp evaluated against those
it reused from the previous prompt. Needs the knowledge index.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comms.drafting.draft import Request, draft_message
from comms.drafting.template import load_template
from comms.model.backends import Completion, LlamaCppChat
from comms.packs.campaign import Campaign, Cell, cells, load_campaign
from comms.packs.generation import cell_seed, dimension_order, pack_evidence, plan_order
from core.errors import GenerationError
from core.settings import Settings, load_settings
from knowledge import open_store
from knowledge.retrieval.search import Passage
from knowledge.retrieval.store import Store


@dataclass
class Tally:
    """Prompt tokens evaluated and reused, counted at llama.cpp's eval calls."""

    evaluated: int = 0
    reused: int = 0
    calls: int = 0

    def watch(self, chat: LlamaCppChat) -> None:
        original = chat.complete

        def counting_complete(*args: Any, **kwargs: Any) -> Completion:
            done = original(*args, **kwargs)
            evaluated = int(done.extra.get("evaluated_tokens", 0))
            self.calls += 1
            self.evaluated += evaluated
            self.reused += done.prompt_tokens - evaluated
            return done

        chat.complete = counting_complete  # type: ignore[method-assign]


def narrowed(campaign: Campaign, args: argparse.Namespace) -> Campaign:
    changes = {dim: getattr(args, dim).split(",") for dim in ("audiences", "channels", "languages")}
    return campaign.model_copy(update={k: v for k, v in changes.items() if v != [""]})


def run(order: list[Cell], campaign: Campaign, settings: Settings, chat: LlamaCppChat,
        store: Store, evidence: list[Passage] | None) -> tuple[float, int, Tally]:  # fmt: skip
    chat.reset()  # start cold: no prefix from the previous run
    tally = Tally()
    tally.watch(chat)
    failed, started = 0, time.monotonic()
    for cell in order:
        request = Request(campaign.topic, cell.audience, cell.channel, cell.language)
        try:
            draft_message(
                request, settings=settings, chat=chat, store=store,
                seed=cell_seed(campaign, settings, cell), facts=campaign.fact_sheet,
                passages=evidence,
            )  # fmt: skip
        except GenerationError:
            failed += 1
    return time.monotonic() - started, failed, tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaign", type=Path, default=Path("examples/flu-campaign.yaml"))
    for dim in ("audiences", "channels", "languages"):
        parser.add_argument(f"--{dim}", default="", help="comma-separated subset")
    args = parser.parse_args()
    campaign = narrowed(load_campaign(args.campaign), args)
    settings = load_settings(repair_tries=0)
    chat, store = LlamaCppChat(settings), open_store(settings)
    template = load_template("draft_message", settings)
    reverse = dimension_order(campaign, template)[::-1]
    evidence = pack_evidence(store, campaign, settings)
    runs = {  # name: (order, evidence); None: each message retrieves its own, as drafted alone
        "prefix-sharing": (plan_order(campaign, template), evidence),
        "reversed": (
            sorted(cells(campaign), key=lambda c: [getattr(c, d) for d in reverse]),
            evidence,
        ),
        "own evidence per message": (plan_order(campaign, template), None),
    }
    print("| order | messages | failed | wall s | s/message | prompt tokens evaluated | reused |")
    print("|---|---|---|---|---|---|---|")
    for name, (order, passages) in runs.items():
        seconds, failed, tally = run(order, campaign, settings, chat, store, passages)
        print(
            f"| {name} | {len(order)} | {failed} | {seconds:.0f} | {seconds / len(order):.1f} "
            f"| {tally.evaluated} | {tally.reused} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
