"""`python -m knowledge {index,ingest,list,search,delete,review}`: the store from a shell."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge import open_store
from knowledge.base import clock
from knowledge.base.errors import ClarionError, InputError
from knowledge.base.settings import Settings, load_settings

if TYPE_CHECKING:
    from knowledge.reviews import Review
    from knowledge.store import Store

CLI_USER = "cli"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("index", help="build or update the index of the shipped corpus")
    ingest = sub.add_parser("ingest", help="add files (PDF, DOCX, HTML, Markdown, text)")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--json", action="store_true")
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
    from knowledge.ingest import ingest_paths, sync_corpus
    from knowledge.search import Filters, search

    if args.command == "eval":
        return run_eval_command(args)
    settings = load_settings()
    store = open_store(settings)
    match args.command:
        case "index":
            results = sync_corpus(store)
            changed = sum(r.status != "unchanged" for r in results)
            print(
                f"{len(results)} corpus documents, {changed} (re)indexed, {store.count()} chunks."
            )
        case "ingest":
            results = ingest_paths(store, args.paths)
            _emit(
                args.json,
                [asdict(r) for r in results],
                (f"{r.status}: {r.title} ({r.chunks} chunks)" for r in results),
            )
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
            removed = store.delete_source(args.source_id)
            if not removed:
                raise ClarionError(
                    f"No source '{args.source_id}'; `python -m knowledge list` shows them."
                )
            print(f"Removed {args.source_id} ({removed} chunks).")
        case "review":
            set_review(settings, store, args)
    return 0


def list_sources(settings: Settings, store: Store, as_json: bool) -> None:
    """Print every source with its chunk count, date and review date (marked when overdue)."""
    from knowledge.reviews import review_dates

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
    from knowledge.reviews import set_review_date

    if args.clear == bool(args.date):
        raise InputError("Give either a date (YYYY-MM-DD) or --clear.")
    review = set_review_date(settings, store, args.source_id, args.date, args.user)
    date = review.review_by.isoformat() if review.review_by else "none"
    origin = f"set by {review.set_by}" if review.set_by else "from its front matter"
    print(f"Review date of {review.source_id}: {date} ({origin}).")


def run_eval_command(args: argparse.Namespace) -> int:
    """Build a temporary store, run the labelled queries, print a table per language."""
    from knowledge.embedder import Embedder
    from knowledge.evaluation import NHS_PAGES, run_eval

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
