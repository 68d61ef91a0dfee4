"""`python -m knowledge {index,ingest,sync,list,history,diff,search,delete,review,eval}`: the
knowledge store from a shell."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from core import clock
from core.database import location
from core.errors import ClarionError, InputError
from core.settings import Settings, load_settings
from knowledge import open_store

if TYPE_CHECKING:
    from knowledge.history.reviews import Review
    from knowledge.retrieval.store import Store

CLI_USER = "cli"

if TYPE_CHECKING:
    from knowledge.history.versions import ChunkChange
    from knowledge.ingest import IngestResult
    from knowledge.retrieval.store import Store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("index", help="build or update the index of the shipped corpus")
    ingest = sub.add_parser("ingest", help="add files (PDF, DOCX, HTML, Markdown, text)")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--json", action="store_true")
    sync = sub.add_parser("sync", help="mirror a folder: add new files, version changed ones")
    sync.add_argument("folder", type=Path)
    sync.add_argument("--yes", action="store_true", help="remove sources whose file is gone")
    sync.add_argument("--json", action="store_true")
    history = sub.add_parser("history", help="the versions of one source")
    history.add_argument("source_id")
    history.add_argument("--json", action="store_true")
    diff = sub.add_parser("diff", help="two versions of a source, passage by passage")
    diff.add_argument("source_id")
    diff.add_argument("first", type=int)
    diff.add_argument("second", type=int)
    diff.add_argument("--json", action="store_true")
    listing = sub.add_parser("list", help="list sources with chunk counts")
    listing.add_argument("--json", action="store_true")
    find = sub.add_parser("search", help="search the evidence")
    find.add_argument("query")
    find.add_argument("--k", type=int, default=5)
    find.add_argument("--vaccine")
    find.add_argument("--audience")
    find.add_argument("--language")
    find.add_argument("--kind")
    find.add_argument("--json", action="store_true")
    delete = sub.add_parser("delete", help="remove a source and all its chunks")
    delete.add_argument("source_id")
    review = sub.add_parser("review", help="set (or --clear) the date to check a source by")
    review.add_argument("source_id")
    review.add_argument("date", nargs="?", help="YYYY-MM-DD")
    review.add_argument("--clear", action="store_true", help="back to its front matter's date")
    review.add_argument("--user", default=CLI_USER, help="name recorded with the date")
    evaluate = sub.add_parser("eval", help="recall@k and MRR per language on the labelled queries")
    evaluate.add_argument("--k", type=int, default=5)
    evaluate.add_argument("--extra", type=Path, help="folder of extra HTML pages to ingest")
    evaluate.add_argument("--json", action="store_true")
    return parser


def run(args: argparse.Namespace) -> int:
    """Carry out one command; returns the exit code."""
    from knowledge.ingest import ingest_paths, remove_source, sync_corpus
    from knowledge.retrieval.search import Filters, search

    if args.command == "eval":
        return run_eval_command(args)
    if args.command in ("history", "diff"):
        return run_history_command(args)
    settings = load_settings()
    store = open_store(settings)
    match args.command:
        case "index":
            results = sync_corpus(store)
            changed = sum(r.status != "unchanged" for r in results)
            print(
                f"{len(results)} corpus documents, {changed} (re)indexed, {store.count()} chunks."
            )
            print(impact_summary(results))
        case "ingest":
            results = ingest_paths(store, args.paths)
            _emit(args.json, [asdict(r) for r in results], _result_lines(results))
        case "sync":
            return run_sync_command(store, args)
        case "list":
            list_sources(settings, store, args.json)
        case "search":
            filters = Filters(args.vaccine, args.audience, args.language, args.kind)
            passages = search(store, args.query, k=args.k, filters=filters)
            _emit(
                args.json,
                [p.to_dict() for p in passages],
                (f"{p.score:.3f}  {p.title} [{p.source_id}]  {p.url}" for p in passages),
            )
        case "delete":
            result = remove_source(store, args.source_id)
            print(f"Removed {args.source_id} (version {result.version} records the removal).")
            print(impact_summary([result]))
        case "review":
            set_review(settings, store, args)
    return 0


def _result_lines(results: list[IngestResult]) -> list[str]:
    lines = [f"{r.status}: {r.title} ({r.chunks} chunks)" for r in results]
    return [*lines, impact_summary(results)]


def impact_summary(results: list[IngestResult]) -> str:
    """One line: how many stored messages and map facts cite a passage that changed."""
    impacts = [r.impact for r in results if r.impact is not None]
    passages = sum(i.changed_passages for i in impacts)
    cells = sum(len(i.cells) for i in impacts)
    facts = sum(len(i.facts) for i in impacts)
    if not passages:
        return "No passage changed: no stored message or map fact is affected."
    if not cells and not facts:
        return f"{passages} passage(s) changed or removed; no stored message or map fact cites one."
    return (
        f"Evidence changed: {cells} stored message(s) and {facts} map fact(s) cite a passage that "
        "changed or was removed; `python -m comms stale` lists them."
    )


def run_sync_command(store: Store, args: argparse.Namespace) -> int:
    """Mirror a folder; sources whose file is gone are removed with --yes or on confirmation."""
    from knowledge.ingest import sync_folder

    remove = args.yes
    synced = sync_folder(store, args.folder, remove=remove)
    if synced.gone and not remove and sys.stdin.isatty() and not args.json:
        names = ", ".join(synced.gone)
        answer = input(f"Remove {len(synced.gone)} source(s) whose file is gone ({names})? [y/N] ")
        if answer.strip().lower() in ("y", "yes", "j", "ja"):
            synced = sync_folder(store, args.folder, remove=True)
    results = [*synced.results, *synced.removed]
    kept = [sid for sid in synced.gone if not synced.removed]
    if args.json:
        data = {"results": [asdict(r) for r in results], "gone_but_kept": kept}
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    for line in _result_lines(results):
        print(line)
    if kept:
        names = ", ".join(kept)
        print(f"Kept {len(kept)} source(s) whose file is gone ({names}); --yes removes them.")
    return 0


def run_history_command(args: argparse.Namespace) -> int:
    """`history SOURCE_ID` and `diff SOURCE_ID V1 V2`, read from clarion.db (no store needed)."""
    from knowledge.history.versions import diff, versions

    where = location(load_settings())
    if args.command == "history":
        found = versions(where, args.source_id)
        _emit(
            args.json,
            [asdict(v) for v in found],
            (f"v{v.number}\t{v.created_at}\t{v.status}\t{v.passages} passages\t"
             f"{v.author or '-'}\t{v.doc_hash[:12]}" for v in found),
        )  # fmt: skip
        return 0
    changes = diff(where, args.source_id, args.first, args.second)
    if args.json:
        print(json.dumps([_change_dict(c) for c in changes], ensure_ascii=False, indent=2))
        return 0
    for change in changes:
        print(_change_text(change))
    return 0


def _change_dict(change: ChunkChange) -> dict[str, object]:
    return {
        "change": change.change,
        "similarity": change.similarity,
        "old": asdict(change.old) if change.old else None,
        "new": asdict(change.new) if change.new else None,
    }


def _change_text(change: ChunkChange) -> str:
    """A passage's change as plain text: the section, then what was removed and added."""
    from knowledge.history.versions import changed_sentences

    section = (change.new or change.old).section  # type: ignore[union-attr]
    head = f"[{change.change}] {section or '(no heading)'}"
    if change.change == "unchanged":
        return head
    if change.change == "changed":
        removed, added = changed_sentences(change.old.text, change.new.text)  # type: ignore[union-attr]
        return "\n".join([head, *(f"- {s}" for s in removed), *(f"+ {s}" for s in added)])
    text = (change.new or change.old).text  # type: ignore[union-attr]
    sign = "+" if change.change == "new" else "-"
    return "\n".join([head, *(f"{sign} {line}" for line in text.splitlines() if line.strip())])


