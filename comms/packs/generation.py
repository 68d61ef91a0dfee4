"""Generating a message pack: every cell of a campaign's grid, in prefix-sharing order.

Order. llama.cpp keeps the previous prompt's tokens in its KV cache and, on the next call,
only evaluates the tokens after the longest prefix the two prompts share (llama-cpp-python does
this in-process; llama-server does it per slot with `cache_prompt`). A pack retrieves its
evidence once and every cell uses it, so within a campaign the prompt differs only where the
template mentions the audience, the channel and the language (and, when the model is asked for
its version of a composed message, where the key messages, the draft and the passages the draft
cites differ). `dimension_order` renders the prompt of every distinct cell on sample variables and
measures each nesting of the three dimensions by the prefixes its consecutive prompts share; the
best one is the drafting order, and variants, whose prompts are identical, come last. With the
shipped template and the composed-only default this is usually
audience → channel → language → variant and consecutive calls re-evaluate only the last lines.

Map. Every message starts from the office's message map (comms.drafting.write): a run loads the
map once, so every cell it writes comes from the same map version, and records that version in
the campaign and the audit trail. The model is asked for its version only when the run asks for
it; the composed message needs no model at all.

Resume. Each finished message is stored in its own transaction as soon as it is written, under
a unique (campaign, audience, channel, language, variant) key: a crash loses at most the message
in flight, and a second run skips every stored cell.

In parallel. A chat model with several slots (a pool of servers, or one server with
`#slots=N`) writes the cells the model is asked about as jobs in clarion.db (comms.packs.jobs):
worker threads (half as many again as slots) claim the next cell in drafting order, the chat
model runs at most its slots' requests at once, and progress, Stop and failures are reported
from the calling thread as today. With one slot (the in-process llama.cpp model) and for the
composed floor alone, a run writes the cells one after the other in order, without jobs.
Other processes take the same jobs with `python -m comms worker` (comms.packs.worker), each
cell through `write_job`, as the run's own threads; `queue_pack` queues a campaign for them.
"""

from __future__ import annotations

import itertools
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from comms.drafting.draft import VARIANT_STRIDE, Request, find_evidence
from comms.drafting.grounding import pin_map_facts
from comms.drafting.template import PromptTemplate, parse_template, render
from comms.drafting.write import should_ask, write_message
from comms.maps.compose import compose
from comms.maps.library import LoadedMap, load_map
from comms.message import Message
from comms.model.backends import ChatModel, concurrency
from comms.office import OFFICIAL_LANGUAGE, load_office
from comms.packs import jobs
from comms.packs.audit import AuditEvent
from comms.packs.campaign import Campaign, Cell, Sender, cells, check_campaign
from comms.packs.coherence import Coherence, coherence
from comms.packs.evidence_flags import close_flags, has_open_flags
from comms.packs.review import ReviewConflict, message_checks, person
from comms.packs.store import CampaignRecord, PackMessage, PackStore, audit_event
from comms.templates.samples import Scenario, sample_variables
from comms.templates.store import TemplateStore
from core.catalog import load_catalog, pick
from core.clock import now
from core.errors import (
    ClarionError,
    GenerationError,
    InputError,
    ModelCrashed,
    TemplateError,
)
from core.settings import Settings
from knowledge.retrieval.search import Passage
from knowledge.retrieval.store import Store

TEMPLATE_ID = "draft_message"
DIMENSIONS = ("audience", "channel", "language")
FALLBACK_ORDER = ("audience", "channel", "language")  # the shipped template's order
REGENERATE_SEED_STEP = 10  # past the seeds a draft's retry and repair rounds may have used
ShouldStop = Callable[[], bool]


class PackStopped(ClarionError):
    """Generation was asked to stop; what was finished is stored."""


@dataclass(frozen=True)
class Progress:
    """Where a pack run stands: cells done of total, and an estimate of the time left."""

    done: int
    total: int
    generated: int  # in this run
    failed: int
    elapsed: float
    seconds_left: float | None  # None until a first message was written in this run
    cell: Cell | None = None  # the cell just finished


