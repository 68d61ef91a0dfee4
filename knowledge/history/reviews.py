"""Review dates: by when a source is to be checked for a newer version, and the cited ones past it.

A source's own review date is `review_by` in its front matter, kept in its chunks' metadata. A
date set on the Knowledge page (or with `python -m knowledge review`) is kept in clarion.db and
counts instead; clearing it brings the front matter's date back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.clock import now
from core.database import exists, location, transaction
from core.errors import InputError
from core.settings import Settings
from knowledge.retrieval.store import Store
from knowledge.sources.corpus import CORPUS_DIR, SourceMeta, read_document
from knowledge.sources.front_matter import parse_date

WHAT = "the review dates database"
MAX_USER_CHARS = 100
Overrides = dict[str, tuple[dt.date | None, str, str]]  # source id → (date, set by, set at)


class Review(BaseModel):
    """A source's review date in effect, and who set it where it was set over the front matter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_id: str
    review_by: dt.date | None
    own: dt.date | None  # the front matter's date
    set_by: str = ""  # empty: the front matter's date is in effect
    set_at: str = ""

    def is_overdue(self, today: dt.date) -> bool:
        """Whether today is past the review date."""
        return self.review_by is not None and self.review_by < today


class Overdue(BaseModel):
    """A source past its review date, with what a notice about it names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_id: str
    title: str
    org: str
    kind: str
    date: str  # the document's own date, YYYY-MM-DD ("" when unknown)
    review_by: dt.date

    def notice(self, language: str) -> str:
        """One line for staff, in German ("de") or English (any other language)."""
        short, month = short_org(self.org), self.date[:7]
        if language == "de":
            subject = f"{short}-Empfehlung" if short and self.kind == "recommendation" else None
            dated = f" vom {month}" if month else ""
            return (
                f"{subject or f'„{self.title}“'}{dated}: bitte prüfen, ob es eine neuere "
                f"Fassung gibt (Prüfdatum {self.review_by} überschritten)"
            )
        subject = f"{short} recommendation" if short and self.kind == "recommendation" else None
        dated = f" of {month}" if month else ""
        return (
            f"{subject or f'“{self.title}”'}{dated}: check for a newer one "
            f"(review date {self.review_by} passed)"
        )


def short_org(org: str) -> str:
    """The issuer's acronym: "STIKO" of "Robert Koch-Institut, STIKO", "WHO" of "… (WHO)"."""
    last = org.rsplit(",", 1)[-1].strip()
    if re.fullmatch(r"[A-Z]{2,8}", last):
        return last
    found = re.fullmatch(r".*\(([A-Z]{2,8})\)", last)
    return found.group(1) if found else ""


def review_dates(settings: Settings, store: Store) -> dict[str, Review]:
    """Every source in the store with its review date in effect."""
    firsts: dict[str, dict[str, Any]] = {}
    for meta in store.snapshot().metadatas:
        firsts.setdefault(str(meta["source_id"]), meta)
    overrides = _overrides(settings)
    return {sid: _review(sid, _own_date(sid, meta), overrides) for sid, meta in firsts.items()}


def overdue(
    settings: Settings, store: Store, source_ids: Iterable[str], today: dt.date
) -> dict[str, Overdue]:
    """The given sources that are past their review date on `today`, in the order given."""
    snapshot = store.snapshot()
    overrides: Overrides | None = None
    found: dict[str, Overdue] = {}
    for sid in dict.fromkeys(source_ids):
        position = snapshot.positions.get(f"{sid}#0")  # every source's first chunk
        meta = snapshot.metadatas[position] if position is not None else _shipped_meta(sid)
        if meta is None:
            continue
        if overrides is None:  # read once, and only when a cited source is known
            overrides = _overrides(settings)
        review = _review(sid, _own_date(sid, meta), overrides)
        if review.review_by is not None and review.is_overdue(today):
            found[sid] = Overdue(
                source_id=sid,
                title=str(meta.get("title", sid)),
                org=str(meta.get("org", "")),
                kind=str(meta.get("kind", "")),
                date=str(meta.get("date", "")),
                review_by=review.review_by,
            )
    return found


def set_review_date(
    settings: Settings, store: Store, source_id: str, review_by: dt.date | str | None, user: str
) -> Review:
    """Set a source's review date over its front matter's, or clear it (None or "")."""
    name = " ".join(user.split())
    if not name or len(name) > MAX_USER_CHARS:
        raise InputError(f"Give a name of 1 to {MAX_USER_CHARS} characters for the review date.")
    try:
        date = parse_date(review_by)
    except ValueError as exc:
        raise InputError(f"Review date: {exc}.") from None
    position = store.snapshot().positions.get(f"{source_id}#0")
    overrides = _overrides(settings)
    if position is None and source_id not in overrides:
        raise InputError(f"No source '{source_id}'; `python -m knowledge list` shows them.")
    with transaction(location(settings), write=True, what=WHAT) as db:
        if date is None:
            db.execute("DELETE FROM source_reviews WHERE source_id = ?", (source_id,))
        else:
            db.execute(
                "INSERT INTO source_reviews VALUES (?, ?, ?, ?) ON CONFLICT (source_id) DO "
                "UPDATE SET review_by = excluded.review_by, set_by = excluded.set_by, "
                "set_at = excluded.set_at",
                (source_id, date.isoformat(), name, now()),
            )
    meta = store.snapshot().metadatas[position] if position is not None else None
    return _review(source_id, _own_date(source_id, meta), _overrides(settings))


def _overrides(settings: Settings) -> Overrides:
    """The dates set over the front matter."""
    where = location(settings)
    if not exists(where):  # nothing set yet; reading must not create the database
        return {}
    with transaction(where, write=False, what=WHAT) as db:
        rows = db.execute("SELECT source_id, review_by, set_by, set_at FROM source_reviews")
        return {row[0]: (_date(row[1]), row[2], row[3]) for row in rows}


def _review(source_id: str, own: dt.date | None, overrides: Overrides) -> Review:
    if source_id in overrides:
        date, set_by, set_at = overrides[source_id]
        return Review(source_id=source_id, review_by=date, own=own, set_by=set_by, set_at=set_at)
    return Review(source_id=source_id, review_by=own, own=own)


def _own_date(source_id: str, meta: dict[str, Any] | None) -> dt.date | None:
    """The front matter's date: from the chunks, else (a store indexed before review dates, or
    a source cited from the shipped corpus without the store) from the shipped document."""
    if meta is not None and "review_by" in meta:
        return _date(meta["review_by"])
    shipped = _shipped(source_id)
    return shipped.review_by if shipped is not None else None


def _shipped_meta(source_id: str) -> dict[str, Any] | None:
    """A shipped document's metadata as its chunks carry it: a source cited from the corpus
    without the store holding it."""
    shipped = _shipped(source_id)
    if shipped is None:
        return None
    return {"title": shipped.title, "org": shipped.source_org, "kind": shipped.kind,
            "date": shipped.date.isoformat(), "review_by": shipped.review_by}  # fmt: skip


@lru_cache(maxsize=128)
def _shipped(source_id: str) -> SourceMeta | None:
    """The front matter of a shipped corpus document, or None if there is no such document."""
    path = CORPUS_DIR / f"{source_id}.md"
    if "/" in source_id or not path.is_file():
        return None
    return read_document(path).meta


def _date(value: object) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError:  # written by hand into the database or metadata: treated as none
        return None
