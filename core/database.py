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
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.clock import now
from core.errors import ClarionError
from core.postgres import Postgres, PostgresConnection, connect_postgres

if TYPE_CHECKING:
    from core.settings import Settings

DB_FILE = "clarion.db"
# Both engines' connections answer execute/executemany/in_transaction the same way; the SQL
# the stores write is SQLite's with `?` placeholders, which core.postgres translates.
Connection = sqlite3.Connection | PostgresConnection
Location = Path | Postgres
Migration = Callable[[Connection], None]
MIGRATIONS: list[Migration] = []
IntegrityError = sqlite3.IntegrityError  # what both engines raise for a broken constraint


class DatabaseError(ClarionError):
    """clarion.db cannot be opened, read or written; the message names the file and the fix."""


def migration(step: Migration) -> Migration:
    """Add a schema step to the end of MIGRATIONS."""
    MIGRATIONS.append(step)
    return step


@migration
def m001_template_versions(db: Connection) -> None:
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
def m002_packs(db: Connection) -> None:
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
    "user"      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('comment', 'approve', 'reject', 'needs_changes')),
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
)"""
    )


@migration
def m003_audit_events(db: Connection) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS audit_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id      TEXT NOT NULL,
    at               TEXT NOT NULL,
    "user"           TEXT NOT NULL,
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
def m004_audit_model_licence(db: Connection) -> None:
    """The audit trail records the model's own name and licence beside its id and hash."""
    for column in ("model_name", "model_license"):
        db.execute(f"ALTER TABLE audit_events ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


@migration
def m005_map_versions(db: Connection) -> None:
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
def m006_pack_map(db: Connection) -> None:
    """A campaign records the message map version its cells were generated from."""
    for column in ("map_id", "map_version"):
        db.execute(f"ALTER TABLE pack_campaigns ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


@migration
def m007_source_versions(db: Connection) -> None:
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
def m008_evidence_pins(db: Connection) -> None:
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
def m009_source_reviews(db: Connection) -> None:
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
def m010_pretests(db: Connection) -> None:
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
def m011_pack_jobs(db: Connection) -> None:
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


@migration
def m012_users(db: Connection) -> None:
    """Who may sign in (comms.accounts.auth), shared by every replica: each name's role, its
    bcrypt hash (none for OIDC users) and the languages it reads, as a JSON list."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS account_users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('editor', 'reviewer', 'admin')),
    password_hash TEXT,
    reads         TEXT NOT NULL DEFAULT '[]',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
)"""
    )


@migration
def m013_login_failures(db: Connection) -> None:
    """Wrong passwords by name (comms.accounts.auth.LoginThrottle), so that the five tries
    before a wait count across every replica, not per process; rows older than the wait go."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS account_login_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    name      TEXT NOT NULL,
    failed_at REAL NOT NULL
)"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS account_login_failures_name "
        "ON account_login_failures (name, failed_at)"
    )


@migration
def m014_revoked_sessions(db: Connection) -> None:
    """Session tokens signed out before they expire (comms.accounts.sessions): a copy of the
    cookie stops working on every replica; a row goes once its token would have expired."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS account_revoked_sessions (
    digest     TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
)"""
    )


def location(settings: Settings) -> Location:
    """Where the settings keep Clarion's rows: PostgreSQL when CLARION_DATABASE_URL is set,
    otherwise data_dir/clarion.db."""
    if settings.database_url:
        return Postgres(settings.database_url, migrate=settings.migrate == "auto")
    return settings.data_dir / DB_FILE


_TABLE = "clarion_migrations"
_MIGRATIONS_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
)


def migrate(db: Connection) -> list[str]:
    """Apply the migrations this database has not had yet; the names of those applied now.

    One process migrates at a time: SQLite's write lock (BEGIN IMMEDIATE) or PostgreSQL's
    advisory lock, taken before the applied ones are read again; the other waits, then finds
    nothing left to do.
    """
    if isinstance(db, PostgresConnection):
        if not _unapplied(db):
            return []
        db.begin_migration()  # CREATE TABLE IF NOT EXISTS is not safe from a concurrent one
        db.execute(_MIGRATIONS_TABLE)
    else:
        db.execute(_MIGRATIONS_TABLE)
        if not pending(db):
            return []
        db.execute("BEGIN IMMEDIATE")
    try:
        fresh = pending(db)
        for step in fresh:
            step(db)
            db.execute("INSERT INTO clarion_migrations VALUES (?, ?)", (step.__name__, now()))
        if not isinstance(db, PostgresConnection):
            db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        db.execute("COMMIT")
    except BaseException:
        with suppress(Exception):
            db.execute("ROLLBACK")
        raise
    return [step.__name__ for step in fresh]


def is_postgres(db: Connection) -> bool:
    """Whether the connection is PostgreSQL's, for the few statements that differ."""
    return isinstance(db, PostgresConnection)