@dataclass
class PackRun:
    """What one generation run did."""

    total: int
    generated: list[Cell] = field(default_factory=list)
    skipped: int = 0  # already stored before this run
    failed: dict[Cell, str] = field(default_factory=dict)
    stopped: bool = False
    asked_model: bool = False
    map_id: str = ""
    map_version: str = ""  # the one map version every cell of this run was made from
    coherence: Coherence | None = None  # stale cells and consistency, after the run

    @property
    def complete(self) -> bool:
        return self.skipped + len(self.generated) == self.total


def create_campaign(
    store: PackStore, campaign: Campaign, *, settings: Settings, user: str
) -> CampaignRecord:
    """Store a new campaign, pinning the current draft_message template version; one without
    a sender is signed by the office profile, where the office has one."""
    check_campaign(campaign)
    office = load_office(settings)
    if campaign.sender is None and office is not None:
        sender = Sender(name=office.name_in(OFFICIAL_LANGUAGE), address=office.address,
                        phone=office.phone, email=office.email, web=office.web)  # fmt: skip
        campaign = campaign.model_copy(update={"sender": sender})
    version = TemplateStore(settings).current(TEMPLATE_ID)
    loaded = load_map(campaign.topic, settings)
    record = CampaignRecord(
        campaign=campaign,
        template_id=TEMPLATE_ID,
        template_number=version.number,
        template_hash=version.content_hash,
        template_text=version.text,
        model=settings.model_label(),
        created_by=person(user),
        created_at=now(),
        map_id=loaded.id,
        map_version=loaded.version,
    )
    with store.transaction() as tx:
        tx.insert_campaign(record)
        tx.record(_campaign_event(record, "create", f"{campaign.size} messages planned"))
    return record


def open_campaign(
    store: PackStore, campaign: Campaign, *, settings: Settings, user: str, resume: bool
) -> CampaignRecord:
    """The stored campaign for a file: new, or (with resume) the same one continued."""
    existing = store.find_campaign(campaign.id)
    if existing is None:
        return create_campaign(store, campaign, settings=settings, user=user)
    stored = len(store.messages(campaign.id))
    if not resume:
        raise InputError(
            f"Campaign '{campaign.id}' already exists in {store.path} with {stored} of "
            f"{existing.campaign.size} messages; add --resume to continue it, or give the file "
            "another id."
        )
    if existing.campaign.fingerprint != campaign.fingerprint:
        raise InputError(
            f"The campaign file differs from campaign '{campaign.id}' as stored on "
            f"{existing.created_at}; a resumed run must use the same file. Give the changed "
            "file another id to start a new campaign."
        )
    return existing


def dimension_order(
    campaign: Campaign, template: PromptTemplate, loaded: LoadedMap | None = None
) -> tuple[str, ...]:
    """Grid dimensions, outermost first: the nesting whose consecutive prompts share the most.

    Each distinct cell's prompt is rendered on sample variables (with `loaded`, carrying the
    map's key messages, the composed draft and the passages it cites, as the model is asked),
    and every nesting of the dimensions is measured by the prefixes its neighbours share.
    """
    prompt = partial(_prompt_text, template, campaign, loaded)
    grid = [
        {"audience": a, "channel": c, "language": lg}
        for a in campaign.audiences for c in campaign.channels for lg in campaign.languages
    ]  # fmt: skip
    try:
        prompts = {tuple(cell.values()): prompt(cell) for cell in grid}
    except TemplateError:
        return FALLBACK_ORDER  # a template the sample variables cannot fill
    rank = {dim: getattr(campaign, dim + "s") for dim in DIMENSIONS}

    def shared(order: tuple[str, ...]) -> int:
        def key(cell: tuple[str, ...]) -> list[int]:
            values = dict(zip(DIMENSIONS, cell, strict=True))
            return [rank[dim].index(values[dim]) for dim in order]

        ordered = [prompts[cell] for cell in sorted(prompts, key=key)]
        return sum(_common_prefix(a, b) for a, b in itertools.pairwise(ordered))

    return max(itertools.permutations(DIMENSIONS), key=shared)  # ties: the first, the default


