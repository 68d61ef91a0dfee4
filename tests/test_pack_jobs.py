"""Packs in parallel: a pack's model requests as jobs in clarion.db, claimed by workers up to
the pool's slots; a server or a worker that dies loses no cell and writes none twice.

The model servers are stand-ins on 127.0.0.1 (bench/standin.py) with a fixed delay and several
slots each; the real HTTP client, the gate and the pack store run."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from bench.standin import StandIn, as_content
from comms.model.backends import build_chat_model
from comms.packs import jobs
from comms.packs.campaign import Campaign, cells
from comms.packs.generation import (
    Progress,
    cell_context,
    create_campaign,
    generate_pack,
    queue_pack,
    write_job,
)
from comms.packs.store import PackStore
from comms.packs.worker import CellDone, work
from core.settings import Settings, load_settings
from knowledge.retrieval.store import Store
from tests.pack_helpers import answer, small_campaign

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


@pytest.fixture
def servers() -> Iterator[tuple[StandIn, StandIn]]:
    """Two stand-ins with 2 slots each, 0.2 s an answer."""
    pair = StandIn(slots=2, delay=0.2), StandIn(slots=2, delay=0.2)
    for server in pair:
        server.script(lambda body: as_content(answer(1)))
    with pair[0], pair[1]:
        yield pair


def pool_settings(settings: Settings, pair: tuple[StandIn, StandIn], **more: Any) -> Settings:
    url = ",".join(server.url for server in pair)
    return load_settings(data_dir=settings.data_dir, repair_tries=0, llm_mode="openai",
                         llm_url=url, **more)  # fmt: skip


def run_pack(settings: Settings, store: Store, campaign: Campaign, **options: Any) -> Any:
    packs = PackStore(settings)
    if packs.find_campaign(campaign.id) is None:
        create_campaign(packs, campaign, settings=settings, user="Ann")
    chat = options.pop("chat", None) or build_chat_model(settings)
    return packs, generate_pack(
        packs, campaign.id, settings=settings, chat=chat, knowledge=store, user="Ann",
        ask_model=True, **options,
    )  # fmt: skip


def written_once(packs: PackStore, campaign: Campaign) -> None:
    """Every cell stored, once, each with one `generate` event and the model's answer."""
    stored = packs.messages(campaign.id)
    assert sorted(m.cell for m in stored) == sorted(cells(campaign))
    events = Counter(e.cell for e in packs.events(campaign.id) if e.action == "generate")
    assert set(events.values()) == {1} and len(events) == campaign.size
    assert all(m.message.get("model_text") for m in stored), "a cell lost its model answer"


def test_a_pack_runs_on_every_slot_of_the_pool(settings, fake_store, servers) -> None:  # type: ignore[no-untyped-def]
    settings = pool_settings(settings, servers)
    campaign = small_campaign()  # 8 cells
    seen: list[Progress] = []
    packs, run = run_pack(settings, fake_store, campaign, on_progress=seen.append)
    assert run.complete and len(run.generated) == 8 and not run.failed
    written_once(packs, campaign)
    assert [p.done for p in seen] == list(range(9))  # progress from the calling thread
    assert max(s.most_at_once for s in servers) == 2  # requests at once, never over the slots
    assert sum(s.answered for s in servers) == 8 and min(s.answered for s in servers) > 0
    assert jobs.states(packs, campaign.id) == {"done": 8}


def test_a_server_killed_mid_pack_loses_no_cell(settings, fake_store, servers) -> None:  # type: ignore[no-untyped-def]
    first, second = servers
    settings = pool_settings(settings, servers, llm_retry_after=30)
    campaign = small_campaign()
    count = itertools.count(1)

    def dying(body: dict[str, Any]) -> str:
        if next(count) == 3:
            first.kill()  # this request and any still in flight there are cut off
        return as_content(answer(1))

    first.script(dying)
    packs, run = run_pack(settings, fake_store, campaign)
    assert run.complete and not run.failed
    written_once(packs, campaign)
    assert first.dead and first.answered <= 2 and second.answered == 8 - first.answered


def test_a_stopped_parallel_run_resumes_without_duplicates(settings, fake_store, servers) -> None:  # type: ignore[no-untyped-def]
    settings = pool_settings(settings, servers)
    campaign = small_campaign()
    seen: list[Progress] = []
    packs, run = run_pack(
        settings, fake_store, campaign, on_progress=seen.append, should_stop=lambda: len(seen) > 3
    )
    assert run.stopped and 3 <= len(run.generated) < 8
    assert jobs.states(packs, campaign.id)["running"] == 0  # the stopped cells went back
    first = {m.cell: m.text for m in packs.messages(campaign.id)}
    _, again = run_pack(settings, fake_store, campaign)
    assert again.complete and again.skipped == len(first)
    written_once(packs, campaign)
    now = {m.cell: m.text for m in packs.messages(campaign.id)}
    assert all(now[cell] == text for cell, text in first.items())


def test_a_dead_workers_cell_is_taken_after_its_lease(settings, fake_store, servers) -> None:  # type: ignore[no-untyped-def]
    settings = pool_settings(settings, servers, pack_lease=5)  # this run's; the dead one's: 0.3
    campaign = small_campaign()
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    jobs.enqueue(packs, campaign.id, list(cells(campaign)))
    held = jobs.claim(packs, campaign.id, "other-host:1:dead:0", lease=0.3)  # then it dies
    assert held is not None
    _, run = run_pack(settings, fake_store, campaign)  # waits for the lease to run out
    assert run.complete and held in run.generated
    written_once(packs, campaign)
    assert jobs.attempts(packs, campaign.id)[held] == 2


