"""`python -m comms migrate`: bring the database's schema up to date, once, before the app starts.

With CLARION_DATABASE_URL (PostgreSQL) and CLARION_MIGRATE=off, app processes leave migrations
to this command: run it once per release, before the new app processes start. Two at once is
safe: one applies the migrations, the other waits for it, then has nothing left to do.
`--from-sqlite clarion.db` then copies an office's existing database into the new one.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from core.database import location, migrate_database
from core.errors import InputError
from core.postgres import Postgres
from core.settings import load_settings
from core.sqlite_copy import copy_sqlite


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `migrate` command to the CLI."""
    command = sub.add_parser("migrate", help="bring the database's schema up to date")
    command.add_argument(
        "--from-sqlite",
        type=Path,
        metavar="CLARION_DB",
        help="then copy this clarion.db into the (empty) PostgreSQL database, every row",
    )


def run(args: argparse.Namespace) -> int:
    """Migrate the configured database; copy a clarion.db into it when asked."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr)
    where = location(load_settings())
    if args.from_sqlite is not None and not isinstance(where, Postgres):
        raise InputError(
            "--from-sqlite copies into PostgreSQL: set CLARION_DATABASE_URL=postgresql://… first."
        )
    applied = migrate_database(where)
    if applied:
        print(f"{where}: applied {len(applied)} migration(s): {', '.join(applied)}.")
    else:
        print(f"{where}: the schema is up to date.")
    if isinstance(where, Postgres) and args.from_sqlite is not None:
        counts = copy_sqlite(args.from_sqlite, where)
        print(f"Copied {sum(counts.values())} rows from {args.from_sqlite}:")
        for table, count in sorted(counts.items()):
            print(f"  {table:<22} {count:>8}")
    return 0