def list_sources(settings: Settings, store: Store, as_json: bool) -> None:
    """Print every source with its chunk count, date and review date (marked when overdue)."""
    from knowledge.history.reviews import review_dates

    reviews, today = review_dates(settings, store), clock.today()
    rows = [asdict(s) | _review_fields(reviews.get(s.source_id), today) for s in store.sources()]
    _emit(
        as_json,
        rows,
        (
            f"{r['source_id']}\t{r['chunks']}\t{r['date']}\t"
            f"{r['review_by'] or '-'}{' overdue' if r['overdue'] else ''}\t{r['title']}"
            for r in rows
        ),
    )


def _review_fields(review: Review | None, today: dt.date) -> dict[str, object]:
    if review is None or review.review_by is None:
        return {"review_by": "", "overdue": False}
    return {"review_by": review.review_by.isoformat(), "overdue": review.is_overdue(today)}


def set_review(settings: Settings, store: Store, args: argparse.Namespace) -> None:
    """Set or clear a source's review date and say which date is now in effect."""
    from knowledge.history.reviews import set_review_date

    if args.clear == bool(args.date):
        raise InputError("Give either a date (YYYY-MM-DD) or --clear.")
    review = set_review_date(settings, store, args.source_id, args.date, args.user)
    date = review.review_by.isoformat() if review.review_by else "none"
    origin = f"set by {review.set_by}" if review.set_by else "from its front matter"
    print(f"Review date of {review.source_id}: {date} ({origin}).")


def run_eval_command(args: argparse.Namespace) -> int:
    """Build a temporary store, run the labelled queries, print a table per language."""
    from knowledge.evaluation import NHS_PAGES, run_eval
    from knowledge.retrieval.embedder import Embedder

    extra = args.extra or NHS_PAGES
    if not extra.is_dir():
        print(f"note: {extra} not found; queries answered only there are skipped", file=sys.stderr)
    embedder = Embedder(load_settings().resolved_embedder_path())
    scores, seconds = run_eval(embedder, extra, args.k)
    rows = [
        {
            "language": lang,
            "queries": s.queries,
            f"recall@{args.k}": round(s.recall, 3),
            "mrr": round(s.mrr, 3),
            "misses": s.misses,
        }
        for lang, s in sorted(scores.items())
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(f"| language | queries | recall@{args.k} | MRR |\n|---|---|---|---|")
    for row in rows:
        recall = row[f"recall@{args.k}"]
        print(f"| {row['language']} | {row['queries']} | {recall:.3f} | {row['mrr']:.3f} |")
    total = sum(s.queries for s in scores.values())
    print(f"\n{total} queries in {seconds:.1f} s")
    return 0


def _emit(as_json: bool, data: list[dict[str, object]], lines: object) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in lines:  # type: ignore[attr-defined]
            print(line)


def main(argv: list[str] | None = None) -> int:
    """Entry point: user mistakes are one line on stderr and exit code 2."""
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except ClarionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
