"""Pretests and their readers' ratings in data_dir/clarion.db, beside the pack they test."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from comms.pretest.design import Pretest, Rating
from core.clock import now
from core.database import Connection, DatabaseError, location, scalar, transaction
from core.errors import InputError
from core.settings import Settings


class PretestStoreError(DatabaseError):
    """The pretest tables cannot be read or written."""


@dataclass(frozen=True)
class StoredImport:
    """One file of answers taken in: how many respondents and ratings it added, and from whom."""

    id: int
    pretest_id: str
    filename: str
    sha256: str
    respondents: int
    ratings: int
    imported_by: str
    imported_at: str


class PretestStore:
    """The pretests, answer imports and ratings tables."""

    def __init__(self, settings: Settings) -> None:
        self.path = location(settings)

    @contextmanager
    def _db(self, *, write: bool) -> Iterator[Connection]:
        with transaction(
            self.path, write=write, what="the pretest tables", error=PretestStoreError
        ) as db:
            yield db

    def create(self, pretest: Pretest) -> Pretest:
        """Store a new pretest; an InputError if its id is taken or its campaign is unknown."""
        with self._db(write=True) as db:
            if not db.execute(
                "SELECT 1 FROM pack_campaigns WHERE id = ?", (pretest.campaign_id,)
            ).fetchone():
                raise InputError(f"No campaign '{pretest.campaign_id}' in the pack database.")
            if db.execute("SELECT 1 FROM pretests WHERE id = ?", (pretest.id,)).fetchone():
                raise InputError(f"A pretest '{pretest.id}' already exists; choose another id.")
            db.execute(
                "INSERT INTO pretests (id, campaign_id, spec, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    pretest.id, pretest.campaign_id, pretest.model_dump_json(),
                    pretest.created_by, pretest.created_at,
                ),
            )  # fmt: skip
        return pretest

    def get(self, pretest_id: str) -> Pretest:
        """The pretest with this id; an InputError naming it if there is none."""
        with self._db(write=False) as db:
            row = db.execute("SELECT spec FROM pretests WHERE id = ?", (pretest_id,)).fetchone()
        if row is None:
            raise InputError(f"No pretest '{pretest_id}'.")
        return Pretest.model_validate_json(row[0])

    def of_campaign(self, campaign_id: str) -> list[Pretest]:
        """A campaign's pretests, newest first."""
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT spec FROM pretests WHERE campaign_id = ? ORDER BY created_at DESC, id",
                (campaign_id,),
            ).fetchall()
        return [Pretest.model_validate_json(row[0]) for row in rows]

    def add_ratings(
        self, pretest: Pretest, ratings: list[Rating], *, filename: str, data: bytes, user: str
    ) -> StoredImport:
        """Store one file's ratings, all or none: a respondent already imported is refused."""
        if not ratings:
            raise InputError(f"{filename} holds no ratings: nothing was imported.")
        digest = hashlib.sha256(data).hexdigest()
        respondents = sorted({r.respondent for r in ratings})
        at = now()
        with self._db(write=True) as db:
            _refuse_repeats(db, pretest.id, digest, respondents, filename)
            import_id = scalar(
                db,
                "INSERT INTO pretest_imports (pretest_id, filename, sha256, respondents, "
                "ratings, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (pretest.id, filename, digest, len(respondents), len(ratings), user, at),
            )
            db.executemany(
                "INSERT INTO pretest_ratings (pretest_id, import_id, respondent, language, form, "
                "position, version, item, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        pretest.id, import_id, r.respondent, r.language, r.form, r.position,
                        r.version, r.item, r.score,
                    )
                    for r in ratings
                ],
            )  # fmt: skip
        return StoredImport(
            import_id, pretest.id, filename, digest, len(respondents), len(ratings), user, at
        )

    def ratings(self, pretest_id: str) -> list[Rating]:
        """Every rating of the pretest: by import, then respondent, page and item."""
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT respondent, language, form, position, version, item, score FROM "
                "pretest_ratings WHERE pretest_id = ? "
                "ORDER BY import_id, respondent, position, item",
                (pretest_id,),
            ).fetchall()
        keys = ("respondent", "language", "form", "position", "version", "item", "score")
        return [Rating.model_validate(dict(zip(keys, row, strict=True))) for row in rows]

    def imports(self, pretest_id: str) -> list[StoredImport]:
        """The answer files taken in for a pretest, oldest first."""
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT id, pretest_id, filename, sha256, respondents, ratings, imported_by, "
                "imported_at FROM pretest_imports WHERE pretest_id = ? ORDER BY id",
                (pretest_id,),
            ).fetchall()
        return [StoredImport(*row) for row in rows]


def _refuse_repeats(
    db: Connection, pretest_id: str, digest: str, respondents: list[str], filename: str
) -> None:
    same = db.execute(
        "SELECT filename, imported_at FROM pretest_imports WHERE pretest_id = ? AND sha256 = ?",
        (pretest_id, digest),
    ).fetchone()
    if same:
        raise InputError(
            f"{filename} was imported before (as {same[0]}, {same[1]}): nothing was imported."
        )
    marks = ", ".join("?" * len(respondents))
    seen = db.execute(
        f"SELECT DISTINCT respondent FROM pretest_ratings WHERE pretest_id = ? "
        f"AND respondent IN ({marks}) ORDER BY respondent",
        (pretest_id, *respondents),
    ).fetchall()
    if seen:
        names = ", ".join(row[0] for row in seen[:10])
        raise InputError(
            f"{filename} has answers of {len(seen)} respondent(s) imported before ({names}): "
            "nothing was imported. Remove them from the file, or number new respondents anew."
        )
