"""`python -m comms pack …`, `native-check …` and `audit …`: message packs from a shell."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from comms.packs.audit import audit_csv
from comms.packs.evidence_flags import ChangedCell
from comms.packs.generation import PackRun, Progress
from comms.packs.store import PackStore
from comms.packs.worker import CellDone, Until
from core.errors import InputError
from core.settings import Settings, load_settings

CLI_USER = "cli"


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `pack` and `audit` commands to the CLI."""
    pack = sub.add_parser("pack", help="generate a message pack from a campaign file and export it")
    pack.add_argument("--campaign", required=True, type=Path, help="campaign file (YAML)")
    pack.add_argument("--out", type=Path, help="the pack ZIP to write (not with --queue)")
    pack.add_argument(
        "--queue",
        action="store_true",
        help="only queue the missing messages for `python -m comms worker` processes, the "
        "model asked, and exit; export the pack later, when they are done",
    )
    pack.add_argument("--resume", action="store_true", help="continue a stored campaign")
    pack.add_argument("--draft", action="store_true", help="export every message, marked DRAFT")
    pack.add_argument("--user", default=CLI_USER, help="name recorded in the audit trail")
    pack.add_argument(
        "--strict",
        action="store_true",
        help="refuse to export approved messages whose cited evidence changed since, or that "
        "are translations no native speaker has checked",
    )
    pack.add_argument(
        "--ask-model",
        action="store_true",
        help="also ask the model for its version of each message (kept only where it passes "
        "every check and keeps the key messages); without it every message is composed from "
        "the map",
    )
    stale = sub.add_parser(
        "stale", help="stored messages and map facts whose cited evidence changed since"
    )
    stale.add_argument("--campaign", help="only this campaign's messages")
    stale.add_argument("--json", action="store_true")
    native = sub.add_parser(
        "native-check",
        help="record that you, reading the language, checked a pack message as a native speaker",
    )
    native.add_argument("--campaign", required=True, help="campaign id")
    native.add_argument("--cell", required=True, help="e.g. tr__older-adults__sms__v1")
    native.add_argument("--user", required=True, help="your user name (python -m comms users list)")
    native.add_argument("--revision", type=int, help="the revision you read (default: current)")
    worker = sub.add_parser(
        "worker",
        help="write the queued pack messages of any campaign through the configured model, "
        "until stopped",
    )
    worker.add_argument(
        "--concurrency", type=int, help="messages at once (default: the model's slots)"
    )
    until = worker.add_mutually_exclusive_group()
    until.add_argument("--once", action="store_true", help="exit when nothing is left to take")
    until.add_argument(
        "--until-empty",
        action="store_true",
        help="exit when no message is queued or held by a worker (waits for other workers' "
        "messages, and takes them over when their lease runs out)",
    )
    worker.add_argument("--user", default="worker", help="name recorded in the audit trail")
    audit = sub.add_parser("audit", help="a campaign's audit trail as CSV")
    audit.add_argument("--campaign", required=True, help="campaign id")
    audit.add_argument("--csv", type=Path, help="file to write (default: standard output)")


def run(args: argparse.Namespace) -> int:
    """Run `pack` or `audit`."""
    match args.command:
        case "pack":
            return pack(args)
        case "stale":
            return stale(args)
        case "native-check":
            return native_check(args)
        case "worker":
            return worker(args)
    return audit(args)


def native_check(args: argparse.Namespace) -> int:
    """Mark one pack message checked by a native speaker (the user must read its language)."""
    from comms.accounts.auth import identity_named
    from comms.packs.campaign import Cell
    from comms.packs.native import mark_native_checked

    settings = load_settings()
    reader = identity_named(settings, args.user)
    cell = Cell.from_key(args.cell)
    marked = mark_native_checked(
        PackStore(settings), args.campaign, cell, reader=reader, revision=args.revision
    )
    print(f"{cell.key}: checked by a native speaker ({reader.name}), revision {marked.revision}.")
    return 0


def stale(args: argparse.Namespace) -> int:
    """List the messages (and, without --campaign, the map facts) on changed evidence."""
    import json

    from comms.maps.evidence_flags import changed_facts
    from comms.packs.evidence_flags import changed_cells

    settings = load_settings()
    if args.campaign:
        PackStore(settings).campaign(args.campaign)  # an unknown id is an error, not "none"
    cells = changed_cells(settings, args.campaign)
    facts = {} if args.campaign else changed_facts(settings)
    if args.json:
        data = {
            "messages": [_changed_dict(item) for item in cells],
            "facts": [
                {"fact": name, "flags": [asdict(f) for f in found]} for name, found in facts.items()
            ],
        }
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    for item in cells:
        print(item.summary())
    for name, found in facts.items():
        sources = ", ".join(sorted({f"{f.source_id} v{f.version}" for f in found}))
        print(f"map fact {name}: evidence changed ({sources})")
    if not cells and not facts:
        print("No stored message or map fact cites evidence that changed.")
    return 0


def _changed_dict(item: ChangedCell) -> dict[str, object]:
    return {
        "campaign": item.campaign_id,
        "cell": asdict(item.cell),
        "flags": [asdict(f) for f in item.flags],
    }


