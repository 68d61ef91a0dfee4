"""A pack worker for other processes and machines: `python -m comms worker`.

It takes the queued cells of any campaign from clarion.db's pack_jobs table (comms.packs.jobs),
and the cells whose worker's lease ran out, and writes them through the configured chat model
(one server, or a pool) with as many cells at once as the model has slots. Each cell is written
by the same code as a pack run's own workers (generation.write_job): stored under its unique key
in the transaction that marks the job done, so a cell is stored once whoever writes it.

A stop (SIGTERM, Ctrl-C) stops each cell in flight at its next token and gives it back to the
queue; a cell the model already answered is stored. A worker that is killed outright stops its
heartbeat: its cells go to the next claim when their lease has run out (CLARION_PACK_LEASE).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from comms.model.backends import ChatModel
from comms.packs import jobs
from comms.packs.campaign import Cell
from comms.packs.generation import (
    STORED_ELSEWHERE,
    CellContext,
    PackStopped,
    cell_context,
    write_job,
)
from comms.packs.store import PackStore
from core.settings import Settings
from knowledge.retrieval.store import Store

# once: exit when nothing is left to claim now; until-empty: also wait for the cells other
# workers hold, until none is queued or running; forever: until stopped.
Until = Literal["once", "until-empty", "forever"]
IDLE = 1.0  # seconds between claims while there is nothing to take


@dataclass(frozen=True)
class CellDone:
    """One cell a worker finished: stored, stored by another worker already, or failed."""

    campaign_id: str
    cell: Cell
    outcome: str  # "stored", "stored elsewhere" or "failed: …"
    seconds: float


@dataclass
class WorkerTally:
    """What a worker did, counted across its threads."""

    stored: int = 0
    elsewhere: int = 0
    failed: int = 0
    released: int = 0  # given back to the queue at a stop
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def worker_name() -> str:
    """host:pid:random, the prefix of this process's job holders."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def work(
    store: PackStore,
    *,
    settings: Settings,
    chat: ChatModel,
    knowledge: Store,
    concurrency: int,
    until: Until = "forever",
    stop: threading.Event | None = None,
    user: str = "worker",
    on_cell: Callable[[CellDone], None] | None = None,
) -> WorkerTally:
    """Claim and write cells of any campaign with `concurrency` threads until `until` or
    `stop`; returns what was done. Cells held at a stop are given back."""
    stop = stop or threading.Event()
    prefix = worker_name()
    names = [f"{prefix}:{n}" for n in range(max(1, concurrency))]
    shared = _Shared(store, settings, chat, knowledge, user, until, stop, on_cell)
    threads = [threading.Thread(target=shared.loop, args=(name,), name=f"worker-{name}",
                                daemon=True) for name in names]  # fmt: skip
    beat = threading.Thread(target=_heartbeat, args=(store, settings, names, stop), daemon=True)
    for thread in [*threads, beat]:
        thread.start()
    try:
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=0.2)
    finally:
        stop.set()
        for thread in threads:  # each stops at its next token and gives its cell back
            thread.join(timeout=30)
    return shared.tally


class _Shared:
    """What the threads of one worker share: the store, the model, the campaigns' contexts."""

    def __init__(
        self,
        store: PackStore,
        settings: Settings,
        chat: ChatModel,
        knowledge: Store,
        user: str,
        until: Until,
        stop: threading.Event,
        on_cell: Callable[[CellDone], None] | None,
    ) -> None:
        self.store, self.settings, self.chat, self.knowledge = store, settings, chat, knowledge
        self.user, self.until, self.stop, self.on_cell = user, until, stop, on_cell
        self.tally = WorkerTally()
        self._contexts: dict[str, CellContext] = {}
        self._lock = threading.Lock()

    def loop(self, name: str) -> None:
        """Claim and write cells until there is nothing more to do or a stop."""
        while not self.stop.is_set():
            taken = jobs.claim_any(self.store, name, self.settings.pack_lease)
            if taken is None:
                if self._finished():
                    return
                self.stop.wait(min(IDLE, self.settings.pack_lease / 4))
                continue
            try:
                self._write(name, *taken)
            except Exception as exc:  # the cell went back to the queue; this thread goes on
                self._report(taken[0], taken[1], f"given back: {exc}", 0.0)
                self.stop.wait(IDLE)

    def _finished(self) -> bool:
        if self.until == "once":
            return True
        return self.until == "until-empty" and not jobs.open_jobs(self.store)

    def _write(self, name: str, campaign_id: str, cell: Cell) -> None:
        started = time.monotonic()
        try:
            outcome = write_job(self._context(campaign_id, name, cell), cell, name,
                                self.stop.is_set)  # fmt: skip
        except PackStopped:
            with self.tally.lock:
                self.tally.released += 1
            return
        with self.tally.lock:
            if outcome is None:
                self.tally.stored += 1
            elif outcome is STORED_ELSEWHERE:
                self.tally.elsewhere += 1
            else:
                self.tally.failed += 1
        said = "stored" if outcome is None else outcome
        if outcome not in (None, STORED_ELSEWHERE):
            said = f"failed: {outcome}"
        self._report(campaign_id, cell, said, time.monotonic() - started)

    def _report(self, campaign_id: str, cell: Cell, outcome: str, seconds: float) -> None:
        if self.on_cell is not None:
            self.on_cell(CellDone(campaign_id, cell, outcome, seconds))

    def _context(self, campaign_id: str, name: str, cell: Cell) -> CellContext:
        """The campaign's context, built once per worker (its map, its evidence)."""
        with self._lock:
            if campaign_id not in self._contexts:
                try:
                    self._contexts[campaign_id] = cell_context(
                        self.store, campaign_id, settings=self.settings, chat=self.chat,
                        knowledge=self.knowledge, user=self.user,
                    )  # fmt: skip
                except BaseException:
                    jobs.release(self.store, campaign_id, cell, name)
                    raise
            return self._contexts[campaign_id]


def _heartbeat(
    store: PackStore, settings: Settings, names: list[str], stop: threading.Event
) -> None:
    """Keep this worker's leases alive while it writes: a third of a lease apart."""
    while not stop.wait(settings.pack_lease / 3):
        jobs.heartbeat(store, None, names, settings.pack_lease)
