"""The one way to `clarion.db`: connection, transactions, error messages, schema migrations.

Every store that keeps rows in the database (template and map versions, packs, the audit
trail) opens it here. The schema is the list of MIGRATIONS below, applied in order, each once;
the names of the applied ones are kept in the `clarion_migrations` table, so a database made by
an older Clarion is brought up to date the first time a newer one opens it. A change to the
schema is a new function at the end of the list, never an edit of an old one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from core.clock import now
from core.errors import ClarionError

DB_FILE = "clarion.db"
Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


class DatabaseError(ClarionError):
    """clarion.db cannot be opened, read or written; the message names the file and the fix."""


def migration(step: Migration) -> Migration:
    """Add a schema step to the end of MIGRATIONS."""
    MIGRATIONS.append(step)
    return step


@migration
def m001_template_versions(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS template_versions (
    template_id  TEXT NOT NULL,
    number       INTEGER NOT NULL,
    text         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    author       TEXT NOT NULL,
    comment      TEXT NOT NULL,
    action       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (template_id, number)
)"""
    )


@migration
def m002_packs(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS pack_campaigns (
    id               TEXT PRIMARY KEY,
    spec             TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_number  INTEGER NOT NULL,
    template_hash    TEXT NOT NULL,
    template_text    TEXT NOT NULL,
    model            TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS pack_messages (
    campaign_id TEXT NOT NULL REFERENCES pack_campaigns (id),
    audience    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    language    TEXT NOT NULL,
    variant     INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'needs_changes', 'approved', 'rejected')),
    text        TEXT NOT NULL,
    checks      TEXT NOT NULL,
    message     TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (campaign_id, audience, channel, language, variant)
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS pack_remarks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL REFERENCES pack_campaigns (id),
    audience    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    language    TEXT NOT NULL,
    variant     INTEGER NOT NULL,
    revision    INTEGER NOT NULL,
    user        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('comment', 'approve', 'reject', 'needs_changes')),
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
)"""
    )


@migration
def m003_audit_events(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS audit_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id      TEXT NOT NULL,
    at               TEXT NOT NULL,
    user             TEXT NOT NULL,
    action           TEXT NOT NULL,
    audience         TEXT,
    channel          TEXT,
    language         TEXT,
    variant          INTEGER,
    revision         INTEGER,
    model_backend    TEXT NOT NULL,
    model_id         TEXT NOT NULL,
    model_sha256     TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_version TEXT NOT NULL,
    seed             INTEGER,
    evidence_ids     TEXT NOT NULL,
    check_score      INTEGER,
    checks_failed    TEXT NOT NULL,
    detail           TEXT NOT NULL
)"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS audit_events_campaign ON audit_events (campaign_id, id)")


@migration
def m004_audit_model_licence(db: sqlite3.Connection) -> None:
    """The audit trail records the model's own name and licence beside its id and hash."""
    for column in ("model_name", "model_license"):
        db.execute(f"ALTER TABLE audit_events ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


@migration
def m005_map_versions(db: sqlite3.Connection) -> None:
    """Message maps: every version, proposed by one admin and approved by another."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS map_versions (
    map_id       TEXT NOT NULL,
    number       INTEGER NOT NULL,
    text         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    author       TEXT NOT NULL,
    comment      TEXT NOT NULL,
    action       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'superseded')),
    approver     TEXT NOT NULL DEFAULT '',
    approved_at  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (map_id, number)
)"""
    )


@migration
def m006_pack_map(db: sqlite3.Connection) -> None:
    """A campaign records the message map version its cells were generated from."""
    for column in ("map_id", "map_version"):
        db.execute(f"ALTER TABLE pack_campaigns ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


@migration
def m007_source_versions(db: sqlite3.Connection) -> None:
    """Every version of every ingested source, its passages, and what changed between two."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS source_versions (
    source_id  TEXT NOT NULL,
    number     INTEGER NOT NULL,
    doc_hash   TEXT NOT NULL,
    title      TEXT NOT NULL,
    origin     TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('added', 'changed', 'removed')),
    author     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (source_id, number)
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS source_chunks (
    source_id    TEXT NOT NULL,
    number       INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    chunk_id     TEXT NOT NULL,
    section      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    text         TEXT NOT NULL,
    PRIMARY KEY (source_id, number, position)
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS source_changes (
    source_id  TEXT NOT NULL,
    number     INTEGER NOT NULL,
    old_hash   TEXT NOT NULL,
    new_hash   TEXT NOT NULL,
    change     TEXT NOT NULL CHECK (change IN ('unchanged', 'changed', 'removed', 'new')),
    similarity REAL NOT NULL
)"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS source_changes_version ON source_changes (source_id, number)"
    )


@migration
def m008_evidence_pins(db: sqlite3.Connection) -> None:
    """What each stored message and map fact cited, and the flags raised when that changed."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS evidence_pins (
    owner        TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('cell', 'fact')),
    source_id    TEXT NOT NULL,
    chunk_id     TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    pinned_at    TEXT NOT NULL,
    PRIMARY KEY (owner, content_hash)
)"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS evidence_pins_source ON evidence_pins (source_id, content_hash)"
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS evidence_flags (
    owner       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('cell', 'fact')),
    source_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    old_hash    TEXT NOT NULL,
    new_hash    TEXT NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('changed', 'removed')),
    flagged_at  TEXT NOT NULL,
    resolution  TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT '',
    resolved_at TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (owner, old_hash, version)
)"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS evidence_flags_open ON evidence_flags (resolution, owner)"
    )