def exists(where: Location) -> bool:
    """Whether there is a database to read: a SQLite file may not have been made yet (and
    reading must not make it); a PostgreSQL database is made by its administrator."""
    if isinstance(where, Path) and where.is_dir():  # a data folder, not location(settings)
        raise TypeError(f"{where} is a folder; pass core.database.location(settings)")
    return not isinstance(where, Path) or where.is_file()


def migrate_database(where: Location) -> list[str]:
    """`python -m comms migrate`: open the database without the start-up check and apply what
    it lacks; the migrations applied now. Failures name the database."""
    try:
        db: Connection = connect_postgres(where) if isinstance(where, Postgres) else connect(where)
        try:
            return migrate(db)
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise _database_error(where, exc, "the database", DatabaseError) from exc


def pending_migrations(where: Location) -> list[str]:
    """The names of the migrations the database lacks, read without changing it (a SQLite file
    not made yet lacks them all)."""
    if not exists(where):
        return [step.__name__ for step in MIGRATIONS]
    try:
        if isinstance(where, Postgres):
            db: Connection = connect_postgres(where)
            try:
                return _unapplied(db)
            finally:
                db.close()
        with closing(sqlite3.connect(f"{where.resolve().as_uri()}?mode=ro", uri=True)) as lite:
            known = scalar(lite, "SELECT COUNT(*) FROM sqlite_master WHERE name = ?", (_TABLE,))
            rows = lite.execute("SELECT name FROM clarion_migrations") if known else []
            done = {row[0] for row in rows}
        return [step.__name__ for step in MIGRATIONS if step.__name__ not in done]
    except sqlite3.DatabaseError as exc:
        raise _database_error(where, exc, "the database", DatabaseError) from exc


def pending(db: Connection) -> list[Migration]:
    """The migrations this database has not had, in order (its migrations table must exist)."""
    done = {row[0] for row in db.execute("SELECT name FROM clarion_migrations")}
    return [step for step in MIGRATIONS if step.__name__ not in done]


def connect(where: Location) -> Connection:
    """Open the database, migrated to the current schema (SQLite: in WAL mode, so readers
    never wait for a writer; PostgreSQL: checked, and migrated unless CLARION_MIGRATE=off)."""
    if isinstance(where, Postgres):
        return _postgres(where)
    where.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(where, timeout=30.0, isolation_level=None)
    try:
        _wal(db)
        db.execute("PRAGMA foreign_keys=ON")
        migrate(db)
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


_READY: set[Postgres] = set()  # PostgreSQL databases this process found migrated


def _postgres(where: Postgres) -> PostgresConnection:
    """A connection to a database whose schema is current: checked once per process, and
    migrated here unless CLARION_MIGRATE=off leaves that to `python -m comms migrate`."""
    db = connect_postgres(where)
    if where in _READY:
        return db
    try:
        if where.migrate:
            migrate(db)
        elif missing := _unapplied(db):
            raise sqlite3.OperationalError(
                f"its schema lacks {len(missing)} migration(s), from {missing[0]}; "
                "CLARION_MIGRATE=off leaves them to `python -m comms migrate`: run it once"
            )
    except BaseException:
        db.close()
        raise
    _READY.add(where)
    return db


def _unapplied(db: Connection) -> list[str]:
    exists = scalar(db, "SELECT to_regclass('clarion_migrations') IS NOT NULL")
    return [step.__name__ for step in (pending(db) if exists else MIGRATIONS)]


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
    where: Location,
    *,
    write: bool,
    what: str,
    error: type[DatabaseError] = DatabaseError,
    exclusive: bool = True,
) -> Iterator[Connection]:
    """One transaction that sees one state of the database and, when it writes, is the only
    writer: SQLite's BEGIN IMMEDIATE, PostgreSQL's writers' advisory lock. A writing one that
    is not `exclusive` runs beside other writers on PostgreSQL, locking the rows it changes
    (the pack jobs' claim); SQLite has one writer whatever it says.

    Failures become `error` naming the database: `what` says which part of Clarion used it
    ("the template database", "the pack database").
    """
    db = _open(where, what, error)
    try:
        if isinstance(db, PostgresConnection):
            db.begin(write=write, exclusive=exclusive)
        else:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        yield db
        db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise _database_error(where, exc, what, error) from exc
    finally:
        if db.in_transaction:
            with suppress(Exception):
                db.execute("ROLLBACK")
        db.close()


