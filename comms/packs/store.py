"""Campaigns, their messages, comments and review decisions in data_dir/clarion.db."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from comms.packs.audit import AuditEvent, insert_event, read_events
from comms.packs.campaign import Campaign, Cell
from comms.packs.evidence_flags import flag_events, pin_cell
from comms.packs.pretest_results import PretestResult, cell_results, record_result
from comms.report import LintReport
from core.clock import now
from core.database import Connection, DatabaseError, IntegrityError, location, transaction
from core.errors import InputError
from core.settings import Settings

Status = Literal["draft", "needs_changes", "approved", "rejected"]
STATUSES: tuple[Status, ...] = ("draft", "needs_changes", "approved", "rejected")
CELL = "campaign_id = ? AND audience = ? AND channel = ? AND language = ? AND variant = ?"
MESSAGE_COLUMNS = (
    "campaign_id, audience, channel, language, variant, status, text, checks, message, "
    "revision, seed, updated_by, updated_at"
)
CAMPAIGN_COLUMNS = (
    "id, spec, fingerprint, template_id, template_number, template_hash, template_text, model, "
    "created_by, created_at, map_id, map_version"
)


class PackStoreError(DatabaseError):
    """The pack database cannot be read or written."""


@dataclass(frozen=True)
class CampaignRecord:
    """A stored campaign with the template version and model it was planned with."""

    campaign: Campaign
    template_id: str
    template_number: int
    template_hash: str
    template_text: str  # pinned: every message of the pack uses this wording
    model: str
    created_by: str
    created_at: str
    map_id: str = ""  # the message map of the latest generation run, and its version hash
    map_version: str = ""

    @property
    def id(self) -> str:
        return self.campaign.id


@dataclass(frozen=True)
class PackMessage:
    """One cell's message as it stands in review: current text, status and checks."""

    campaign_id: str
    cell: Cell
    status: Status
    text: str
    checks: LintReport  # the check report of `text`: items and score
    message: dict[str, Any]  # the generated Message with its full provenance
    revision: int  # 1 when generated; each edit or regeneration adds one
    seed: int
    updated_by: str
    updated_at: str = field(default_factory=now)

    @property
    def evidence_ids(self) -> tuple[str, ...]:
        return tuple(str(p.get("chunk_id", "")) for p in self.message.get("evidence", []))

    @property
    def score(self) -> int:
        return self.checks.score

    @property
    def failed_checks(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.checks.failed())

    @property
    def edited(self) -> bool:
        """Whether a person changed the model's text."""
        return self.text != self.message.get("text")


def audit_event(message: PackMessage, user: str, action: str, detail: str = "") -> AuditEvent:
    """An event about a stored message, carrying its model, template, evidence and checks."""
    model = message.message.get("model") or {}
    return AuditEvent(
        campaign_id=message.campaign_id,
        user=user,
        action=action,
        cell=message.cell,
        revision=message.revision,
        model_backend=str(model.get("backend") or ""),
        model_id=str(model.get("model_id") or ""),
        model_sha256=str(model.get("sha256") or ""),
        model_name=str(model.get("name") or ""),
        model_license=str(model.get("license") or ""),
        template_id=str(message.message.get("template_id", "")),
        template_version=str(message.message.get("template_version", "")),
        seed=message.seed,
        evidence_ids=message.evidence_ids,
        check_score=message.score,
        checks_failed=message.failed_checks,
        detail=detail,
    )


@dataclass(frozen=True)
class Remark:
    """A comment or a review decision on one revision of a message."""

    user: str
    kind: str  # "comment", or a Decision
    text: str
    revision: int
    created_at: str


