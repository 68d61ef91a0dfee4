"""`python -m comms`: write messages, run packs, manage templates, maps, users; check the set-up."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comms.cli.maps import add_parser as add_maps_parser
from comms.cli.maps import run as run_maps
from comms.cli.migrate import add_parser as add_migrate_parser
from comms.cli.migrate import run as run_migrate
from comms.cli.packs import add_parsers as add_pack_parsers
from comms.cli.packs import run as run_pack
from comms.cli.pretest import add_parser as add_pretest_parser
from comms.cli.pretest import run as run_pretest
from comms.cli.templates import add_parser as add_templates_parser
from comms.cli.templates import run as run_templates
from comms.cli.users import add_parser as add_users_parser
from comms.cli.users import run as run_users
from comms.message import Message
from core.catalog import KINDS, load_catalog
from core.errors import ClarionError, InputError
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from knowledge.retrieval.store import Store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m comms", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write one cited message")
    gen.add_argument("--topic", required=True)
    gen.add_argument("--audience", required=True)
    gen.add_argument("--channel", required=True)
    gen.add_argument("--language", required=True)
    gen.add_argument("--concern", default="")
    gen.add_argument("--seed", type=int)
    gen.add_argument("--facts", type=Path, help="campaign fact sheet (YAML: when, where, …)")
    gen.add_argument("--variants", type=int, default=1, help="1–5 versions with distinct seeds")
    gen.add_argument("--json", action="store_true", help="print the message object as JSON")
    gen.add_argument(
        "--ask-model",
        action="store_true",
        help="also ask the model for its version, whatever CLARION_ASK_MODEL says",
    )
    gen.add_argument("--concern-id", help="answer this concern of the topic's message map")
    listing = sub.add_parser("list", help="list the ids and labels of a catalog")
    listing.add_argument("kind", choices=KINDS)
    listing.add_argument("--ui-language", default="en", choices=("de", "en"))
    listing.add_argument("--json", action="store_true")
    doctor = sub.add_parser("doctor", help="check the model, the build and the store")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument("--no-smoke", action="store_true", help="skip the 5-token generation")
    add_templates_parser(sub)
    add_maps_parser(sub)
    add_users_parser(sub)
    add_pretest_parser(sub)
    add_pack_parsers(sub)
    add_migrate_parser(sub)
    return parser


def generate(args: argparse.Namespace) -> int:
    """Write one message (composed from the map; the model's version when asked) and print it."""
    from comms.campaign_facts import load_facts
    from comms.drafting.draft import VARIANT_STRIDE, Request, resolve
    from comms.drafting.write import should_ask, write_message
    from comms.model.backends import build_chat_model
    from knowledge import open_store

    request = Request(args.topic, args.audience, args.channel, args.language, args.concern)
    resolved = resolve(request)  # check the ids before loading any model
    if not 1 <= args.variants <= 5:
        raise InputError("Choose between 1 and 5 variants.")
    facts = load_facts(args.facts) if args.facts else None
    settings = load_settings()
    ask = should_ask(settings, requested=args.ask_model)
    chat = build_chat_model(settings) if ask else None  # a bad model fails before the embedder
    store = open_store(settings)
    first = settings.seed if args.seed is None else args.seed
    messages = [
        write_message(resolved, settings=settings, store=store, chat=chat, facts=facts,
                      ask_model=ask, seed=first + VARIANT_STRIDE * n, concern_id=args.concern_id)
        for n in range(args.variants if ask else 1)
    ]  # fmt: skip
    notes = [_overdue_notes(settings, store, m) for m in messages]
    if args.json:
        payload = [
            m.model_dump(mode="json") | {"review_overdue": n}
            for m, n in zip(messages, notes, strict=True)
        ]
        print(
            json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2)
        )
        return 0
    for message, note in zip(messages, notes, strict=True):
        _print_message(message, note)
    return 0


def _overdue_notes(settings: Settings, store: Store, message: Message) -> list[dict[str, Any]]:
    """The message's cited sources past their review date: id, date and notice (English)."""
    from core import clock
    from knowledge.history.reviews import overdue

    found = overdue(settings, store, [c.source_id for c in message.citations], clock.today())
    fields = {"source_id", "review_by"}
    return [
        o.model_dump(mode="json", include=fields) | {"notice": o.notice("en")}
        for o in found.values()
    ]


def _print_message(message: Message, notes: list[dict[str, Any]]) -> None:
    print(message.text)
    for citation in message.citations:
        print(f"[{citation.number}] {citation.title} {citation.url}")
    for note in notes:
        print(f"note: {note['notice']}")
    if message.map is not None:
        concern = message.concern_matched or "general key messages"
        print(
            f"version: {message.version} · map {message.map.id}@{message.map.version} · {concern}"
        )
        if message.concern_reason:
            print(f"concern: {message.concern_reason}")
    for composer_note in message.notes:
        print(f"warning: {composer_note.text}")
    if message.rejected_model_version is not None:
        reasons = "; ".join(
            f"{r['item']}: {r['reason']}" for r in message.rejected_model_version.reasons
        )
        print(f"the model's version was not used: {reasons}")
    failed = message.checks.failed()
    print(f"checks: score {message.checks.score}, {len(failed)} to review")
    for item in failed:
        print(f"  - {item.id}: {item.reason}")


def run_doctor(args: argparse.Namespace) -> int:
    """Print what `doctor` found; exit 2 naming each failure."""
    from comms.model.doctor import diagnose, render

    report = diagnose(load_settings(), smoke=not args.no_smoke)
    if args.json:
        payload = report.model_dump(mode="json") | {"ok": report.ok}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(render(report))
    for failure in report.failures():
        print(f"error: {failure.name}: {failure.note or failure.value}", file=sys.stderr)
    return 0 if report.ok else 2


def list_kind(args: argparse.Namespace) -> int:
    """Print one catalog's ids and labels."""
    entries = getattr(load_catalog(), args.kind)
    rows = [{"id": e.id, "label": e.label_in(args.ui_language)} for e in entries]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['id']}\t{row['label']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: user mistakes are one line on stderr and exit code 2."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "templates":
            return run_templates(args)
        if args.command == "maps":
            return run_maps(args)
        if args.command == "users":
            return run_users(args)
        if args.command == "pretest":
            return run_pretest(args)
        if args.command == "migrate":
            return run_migrate(args)
        if args.command == "doctor":
            return run_doctor(args)
        if args.command in ("pack", "stale", "audit", "native-check", "worker"):
            return run_pack(args)
        return generate(args) if args.command == "generate" else list_kind(args)
    except ClarionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
