"""Message-engine grid: the composed version and the model's version of every cell, per check.

The grid (issue "message maps"): 8 audiences × all 7 channels × de and en, plus SMS and letter
in tr, ar, uk, ru, de-einfach and de-leicht; every topic's map for the composed version. The
model's version is asked for a sample of the grid (`--model-cells`, every n-th cell), with the
bundled model or with the tiny random-weight llama4 GGUF of tests/tiny_llama4.py, whose
nonsense the gate must reject every time. Prints Markdown and writes it into
docs/engine-grid.md between its markers.

    python -m bench.engine_grid [--topics measles,flu] [--models default,tiny-llama4]
                                [--model-cells 24] [--out docs/engine-grid.md | --out -]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bench.report import load_average, publish
from bench.rig import FACTS, FACTS_IN_LANGUAGES
from comms.accounts.auth import Identity
from comms.campaign_facts import localized
from comms.drafting.draft import ADVISORY_ITEMS, Request, resolve
from comms.drafting.write import adapt_message, compose_message
from comms.maps.library import shipped_map_ids
from comms.maps.native import pending_languages, propose_native_check
from comms.maps.schema import TRANSLATED_LANGUAGES
from comms.maps.store import MapStore
from comms.message import Message
from comms.model.backends import build_chat_model
from comms.report import LintReport
from core.catalog import load_catalog
from core.settings import Settings, load_settings
from knowledge import open_store
from knowledge.ingest import sync_corpus

DOC = Path(__file__).resolve().parent.parent / "docs" / "engine-grid.md"
MAIN_LANGUAGES = ("de", "en")
MORE_LANGUAGES = ("tr", "ar", "uk", "ru", "de-einfach", "de-leicht")
MORE_CHANNELS = ("sms", "letter")
NONSENSE_CAP = 40  # no message may score above this with too few real words


@dataclass
class Column:
    """Per-check pass counts and per-message figures of one version."""

    seen: Counter[str] = field(default_factory=Counter)
    passed: Counter[str] = field(default_factory=Counter)
    ok: int = 0
    clean: int = 0  # every check passed, warnings too
    scores: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    word_shares: list[float] = field(default_factory=list)
    over_cap: int = 0  # scored above 40 although real_words failed

    def add(self, report: LintReport, seconds: float) -> None:
        for item in report.items:
            if item.max_points == 0 and item.passed:
                continue  # not applicable (no myth, no numbers): not counted as a pass
            self.seen[item.id] += 1
            self.passed[item.id] += item.passed
        failed = report.failed()
        self.ok += report.ok
        self.clean += not [i for i in failed if i.id not in ADVISORY_ITEMS]
        self.scores.append(report.score)
        self.times.append(seconds)
        words = next((i for i in report.items if i.id == "real_words"), None)
        if words is not None:
            share = words.reason_args.get("share")  # the share in percent, as the check says
            if share is not None:
                self.word_shares.append(int(share) / 100)
            self.over_cap += (not words.passed) and report.score > NONSENSE_CAP


def _pct(count: int, total: int) -> str:
    return f"{count / total:.0%} ({count}/{total})" if total else "–"


def grid(topics: list[str]) -> list[Request]:
    """Every cell of the grid, for each topic."""
    audiences = [a.id for a in load_catalog().audiences]
    channels = [c.id for c in load_catalog().channels]
    cells = []
    for topic in topics:
        for audience in audiences:
            cells += [Request(topic, audience, ch, lg) for lg in MAIN_LANGUAGES for ch in channels]
            cells += [
                Request(topic, audience, ch, lg) for lg in MORE_LANGUAGES for ch in MORE_CHANNELS
            ]
    return cells


@dataclass
class Purity:
    """Cells in a language other than German whose composed text has a German logistics word,
    with the grid's one-language fact sheet and with one that has each language's text."""

    cells: int = 0
    mixed: Counter[str] = field(default_factory=Counter)  # sheet → cells with a German word

    def add(self, sheet: str, text: str, language: str) -> None:
        words = german_words(language)
        self.mixed[sheet] += any(w in _words(text) for w in words)

    def table(self) -> str:
        lines = ["| fact sheet | cells in en, tr, ar, uk, ru | with a German logistics word |",
                 "|---|---|---|"]  # fmt: skip
        sheets = (("german", "German only (the grid's)"),
                  ("translated", "with each language's text (translations)"))  # fmt: skip
        for sheet, label in sheets:
            lines.append(f"| {label} | {self.cells} | {_pct(self.mixed[sheet], self.cells)} |")
        return "\n".join(lines)


@lru_cache(maxsize=16)
def german_words(language: str) -> frozenset[str]:
    """The words of the campaign's German values that its text in `language` does not have
    ("gesundheitsamt", "kostenlos"; not the street's name)."""
    german = " ".join(FACTS_IN_LANGUAGES.filled().values())
    own = " ".join(localized(FACTS_IN_LANGUAGES, language)[0].filled().values())
    return frozenset({w for w in _words(german) if len(w) >= 3} - _words(own))


@dataclass
class Native:
    """Cells in tr, ar, uk, ru that carry the advice needs_native_reader: with the maps as
    shipped (every one pending), and again after a native check of each is recorded and
    approved (issue 30)."""

    cells: int = 0
    before: int = 0
    after: int = 0

    def table(self) -> str:
        return "\n".join([
            f"| maps | cells in {', '.join(TRANSLATED_LANGUAGES)} | carrying needs_native_reader |",
            "|---|---|---|",
            f"| as shipped (native_review_pending: [tr, ar, uk, ru]) | {self.cells} | "
            f"{_pct(self.before, self.cells)} |",
            f"| after a recorded and approved native check of each language | {self.cells} | "
            f"{_pct(self.after, self.cells)} |",
        ])  # fmt: skip


def carries_advice(report: LintReport) -> bool:
    """Whether a message's checks say no native speaker has checked its translation."""
    return any(i.id == "needs_native_reader" and not i.passed for i in report.items)


def check_natively(settings: Settings, topics: list[str]) -> None:
    """Record a native check of every translated language of each topic's map, as a reader of
    them all would, and have a second admin approve each proposal."""
    maps = MapStore(settings)
    reader = Identity("bench-reader", "admin", frozenset(TRANSLATED_LANGUAGES))
    for topic in topics:
        for language in TRANSLATED_LANGUAGES:
            if language in pending_languages(maps.latest(topic).text):
                proposal = propose_native_check(maps, topic, language, reader=reader)
                maps.approve(topic, approver="bench-approver", number=proposal.number)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", text.lower()))


def table(composed: Column, models: dict[str, Column], chosen: dict[str, Counter[str]]) -> str:
    """Markdown: one row per check for the composed version and each model's, then totals."""
    columns = {"composed version": composed} | {
        f"{name}'s version": c for name, c in models.items()
    }
    lines = ["| check | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for item in sorted({i for c in columns.values() for i in c.seen}):
        cells = [_pct(c.passed[item], c.seen[item]) for c in columns.values()]
        lines.append(f"| {item} | " + " | ".join(cells) + " |")
    rows = {
        "**every error-level check**": [_pct(c.ok, len(c.times)) for c in columns.values()],
        "**every check, warnings too**": [_pct(c.clean, len(c.times)) for c in columns.values()],
        "mean score (0–100)": [_mean(c.scores, "{:.0f}") for c in columns.values()],
        "real-word share, lowest / median": [_spread(c.word_shares) for c in columns.values()],
        f"score above {NONSENSE_CAP} with too few real words": [
            str(c.over_cap) for c in columns.values()
        ],
        "time to this version, median / slowest": [_times(c.times) for c in columns.values()],
    }
    lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows.items()]
    shown = "; ".join(
        f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        for name, counts in chosen.items()
    )
    return "\n".join(lines) + f"\n\nVersion shown to staff where a model was asked: {shown or '–'}."


def _mean(values: list[int], fmt: str) -> str:
    return fmt.format(statistics.mean(values)) if values else "–"


def _spread(values: list[float]) -> str:
    return f"{min(values):.0%} / {statistics.median(values):.0%}" if values else "–"


def _times(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{_seconds(statistics.median(values))} / {_seconds(max(values))}"


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def _model_path(kind: str, folder: Path) -> Path | None:
    """The GGUF to load: the bundled default (None) or the tiny random-weight llama4."""
    if kind == "tiny-llama4":
        from tests.tiny_llama4 import write_tiny_llama4

        return write_tiny_llama4(folder / "tiny-llama4")
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", default=",".join(shipped_map_ids()))
    parser.add_argument(
        "--models",
        default="default,tiny-llama4",
        help="models asked for their version: default, tiny-llama4 or none",
    )
    parser.add_argument("--model-cells", type=int, default=24, help="cells the models are asked")
    parser.add_argument("--out", default=str(DOC), help="Markdown file to update, or - for none")
    args = parser.parse_args(argv)
    cells = grid(args.topics.split(","))
    kinds = [k for k in args.models.split(",") if k and k != "none"]
    load_before, started = load_average(), time.monotonic()
    composed, translated, purity, native = Column(), Column(), Purity(), Native()
    models = {kind: Column() for kind in kinds}
    chosen: dict[str, Counter[str]] = {kind: Counter() for kind in kinds}
    stride = max(1, len(cells) // args.model_cells) if args.model_cells and kinds else 0
    with tempfile.TemporaryDirectory(prefix="clarion-grid-") as folder:
        settings = load_settings(data_dir=Path(folder))
        store = open_store(settings)
        sync_corpus(store)
        chats = {}
        for kind in kinds:
            path = _model_path(kind, Path(folder))
            # The tiny model's 503-token vocabulary spells a prompt out in many more tokens.
            extra = {"llm_context": 8192} if path is not None else {}
            chats[kind] = build_chat_model(
                settings.model_copy(update={"model_path": path, **extra})
            )
        for n, request in enumerate(cells):
            resolved = resolve(request)
            begun = time.perf_counter()
            floor = compose_message(resolved, settings=settings, store=store, facts=FACTS)
            composed.add(floor.message.checks, time.perf_counter() - begun)
            if request.language in TRANSLATED_LANGUAGES:
                native.cells += 1
                native.before += carries_advice(floor.message.checks)
            if not request.language.startswith("de"):
                purity.cells += 1
                purity.add("german", floor.message.text, request.language)
                other = compose_message(resolved, settings=settings, store=store,
                                        facts=FACTS_IN_LANGUAGES)  # fmt: skip
                purity.add("translated", other.message.text, request.language)
                translated.add(other.message.checks, 0.0)
            for kind, chat in chats.items() if stride and n % stride == 0 else ():
                begun = time.perf_counter()
                message = adapt_message(floor, settings=settings, chat=chat, store=store,
                                        facts=FACTS)  # fmt: skip
                models[kind].add(message.model_checks, time.perf_counter() - begun)
                chosen[kind][message.version] += 1
                _progress(kind, request, message)
        check_natively(settings, args.topics.split(","))
        for request in [r for r in cells if r.language in TRANSLATED_LANGUAGES]:
            again = compose_message(resolve(request), settings=settings, store=store, facts=FACTS)
            native.after += carries_advice(again.message.checks)
    names = ", ".join(f"{kind} = {chat.info.model_id}" for kind, chat in chats.items())
    heading = (
        f"{len(cells)} cells: {args.topics.count(',') + 1} topic map(s) × 8 audiences × 7 channels "
        f"× de, en, plus SMS and letter × {', '.join(MORE_LANGUAGES)}. Models ({names or 'none'}) "
        f"were asked for {len(next(iter(models.values())).times) if models else 0} of them "
        f"(every {stride or '–'}th cell); repair_tries {settings.repair_tries}."
    )
    languages = (
        f"Language purity (issue 25): the composed text of every cell in another language than "
        f"German, with the grid's fact sheet (German values with an English gloss) and with "
        f"bench.rig.FACTS_IN_LANGUAGES, which has each language's text; with it, "
        f"{_pct(translated.ok, len(translated.times))} of those cells pass every error-level "
        f"check.\n\n{purity.table()}"
    )
    checked = (
        "Translations no native speaker has checked (issue 30): the composed tr, ar, uk and ru "
        "cells that carry the advice needs_native_reader, with the maps as shipped and after "
        "`comms.maps.native.propose_native_check` and a second admin's approval for each "
        f"language of each map.\n\n{native.table()}"
    )
    body = f"{heading}\n\n{table(composed, models, chosen)}\n\n{languages}\n\n{checked}"
    publish(body, load_before, started, args.out)


def _progress(kind: str, request: Request, message: Message) -> None:
    reasons = message.rejected_model_version.reasons if message.rejected_model_version else []
    cell = f"{request.topic} {request.language} {request.audience} {request.channel}"
    failed = [r["item"] for r in reasons]
    print(f"{kind} {cell}: {message.version}; {failed}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
