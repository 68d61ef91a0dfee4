"""Versions of a text document in one table of clarion.db, plus the override file they feed.

The template store and the map store both keep every change as a numbered row (version 0 is
the text in effect before the first change) and write the version in effect to an override file
that the loaders read. This module holds what they share: reading and adding rows, picking a
version, diffing two, checking the author's name and writing the file atomically.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from core.database import Connection, DatabaseError, Location, transaction
from core.errors import ClarionError

MAX_AUTHOR_CHARS = 100
MAX_COMMENT_CHARS = 500


class Versioned(Protocol):
    """What every version row has, whatever else its table keeps."""

    @property
    def number(self) -> int: ...

    @property
    def text(self) -> str: ...


V = TypeVar("V", bound=Versioned)


@dataclass(frozen=True)
class VersionTable(Generic[V]):
    """One table of versions: `row` is a dataclass whose fields are its columns, in order."""

    path: Location  # the database
    table: str
    key: str  # the column naming the document
    row: Callable[..., V]
    what: str  # "the template database": names it in error messages
    error: type[DatabaseError]

    @property
    def columns(self) -> str:
        return ", ".join(field.name for field in fields(self.row))  # type: ignore[arg-type]

    @contextmanager
    def session(self, *, write: bool) -> Iterator[Connection]:
        """One transaction; a writing one is the only writer before it reads the current."""
        with transaction(self.path, write=write, what=self.what, error=self.error) as db:
            yield db

    def rows(self, db: Connection, document_id: str) -> list[V]:
        """Every stored version of a document, newest first (empty before the first change)."""
        found = db.execute(
            f"SELECT {self.columns} FROM {self.table} WHERE {self.key} = ? ORDER BY number DESC",
            (document_id,),
        ).fetchall()
        return [self.row(*row) for row in found]

    def latest(self, db: Connection, document_id: str) -> V | None:
        """The newest stored version, if any."""
        row = db.execute(
            f"SELECT {self.columns} FROM {self.table} WHERE {self.key} = ? "
            "ORDER BY number DESC LIMIT 1",
            (document_id,),
        ).fetchone()
        return self.row(*row) if row else None

    def add(self, db: Connection, version: V) -> None:
        """Insert one version row."""
        values: tuple[Any, ...] = astuple(version)  # type: ignore[call-overload]
        marks = ", ".join("?" * len(values))
        db.execute(f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})", values)

    def append(self, db: Connection, current: V, new: V) -> None:
        """Add `new` after `current`, keeping version 0 (the text in effect before any change)."""
        if current.number == 0:
            self.add(db, current)
        self.add(db, new)


def pick(versions: list[V], number: int, label: str, error: type[ClarionError]) -> V:
    """The version with this number, or `error` naming the versions there are."""
    for version in versions:
        if version.number == number:
            return version
    latest = max(v.number for v in versions)
    raise error(f"{label} has no version {number}; versions are 0 to {latest}.")


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """A unified diff of two texts (empty when they are the same)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def person(author: str, error: type[ClarionError]) -> str:
    """The author's name with its spaces tidied, or `error` if it is empty or too long."""
    name = " ".join(author.split())
    if not name:
        raise error("Enter your name as the author of this change.")
    if len(name) > MAX_AUTHOR_CHARS:
        raise error(f"The author's name is longer than {MAX_AUTHOR_CHARS} characters.")
    return name


def note(comment: str) -> str:
    """A version's comment, trimmed to MAX_COMMENT_CHARS."""
    return comment.strip()[:MAX_COMMENT_CHARS]


def write_override(directory: Path, document_id: str, text: str) -> None:
    """Atomically replace directory/<id>.yaml: a loader never sees half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{document_id}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it private; it is an ordinary data file
        os.replace(temp, directory / f"{document_id}.yaml")
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def decode_upload(raw: bytes, max_bytes: int) -> str | None:
    """An uploaded text file's text, or None unless it is UTF-8 and at most max_bytes long."""
    if len(raw) > max_bytes:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