def plan_order(
    campaign: Campaign, template: PromptTemplate, loaded: LoadedMap | None = None
) -> list[Cell]:
    """Every cell, sorted so that consecutive prompts share the longest prefix."""
    order = dimension_order(campaign, template, loaded)
    rank = {dim: getattr(campaign, dim + "s") for dim in DIMENSIONS}

    def key(cell: Cell) -> tuple[int, ...]:
        return (*(rank[dim].index(getattr(cell, dim)) for dim in order), cell.variant)

    return sorted(cells(campaign), key=key)


def cell_seed(campaign: Campaign, settings: Settings, cell: Cell) -> int:
    """The seed of a cell's first draft: the campaign's (or settings') seed, apart per variant."""
    base = settings.seed if campaign.seed is None else campaign.seed
    return base + VARIANT_STRIDE * (cell.variant - 1)


def generate_pack(
    store: PackStore,
    campaign_id: str,
    *,
    settings: Settings,
    chat: ChatModel | None = None,
    knowledge: Store,
    user: str,
    ask_model: bool | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: ShouldStop | None = None,
) -> PackRun:
    """Write every missing message of the campaign, storing each as soon as it is done.

    Every cell is composed from one map version; `ask_model` (default: the setting) also asks
    the model for its version of each, kept only where it passes the checks.
    """
    user = person(user)
    ask = _asking(settings, ask_model, chat)
    record = store.campaign(campaign_id)
    template = parse_template(record.template_text, origin=f"campaign {campaign_id} template")
    stored = {m.cell for m in store.messages(campaign_id)}
    loaded = load_map(record.campaign.topic, settings)  # once: every cell from this version
    order = plan_order(record.campaign, template, loaded if ask else None)
    run = PackRun(total=len(order), skipped=sum(cell in stored for cell in order),
                  asked_model=ask, map_id=loaded.id, map_version=loaded.version)  # fmt: skip
    pinned = Pinned(template, loaded, ask, _evidence(ask, knowledge, record.campaign, settings))
    if ask and chat is not None:
        model_fingerprint(chat)
    if run.skipped < run.total:
        _start_run(store, record, loaded, user, ask)
        pin_map_facts(settings, knowledge, loaded)  # the facts' passages, as this run cites them
    started = time.monotonic()
    report = _reporter(run, started, on_progress)
    report(None)
    todo = [c for c in order if c not in stored]
    context = CellContext(store, record, pinned, settings, chat, knowledge, user)
    slots = concurrency(chat) if ask else 1
    # Half as many workers again as slots: while the slots are busy, a spare worker composes
    # and checks its next cell (about 0.2 s of CPU a cell, mostly under the GIL), so a slot
    # that frees is taken at once. The chat model never runs more requests than its slots.
    workers = min(slots + slots // 2, len(todo)) if slots > 1 else 1
    if workers > 1:
        _run_jobs(context, todo, workers, run, report, should_stop)
        _count_others(store, campaign_id, todo, run)
    for cell in todo if workers <= 1 else []:
        if should_stop is not None and should_stop():
            run.stopped = True
            break
        try:
            _generate_cell(
                store, record, cell, pinned, settings, chat, knowledge, user, should_stop
            )
            run.generated.append(cell)
        except PackStopped:
            run.stopped = True
            break
        except (GenerationError, ModelCrashed) as exc:  # this cell failed; the others go on
            run.failed[cell] = str(exc)
            store.record(_failure_event(record, cell, user, str(exc)))
        report(cell)
    run.coherence = coherence(record.campaign, store.messages(campaign_id), settings)
    return run


def queue_pack(
    store: PackStore, campaign_id: str, *, settings: Settings, knowledge: Store, user: str
) -> int:
    """Queue the campaign's missing cells as jobs for `python -m comms worker` processes, in
    drafting order, the model asked; records the run's map version. How many were queued."""
    record = store.campaign(campaign_id)
    template = parse_template(record.template_text, origin=f"campaign {campaign_id} template")
    loaded = load_map(record.campaign.topic, settings)
    stored = {m.cell for m in store.messages(campaign_id)}
    todo = [c for c in plan_order(record.campaign, template, loaded) if c not in stored]
    if todo:
        _start_run(store, record, loaded, person(user), ask=True)
        pin_map_facts(settings, knowledge, loaded)
        jobs.enqueue(store, campaign_id, todo)
    return len(todo)


def cell_context(
    store: PackStore, campaign_id: str, *, settings: Settings, chat: ChatModel,
    knowledge: Store, user: str,
) -> CellContext:  # fmt: skip
    """What a worker writes a campaign's claimed cells with, the model asked: the campaign's
    template, the map in effect and the pack's shared evidence (comms.packs.worker)."""
    record = store.campaign(campaign_id)
    template = parse_template(record.template_text, origin=f"campaign {campaign_id} template")
    loaded = load_map(record.campaign.topic, settings)
    pinned = Pinned(template, loaded, True, _evidence(True, knowledge, record.campaign, settings))
    model_fingerprint(chat)
    return CellContext(store, record, pinned, settings, chat, knowledge, person(user))


def regenerate_cell(
    store: PackStore,
    campaign_id: str,
    cell: Cell,
    *,
    settings: Settings,
    chat: ChatModel | None = None,
    knowledge: Store,
    user: str,
    ask_model: bool | None = None,
) -> PackMessage:
    """Write one cell again from the map in effect, with the next seed; it goes back to draft."""
    user = person(user)
    ask = _asking(settings, ask_model, chat)
    record = store.campaign(campaign_id)
    if cell not in cells(record.campaign):
        raise InputError(f"{cell.key} is not a cell of campaign '{campaign_id}'.")
    current = store.message(campaign_id, cell)
    seed = (
        current.seed + REGENERATE_SEED_STEP
        if current
        else cell_seed(record.campaign, settings, cell)
    )
    template = parse_template(record.template_text, origin=f"campaign {campaign_id} template")
    if ask and chat is not None:
        model_fingerprint(chat)
    loaded = load_map(record.campaign.topic, settings)
    pinned = Pinned(template, loaded, ask, _evidence(ask, knowledge, record.campaign, settings))
    message = _draft(record.campaign, cell, pinned, seed, settings, chat, knowledge, None)
    revision = current.revision + 1 if current else 1
    fresh = _pack_message(record, cell, message, user, revision, seed)
    with store.transaction() as tx:
        now_stored = tx.message(campaign_id, cell)
        if now_stored != current:
            raise ReviewConflict(
                f"{cell.key} changed while it was being regenerated; nothing was replaced."
            )
        if current is None:
            tx.insert_message(fresh)
        else:
            tx.update_message(fresh)
            tx.pin(fresh)
        tx.record(
            audit_event(fresh, user, "regenerate" if current else "generate", made_from(message))
        )
        if current is not None and has_open_flags(tx.db, campaign_id, cell):
            link = f"revision {fresh.revision} replaces revision {current.revision}"
            closed = close_flags(tx.db, campaign_id, cell, regenerated=True, user=user, reason=link)
            sources = ", ".join(sorted({f"{f.source_id} v{f.version}" for f in closed}))
            tx.record(audit_event(fresh, user, "evidence_regenerated", f"{link}; cites {sources}"))
    return fresh


def pack_evidence(knowledge: Store, campaign: Campaign, settings: Settings) -> list[Passage]:
    """One evidence set for every cell: the long shared prefix of the pack's prompts."""
    topic = pick(load_catalog().topics, campaign.topic, "topic")
    query = " ".join(part for part in (topic.search["en"], campaign.concern) if part)
    return find_evidence(knowledge, query, topic.id, settings.retrieval_k)


def model_fingerprint(chat: ChatModel) -> str | None:
    """Make the chat model record its weights' sha256 (llama.cpp) before messages cite it."""
    sha = getattr(chat, "model_sha256", None)
    return sha() if callable(sha) else None


@dataclass(frozen=True)
class Pinned:
    """What every cell of one run shares: the template, the map version, the evidence."""

    template: PromptTemplate
    loaded: LoadedMap
    ask: bool
    evidence: list[Passage] | None  # the shared evidence for the model; None: not asked


def made_from(message: Message) -> str:
    """The audit note of a written message: its map version and whose version it is."""
    ref = message.map
    where = f"map {ref.id} version {ref.version}" if ref else "no map"
    note = f"{where}; {message.version} version"
    rejected = message.rejected_model_version
    if rejected is not None:
        reasons = "; ".join(f"{r['item']}: {r['reason']}" for r in rejected.reasons)
        note += f"; the model's version was rejected ({reasons})"
    return note


def _asking(settings: Settings, ask_model: bool | None, chat: ChatModel | None) -> bool:
    ask = should_ask(settings) if ask_model is None else ask_model
    if ask and chat is None:
        raise InputError("Asking the model for its version needs a chat model.")
    return ask


def _evidence(
    ask: bool, knowledge: Store, campaign: Campaign, settings: Settings
) -> list[Passage] | None:
    return pack_evidence(knowledge, campaign, settings) if ask else None


def _start_run(
    store: PackStore, record: CampaignRecord, loaded: LoadedMap, user: str, ask: bool
) -> None:
    """Record the map version this run writes every cell from, in the campaign and the trail."""
    who = "composed, the model asked" if ask else "composed, the model not asked"
    event = AuditEvent(
        campaign_id=record.id,
        user=user,
        action="generate_run",
        template_id=f"map:{loaded.id}",
        template_version=loaded.version,
        detail=f"map {loaded.id} version {loaded.version}; {who}",
    )
    with store.transaction() as tx:
        tx.set_campaign_map(record.id, loaded.id, loaded.version)
        tx.record(event)


def _generate_cell(
    store: PackStore,
    record: CampaignRecord,
    cell: Cell,
    pinned: Pinned,
    settings: Settings,
    chat: ChatModel | None,
    knowledge: Store,
    user: str,
    should_stop: ShouldStop | None,
    job: bool = False,
) -> bool:
    """Write one cell; False when another run or worker had stored it meanwhile."""
    seed = cell_seed(record.campaign, settings, cell)
    message = _draft(record.campaign, cell, pinned, seed, settings, chat, knowledge, should_stop)
    stored = _pack_message(record, cell, message, user, 1, seed)
    with store.transaction() as tx:  # one transaction per message: a crash loses only this one
        fresh = tx.insert_message(stored)  # False: another run stored this cell meanwhile
        if fresh:
            tx.record(audit_event(stored, user, "generate", made_from(message)))
        if job:
            jobs.mark_done(tx.db, record.id, cell)
    return fresh


@dataclass(frozen=True)
class CellContext:
    """What every worker of one parallel run writes its cells with."""

    store: PackStore
    record: CampaignRecord
    pinned: Pinned
    settings: Settings
    chat: ChatModel | None
    knowledge: Store
    user: str


Outcome = tuple[Cell | None, str | BaseException | None]  # (cell, None: stored / error / stop)
STORED_ELSEWHERE = "stored by another worker"


def _run_jobs(
    context: CellContext,
    todo: list[Cell],
    workers: int,
    run: PackRun,
    report: Callable[[Cell | None], None],
    should_stop: ShouldStop | None,
) -> None:
    """Queue the cells as jobs and let `workers` threads claim and write them; progress, stop
    and failures are handled here, in the caller's thread (Streamlit's script thread)."""
    store, campaign_id = context.store, context.record.id
    jobs.enqueue(store, campaign_id, todo)
    stop = threading.Event()
    outcomes: queue.Queue[Outcome] = queue.Queue()
    prefix = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}:{n}" for n in range(workers)]
    threads = [threading.Thread(target=_worker,
                                args=(context, name, prefix, stop, should_stop, outcomes),
                                name=f"pack-{name}", daemon=True) for name in names]  # fmt: skip
    beat = threading.Thread(target=_heartbeat, args=(context, names, stop), daemon=True)
    for thread in [*threads, beat]:
        thread.start()
    try:
        while any(t.is_alive() for t in threads) or not outcomes.empty():
            if should_stop is not None and should_stop():
                stop.set()
            try:
                cell, outcome = outcomes.get(timeout=0.05)
            except queue.Empty:
                continue
            if _tally(run, cell, outcome):
                report(cell)
    finally:  # a Stop in the app raises here: the workers stop at their next token
        stop.set()
        deadline = time.monotonic() + 1.0  # one second in all; a straggler stores its cell once
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