@migration
def m009_source_reviews(db: sqlite3.Connection) -> None:
    """A review date set for a source on the Knowledge page, over its front matter's."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS source_reviews (
    source_id TEXT PRIMARY KEY,
    review_by TEXT NOT NULL,
    set_by    TEXT NOT NULL,
    set_at    TEXT NOT NULL
)"""
    )


@migration
def m010_pretests(db: sqlite3.Connection) -> None:
    """Pretests of a pack's message versions, their readers' ratings, and the results adopted."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS pretests (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES pack_campaigns (id),
    spec        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS pretest_imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    pretest_id  TEXT NOT NULL REFERENCES pretests (id),
    filename    TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    respondents INTEGER NOT NULL,
    ratings     INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS pretest_ratings (
    pretest_id TEXT NOT NULL REFERENCES pretests (id),
    import_id  INTEGER NOT NULL REFERENCES pretest_imports (id),
    respondent TEXT NOT NULL,
    language   TEXT NOT NULL,
    form       INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    version    TEXT NOT NULL,
    item       TEXT NOT NULL,
    score      INTEGER NOT NULL,
    PRIMARY KEY (pretest_id, respondent, version, item)
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS pack_pretest_results (
    campaign_id TEXT NOT NULL REFERENCES pack_campaigns (id),
    audience    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    language    TEXT NOT NULL,
    variant     INTEGER NOT NULL,
    pretest_id  TEXT NOT NULL,
    result      TEXT NOT NULL,
    adopted_by  TEXT NOT NULL,
    adopted_at  TEXT NOT NULL,
    PRIMARY KEY (campaign_id, audience, channel, language, variant, pretest_id)
)"""
    )


@migration
def m011_pack_jobs(db: sqlite3.Connection) -> None:
    """A pack's cells as jobs that any worker claims (comms.packs.jobs): who holds each, and
    until when its lease runs (seconds since the epoch; a heartbeat moves it on)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS pack_jobs (
    campaign_id TEXT NOT NULL,
    audience    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    language    TEXT NOT NULL,
    variant     INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    worker      TEXT NOT NULL DEFAULT '',
    lease_until REAL NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (campaign_id, audience, channel, language, variant)
)"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS pack_jobs_next ON pack_jobs (campaign_id, state, position)"
    )


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database has not had yet; the names of those applied now."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS clarion_migrations "
        "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    if _applied(db) >= {step.__name__ for step in MIGRATIONS}:
        return []
    db.execute("BEGIN IMMEDIATE")  # another process may be migrating: wait, then look again
    try:
        done = _applied(db)
        fresh = [step for step in MIGRATIONS if step.__name__ not in done]
        for step in fresh:
            step(db)
            db.execute("INSERT INTO clarion_migrations VALUES (?, ?)", (step.__name__, now()))
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        db.execute("COMMIT")
    except BaseException:
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    return [step.__name__ for step in fresh]


def _applied(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM clarion_migrations")}


def connect(path: Path) -> sqlite3.Connection:
    """Open the database (WAL: readers never wait for a writer), migrated to the current schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    try:
        _wal(db)
        db.execute("PRAGMA foreign_keys=ON")
        migrate(db)
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _wal(db: sqlite3.Connection, tries: int = 100) -> None:
    """Switch to WAL. SQLite answers "database is locked" at once, without waiting, when another
    connection is creating the database meanwhile; the switch is retried for up to 10 s."""
    for attempt in range(tries):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.1)


@contextmanager
def transaction(
    path: Path, *, write: bool, what: str, error: type[DatabaseError] = DatabaseError
) -> Iterator[sqlite3.Connection]:
    """One transaction; BEGIN IMMEDIATE takes the write lock before anything is read.

    Failures become `error` naming the file: `what` says which part of Clarion used it ("the
    template database", "the pack database").
    """
    try:
        db = connect(path)
    except sqlite3.DatabaseError as exc:
        raise _database_error(path, exc, what, error) from exc
    except OSError as exc:  # the data directory is a file, read-only, or not ours
        reason = "it is a file" if isinstance(exc, FileExistsError) else exc.strerror
        raise error(
            f"The data directory {path.parent} cannot be used: {reason or exc}. "
            "Set CLARION_DATA_DIR to a folder Clarion may write to."
        ) from exc
    try:
        db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        yield db
        db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise _database_error(path, exc, what, error) from exc
    finally:
        if db.in_transaction:
            with suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        db.close()


def _database_error(
    path: Path, exc: sqlite3.DatabaseError, what: str, error: type[DatabaseError]
) -> DatabaseError:
    reason = str(exc)
    if "not a database" in reason or "malformed" in reason:
        return error(
            f"{path} is not a readable SQLite database ({reason}). Clarion left it untouched: "
            "move it aside or restore it from a backup, then try again."
        )
    return error(f"{what[0].upper()}{what[1:]} {path} could not be used: {reason}.")
