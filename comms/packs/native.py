"""Native checks of a pack's messages: a reviewer who reads the language marks a message
"checked by a native speaker", and an export keeps unchecked translations from passing as
approved unless the campaign accepts them (docs/packs.md, "Translations no native speaker
has checked")."""

from __future__ import annotations

from comms.accounts.auth import Identity, require_reader
from comms.packs.campaign import Cell
from comms.packs.review import current_message, person
from comms.packs.store import PackMessage, PackStore, audit_event, revised
from comms.report import LintItem, LintReport
from core.clock import now
from core.errors import InputError

ITEM = "needs_native_reader"
CHECKED = "native_reader.checked"


def unchecked(message: PackMessage) -> bool:
    """Whether the message is a translation no native speaker has checked yet."""
    return any(item.id == ITEM and not item.passed for item in message.checks.items)


def checked_by(message: PackMessage) -> str:
    """Who checked the message as a native speaker ("" if nobody has)."""
    found = [i for i in message.checks.items if i.id == ITEM and i.passed]
    return found[0].reason_args.get("user", "") if found else ""


def mark_native_checked(
    store: PackStore, campaign_id: str, cell: Cell, *, reader: Identity, revision: int | None
) -> PackMessage:
    """Record that reader, who reads the cell's language, checked the message's text: its
    advice needs_native_reader passes from now on (until the text changes)."""
    language = require_reader(reader, cell.language)
    user = person(reader.name)
    with store.transaction() as tx:
        current = current_message(tx, campaign_id, cell, revision)
        if not unchecked(current):
            done = checked_by(current)
            raise InputError(
                f"{cell.key} has no unchecked translation"
                + (f": {done} checked it already." if done else ".")
            )
        when = now()
        checks = _passed(current.checks, language, user, when[:10])
        marked = revised(current, checks=checks, updated_by=user)
        tx.update_message(marked)
        detail = f"checked by a native speaker of {language}: {user}, {when[:10]}"
        tx.record(audit_event(marked, user, "native_check", detail))
    return marked


def _passed(report: LintReport, language: str, user: str, date: str) -> LintReport:
    """The report with the advice turned into a passed, unscored item naming the reader."""
    reason = f"Checked by a native speaker of {language}: {user}, {date}."
    args = {"language": language, "user": user, "date": date}
    done = LintItem(id=ITEM, passed=True, severity="warning", reason=reason, points=0,
                    max_points=0, reason_key=CHECKED, reason_args=args)  # fmt: skip
    items = tuple(done if item.id == ITEM else item for item in report.items)
    return report.model_copy(update={"items": items})


def unchecked_cells(messages: list[PackMessage]) -> list[Cell]:
    """The cells among messages that are translations no native speaker has checked."""
    return [m.cell for m in messages if unchecked(m)]
