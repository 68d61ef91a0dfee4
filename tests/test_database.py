"""One database module: both stores share clarion.db through core.database, whose migrations
bring a database made before them (tests/fixtures/clarion-before-migrations.db, written by the
code of 1 December 2026) up to date on open, without losing a row."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from comms.packs.campaign import Cell
from comms.packs.store import PackStore, PackStoreError, audit_event
from comms.templates.store import TemplateStore, TemplateStoreError
from core.database import DB_FILE, MIGRATIONS, DatabaseError, connect, migrate
from core.settings import load_settings

OLD = Path(__file__).parent / "fixtures" / "clarion-before-migrations.db"
NAMES = [step.__name__ for step in MIGRATIONS]
T = TypeVar("T")


@pytest.fixture
def old_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(OLD, data / DB_FILE)
    return data


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def test_the_old_database_has_no_migrations_table() -> None:
    db = sqlite3.connect(OLD)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "clarion_migrations" not in tables and "audit_events" in tables
        assert "model_license" not in columns(db, "audit_events")
    finally:
        db.close()


def test_an_old_database_is_upgraded_on_open_and_keeps_every_row(old_data: Path) -> None:
    settings = load_settings(data_dir=old_data)
    packs = PackStore(settings)
    messages = packs.messages("flu-test")
    assert {m.cell for m in messages} == {
        Cell("older-adults", "sms", "de"), Cell("older-adults", "sms", "en")
    }  # fmt: skip
    assert {m.status for m in messages} == {"approved", "draft"}
    remarks = packs.remarks("flu-test", Cell("older-adults", "sms", "en"))
    assert [r.text for r in remarks] == ["Bitte kürzen."]
    old_events = packs.events("flu-test")
    assert [e.action for e in old_events][:2] == ["create", "generate"]
    assert all(e.model_license == "" for e in old_events), "old rows get the column's default"
    history = TemplateStore(settings).history("draft_message")
    assert any(v.comment == "before the migrations" for v in history)

    db = sqlite3.connect(old_data / DB_FILE)
    try:
        applied = [row[0] for row in db.execute("SELECT name FROM clarion_migrations")]
        assert sorted(applied) == sorted(NAMES)
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert {"model_name", "model_license"} <= set(columns(db, "audit_events"))
    finally:
        db.close()

    message = messages[0]
    licensed = message.message | {"model": {"backend": "llamacpp", "model_id": "m.gguf",
                                            "name": "SmolLM2 135M", "license": "apache-2.0"}}  # fmt: skip
    from dataclasses import replace

    packs.record(audit_event(replace(message, message=licensed), "Ann", "comment", "new"))
    newest = packs.events("flu-test")[-1]
    assert (newest.model_name, newest.model_license) == ("SmolLM2 135M", "apache-2.0")


def test_a_fresh_database_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / DB_FILE
    db = connect(path)
    try:
        assert migrate(db) == [], "connect already applied everything"
        assert [r[0] for r in db.execute("SELECT name FROM clarion_migrations")] == NAMES
    finally:
        db.close()
    again = connect(path)
    again.close()


def at_once(action: Callable[[], T], count: int) -> tuple[list[T], list[BaseException]]:
    """Run action in count threads released together; their results and their errors."""
    start = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(action())
        except BaseException as exc:  # collected for the caller to assert on
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_two_processes_opening_an_old_database_at_once_migrate_it_once(old_data: Path) -> None:
    path = old_data / DB_FILE

    def open_it() -> list[str]:
        db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        try:
            return migrate(db)
        finally:
            db.close()

    results, errors = at_once(open_it, 4)
    assert not errors, errors
    assert sorted(name for applied in results for name in applied) == sorted(NAMES)


def test_both_stores_report_through_the_one_module(tmp_path: Path) -> None:
    assert issubclass(PackStoreError, DatabaseError) and issubclass(
        TemplateStoreError, DatabaseError
    )
    broken = tmp_path / "data"
    broken.mkdir()
    (broken / DB_FILE).write_bytes(b"this is not sqlite" * 100)
    settings = load_settings(data_dir=broken)
    for store_call in (lambda: PackStore(settings).campaigns(),
                       lambda: TemplateStore(settings).history("draft_message")):  # fmt: skip
        with pytest.raises(DatabaseError, match="not a readable SQLite database"):
            store_call()
    assert (broken / DB_FILE).read_bytes() == b"this is not sqlite" * 100, "left untouched"


def test_eight_connections_creating_one_database_at_once_all_open_it(tmp_path: Path) -> None:
    """SQLite refuses the switch to WAL at once ("database is locked") while another connection
    is creating the database; connect retries it instead of failing the save."""
    for trial in range(10):
        path = tmp_path / f"{trial}" / DB_FILE
        _, errors = at_once(lambda path=path: connect(path).close(), 8)
        assert not errors, errors
