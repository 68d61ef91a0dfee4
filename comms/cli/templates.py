"""`python -m comms templates …`: list, show, check, diff, revert, export and import templates."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from comms.cli.versioned import add_change_options, read_document, write_document
from comms.drafting.template import parse_template
from comms.templates.store import TemplateStore, Version
from comms.templates.validation import read_template_file, validate
from core.errors import TemplateError
from core.settings import load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `templates` command and its subcommands to the CLI."""
    templates = sub.add_parser("templates", help="list, check and version prompt templates")
    actions = templates.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every template with its current version")
    show = actions.add_parser("show", help="print a template's text")
    show.add_argument("id")
    show.add_argument("--version", type=int, help="an older version (default: current)")
    check = actions.add_parser("check", help="validate a template file; exit 2 if invalid")
    check.add_argument("file", type=Path)
    actions.add_parser("history", help="every version of a template").add_argument("id")
    diff = actions.add_parser("diff", help="unified diff between two versions")
    diff.add_argument("id")
    diff.add_argument("old", type=int)
    diff.add_argument("new", type=int)
    revert = actions.add_parser("revert", help="make an old version current (as a new version)")
    revert.add_argument("id")
    revert.add_argument("version", type=int)
    reset = actions.add_parser("reset", help="make the shipped default current again")
    reset.add_argument("id")
    export = actions.add_parser("export", help="write a template's text to a file")
    export.add_argument("id")
    export.add_argument("file", type=Path)
    export.add_argument("--version", type=int)
    imported = actions.add_parser("import", help="validate a file and save it as a new version")
    imported.add_argument("file", type=Path)
    add_change_options([revert, reset, imported])


def run(args: argparse.Namespace) -> int:
    """Run one `templates` subcommand."""
    if args.action == "check":
        return check(args.file)
    store = TemplateStore(load_settings())
    match args.action:
        case "list":
            for version in store.summaries():
                print(f"{version.template_id}\tv{version.number}\t{_who(version)}")
        case "show":
            write_document(_pick(store, args.id, args.version).text, None)
        case "export":
            write_document(_pick(store, args.id, args.version).text, args.file)
        case "history":
            for version in store.history(args.id):
                print(f"v{version.number}\t{version.content_hash}\t{_who(version)}")
        case "diff":
            print(store.diff(args.id, args.old, args.new), end="")
        case "revert":
            _done(store.revert(args.id, args.version, author=args.author, comment=args.comment))
        case "reset":
            _done(store.reset(args.id, author=args.author, comment=args.comment))
        case "import":
            text = _read(args.file)
            template_id = parse_template(text, args.file.name).id
            saved = store.save(
                template_id,
                text,
                author=args.author,
                comment=args.comment or f"imported from {args.file.name}",
                base_version=None,
                action="import",
            )
            _done(saved)
    return 0


def check(path: Path) -> int:
    """Print every problem with a template file; 0 if it is valid, 2 if not."""
    problems = validate(_read(path))
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if problems:
        return 2
    print(f"{path}: ok")
    return 0


def _read(path: Path) -> str:
    """A template file, with the app's rule: UTF-8 text under MAX_TEMPLATE_BYTES."""
    return read_document(path, read_template_file, TemplateError)


def _pick(store: TemplateStore, template_id: str, number: int | None) -> Version:
    return store.current(template_id) if number is None else store.version(template_id, number)


def _who(version: Version) -> str:
    return "\t".join(
        [version.action, version.created_at or "-", version.author, version.comment or "-"]
    )


def _done(version: Version) -> None:
    print(f"{version.template_id}: version {version.number} is now current")