def _count_others(store: PackStore, campaign_id: str, todo: list[Cell], run: PackRun) -> None:
    """Cells of this run that other processes (`python -m comms worker`) stored count as
    skipped, as those stored before it: the run is complete when every cell is stored."""
    before = run.total - len(todo)
    mine = set(run.generated) | set(run.failed)
    stored = {m.cell for m in store.messages(campaign_id)}
    run.skipped = before + sum(cell in stored and cell not in mine for cell in todo)


def _tally(run: PackRun, cell: Cell | None, outcome: object) -> bool:
    """Count one worker's outcome in the run; whether it finished a cell (to report)."""
    if isinstance(outcome, PackStopped) or cell is None:
        run.stopped = run.stopped or isinstance(outcome, PackStopped)
        return False
    if isinstance(outcome, BaseException):
        raise outcome
    if outcome is None:
        run.generated.append(cell)
    elif outcome is STORED_ELSEWHERE:  # a worker whose lease had run out: stored once, by another
        run.skipped += 1
    else:
        run.failed[cell] = str(outcome)
    return True


def _worker(
    context: CellContext,
    name: str,
    run: str,
    stop: threading.Event,
    should_stop: ShouldStop | None,
    outcomes: queue.Queue[Outcome],
) -> None:
    """Claim cells and write them until none is left, the run stops or something breaks."""
    c = context

    def stopping() -> bool:
        return stop.is_set() or (should_stop is not None and should_stop())

    while not stopping():
        cell = jobs.claim(c.store, c.record.id, name, c.settings.pack_lease)
        if cell is None and not jobs.held_elsewhere(c.store, c.record.id, run):
            return
        if cell is None:  # another process holds the last cells: done, or its lease runs out
            stop.wait(min(1.0, c.settings.pack_lease / 4))
            continue
        try:
            outcomes.put((cell, write_job(c, cell, name, stopping)))
        except BaseException as exc:  # a stop, or an error the caller raises
            outcomes.put((cell, exc))
            return
    outcomes.put((None, PackStopped("stopped")))