class Transaction:
    """Reads and writes inside one SQLite transaction; an audit event commits with its change."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def find_campaign(self, campaign_id: str) -> CampaignRecord | None:
        row = self.db.execute(
            f"SELECT {CAMPAIGN_COLUMNS} FROM pack_campaigns WHERE id = ?", (campaign_id,)
        ).fetchone()
        return _campaign(row) if row else None

    def campaign(self, campaign_id: str) -> CampaignRecord:
        found = self.find_campaign(campaign_id)
        if found is None:
            raise InputError(f"No campaign '{campaign_id}' in the pack database.")
        return found

    def campaigns(self) -> list[CampaignRecord]:
        rows = self.db.execute(
            f"SELECT {CAMPAIGN_COLUMNS} FROM pack_campaigns ORDER BY created_at DESC, id"
        ).fetchall()
        return [_campaign(row) for row in rows]

    def insert_campaign(self, record: CampaignRecord) -> None:
        exists = self.db.execute("SELECT 1 FROM pack_campaigns WHERE id = ?", (record.id,))
        if exists.fetchone():
            raise InputError(
                f"A campaign with the id '{record.id}' already exists; choose another id."
            )
        c = record.campaign
        self.db.execute(
            f"INSERT INTO pack_campaigns ({CAMPAIGN_COLUMNS}) VALUES ({', '.join('?' * 12)})",
            (
                c.id, c.model_dump_json(), c.fingerprint, record.template_id,
                record.template_number, record.template_hash, record.template_text, record.model,
                record.created_by, record.created_at, record.map_id, record.map_version,
            ),
        )  # fmt: skip

    def set_campaign_map(self, campaign_id: str, map_id: str, map_version: str) -> None:
        """Record the map version a generation run uses for the campaign's cells."""
        self.db.execute(
            "UPDATE pack_campaigns SET map_id = ?, map_version = ? WHERE id = ?",
            (map_id, map_version, campaign_id),
        )

    def messages(self, campaign_id: str) -> list[PackMessage]:
        rows = self.db.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM pack_messages WHERE campaign_id = ?",
            (campaign_id,),
        ).fetchall()
        return [_message(row) for row in rows]

    def message(self, campaign_id: str, cell: Cell) -> PackMessage | None:
        row = self.db.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM pack_messages WHERE {CELL}", _key(campaign_id, cell)
        ).fetchone()
        return _message(row) if row else None

    def insert_message(self, message: PackMessage) -> bool:
        """Store a new cell's message; False (and nothing stored) if the cell already has one."""
        try:
            self.db.execute(
                f"INSERT INTO pack_messages ({MESSAGE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _message_row(message),
            )
        except IntegrityError:
            return False
        pin_cell(self.db, message.campaign_id, message.cell, message.message)
        return True

    def pin(self, message: PackMessage) -> None:
        """Pin a cell to what its (new) message cites: after a regeneration."""
        pin_cell(self.db, message.campaign_id, message.cell, message.message)

    def update_message(self, message: PackMessage) -> None:
        self.db.execute(
            "UPDATE pack_messages SET status = ?, text = ?, checks = ?, message = ?, "
            f"revision = ?, seed = ?, updated_by = ?, updated_at = ? WHERE {CELL}",
            (*_message_row(message)[5:], *_key(message.campaign_id, message.cell)),
        )

    def remarks(self, campaign_id: str, cell: Cell) -> list[Remark]:
        """Comments and decisions on a cell, oldest first."""
        rows = self.db.execute(
            f'SELECT "user", kind, text, revision, created_at FROM pack_remarks WHERE {CELL} '
            "ORDER BY id",
            _key(campaign_id, cell),
        ).fetchall()
        return [Remark(*row) for row in rows]

    def add_remark(self, campaign_id: str, cell: Cell, remark: Remark) -> None:
        """Store a comment or a decision (approve, reject, needs_changes)."""
        self.db.execute(
            "INSERT INTO pack_remarks (campaign_id, audience, channel, language, variant, "
            "revision, \"user\", kind, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *_key(campaign_id, cell), remark.revision, remark.user, remark.kind, remark.text,
                remark.created_at,
            ),
        )  # fmt: skip

    def approvers(self, campaign_id: str, cell: Cell, revision: int) -> list[str]:
        """Distinct users who approved this revision, in the order they approved."""
        rows = self.db.execute(
            f'SELECT "user" FROM pack_remarks WHERE {CELL} AND revision = ? '
            "AND kind = 'approve' ORDER BY id",
            (*_key(campaign_id, cell), revision),
        ).fetchall()
        return list(dict.fromkeys(row[0] for row in rows))

    def record(self, event: AuditEvent) -> None:
        insert_event(self.db, event)

    def record_pretest(self, campaign_id: str, cell: Cell, result: PretestResult) -> None:
        """Keep the pretest result that chose a cell's text (the manifest lists it)."""
        record_result(self.db, campaign_id, cell, result)

    def pretest_results(self, campaign_id: str) -> dict[Cell, list[PretestResult]]:
        return cell_results(self.db, campaign_id)

    def events(self, campaign_id: str) -> list[AuditEvent]:
        """The campaign's events with the evidence flags ingestion raised, in time order (a
        flag first within its second: what people did about it came after it)."""
        events = flag_events(self.db, campaign_id) + read_events(self.db, campaign_id)
        return sorted(events, key=lambda e: e.at)