def _open(where: Location, what: str, error: type[DatabaseError]) -> Connection:
    try:
        return connect(where)
    except sqlite3.DatabaseError as exc:
        raise _database_error(where, exc, what, error) from exc
    except OSError as exc:  # the data directory is a file, read-only, or not ours
        assert isinstance(where, Path)
        reason = "it is a file" if isinstance(exc, FileExistsError) else exc.strerror
        raise error(
            f"The data directory {where.parent} cannot be used: {reason or exc}. "
            "Set CLARION_DATA_DIR to a folder Clarion may write to."
        ) from exc


def _database_error(
    where: Location, exc: sqlite3.DatabaseError, what: str, error: type[DatabaseError]
) -> DatabaseError:
    reason = str(exc).strip()
    if isinstance(where, Path) and ("not a database" in reason or "malformed" in reason):
        return error(
            f"{where} is not a readable SQLite database ({reason}). Clarion left it untouched: "
            "move it aside or restore it from a backup, then try again."
        )
    return error(f"{what[0].upper()}{what[1:]} {where} could not be used: {reason}.")


def table_counts(db: Connection) -> dict[str, int]:
    """Rows in each of Clarion's tables (those its migrations made), by name."""
    tables = [name for name in _tables(db) if name != "clarion_migrations"]
    return {name: int(scalar(db, f'SELECT COUNT(*) FROM "{name}"')) for name in tables}


def scalar(db: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row a statement returns (the statement must return one)."""
    row = db.execute(sql, params).fetchone()
    if row is None:
        raise sqlite3.OperationalError(f"no row from: {sql.split()[0]} …")
    return row[0]


def _tables(db: Connection) -> list[str]:
    if isinstance(db, PostgresConnection):
        query = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        )
    else:
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        )
    return [row[0] for row in db.execute(query)]


def describe(db: Connection) -> dict[str, Any]:
    """The schema as both engines can state it: each table's columns (name, type family,
    not null, primary key) and its indexes' columns; the same after migrating either engine."""
    return {name: _columns(db, name) for name in _tables(db)} | {"indexes": _indexes(db)}


def _columns(db: Connection, table: str) -> list[tuple[str, str, bool, bool, str]]:
    """(name, type, not null, in the primary key, default) per column, in order."""
    if isinstance(db, PostgresConnection):
        rows = db.execute(
            "SELECT c.column_name, c.data_type, c.is_nullable = 'NO', "
            "c.column_name IN (SELECT k.column_name FROM information_schema.key_column_usage k "
            "JOIN information_schema.table_constraints t ON t.constraint_name = k.constraint_name "
            "AND t.table_schema = k.table_schema WHERE t.constraint_type = 'PRIMARY KEY' "
            "AND t.table_schema = c.table_schema AND t.table_name = c.table_name), "
            "COALESCE(c.column_default, '') FROM information_schema.columns c "
            "WHERE c.table_schema = current_schema() AND c.table_name = ? "
            "ORDER BY c.ordinal_position",
            (table,),
        ).fetchall()
        return [(n, _family(t), bool(nn), bool(pk), _default(d)) for n, t, nn, pk, d in rows]
    rows = db.execute(f'PRAGMA table_info("{table}")').fetchall()
    return [
        (name, _family(kind), bool(notnull) or pk > 0, pk > 0, _default(default or ""))
        for _, name, kind, notnull, default, pk in rows
    ]


def _family(kind: str) -> str:
    kind = kind.lower()
    if "int" in kind:
        return "integer"
    return "real" if kind in ("real", "double precision") else kind


def _default(value: str) -> str:
    """A column default as both engines would print it: '' not ''::text; identity as 'id'."""
    if value.startswith("nextval(") or value == "":
        return ""
    return value.split("::", 1)[0]


def _indexes(db: Connection) -> list[tuple[str, str, tuple[str, ...]]]:
    """(table, kind, columns) of each index a migration made and each UNIQUE constraint."""
    found: list[tuple[str, str, tuple[str, ...]]] = []
    if isinstance(db, PostgresConnection):
        rows = db.execute(
            "SELECT t.relname, CASE WHEN EXISTS (SELECT 1 FROM pg_constraint c WHERE "
            "c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype = 'u') "
            "THEN 'unique' ELSE 'index' END, array_agg(a.attname ORDER BY k.n) FROM pg_index x "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = current_schema() "
            "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "WHERE NOT x.indisprimary GROUP BY t.relname, x.indexrelid, x.indrelid"
        ).fetchall()
        return sorted((table, kind, tuple(cols)) for table, kind, cols in rows)
    for table in _tables(db):
        for _, name, _, origin, _ in db.execute(f'PRAGMA index_list("{table}")').fetchall():
            if origin in ("c", "u"):
                cols = [row[2] for row in db.execute(f'PRAGMA index_info("{name}")')]
                found.append((table, "unique" if origin == "u" else "index", tuple(cols)))
    return sorted(found)
