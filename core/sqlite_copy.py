"""Copy an office's clarion.db into an empty PostgreSQL database, every row of every table.

The office's file is not touched: SQLite's backup API copies it to a temporary file first,
which is brought up to the current schema there, so a database made by an older Clarion
copies as well as a current one. Parents are copied before the tables that refer to them, in
one transaction: a copy is whole or nothing. Identity columns continue after the highest id
copied. The counts are read back from PostgreSQL and compared with the file's.
"""

from __future__ import annotations

import sqlite3
import tempfile
from graphlib import TopologicalSorter
from pathlib import Path

from core.database import Connection, DatabaseError, connect, scalar, table_counts, transaction
from core.postgres import Postgres

WHAT = "the PostgreSQL database"


def copy_sqlite(source: Path, target: Postgres) -> dict[str, int]:
    """Copy `source` (a clarion.db) into `target`, which must be migrated and empty; the rows
    copied per table."""
    if not source.is_file():
        raise DatabaseError(f"{source} does not exist: name the office's clarion.db file.")
    with tempfile.TemporaryDirectory(prefix="clarion-copy-") as folder:
        snapshot = Path(folder) / "clarion.db"
        try:
            _snapshot(source, snapshot)
            db = connect(snapshot)
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{source} is not a readable SQLite database ({exc}).") from exc
        assert isinstance(db, sqlite3.Connection)
        try:
            return _copy(db, target)
        finally:
            db.close()


def _snapshot(source: Path, copy: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _copy(db: sqlite3.Connection, target: Postgres) -> dict[str, int]:
    counts = table_counts(db)
    with transaction(target, write=True, what=WHAT) as pg:
        if filled := {name: n for name, n in table_counts(pg).items() if n}:
            raise DatabaseError(
                f"{target} already holds rows ({_listing(filled)}); copy into an empty, "
                "migrated database, such as a new one after `python -m comms migrate`."
            )
        for table in _parents_first(db, list(counts)):
            columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            names = ", ".join(f'"{c}"' for c in columns)
            rows = db.execute(f'SELECT {names} FROM "{table}"').fetchall()
            pg.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})', rows
            )
            if "id" in columns and rows:
                _continue_ids(pg, table)
        copied = table_counts(pg)
        if copied != counts:
            raise DatabaseError(f"The copy does not match its source: {copied} != {counts}.")
    return counts


def _continue_ids(pg: Connection, table: str) -> None:
    """An identity column's next value follows the highest id copied."""
    sequence = scalar(pg, "SELECT pg_get_serial_sequence(?, 'id')", (table,))
    if sequence is not None:
        pg.execute(f'SELECT setval(?, (SELECT MAX(id) FROM "{table}"))', (sequence,))


def _parents_first(db: sqlite3.Connection, tables: list[str]) -> list[str]:
    graph = {
        name: {row[2] for row in db.execute(f'PRAGMA foreign_key_list("{name}")')}
        for name in tables
    }
    return list(TopologicalSorter(graph).static_order())


def _listing(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