class PackStore:
    """The pack tables in data_dir/clarion.db (the database the template versions live in)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings  # the map in effect is read with them (stale cells)
        self.path = location(settings)

    @contextmanager
    def transaction(self, *, write: bool = True, exclusive: bool = True) -> Iterator[Transaction]:
        """One transaction; a writing one is the only writer (core.database.transaction) unless
        `exclusive` is off: then, on PostgreSQL, it locks only the rows it changes."""
        with transaction(
            self.path,
            write=write,
            exclusive=exclusive,
            what="the pack database",
            error=PackStoreError,
        ) as db:
            yield Transaction(db)

    def campaign(self, campaign_id: str) -> CampaignRecord:
        with self.transaction(write=False) as tx:
            return tx.campaign(campaign_id)

    def find_campaign(self, campaign_id: str) -> CampaignRecord | None:
        with self.transaction(write=False) as tx:
            return tx.find_campaign(campaign_id)

    def campaigns(self) -> list[CampaignRecord]:
        with self.transaction(write=False) as tx:
            return tx.campaigns()

    def messages(self, campaign_id: str) -> list[PackMessage]:
        with self.transaction(write=False) as tx:
            return tx.messages(campaign_id)

    def message(self, campaign_id: str, cell: Cell) -> PackMessage | None:
        with self.transaction(write=False) as tx:
            return tx.message(campaign_id, cell)

    def remarks(self, campaign_id: str, cell: Cell) -> list[Remark]:
        with self.transaction(write=False) as tx:
            return tx.remarks(campaign_id, cell)

    def approvers(self, campaign_id: str, cell: Cell, revision: int) -> list[str]:
        with self.transaction(write=False) as tx:
            return tx.approvers(campaign_id, cell, revision)

    def events(self, campaign_id: str) -> list[AuditEvent]:
        with self.transaction(write=False) as tx:
            return tx.events(campaign_id)

    def record(self, event: AuditEvent) -> None:
        """Record an event that changes nothing else (an export, a failed generation)."""
        with self.transaction() as tx:
            tx.record(event)


def _key(campaign_id: str, cell: Cell) -> tuple[str, str, str, str, int]:
    return (campaign_id, cell.audience, cell.channel, cell.language, cell.variant)


def _message_row(m: PackMessage) -> tuple[Any, ...]:
    return (
        *_key(m.campaign_id, m.cell), m.status, m.text, m.checks.model_dump_json(),
        json.dumps(m.message, ensure_ascii=False), m.revision, m.seed, m.updated_by, m.updated_at,
    )  # fmt: skip


def _message(row: tuple[Any, ...]) -> PackMessage:
    return PackMessage(
        campaign_id=row[0],
        cell=Cell(row[1], row[2], row[3], row[4]),
        status=row[5],
        text=row[6],
        checks=LintReport.model_validate_json(row[7]),
        message=json.loads(row[8]),
        revision=row[9],
        seed=row[10],
        updated_by=row[11],
        updated_at=row[12],
    )


def _campaign(row: tuple[Any, ...]) -> CampaignRecord:
    return CampaignRecord(
        campaign=Campaign.model_validate_json(row[1]),
        template_id=row[3],
        template_number=row[4],
        template_hash=row[5],
        template_text=row[6],
        model=row[7],
        created_by=row[8],
        created_at=row[9],
        map_id=row[10],
        map_version=row[11],
    )


def revised(message: PackMessage, **changes: Any) -> PackMessage:
    """A copy of the message with changes and a fresh update time."""
    return replace(message, updated_at=now(), **changes)