def write_job(context: CellContext, cell: Cell, worker: str, should_stop: ShouldStop) -> str | None:
    """Write a cell `worker` claimed, and mark its job: None when it was stored,
    STORED_ELSEWHERE when another worker had stored it, or the error that failed it. A stop
    (PackStopped) or an unexpected error gives the cell back to the queue and is raised."""
    c = context
    try:
        fresh = _generate_cell(c.store, c.record, cell, c.pinned, c.settings, c.chat,
                               c.knowledge, c.user, should_stop, job=True)  # fmt: skip
    except (GenerationError, ModelCrashed) as exc:  # this cell failed; the others go on
        jobs.mark_failed(c.store, c.record.id, cell, str(exc))
        c.store.record(_failure_event(c.record, cell, c.user, str(exc)))
        return str(exc)
    except BaseException:
        jobs.release(c.store, c.record.id, cell, worker)
        raise
    return None if fresh else STORED_ELSEWHERE


def _heartbeat(context: CellContext, names: list[str], stop: threading.Event) -> None:
    """Keep this run's leases alive while its workers write: a third of a lease apart."""
    while not stop.wait(context.settings.pack_lease / 3):
        jobs.heartbeat(context.store, context.record.id, names, context.settings.pack_lease)


def _draft(
    campaign: Campaign,
    cell: Cell,
    pinned: Pinned,
    seed: int,
    settings: Settings,
    chat: ChatModel | None,
    knowledge: Store,
    should_stop: ShouldStop | None,
) -> Message:
    request = Request(campaign.topic, cell.audience, cell.channel, cell.language, campaign.concern)
    return write_message(
        request,
        settings=settings,
        store=knowledge,
        chat=chat,
        facts=campaign.fact_sheet,
        ask_model=pinned.ask,
        seed=seed,
        on_text=_stop_check(should_stop),
        loaded=pinned.loaded,
        template=pinned.template,
        passages=pinned.evidence,  # the pack's shared evidence: a long common prompt prefix
    )


