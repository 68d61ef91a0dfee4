"""Reviewing a pack: edit in place (re-checked), comment, approve, reject, ask for changes."""

from __future__ import annotations

from typing import Any

from comms.drafting.draft import check_message
from comms.message import Message
from comms.packs.campaign import Campaign, Cell
from comms.packs.evidence_flags import close_flags
from comms.packs.store import PackMessage, PackStore, Remark, Transaction, audit_event, revised
from comms.report import LintReport
from core.clock import now
from core.errors import InputError

MAX_USER_CHARS = 100
MAX_NOTE_CHARS = 2000
MAX_TEXT_CHARS = 10_000


class ReviewConflict(InputError):
    """The message changed since the reviewer opened it; nothing was saved."""


def person(user: str) -> str:
    """A reviewer's name, tidied; an InputError if it is empty or too long."""
    name = " ".join(user.split())
    if not name:
        raise InputError("Enter your name: every review action is recorded with it.")
    if len(name) > MAX_USER_CHARS:
        raise InputError(f"The name is longer than {MAX_USER_CHARS} characters.")
    return name


def message_checks(text: str, message: dict[str, Any], campaign: Campaign) -> LintReport:
    """The check report (items and score) of text in place of the generated message's text."""
    generated = Message.model_validate(message)
    return check_message(generated, campaign.fact_sheet, text)


def edit_text(
    store: PackStore, campaign_id: str, cell: Cell, text: str, *, user: str, revision: int | None
) -> PackMessage:
    """Replace a message's text, re-check it, and send it back to draft (approvals lapse)."""
    user, text = person(user), text.strip()
    if not text:
        raise InputError("The message text is empty.")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"The message is longer than {MAX_TEXT_CHARS} characters.")
    with store.transaction() as tx:
        current = current_message(tx, campaign_id, cell, revision)
        if text == current.text:
            raise InputError("Nothing to save: the text is unchanged.")
        campaign = tx.campaign(campaign_id).campaign
        edited = revised(
            current,
            text=text,
            checks=message_checks(text, current.message, campaign),
            status="draft",
            revision=current.revision + 1,
            updated_by=user,
        )
        tx.update_message(edited)
        detail = f"{len(current.text)} → {len(text)} characters"
        tx.record(audit_event(edited, user, "edit", detail))
    return edited


def add_comment(
    store: PackStore, campaign_id: str, cell: Cell, text: str, *, user: str
) -> PackMessage:
    """Attach a comment to the message's current revision."""
    user, text = person(user), _note(text, required=True)
    with store.transaction() as tx:
        current = current_message(tx, campaign_id, cell, None)
        tx.add_remark(campaign_id, cell, Remark(user, "comment", text, current.revision, now()))
        tx.record(audit_event(current, user, "comment", text))
    return current


def approve(
    store: PackStore, campaign_id: str, cell: Cell, *, user: str, revision: int | None
) -> PackMessage:
    """One approval; the message is approved once enough different people have approved it."""
    user = person(user)
    with store.transaction() as tx:
        current = current_message(tx, campaign_id, cell, revision)
        if current.status in ("approved", "rejected"):
            raise InputError(f"The message is already {current.status}.")
        approvers = tx.approvers(campaign_id, cell, current.revision)
        if user in approvers:
            raise InputError(
                "You have already approved this message; the second approval must come from "
                "someone else."
            )
        needed = tx.campaign(campaign_id).campaign.approvals
        tx.add_remark(campaign_id, cell, Remark(user, "approve", "", current.revision, now()))
        count = len(approvers) + 1
        status = "approved" if count >= needed else current.status
        decided = revised(current, status=status, updated_by=user)
        tx.update_message(decided)
        tx.record(audit_event(decided, user, "approve", f"approval {count} of {needed}"))
    return decided


def reject(
    store: PackStore,
    campaign_id: str,
    cell: Cell,
    *,
    user: str,
    revision: int | None,
    note: str = "",
) -> PackMessage:
    """Reject the message; it needs an edit or a regeneration to come back to review."""
    return _decide(store, campaign_id, cell, "reject", user, revision, _note(note))


def request_changes(
    store: PackStore, campaign_id: str, cell: Cell, *, user: str, revision: int | None, note: str
) -> PackMessage:
    """Send the message back with a note saying what to change."""
    note = _note(note, required=True)
    return _decide(store, campaign_id, cell, "needs_changes", user, revision, note)


def confirm_evidence(
    store: PackStore, campaign_id: str, cell: Cell, *, user: str, reason: str
) -> PackMessage:
    """A reviewer confirms that a flagged message still holds on the new evidence; the
    message keeps its status and rests on the new passages from now on."""
    user = person(user)
    reason = reason.strip()  # an empty one is refused by close_flags
    with store.transaction() as tx:
        current = current_message(tx, campaign_id, cell, None)
        closed = close_flags(tx.db, campaign_id, cell, regenerated=False, user=user, reason=reason)
        sources = ", ".join(sorted({f"{f.source_id} v{f.version}" for f in closed}))
        tx.record(audit_event(current, user, "evidence_confirmed", f"{sources}: {reason}"))
    return current


def approvals_needed(store: PackStore, message: PackMessage) -> tuple[list[str], int]:
    """Who approved the current revision, and how many approvals the campaign requires."""
    with store.transaction(write=False) as tx:
        campaign = tx.campaign(message.campaign_id).campaign
        return tx.approvers(message.campaign_id, message.cell, message.revision), campaign.approvals


def _decide(
    store: PackStore,
    campaign_id: str,
    cell: Cell,
    decision: str,
    user: str,
    revision: int | None,
    note: str,
) -> PackMessage:
    user = person(user)
    status = "rejected" if decision == "reject" else "needs_changes"
    with store.transaction() as tx:
        current = current_message(tx, campaign_id, cell, revision)
        if current.status == status:
            raise InputError(f"The message is already {status.replace('_', ' ')}.")
        tx.add_remark(campaign_id, cell, Remark(user, decision, note, current.revision, now()))
        decided = revised(current, status=status, updated_by=user)
        tx.update_message(decided)
        tx.record(audit_event(decided, user, decision, note))
    return decided


def current_message(
    tx: Transaction, campaign_id: str, cell: Cell, revision: int | None
) -> PackMessage:
    """The cell's message; ReviewConflict if revision (what the reviewer read) is not current."""
    current = tx.message(campaign_id, cell)
    if current is None:
        raise InputError(f"Campaign '{campaign_id}' has no message for {cell.key} yet.")
    if revision is not None and revision != current.revision:
        raise ReviewConflict(
            f"The message changed while you were reviewing it (you opened revision {revision}; "
            f"revision {current.revision} by {current.updated_by} is current). Nothing was "
            "saved: read it again, then decide."
        )
    return current


def _note(text: str, *, required: bool = False) -> str:
    note = text.strip()
    if required and not note:
        raise InputError("Write a comment saying what should change.")
    if len(note) > MAX_NOTE_CHARS:
        raise InputError(f"The comment is longer than {MAX_NOTE_CHARS} characters.")
    return note
