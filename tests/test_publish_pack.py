"""The publication files in a pack ZIP: one per format beside the Markdown and DOCX, listed in
each message's manifest entry, each passing its checker; the Leichte Sprache test reading."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from comms.checks.sms import sms_info
from comms.packs.archive import export_pack, read_manifest
from comms.packs.campaign import Cell
from comms.packs.publications import confirm_test_reading
from comms.packs.review import approve, edit_text
from comms.packs.store import PackStore
from comms.publish.conformance import docx_problems, html_problems, pdf_problems
from core.errors import InputError
from tests.pack_helpers import generated, pack_settings, small_campaign

LANGUAGES = ["de", "ar", "de-leicht"]
CHANNELS = ["sms", "letter", "poster", "social"]
LEICHT_POSTER = Cell("older-adults", "poster", "de-leicht")
LOCALES = {"de": "de-DE", "ar": "ar", "de-leicht": "de-DE"}


@pytest.fixture
def packs(settings, fake_store) -> PackStore:  # type: ignore[no-untyped-def]
    campaign = small_campaign(audiences=["older-adults"], channels=CHANNELS, languages=LANGUAGES)
    packs, _ = generated(pack_settings(settings), fake_store, campaign)
    return packs


def _zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "".join("".join(p.get_textpage().get_text_range().split()) for p in document)
    finally:
        document.close()


def test_every_message_lists_its_publication_files_and_each_passes_its_check(
    packs, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    result = export_pack(packs, "flu-test", tmp_path / "pack.zip", user="Ann", draft=True)
    files = _zip(result.path)
    manifest = read_manifest(result.path)  # every listed file is there with its bytes
    expected = {
        "poster": {"poster_a4", "poster_a3"},
        "social": {"sharepic_square", "sharepic_portrait", "alt_text", "sharepics"},
        "letter": {"letter_din5008"},
        "sms": {"sms_gateway"},
    }
    for entry in manifest.messages:
        made = set(entry.files) - {"markdown", "docx"}
        assert made == expected[entry.channel], entry.channel
        for key, name in entry.files.items():
            assert name in files and name in manifest.files, name
            data = files[name]
            if name.endswith(".pdf"):
                assert pdf_problems(data, entry.language) == [], name
            if key == "letter_din5008":
                assert docx_problems(data, LOCALES[entry.language]) == [], name
            if key == "alt_text":
                assert data.decode().startswith(("Grafik mit Text: ", "")) and data.strip()
    assert html_problems(files["DRAFT_index.html"].decode(), "de", rtl=False) == []
    rows = list(csv.DictReader(io.StringIO(files["DRAFT_sms-gateway.csv"].decode())))
    sms = [m for m in manifest.messages if m.channel == "sms"]
    assert [r["message_id"] for r in rows] == [m.cell.key for m in sms]
    for row, message in zip(rows, sms, strict=True):
        assert int(row["segments"]) == sms_info(message.text).segments
    shared = list(csv.DictReader(io.StringIO(files["DRAFT_sharepics.csv"].decode())))
    assert len(shared) == 2 * len(LANGUAGES)  # square and portrait per language
    assert all(files[r["image"]].startswith(b"\x89PNG") and r["alt_text"] for r in shared)


def test_a_reviewer_marks_the_test_reading_done_and_the_notice_goes(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def poster(name: str) -> str:
        files = _zip(export_pack(packs, "flu-test", tmp_path / name, user="Ann", draft=True).path)
        key = next(n for n in files if n.endswith("older-adults__poster__v1.poster-a4.pdf")
                   and "/de-leicht/" in n)  # fmt: skip
        return _text(files[key])

    assert "DINSPEC33429" in poster("before.zip")
    message = packs.message("flu-test", LEICHT_POSTER)
    assert message is not None
    confirm_test_reading(packs, "flu-test", message, user="Bo", note="Prüfgruppe Lebenshilfe")
    assert "DINSPEC33429" not in poster("after.zip")
    events = [e for e in packs.events("flu-test") if e.action == "test_read"]
    assert [(e.user, e.cell, e.revision) for e in events] == [("Bo", LEICHT_POSTER, 1)]
    edit_text(packs, "flu-test", LEICHT_POSTER, "Die Impfung schützt.\nSie kostet nichts.",
              user="Ann", revision=1)  # fmt: skip
    assert "DINSPEC33429" in poster("edited.zip")  # a new revision needs its own reading


def test_the_test_reading_is_per_revision_and_only_for_leichte_sprache(packs) -> None:  # type: ignore[no-untyped-def]
    german = packs.message("flu-test", Cell("older-adults", "poster", "de"))
    assert german is not None
    with pytest.raises(InputError, match="Only Leichte Sprache"):
        confirm_test_reading(packs, "flu-test", german, user="Bo")
    stale = packs.message("flu-test", LEICHT_POSTER)
    assert stale is not None
    approve(packs, "flu-test", LEICHT_POSTER, user="Ann", revision=1)  # revision unchanged
    from dataclasses import replace

    with pytest.raises(InputError, match="changed since you read it"):
        confirm_test_reading(packs, "flu-test", replace(stale, revision=7), user="Bo")
