"""A pack's cells as jobs in clarion.db's `pack_jobs` table, claimed by any number of workers.

A run queues the cells it has not stored yet, in drafting order. A worker claims the next one
atomically and holds it under a lease; a heartbeat moves the lease on while the model writes.
A worker that dies (its thread, its process, its machine) stops the heartbeat: when the lease
has run out, the next claim takes its cell again. The message itself is written under
pack_messages' unique key in the same transaction that marks the job done, so a cell is stored
once even when a slow worker whose lease ran out finishes after all.

Leases are wall-clock seconds since the epoch: workers on several machines need their clocks
kept in step (NTP), as every database with leases does.
"""

from __future__ import annotations

import time
from collections import Counter

from comms.packs.campaign import Cell
from comms.packs.store import PackStore
from core.clock import now
from core.database import Connection, is_postgres, scalar

KEY = "campaign_id = ? AND audience = ? AND channel = ? AND language = ? AND variant = ?"

# The claim: one UPDATE … RETURNING picks the next job and takes it. SQLite: BEGIN IMMEDIATE
# (PackStore.transaction) makes claimers take turns. PostgreSQL: the inner SELECT locks the row
# it picks and skips rows another claimer holds (FOR UPDATE SKIP LOCKED), so claimers on many
# machines never wait for each other nor take the same job. `{campaign}` is
# "campaign_id = ? AND " for one campaign's run, empty for a worker that takes the cells of any
# campaign (`python -m comms worker`); `{lock}` is PostgreSQL's row lock.
CLAIM = """
UPDATE pack_jobs
SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
WHERE (campaign_id, audience, channel, language, variant) = (
    SELECT campaign_id, audience, channel, language, variant FROM pack_jobs
    WHERE {campaign}(state = 'queued' OR (state = 'running' AND lease_until < ?))
    ORDER BY position
    LIMIT 1{lock}
)
RETURNING campaign_id, audience, channel, language, variant
"""


def enqueue(store: PackStore, campaign_id: str, order: list[Cell]) -> None:
    """Queue the cells in drafting order: new ones, and again those that failed, were stopped
    or done without a stored message; a running one keeps its worker until its lease ends."""
    rows = [(campaign_id, c.audience, c.channel, c.language, c.variant, n, now())
            for n, c in enumerate(order)]  # fmt: skip
    with store.transaction() as tx:
        tx.db.executemany(
            "INSERT INTO pack_jobs (campaign_id, audience, channel, language, variant, position, "
            "state, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?) "
            "ON CONFLICT (campaign_id, audience, channel, language, variant) DO UPDATE SET "
            "state = 'queued', position = excluded.position, worker = '', error = '', "
            "updated_at = excluded.updated_at WHERE pack_jobs.state != 'running'",
            rows,
        )


def claim(store: PackStore, campaign_id: str, worker: str, lease: float) -> Cell | None:
    """The next queued cell (or one whose lease ran out), now held by `worker`; None: none left."""
    taken = _claim(store, campaign_id, worker, lease)
    return taken[1] if taken else None


def claim_any(store: PackStore, worker: str, lease: float) -> tuple[str, Cell] | None:
    """The next queued cell of any campaign (or one whose lease ran out), now held by
    `worker`, with its campaign id; None: none left."""
    return _claim(store, None, worker, lease)


def _claim(
    store: PackStore, campaign_id: str | None, worker: str, lease: float
) -> tuple[str, Cell] | None:
    at = time.time()
    one = campaign_id is not None
    args = (worker, at + lease, now(), *([campaign_id] if one else []), at)
    with store.transaction(exclusive=False) as tx:
        lock = " FOR UPDATE SKIP LOCKED" if is_postgres(tx.db) else ""
        sql = CLAIM.format(campaign="campaign_id = ? AND " if one else "", lock=lock)
        row = tx.db.execute(sql, args).fetchone()
    return (row[0], Cell(row[1], row[2], row[3], row[4])) if row else None


def heartbeat(store: PackStore, campaign_id: str | None, workers: list[str], lease: float) -> None:
    """Move the leases of the cells these workers hold `lease` seconds on from now (of one
    campaign, or with None of any)."""
    marks = ", ".join("?" * len(workers))
    one = campaign_id is not None
    with store.transaction() as tx:
        tx.db.execute(
            f"UPDATE pack_jobs SET lease_until = ? WHERE {'campaign_id = ? AND ' if one else ''}"
            f"state = 'running' AND worker IN ({marks})",
            (time.time() + lease, *([campaign_id] if one else []), *workers),
        )


def mark_done(db: Connection, campaign_id: str, cell: Cell) -> None:
    """The cell's message is stored: inside the transaction that stored it."""
    db.execute(
        f"UPDATE pack_jobs SET state = 'done', lease_until = 0, updated_at = ? WHERE {KEY}",
        (now(), *_key(campaign_id, cell)),
    )


def mark_failed(store: PackStore, campaign_id: str, cell: Cell, error: str) -> None:
    """The cell failed; the next run queues it again."""
    with store.transaction() as tx:
        tx.db.execute(
            "UPDATE pack_jobs SET state = 'failed', lease_until = 0, error = ?, updated_at = ? "
            f"WHERE {KEY}",
            (error, now(), *_key(campaign_id, cell)),
        )


def release(store: PackStore, campaign_id: str, cell: Cell, worker: str) -> None:
    """Give a held cell back to the queue (the run was stopped), unless another took it."""
    with store.transaction() as tx:
        tx.db.execute(
            "UPDATE pack_jobs SET state = 'queued', worker = '', lease_until = 0, updated_at = ? "
            f"WHERE {KEY} AND worker = ? AND state = 'running'",
            (now(), *_key(campaign_id, cell), worker),
        )


def held_elsewhere(store: PackStore, campaign_id: str, run: str) -> int:
    """Cells still queued, or held by a worker not of this run (whose name starts with `run`):
    another process's, which may finish them or die; then this run takes them."""
    with store.transaction(write=False) as tx:
        return int(
            scalar(
                tx.db,
                "SELECT COUNT(*) FROM pack_jobs WHERE campaign_id = ? AND (state = 'queued' OR "
                "(state = 'running' AND substr(worker, 1, ?) != ?))",
                (campaign_id, len(run), run),
            )
        )


def open_jobs(store: PackStore) -> int:
    """Cells of any campaign still queued or held by a worker: work left for someone."""
    with store.transaction(write=False) as tx:
        return int(
            scalar(tx.db, "SELECT COUNT(*) FROM pack_jobs WHERE state IN ('queued', 'running')")
        )


def states(store: PackStore, campaign_id: str) -> Counter[str]:
    """How many of the campaign's jobs are queued, running, done and failed."""
    with store.transaction(write=False) as tx:
        rows = tx.db.execute(
            "SELECT state, COUNT(*) FROM pack_jobs WHERE campaign_id = ? GROUP BY state",
            (campaign_id,),
        ).fetchall()
    return Counter({state: count for state, count in rows})


def attempts(store: PackStore, campaign_id: str) -> dict[Cell, int]:
    """How many times each job was claimed."""
    with store.transaction(write=False) as tx:
        rows = tx.db.execute(
            "SELECT audience, channel, language, variant, attempts FROM pack_jobs "
            "WHERE campaign_id = ?",
            (campaign_id,),
        ).fetchall()
    return {Cell(a, c, lg, v): n for a, c, lg, v, n in rows}


def _key(campaign_id: str, cell: Cell) -> tuple[str, str, str, str, int]:
    return (campaign_id, cell.audience, cell.channel, cell.language, cell.variant)
