"""Packs in parallel across processes, with real faults: a model server process killed mid-pack
(SIGKILL), and one of two `python -m comms worker` processes killed mid-pack. Every cell is
stored once (0 lost, 0 written twice: messages, `generate` events, job attempts), no output
says "database is locked", and the pack completes.

The model servers are stand-in processes on 127.0.0.1 (`python -m bench.standin`) that hold
several requests at once and answer each after a fixed delay. Every process finds the
database through the settings alone (CLARION_DATA_DIR, and CLARION_DATABASE_URL where set),
so the same tests run on PostgreSQL."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from comms.packs import jobs
from comms.packs.campaign import Campaign, cells
from comms.packs.generation import create_campaign, queue_pack
from comms.packs.store import PackStore
from core.settings import Settings, load_settings
from knowledge.retrieval.store import Store
from tests.conftest import ROOT
from tests.pack_helpers import answer, small_campaign

LOCKED = "database is locked"
DELAY = 1.0  # seconds per answer
SLOTS = 2  # per stand-in


class Proc:
    """A child process whose output (stdout and stderr together) is read line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)

    def wait_for(self, pattern: str, timeout: float = 90.0) -> re.Match[str]:
        """The first line from now on that matches `pattern`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._new.get(timeout=0.2)
            except queue.Empty:
                if self.popen.poll() is not None and self._new.empty():
                    break
                continue
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r}; output:\n" + self.output)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(timeout=10)


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    """Every child process a test starts; all killed at its end."""
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.stop()


def settings_env(settings: Settings, **more: str) -> dict[str, str]:
    """The environment of a child process: the database as the settings have it, the model
    asked for every cell, one model call per cell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    env |= {"CLARION_DATA_DIR": str(settings.data_dir), "CLARION_ASK_MODEL": "always",
            "CLARION_REPAIR_TRIES": "0", "PYTHONUNBUFFERED": "1"}  # fmt: skip
    if settings.database_url:
        env["CLARION_DATABASE_URL"] = settings.database_url
    if settings.chroma_url:
        env["CLARION_CHROMA_URL"] = settings.chroma_url
    return env | more


def standins(procs: list[Proc], env: dict[str, str], count: int = 2) -> list[Proc]:
    """`count` stand-in server processes, each SLOTS requests at once, DELAY s an answer."""
    servers = []
    for _ in range(count):
        proc = Proc([sys.executable, "-m", "bench.standin", "--slots", str(SLOTS), "--delay",
                     str(DELAY), "--answer", json.dumps(answer(1))], env)  # fmt: skip
        procs.append(proc)
        servers.append(proc)
    for proc in servers:
        proc.url = proc.wait_for(r"serving (\S+)", timeout=30)[1]  # type: ignore[attr-defined]
    return servers


def pool_url(servers: list[Proc]) -> str:
    return ",".join(f"{s.url}#slots={SLOTS}" for s in servers)  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgres"])
def data(
    request: pytest.FixtureRequest, real_store_dir: Path, tmp_path: Path
) -> Iterator[Settings]:
    """Settings on a copy of the indexed shipped corpus: on SQLite with the embedded store, or
    on PostgreSQL with a Chroma server serving the copy, as processes on several machines."""
    copy = tmp_path / "indexed"
    shutil.copytree(real_store_dir, copy)
    if request.param == "sqlite":
        yield load_settings(data_dir=copy, repair_tries=0)
        return
    from bench.chroma_server import chroma_server

    with chroma_server(copy / "chroma") as url:
        yield load_settings(data_dir=copy, repair_tries=0, chroma_url=url,
                            database_url=request.getfixturevalue("postgres_url"))  # fmt: skip


def campaign() -> Campaign:
    """16 cells: 2 audiences × 2 channels × 2 languages × 2 variants."""
    return small_campaign(id="flu-workers", variants=2)


