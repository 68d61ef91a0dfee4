"""The audit trail: who generated, edited, commented, approved and exported what, and when."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from comms.packs.campaign import Cell
from core.clock import now
from core.database import Connection

COLUMNS = (
    'campaign_id, at, "user", action, audience, channel, language, variant, revision, '
    "model_backend, model_id, model_sha256, template_id, template_version, seed, evidence_ids, "
    "check_score, checks_failed, detail, model_name, model_license"
)
CSV_HEADER = [
    "id", "at", "user", "action", "campaign", "audience", "channel", "language", "variant",
    "revision", "model_backend", "model_id", "model_sha256", "template_id", "template_version",
    "seed", "evidence_ids", "check_score", "checks_failed", "detail", "model_name",
    "model_license",
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditEvent:
    """One recorded action with the provenance of the message it concerned, if any."""

    campaign_id: str
    user: str
    action: str
    cell: Cell | None = None
    revision: int | None = None
    model_backend: str = ""
    model_id: str = ""
    model_sha256: str = ""
    template_id: str = ""
    template_version: str = ""
    seed: int | None = None
    evidence_ids: tuple[str, ...] = ()
    check_score: int | None = None
    checks_failed: tuple[str, ...] = ()
    detail: str = ""
    model_name: str = ""  # the model's own name and licence, as its file states them
    model_license: str = ""
    at: str = field(default_factory=now)
    id: int | None = None


def insert_event(db: Connection, event: AuditEvent) -> None:
    """Record one event inside the caller's transaction, so it commits with the change."""
    cell = event.cell
    db.execute(
        f"INSERT INTO audit_events ({COLUMNS}) VALUES ({', '.join('?' * 21)})",
        (
            event.campaign_id, event.at, event.user, event.action,
            cell.audience if cell else None, cell.channel if cell else None,
            cell.language if cell else None, cell.variant if cell else None, event.revision,
            event.model_backend, event.model_id, event.model_sha256, event.template_id,
            event.template_version, event.seed, json.dumps(list(event.evidence_ids)),
            event.check_score, json.dumps(list(event.checks_failed)), event.detail,
            event.model_name, event.model_license,
        ),
    )  # fmt: skip


def read_events(db: Connection, campaign_id: str) -> list[AuditEvent]:
    """Every event of a campaign, oldest first."""
    rows = db.execute(
        f"SELECT id, {COLUMNS} FROM audit_events WHERE campaign_id = ? ORDER BY id",
        (campaign_id,),
    ).fetchall()
    return [_event(row) for row in rows]


def _event(row: tuple) -> AuditEvent:  # type: ignore[type-arg]
    (ident, campaign_id, at, user, action, audience, channel, language, variant) = row[:9]
    cell = Cell(audience, channel, language, variant) if audience is not None else None
    return AuditEvent(
        campaign_id=campaign_id,
        user=user,
        action=action,
        cell=cell,
        revision=row[9],
        model_backend=row[10],
        model_id=row[11],
        model_sha256=row[12],
        template_id=row[13],
        template_version=row[14],
        seed=row[15],
        evidence_ids=tuple(json.loads(row[16])),
        check_score=row[17],
        checks_failed=tuple(json.loads(row[18])),
        detail=row[19],
        model_name=row[20],
        model_license=row[21],
        at=at,
        id=ident,
    )


def audit_rows(events: list[AuditEvent]) -> list[dict[str, str]]:
    """Events as flat rows of text (the CSV's columns), for a table or a file."""
    rows: list[dict[str, str]] = []
    for e in events:
        cell = e.cell
        values = [
            e.id, e.at, e.user, e.action, e.campaign_id,
            cell.audience if cell else "", cell.channel if cell else "",
            cell.language if cell else "", cell.variant if cell else "",
            "" if e.revision is None else e.revision, e.model_backend, e.model_id, e.model_sha256,
            e.template_id, e.template_version, "" if e.seed is None else e.seed,
            " ".join(e.evidence_ids), "" if e.check_score is None else e.check_score,
            " ".join(e.checks_failed), e.detail, e.model_name, e.model_license,
        ]  # fmt: skip
        rows.append(dict(zip(CSV_HEADER, map(str, values), strict=True)))
    return rows


def audit_csv(events: list[AuditEvent]) -> str:
    """The audit trail as CSV; free text cannot start a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_HEADER, lineterminator="\n")
    writer.writeheader()
    for row in audit_rows(events):
        writer.writerow({key: _cell_text(value) for key, value in row.items()})
    return out.getvalue()


def _cell_text(text: str) -> str:
    # A user's name or comment such as "=HYPERLINK(…)" would run as a formula in a spreadsheet.
    return "'" + text if text.startswith(_FORMULA_START) else text