def _stop_check(should_stop: ShouldStop | None) -> Callable[[str], None] | None:
    """Called for every streamed token: stops a long message as soon as a stop is asked."""
    if should_stop is None:
        return None

    def check(_text: str) -> None:
        if should_stop():
            raise PackStopped("Generation was stopped; finished messages are stored.")

    return check


def _pack_message(
    record: CampaignRecord, cell: Cell, message: Message, user: str, revision: int, seed: int
) -> PackMessage:
    dump = message.model_dump(mode="json")
    checks = (
        message.checks
        if message.checks.items
        else message_checks(message.text, dump, record.campaign)
    )
    return PackMessage(
        campaign_id=record.id,
        cell=cell,
        status="draft",
        text=message.text,
        checks=checks,
        message=dump,
        revision=revision,
        seed=seed,  # the cell's seed: the composed message has none, a regeneration steps on
        updated_by=user,
    )


def _reporter(
    run: PackRun, started: float, on_progress: Callable[[Progress], None] | None
) -> Callable[[Cell | None], None]:
    def report(cell: Cell | None) -> None:
        if on_progress is None:
            return
        elapsed = time.monotonic() - started
        attempted = len(run.generated) + len(run.failed)
        done = run.skipped + attempted
        left = elapsed / attempted * (run.total - done) if attempted else None
        on_progress(
            Progress(done, run.total, len(run.generated), len(run.failed), elapsed, left, cell)
        )

    return report


