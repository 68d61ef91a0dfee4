"""Message-engine grid: pass rate of each check before and after repair, and time per message.

Runs the default model over audiences × channels × languages (default: all 8 audiences, SMS,
letter and social post, German and English), prints one line per message as it goes, then a
Markdown table, and writes the table into docs/engine-grid.md (between its markers).

    python -m bench.engine_grid [--audiences N] [--channels sms,letter] [--languages de,en]
                                [--out docs/engine-grid.md | --out -]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import load_average, publish
from bench.rig import FACTS
from comms.drafting.draft import Request, draft_message
from comms.message import Message
from comms.model.backends import build_chat_model
from knowledge import open_store
from knowledge.base.catalog import load_catalog
from knowledge.base.settings import load_settings
from knowledge.ingest import sync_corpus

DOC = Path(__file__).resolve().parent.parent / "docs" / "engine-grid.md"


@dataclass
class Tally:
    """Per-check pass counts before and after repair, and per-message figures."""

    seen: Counter[str] = field(default_factory=Counter)
    before: Counter[str] = field(default_factory=Counter)
    after: Counter[str] = field(default_factory=Counter)
    ok_before: int = 0
    ok_after: int = 0
    scores_before: list[int] = field(default_factory=list)
    scores_after: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)

    def add(self, message: Message, seconds: float) -> None:
        first, last = message.first_checks, message.checks
        for item in first.items:
            self.seen[item.id] += 1
            self.before[item.id] += item.passed
        for item in last.items:
            self.after[item.id] += item.passed
        self.ok_before += first.ok
        self.ok_after += last.ok
        self.scores_before.append(first.score)
        self.scores_after.append(last.score)
        self.times.append(seconds)
        self.attempts.append(message.attempts)

    def table(self) -> str:
        """Markdown: one row per check, then every error check together, then the score."""
        total = len(self.times)
        lines = ["| check | passing before repair | passing after repair |", "|---|---|---|"]
        for item in sorted(self.seen):
            seen = self.seen[item]
            lines.append(f"| {item} | {_share(self.before[item], seen)} | "
                         f"{_share(self.after[item], seen)} |")  # fmt: skip
        lines.append(f"| **every error-level check** | {_share(self.ok_before, total)} | "
                     f"{_share(self.ok_after, total)} |")  # fmt: skip
        lines.append(f"| mean score (0–100) | {statistics.mean(self.scores_before):.0f} | "
                     f"{statistics.mean(self.scores_after):.0f} |")  # fmt: skip
        return "\n".join(lines)

    def summary(self) -> str:
        return (
            f"mean time per message {statistics.mean(self.times):.1f} s (median "
            f"{statistics.median(self.times):.1f} s, slowest {max(self.times):.1f} s); "
            f"mean attempts {statistics.mean(self.attempts):.2f}"
        )


def _share(count: int, total: int) -> str:
    return f"{count / total:.0%} ({count}/{total})" if total else "–"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audiences", type=int, default=8)
    parser.add_argument("--channels", default="sms,letter,social")
    parser.add_argument("--languages", default="de,en")
    parser.add_argument("--topic", default="flu")
    parser.add_argument("--out", default=str(DOC), help="Markdown file to update, or - for none")
    args = parser.parse_args(argv)
    audiences = [a.id for a in load_catalog().audiences][: args.audiences]
    channels, languages = args.channels.split(","), args.languages.split(",")
    load_before, started, tally = load_average(), time.monotonic(), Tally()
    with tempfile.TemporaryDirectory(prefix="clarion-grid-") as folder:
        settings = load_settings(data_dir=Path(folder))
        store = open_store(settings)
        sync_corpus(store)
        chat = build_chat_model(settings)
        for language in languages:
            for audience in audiences:
                for channel in channels:
                    request = Request(args.topic, audience, channel, language)
                    begun = time.perf_counter()
                    message = draft_message(
                        request, settings=settings, chat=chat, store=store, facts=FACTS
                    )
                    tally.add(message, time.perf_counter() - begun)
                    failed = [i.id for i in message.checks.failed()]
                    print(f"{language} {audience} {channel}: {tally.times[-1]:.1f} s, "
                          f"{message.attempts} attempt(s), still failing: {failed or 'none'}",
                          file=sys.stderr, flush=True)  # fmt: skip
    heading = (
        f"{len(tally.times)} messages: {len(audiences)} audiences × {', '.join(channels)} × "
        f"{', '.join(languages)}, topic {args.topic}; model {chat.info.model_id}; "
        f"repair_tries {settings.repair_tries}; {settings.llm_threads} generation / "
        f"{settings.llm_batch_threads} prompt thread(s)"
    )
    table = f"{heading}\n\n{tally.table()}\n\n{tally.summary()}"
    publish(table, load_before, started, args.out)


if __name__ == "__main__":
    main()
