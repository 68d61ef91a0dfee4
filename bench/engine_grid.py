"""Message-engine grid: pass rate of each check before and after repair, and time per message.

Runs the default model over audiences × channels × languages (default: all 8 audiences, SMS,
letter and social post, German and English) and prints a Markdown table.
Usage: python -m bench.engine_grid [--audiences N] [--channels sms,letter] [--languages de,en]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from comms.catalog import load_catalog
from comms.draft import Request, draft_message
from comms.facts import FactSheet
from comms.llm import build_chat_model
from comms.settings import load_settings
from knowledge import open_store
from knowledge.ingest import sync_corpus

FACTS = FactSheet(
    what="Grippeimpfung / flu vaccination",
    when="2.–27. November 2026, Mo–Fr 9–12 Uhr",
    where="Gesundheitsamt Musterstadt, Hauptstraße 5",
    cost="kostenlos / free",
    booking="0123 456789 · example.org/impfen",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--audiences", type=int, default=8)
    parser.add_argument("--channels", default="sms,letter,social")
    parser.add_argument("--languages", default="de,en")
    parser.add_argument("--topic", default="flu")
    args = parser.parse_args()
    catalog = load_catalog()
    audiences = [a.id for a in catalog.audiences][: args.audiences]
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(data_dir=Path(folder))
        store = open_store(settings)
        sync_corpus(store)
        chat = build_chat_model(settings)
        before: Counter[str] = Counter()
        after: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        times, attempts = [], []
        for language in args.languages.split(","):
            for audience in audiences:
                for channel in args.channels.split(","):
                    request = Request(args.topic, audience, channel, language)
                    started = time.perf_counter()
                    message = draft_message(
                        request, settings=settings, chat=chat, store=store, facts=FACTS
                    )
                    times.append(time.perf_counter() - started)
                    attempts.append(message.attempts)
                    for item in message.first_checks["items"]:
                        seen[item["id"]] += 1
                        before[item["id"]] += item["passed"]
                    for item in message.checks["items"]:
                        after[item["id"]] += item["passed"]
    total = len(times)
    print(
        f"{total} messages ({len(audiences)} audiences × {args.channels} × {args.languages}), "
        f"model {chat.info.model_id}, {settings.llm_threads} threads, repair_tries "
        f"{settings.repair_tries}\n"
    )
    print("| check | passing before repair | passing after repair |\n|---|---|---|")
    for item in sorted(seen):
        print(f"| {item} | {before[item] / seen[item]:.0%} | {after[item] / seen[item]:.0%} |")
    print(
        f"\nmean time per message: {statistics.mean(times):.1f} s (median "
        f"{statistics.median(times):.1f} s); mean attempts {statistics.mean(attempts):.2f}"
    )


if __name__ == "__main__":
    main()
