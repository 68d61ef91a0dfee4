"""The write page's preview of the print and post formats: poster and sharepic as images, each
file to download one by one, and a pack's publication files one by one from its ZIP."""

from __future__ import annotations

import io
import zipfile

import streamlit as st

from comms.campaign_facts import CampaignFacts
from comms.message import Message
from comms.office import load_office
from comms.packs.publications import confirm_test_reading, tested_by_readers
from comms.packs.store import PackMessage, PackStore
from comms.publish.design import load_design
from comms.publish.letter import letter_docx
from comms.publish.poster import poster_pdf
from comms.publish.sharepic import pdf_page_png, sharepic_png
from comms.publish.sheet import Piece, make_sheet
from comms.publish.sms_gateway import Sms, gateway_csv
from core.catalog import load_catalog, pick
from core.errors import ClarionError
from ui import auth, resources
from ui.text import t
from ui.widgets import error_box

MIME = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".csv": "text/csv",
    ".txt": "text/plain",
}
PUBLISHED = (".pdf", ".png", ".din5008.docx", "sms-gateway.csv", "sharepics.csv", ".alt.txt")


@st.cache_data(show_spinner=False, max_entries=16)
def publications(text: str, language: str, channel: str, facts_json: str) -> dict[str, bytes]:
    """The message's files for its channel, by file name (cached: a rerun draws nothing)."""
    settings = resources.settings()
    sheet = make_sheet(
        Piece(text, language, CampaignFacts.model_validate_json(facts_json), load_office(settings))
    )
    design, files = load_design(settings), {}
    if channel == "poster":
        files["poster-a4.pdf"] = poster_pdf(sheet, design, "a4")
        files["poster-a3.pdf"] = poster_pdf(sheet, design, "a3")
        files["poster-preview.png"] = pdf_page_png(files["poster-a4.pdf"], 0.9)
    elif channel == "social":
        files["sharepic-1080x1080.png"] = sharepic_png(sheet, design, "square")
        files["sharepic-1080x1350.png"] = sharepic_png(sheet, design, "portrait")
        files["alt.txt"] = sheet.alt_text.encode("utf-8")
    elif channel == "letter":
        files["letter-din5008.docx"] = letter_docx(sheet, design)
    elif channel == "sms":
        files["sms-gateway.csv"] = gateway_csv([Sms("1", "", language, text, "draft")]).encode()
    return files


def preview(message: Message, text: str, facts: CampaignFacts) -> None:
    """Behind a toggle: the poster or sharepic as an image, and each file to download."""
    if message.channel not in ("poster", "social", "letter", "sms"):
        return
    if not st.toggle(t("publish_show"), key="publish_preview"):
        return
    try:
        files = publications(text, message.language, message.channel, facts.model_dump_json())
    except ClarionError as exc:
        error_box(exc)
        return
    alt = files.get("alt.txt", b"").decode("utf-8")
    for name, data in files.items():
        if name.endswith(".png"):
            st.image(data, caption=alt or name, width=360)
    if alt:
        st.markdown(f"**{t('publish_alt')}:** {alt}")
    for name, data in files.items():
        if name != "poster-preview.png":
            _download(name, data, f"publish_{name}")


def pack_files(zip_bytes: bytes) -> None:
    """Each publication file of an exported pack, to download one by one."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        names = [n for n in archive.namelist() if n.endswith(PUBLISHED)]
        if not names:
            return
        with st.expander(f"{t('publish_files')} ({len(names)})"):
            for n, name in enumerate(names):
                _download(name, archive.read(name), f"pack_file_{n}")


def _download(name: str, data: bytes, key: str) -> None:
    mime = next(
        (m for suffix, m in MIME.items() if name.endswith(suffix)), "application/octet-stream"
    )
    st.download_button(name, data, file_name=name.rsplit("/", 1)[-1], mime=mime, key=key)


def test_reading(store: PackStore, campaign_id: str, message: PackMessage, user: str) -> None:
    """For a Leichte Sprache cell: whether its test reading is recorded, and the button to
    record it (reviewers who may approve)."""
    language = pick(load_catalog().languages, message.cell.language, "language")
    if not language.needs_test_reader:
        return
    if tested_by_readers(store, campaign_id, [message]):
        st.success(t("publish_read_done"))
        return
    st.warning(t("publish_read_pending"))
    if auth.allowed("approve") and st.button(t("publish_read_button"), key="publish_test_read"):
        try:
            confirm_test_reading(store, campaign_id, message, user=user)
        except ClarionError as exc:
            error_box(exc)
            return
        st.rerun()
