"""A pack's print and post files: poster PDFs, sharepics, DIN 5008 letters, the gateway CSV.

comms.publish makes each file from a Sheet; this module turns a pack's messages into sheets
and names the files, so the export (comms.packs.archive) adds them to the ZIP and lists them in
each message's manifest entry. The office profile signs them, else the campaign's sender.
A Leichte Sprache message carries the test-reading notice until a reviewer records, in the
audit trail, that readers of the target group checked its current revision
(`confirm_test_reading`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from comms.office import Office, load_office
from comms.packs.campaign import Sender
from comms.packs.native import unchecked
from comms.packs.render import Layout, PackItem, sources
from comms.packs.review import person
from comms.packs.store import PackMessage, PackStore, audit_event
from comms.publish.design import Design, load_design
from comms.publish.letter import letter_docx
from comms.publish.poster import poster_pdf
from comms.publish.sharepic import sharepic_png
from comms.publish.sheet import Piece, Sheet, make_sheet
from comms.publish.sms_gateway import Sms, gateway_csv
from core.catalog import base_language, load_catalog, pick
from core.errors import InputError
from core.settings import Settings

TEST_READ = "test_read"  # the remark kind: readers of the target group checked this revision
Maker = Callable[[Sheet, Design], bytes]
# per channel: (manifest key, file suffix, maker)
OUTPUTS: dict[str, tuple[tuple[str, str, Maker], ...]] = {
    "poster": (
        ("poster_a4", ".poster-a4.pdf", lambda s, d: poster_pdf(s, d, "a4")),
        ("poster_a3", ".poster-a3.pdf", lambda s, d: poster_pdf(s, d, "a3")),
    ),
    "social": (
        ("sharepic_square", ".sharepic-1080x1080.png", lambda s, d: sharepic_png(s, d, "square")),
        (
            "sharepic_portrait",
            ".sharepic-1080x1350.png",
            lambda s, d: sharepic_png(s, d, "portrait"),
        ),
        ("alt_text", ".alt.txt", lambda s, d: s.alt_text.encode("utf-8")),
    ),
    "letter": (("letter_din5008", ".din5008.docx", letter_docx),),
}
SOCIAL_COLUMNS = ["image", "alt_text", "language", "recipient_group", "post_text"]


SHARED = {"sms": ("sms_gateway", "sms-gateway.csv"), "social": ("sharepics", "sharepics.csv")}


def output_names(item: PackItem) -> dict[str, str]:
    """The publication files made from one message: manifest key → path in the ZIP (an SMS's
    row is in the pack's gateway CSV, a sharepic's alt text also in sharepics.csv)."""
    names = {key: item.name + suffix for key, suffix, _ in OUTPUTS.get(item.cell.channel, ())}
    if item.cell.channel in SHARED:
        key, name = SHARED[item.cell.channel]
        draft = PurePosixPath(item.name).name.startswith("DRAFT_")
        names[key] = ("DRAFT_" if draft else "") + name
    return names


def sign_office(settings: Settings, sender: Sender | None) -> Office | None:
    """Who signs: the office profile, else the campaign's sender, else nobody (a default)."""
    office = load_office(settings)
    if office is not None or sender is None:
        return office
    return Office(name={"de": sender.name}, address=list(sender.address), phone=sender.phone,
                  email=sender.email, web=sender.web)  # fmt: skip


def item_sheet(layout: Layout, item: PackItem, office: Office | None, *, tested: bool) -> Sheet:
    """The sheet of one pack message."""
    campaign, language = layout.campaign, item.cell.language
    topic = pick(load_catalog().topics, campaign.topic, "topic").label_in(
        "de" if base_language(language) == "de" else "en"
    )
    cited = tuple(f"{s['title']}, {s['url']} ({s['date']})" for s in sources(item.message.message))
    return make_sheet(
        Piece(
            text=item.message.text,
            language=language,
            facts=campaign.fact_sheet,
            office=office,
            subject=campaign.fact_sheet.what or topic,
            day=layout.date,
            sources=cited,
            draft=layout.draft,
            test_read=tested,
            unchecked_translation=unchecked(item.message),
        )
    )


def publication_files(
    settings: Settings, layout: Layout, items: Sequence[PackItem], tested: set[str]
) -> dict[str, bytes]:
    """Every publication file of the pack (`tested`: keys of cells whose test reading is done)."""
    design, office = load_design(settings), sign_office(settings, layout.campaign.sender)
    files: dict[str, bytes] = {}
    social: list[dict[str, str]] = []
    for item in items:
        outputs = OUTPUTS.get(item.cell.channel, ())
        if not outputs:
            continue
        sheet = item_sheet(layout, item, office, tested=item.cell.key in tested)
        for _, suffix, make in outputs:
            files[item.name + suffix] = make(sheet, design)
        if item.cell.channel == "social":
            images = [n for n in output_names(item).values() if n.endswith(".png")]
            social += [_social_row(item, name, sheet) for name in images]
    prefix = "DRAFT_" if layout.draft else ""
    sms = [_sms(item) for item in items if item.cell.channel == "sms"]
    if sms:
        files[prefix + SHARED["sms"][1]] = gateway_csv(sms).encode("utf-8")
    if social:
        files[prefix + SHARED["social"][1]] = _social_csv(social).encode("utf-8")
    return files


def _sms(item: PackItem) -> Sms:
    cell = item.cell
    return Sms(cell.key, cell.audience, cell.language, item.message.text, item.message.status)


def _social_row(item: PackItem, name: str, sheet: Sheet) -> dict[str, str]:
    return {
        "image": name,
        "alt_text": sheet.alt_text,
        "language": item.cell.language,
        "recipient_group": item.cell.audience,
        "post_text": item.message.text,
    }


def _social_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SOCIAL_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def tested_by_readers(
    store: PackStore, campaign_id: str, messages: Sequence[PackMessage]
) -> set[str]:
    """Keys of the messages whose current revision readers of the target group checked."""
    done = {(e.cell, e.revision) for e in store.events(campaign_id) if e.action == TEST_READ}
    return {m.cell.key for m in messages if (m.cell, m.revision) in done}


def confirm_test_reading(
    store: PackStore, campaign_id: str, message: PackMessage, *, user: str, note: str = ""
) -> None:
    """Record in the audit trail that readers with learning difficulties checked this revision
    (DIN SPEC 33429); an edit makes a new revision, which needs its own test reading."""
    user = person(user)
    language = pick(load_catalog().languages, message.cell.language, "language")
    if not language.needs_test_reader:
        raise InputError(f"Only Leichte Sprache needs a test reading, not {language.id}.")
    with store.transaction() as tx:
        current = tx.message(campaign_id, message.cell)
        if current is None or current.revision != message.revision:
            raise InputError("The message changed since you read it: read it again first.")
        tx.record(audit_event(current, user, TEST_READ, note.strip()))