def test_a_live_workers_cell_is_left_to_it(settings, fake_store, servers) -> None:  # type: ignore[no-untyped-def]
    settings = pool_settings(settings, servers, pack_lease=5)
    campaign = small_campaign()
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    jobs.enqueue(packs, campaign.id, list(cells(campaign)))
    held = jobs.claim(packs, campaign.id, "other-host:1:busy:0", lease=5)
    assert held is not None
    assert jobs.claim(packs, campaign.id, "x", lease=5) != held  # never claimed twice
    jobs.release(packs, campaign.id, held, "someone-else")  # only its worker gives it back
    assert jobs.states(packs, campaign.id)["running"] == 2


def test_one_slot_writes_in_drafting_order_without_jobs(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    with StandIn(slots=4) as server:  # one URL, no #slots: one request at a time, as before
        server.script(lambda body: as_content(answer(1)))
        one = load_settings(data_dir=settings.data_dir, repair_tries=0, llm_mode="openai",
                            llm_url=server.url)  # fmt: skip
        packs, run = run_pack(one, fake_store, small_campaign())
        assert run.complete and server.most_at_once == 1
    assert jobs.states(packs, "flu-test") == {}  # the sequential path queues nothing


def test_one_url_with_slots_never_gets_more_at_once(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    with StandIn(delay=0.1) as server:  # 2 slots said in the URL; 3 workers
        server.script(lambda body: as_content(answer(1)))
        two = load_settings(data_dir=settings.data_dir, repair_tries=0, llm_mode="openai",
                            llm_url=server.url + "#slots=2")  # fmt: skip
        packs, run = run_pack(two, fake_store, small_campaign())
        assert run.complete and server.most_at_once == 2 and server.answered == 8
    written_once(packs, small_campaign())


def test_claimers_at_the_same_time_never_take_one_cell_twice(settings) -> None:  # type: ignore[no-untyped-def]
    campaign = small_campaign(variants=2)
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    jobs.enqueue(packs, campaign.id, list(cells(campaign)))
    taken: list[Any] = []

    def claimer(n: int) -> None:
        while (cell := jobs.claim(packs, campaign.id, f"w{n}", lease=60)) is not None:
            taken.append(cell)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(cells(campaign))  # all 16, each once
    assert jobs.states(packs, campaign.id) == {"running": 16}


def queued(settings: Settings, store: Store, campaign: Campaign) -> PackStore:
    """The campaign created and its cells queued for workers, as `pack --queue` does."""
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    assert queue_pack(packs, campaign.id, settings=settings, knowledge=store, user="Ann") == 8
    return packs


def test_a_worker_writes_the_queued_cells_of_every_campaign(settings, fake_store, servers) -> None:  # type: ignore[no-untyped-def]
    settings = pool_settings(settings, servers)
    first, second = small_campaign(), small_campaign(id="flu-other")
    packs = queued(settings, fake_store, first)
    queued(settings, fake_store, second)
    done: list[CellDone] = []
    tally = work(packs, settings=settings, chat=build_chat_model(settings), knowledge=fake_store,
                 concurrency=4, until="until-empty", on_cell=done.append)  # fmt: skip
    assert (tally.stored, tally.elsewhere, tally.failed, tally.released) == (16, 0, 0, 0)
    assert {d.campaign_id for d in done} == {first.id, second.id} and len(done) == 16
    for campaign in (first, second):
        written_once(packs, campaign)
        assert jobs.states(packs, campaign.id) == {"done": 8}
    assert max(s.most_at_once for s in servers) == 2  # the pool's slots, never more


def test_a_stopped_worker_gives_the_cells_it_holds_back(settings, fake_store, servers) -> None:  # type: ignore[no-untyped-def]
    settings = pool_settings(settings, servers)
    campaign = small_campaign()
    packs = queued(settings, fake_store, campaign)
    stop = threading.Event()

    def stopping(body: dict[str, Any]) -> str:  # a SIGTERM while the requests are in flight
        stop.set()
        return as_content(answer(1))

    for server in servers:
        server.script(stopping)
    tally = work(packs, settings=settings, chat=build_chat_model(settings), knowledge=fake_store,
                 concurrency=4, stop=stop)  # fmt: skip
    stored = len(packs.messages(campaign.id))
    assert tally.stored == stored and tally.released >= 1 and stored + tally.released <= 4
    assert jobs.states(packs, campaign.id) == +Counter(done=stored, queued=8 - stored)
    assert jobs.claim_any(packs, "next", lease=5) is not None  # they can be taken again


def test_a_run_counts_the_cells_a_worker_stored(settings, fake_store, servers) -> None:  # type: ignore[no-untyped-def]
    settings = pool_settings(settings, servers)
    campaign = small_campaign()
    packs = queued(settings, fake_store, campaign)
    held = jobs.claim_any(packs, "elsewhere:1:w:0", lease=60)
    assert held is not None and held[0] == campaign.id
    context = cell_context(packs, campaign.id, settings=settings, chat=build_chat_model(settings),
                           knowledge=fake_store, user="Ann")  # fmt: skip
    outcome: list[str | None] = []

    def progress(now: Progress) -> None:  # the run wrote its 7 and waits: the other stores its
        if now.done == 7 and not outcome:
            outcome.append(write_job(context, held[1], "elsewhere:1:w:0", lambda: False))

    _, run = run_pack(settings, fake_store, campaign, on_progress=progress)
    assert outcome == [None] and held[1] not in run.generated
    assert run.complete and run.skipped == 1 and len(run.generated) == 7
    written_once(packs, campaign)
