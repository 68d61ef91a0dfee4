"""`python -m comms maps …`: list, show, check, version and approve message maps."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from comms.cli.versioned import add_change_options, read_document, write_document
from comms.maps.library import shipped_map_ids
from comms.maps.schema import map_hash
from comms.maps.store import MapStore, MapVersion
from comms.maps.summary import ConcernSummary, summarize
from comms.maps.validation import InvalidMap, MapProblem, check_map, read_map_file
from core.database import location
from core.errors import InputError
from core.settings import load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `maps` command and its subcommands to the CLI."""
    maps = sub.add_parser("maps", help="list, check, version and approve message maps")
    actions = maps.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every map with its version in effect and any proposal")
    show = actions.add_parser("show", help="key messages per concern, with word counts")
    show.add_argument("id")
    show.add_argument("--language", default="de")
    show.add_argument("--json", action="store_true", help="print the summary as JSON")
    check = actions.add_parser("check", help="validate a map file or a map; exit 2 if invalid")
    check.add_argument("target", help="a map file or a map id")
    actions.add_parser("history", help="every version of a map").add_argument("id")
    revert = actions.add_parser("revert", help="propose an old version again")
    revert.add_argument("id")
    revert.add_argument("version", type=int)
    export = actions.add_parser("export", help="print or write the map in effect")
    export.add_argument("id")
    export.add_argument("-o", "--output", type=Path)
    imported = actions.add_parser("import", help="validate a file and propose it")
    imported.add_argument("file", type=Path)
    approve = actions.add_parser("approve", help="approve the pending proposal (second admin)")
    approve.add_argument("id")
    approve.add_argument("--version", type=int, help="the proposal you read (default: pending)")
    native = actions.add_parser(
        "native-check",
        help="propose the map without LANGUAGE in native_review_pending: you read it natively",
    )
    native.add_argument("id")
    native.add_argument("language")
    native.add_argument("--user", required=True, help="your user name (python -m comms users list)")
    add_change_options([revert, imported])
    add_change_options([approve], comment=False)


def run(args: argparse.Namespace) -> int:
    """Run one `maps` subcommand."""
    if args.action == "check":
        return check(args.target)
    store = MapStore(load_settings())
    match args.action:
        case "list":
            for map_id in store.ids():
                print(_row(store, map_id))
        case "show":
            show(store.current(args.id), args.language, as_json=args.json)
        case "history":
            for version in store.history(args.id):
                print(_history_line(version))
        case "revert":
            _proposed(store.revert(args.id, args.version, author=args.author, comment=args.comment))
        case "export":
            write_document(store.current(args.id).text, args.output)
        case "import":
            _proposed(_import(store, args.file, args.author, args.comment))
        case "native-check":
            _proposed(_native_check(store, args.id, args.language, args.user))
        case "approve":
            done = store.approve(args.id, approver=args.author, number=args.version)
            print(f"{done.map_id}: version {done.number} approved by {done.approver}; in effect")
            pinned = _pin_facts(done.map_id)
            print(f"{pinned} supporting facts pinned to the passages they cite.")
    return 0


def check(target: str) -> int:
    """Print every problem with a map (file or id); 0 if valid (warnings shown), 2 if not."""
    path = Path(target)
    if path.is_file():
        text, name, expected = _read(path), str(path), None
    elif target in shipped_map_ids():
        version = MapStore(load_settings()).current(target)
        text, name, expected = version.text, f"{target}.yaml", target
    else:
        raise InputError(f"{target} is neither a map file nor a map id ({_known()}).")
    found, problems = check_map(text, name, expected, location(load_settings()))
    for problem in problems:
        print(_problem_line(problem), file=sys.stderr)
    if found is None or any(p.severity == "error" for p in problems):
        return 2
    print(f"{name}: ok ({map_hash(text)})")
    return 0


def show(version: MapVersion, language: str, *, as_json: bool) -> None:
    """Print the map in effect: per concern, its key messages with word counts."""
    found, _ = check_map(
        version.text, f"{version.map_id}.yaml", version.map_id, location(load_settings())
    )
    if found is None:
        raise InputError(f"Map '{version.map_id}' does not parse; run `maps check` on it.")
    summaries = summarize(found, language)
    if as_json:
        payload = {"id": found.id, "version": version.content_hash, "language": language,
                   "concerns": [s.model_dump(mode="json") for s in summaries]}  # fmt: skip
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    print(f"{found.id} v{version.number} ({version.content_hash}), language {language}")
    for summary in summaries:
        _print_concern(summary)


def _print_concern(summary: ConcernSummary) -> None:
    title = summary.concern_id or "overview (overarching key messages)"
    print(f"\n== {title}" + (f": {summary.question}" if summary.question else ""))
    for key in summary.key_messages:
        print(f"  - [{key.words} words] {key.text}")
        for fact in key.facts:
            print(f"      · {fact.text} [{fact.source}]")
    print(f"  together: {summary.words} words (a map aims at about {summary.target_words})")


def _row(store: MapStore, map_id: str) -> str:
    current, pending = store.current(map_id), store.pending(map_id)
    found, _ = check_map(current.text, f"{map_id}.yaml", map_id)
    concerns = len(found.concerns) if found else 0
    waiting = f"v{pending.number} by {pending.author}" if pending else "-"
    return f"{map_id}\tv{current.number}\t{current.content_hash}\t{concerns} concerns\t{waiting}"


def _history_line(version: MapVersion) -> str:
    approved = f"approved by {version.approver} {version.approved_at}".rstrip()
    state = approved if version.status == "approved" else version.status
    fields = [f"v{version.number}", version.content_hash, version.action,
              version.created_at or "-", version.author, state, version.comment or "-"]  # fmt: skip
    return "\t".join(fields)


def _import(store: MapStore, path: Path, author: str, comment: str) -> MapVersion:
    text = _read(path)
    found, problems = check_map(text, str(path), None, location(store.settings))
    if found is None:
        raise InvalidMap(str(path), problems)
    if found.id not in shipped_map_ids():
        raise InputError(f"{path} has the id '{found.id}'; maps are: {_known()}.")
    note = comment or f"imported from {path.name}"
    return store.propose(found.id, text, author=author, comment=note, action="import")


def _problem_line(problem: MapProblem) -> str:
    return f"{problem.severity}: {problem}" if problem.severity == "warning" else str(problem)


def _read(path: Path) -> str:
    return read_document(path, read_map_file, InputError)


def _native_check(store: MapStore, map_id: str, language: str, user: str) -> MapVersion:
    from comms.accounts.auth import identity_named
    from comms.maps.native import propose_native_check

    reader = identity_named(store.settings, user)
    return propose_native_check(store, map_id, language, reader=reader)


def _proposed(version: MapVersion) -> None:
    print(
        f"{version.map_id}: version {version.number} proposed by {version.author}; "
        "a second admin must approve it (maps approve)"
    )


def _known() -> str:
    return ", ".join(shipped_map_ids())


def _pin_facts(map_id: str) -> int:
    """Pin the approved map's facts, so that a change of their evidence flags them."""
    from comms.drafting.grounding import pin_map_facts
    from comms.maps.library import load_map
    from knowledge import open_store

    settings = load_settings()
    return pin_map_facts(settings, open_store(settings), load_map(map_id, settings))