def stored_once(settings: Settings, pack: Campaign) -> Counter[int]:
    """Every cell stored once, with one `generate` event and the model's answer; returns how
    many cells were claimed once, twice, …"""
    packs = PackStore(settings)
    stored = packs.messages(pack.id)
    assert sorted(m.cell for m in stored) == sorted(cells(pack))  # 0 lost, none twice
    assert all(m.revision == 1 for m in stored)
    events = Counter(e.cell for e in packs.events(pack.id) if e.action == "generate")
    assert len(events) == pack.size and set(events.values()) == {1}, events
    assert not [e for e in packs.events(pack.id) if e.action == "generate_failed"]
    assert all(m.message.get("model_text") for m in stored), "a cell lost its model answer"
    assert jobs.states(packs, pack.id) == {"done": pack.size}
    return Counter(jobs.attempts(packs, pack.id).values())


def test_a_model_server_killed_mid_pack_the_pack_completes_on_the_other(
    data: Settings, tmp_path: Path, procs: list[Proc]
) -> None:
    env = settings_env(data)
    first, second = standins(procs, env)
    pack = campaign()
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(pack.model_dump(mode="json"), allow_unicode=True))
    run = Proc([sys.executable, "-m", "comms", "pack", "--campaign", str(path), "--out",
                str(tmp_path / "pack.zip"), "--draft", "--ask-model"],
               env | {"CLARION_LLM_MODE": "openai", "CLARION_LLM_URL": pool_url([first, second]),
                      "CLARION_LLM_RETRY_AFTER": "60"})  # fmt: skip
    procs.append(run)
    run.wait_for(r"^\[2/16\]")  # two cells stored, others in flight on both servers
    first.popen.send_signal(signal.SIGKILL)
    assert run.popen.wait(timeout=60) == 0, run.output
    assert "Generated 16 messages (0 were stored already, 0 failed) of 16." in run.output
    claimed = stored_once(data, pack)
    assert claimed == {1: 16}  # a request cut off is asked again of the other server, same claim
    assert (tmp_path / "pack.zip").is_file()
    assert not any(LOCKED in p.output for p in procs)


def test_a_worker_killed_mid_pack_its_cells_are_done_by_the_other_after_the_lease(
    data: Settings, real_embedder: Any, procs: list[Proc]
) -> None:
    env = settings_env(data)
    servers = standins(procs, env)
    worker_env = env | {"CLARION_LLM_MODE": "openai", "CLARION_LLM_URL": pool_url(servers),
                        "CLARION_PACK_LEASE": "3"}  # fmt: skip
    doomed, survivor = (Proc([sys.executable, "-m", "comms", "worker"], worker_env)
                        for _ in range(2))  # fmt: skip
    procs += [doomed, survivor]
    for worker in (doomed, survivor):
        worker.wait_for(r"^worker: 4 messages at once", timeout=120)
    pack = campaign()
    packs = PackStore(data)
    create_campaign(packs, pack, settings=data, user="Ann")
    knowledge = Store(data, real_embedder)
    assert queue_pack(packs, pack.id, settings=data, knowledge=knowledge, user="Ann") == 16
    doomed.wait_for(rf"^{pack.id} \S+: stored")  # it holds more cells now: killed with them
    doomed.popen.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 60
    while len(packs.messages(pack.id)) < pack.size and time.monotonic() < deadline:
        time.sleep(0.2)
    survivor.popen.send_signal(signal.SIGTERM)  # stops at once: nothing is left to hold
    assert survivor.popen.wait(timeout=30) == 0, survivor.output
    assert re.search(r"worker: \d+ stored, 0 stored by another worker, 0 failed, 0 given back",
                     survivor.output), survivor.output  # fmt: skip
    claimed = stored_once(data, pack)
    assert claimed[2] >= 1 and set(claimed) <= {1, 2}, claimed  # the dead one's: claimed again
    assert not any(LOCKED in p.output for p in procs)