def _prompt_text(
    template: PromptTemplate, campaign: Campaign, loaded: LoadedMap | None, cell: dict[str, str]
) -> str:
    scenario = Scenario(topic=campaign.topic, concern="", **cell)
    variables = sample_variables(template.id, scenario)
    if loaded is not None:
        catalog = load_catalog()
        composed = compose(
            loaded,
            topic=pick(catalog.topics, campaign.topic, "topic"),
            audience=pick(catalog.audiences, cell["audience"], "audience"),
            channel=pick(catalog.channels, cell["channel"], "channel"),
            language=pick(catalog.languages, cell["language"], "language"),
            facts=campaign.fact_sheet,
        )
        variables |= {"key_messages": [t for _, t in composed.key_messages],
                      "composed": composed.text}  # fmt: skip
        # The passages the composed message cites open the model's evidence: they come first.
        cited = "evidence: " + " ".join(composed.sources)
        return "\n".join([cited, *(m["content"] for m in render(template, variables))])
    return "\n".join(m["content"] for m in render(template, variables))


def _common_prefix(a: str, b: str) -> int:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def _campaign_event(record: CampaignRecord, action: str, detail: str) -> AuditEvent:
    return AuditEvent(
        campaign_id=record.id,
        user=record.created_by,
        action=action,
        template_id=record.template_id,
        template_version=record.template_hash,
        detail=detail,
    )


def _failure_event(record: CampaignRecord, cell: Cell, user: str, error: str) -> AuditEvent:
    return AuditEvent(
        campaign_id=record.id,
        user=user,
        action="generate_failed",
        cell=cell,
        template_id=record.template_id,
        template_version=record.template_hash,
        seed=None,
        detail=error,
    )