def pack(args: argparse.Namespace) -> int:
    """Generate the campaign's missing messages, then export the pack."""
    from comms.drafting.write import should_ask
    from comms.model.backends import build_chat_model
    from comms.packs.archive import export_pack
    from comms.packs.campaign import load_campaign
    from comms.packs.generation import generate_pack, open_campaign
    from knowledge import open_store

    campaign = load_campaign(args.campaign)
    if args.out is None and not args.queue:
        raise InputError("Give --out (the pack ZIP to write), or --queue.")
    settings = load_settings()
    store = PackStore(settings)
    open_campaign(store, campaign, settings=settings, user=args.user, resume=args.resume)
    if args.queue:
        return queue(store, campaign.id, settings, args.user)
    ask = should_ask(settings, requested=args.ask_model)
    chat = build_chat_model(settings) if ask else None  # composing needs no model
    knowledge = open_store(settings)
    try:
        run = generate_pack(
            store, campaign.id, settings=settings, chat=chat, knowledge=knowledge,
            user=args.user, ask_model=ask, on_progress=print_progress,
        )  # fmt: skip
    except KeyboardInterrupt:
        print("\nstopped; finished messages are stored: run again with --resume", file=sys.stderr)
        return 130
    for cell, error in run.failed.items():
        print(f"failed: {cell.key}: {error}", file=sys.stderr)
    if run.coherence is not None:
        for line in run.coherence.lines():
            print(line, file=sys.stderr)
    if not args.draft and not any(m.status == "approved" for m in store.messages(campaign.id)):
        raise InputError(
            f"{_summary(run)} None is approved yet: review them on the app's Packs page, "
            "or pass --draft for a draft export (every file marked DRAFT)."
        )
    result = export_pack(
        store,
        campaign.id,
        args.out,
        user=args.user,
        draft=args.draft,
        strict=args.strict,
        knowledge=knowledge,
    )
    for item in result.evidence_changed:
        print(f"warning: approved, but {item.summary()}", file=sys.stderr)
    for cell in result.withheld:
        print(
            f"left out: {cell.key} is approved, but no native speaker has checked the "
            "translation (packs native-check, or accept_unchecked_translations in the campaign)",
            file=sys.stderr,
        )
    kind = "draft pack" if result.draft else "pack"
    print(
        f"{_summary(run)} Wrote the {kind} {result.path} ({result.messages} messages).",
        file=sys.stderr,
    )
    if run.failed:
        print("Run again with --resume to retry the failed messages.", file=sys.stderr)
    return 1 if run.failed else 0


def queue(store: PackStore, campaign_id: str, settings: Settings, user: str) -> int:
    """Queue a campaign's missing messages for workers."""
    from comms.packs.generation import queue_pack
    from knowledge import open_store

    count = queue_pack(store, campaign_id, settings=settings, knowledge=open_store(settings),
                       user=user)  # fmt: skip
    print(f"Queued {count} messages of campaign '{campaign_id}' for `python -m comms worker`.",
          file=sys.stderr)  # fmt: skip
    return 0


def worker(args: argparse.Namespace) -> int:
    """Write queued pack messages of any campaign until stopped (SIGTERM, Ctrl-C) or done."""
    import signal
    import threading

    from comms.model.backends import build_chat_model, concurrency
    from comms.packs.worker import work
    from knowledge import open_store

    settings = load_settings()
    chat = build_chat_model(settings)
    at_once = args.concurrency or concurrency(chat)
    if at_once < 1:
        raise InputError("--concurrency must be 1 or more.")
    store, knowledge = PackStore(settings), open_store(settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    until: Until = "once" if args.once else "until-empty" if args.until_empty else "forever"
    print(f"worker: {at_once} messages at once, lease {settings.pack_lease:g} s, {store.path}",
          file=sys.stderr, flush=True)  # fmt: skip
    tally = work(store, settings=settings, chat=chat, knowledge=knowledge, concurrency=at_once,
                 until=until, stop=stop, user=args.user, on_cell=print_done)  # fmt: skip
    print(f"worker: {tally.stored} stored, {tally.elsewhere} stored by another worker, "
          f"{tally.failed} failed, {tally.released} given back.",
          file=sys.stderr, flush=True)  # fmt: skip
    return 1 if tally.failed else 0


def print_done(done: CellDone) -> None:
    """One line per cell a worker finished, on stderr."""
    print(f"{done.campaign_id} {done.cell.key}: {done.outcome} ({done.seconds:.1f} s)",
          file=sys.stderr, flush=True)  # fmt: skip


def audit(args: argparse.Namespace) -> int:
    """Write a campaign's audit trail as CSV."""
    store = PackStore(load_settings())
    text = audit_csv(store.events(store.campaign(args.campaign).id))
    if args.csv is None:
        sys.stdout.write(text)
        return 0
    try:
        args.csv.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot write {args.csv}: {exc}") from exc
    print(f"Wrote {args.csv}.", file=sys.stderr)
    return 0


def print_progress(progress: Progress) -> None:
    """One line per finished message on stderr: count, cell, time spent and time left."""
    cell = f" {progress.cell.key}" if progress.cell else ""
    left = "" if progress.seconds_left is None else f", about {_clock(progress.seconds_left)} left"
    print(
        f"[{progress.done}/{progress.total}]{cell} {_clock(progress.elapsed)} elapsed{left}",
        file=sys.stderr,
        flush=True,
    )


def _summary(run: PackRun) -> str:
    return (
        f"Generated {len(run.generated)} messages ({run.skipped} were stored already, "
        f"{len(run.failed)} failed) of {run.total}."
    )


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"
