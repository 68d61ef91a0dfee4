"""The poster (tagged PDF/UA-1, A4 and A3), the sharepic (PNG), the SMS gateway CSV, and the
checkers that read them back (comms/publish/)."""

from __future__ import annotations

import csv
import io

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from comms.checks.sms import sms_info
from comms.publish.conformance import heading_problems, html_problems, pdf_problems
from comms.publish.design import load_design
from comms.publish.poster import page_html, poster_pdf
from comms.publish.sharepic import sharepic_png
from comms.publish.sheet import TEST_READ_PENDING, UNCHECKED_TRANSLATION
from comms.publish.sms_gateway import Sms, gateway_csv
from core.errors import InputError
from core.settings import Settings
from tests.publish_helpers import sheet

A4 = (595.28, 841.89)  # points
A3 = (841.89, 1190.55)


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def figures_alt(pdf: bytes) -> list[str]:
    from comms.publish.conformance import figures

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return sorted(alt for _, alt in figures(document.Root.StructTreeRoot))


@pytest.mark.parametrize(
    ("language", "size", "points"),
    [("de", "a4", A4), ("de", "a3", A3), ("ar", "a4", A4), ("de-leicht", "a4", A4)],
)
def test_a_poster_is_a_tagged_pdf_ua_of_its_size_and_language(language, size, points) -> None:  # type: ignore[no-untyped-def]
    page = sheet(language)
    pdf = poster_pdf(page, load_design(), size)
    assert pdf_problems(pdf, language) == []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        box = [float(v) for v in document.pages[0].MediaBox]
        assert str(document.Root.Lang).split("-")[0] == page.lang
        assert len(document.pages) == 1
    assert box[2:] == pytest.approx(points, abs=0.2)
    assert figures_alt(pdf) == sorted([page.logo_alt, page.qr_alt])


def test_the_poster_says_headline_facts_call_to_action_office_and_sources() -> None:
    page = sheet("de")
    text = "".join(pdf_text(poster_pdf(page, load_design())).split())  # lines may break anywhere
    for expected in (
        "Die Grippeimpfung schützt Sie im Winter.",
        "Marktplatz 1",
        "Termin vereinbaren",
        "https://impfen.example.org/termin",
        "Gesundheitsamt Musterstadt",
        "Epidemiologisches Bulletin",
    ):
        assert "".join(expected.split()) in text
    assert "".join(TEST_READ_PENDING.split())[:30] not in text


def test_an_unchecked_translation_says_so_on_the_poster() -> None:
    """The poster of an Arabic message no native speaker has checked carries the notice, in
    the office's German, for the staff who print it; a checked one does not."""
    said = " ".join(UNCHECKED_TRANSLATION.split()[:6])
    pending = " ".join(pdf_text(poster_pdf(sheet("ar", unchecked_translation=True),
                                           load_design())).split())  # fmt: skip
    assert said in pending
    assert said not in " ".join(pdf_text(poster_pdf(sheet("ar"), load_design())).split())


def test_leichte_sprache_says_it_needs_test_readers_until_they_checked_it() -> None:
    pending = " ".join(pdf_text(poster_pdf(sheet("de-leicht"), load_design())).split())
    checked = " ".join(
        pdf_text(poster_pdf(sheet("de-leicht", test_read=True), load_design())).split()
    )
    assert "DIN SPEC 33429" in pending and "DIN SPEC 33429" not in checked
    assert sheet("de").notices == ()  # only Leichte Sprache needs the test reading


@pytest.mark.parametrize(("language", "lang", "rtl"), [("de", "de", False), ("ar", "ar", True),
                                                       ("de-leicht", "de", False)])  # fmt: skip
def test_the_html_has_language_direction_and_alt_texts(language, lang, rtl) -> None:  # type: ignore[no-untyped-def]
    html = page_html(sheet(language), load_design(), "a4")
    assert html_problems(html, language, rtl=rtl) == []
    assert f'lang="{lang}"' in html and ('dir="rtl"' in html) is rtl


def test_message_text_is_escaped_never_markup() -> None:
    html = page_html(sheet("de", "<script>alert(1)</script> Impfen & {{ 7*7 }} schützt."), load_design(), "a4")  # fmt: skip
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Impfen &amp; {{ 7*7 }} schützt." in html  # a value is data, never a template


def test_the_checkers_find_what_is_missing() -> None:
    from weasyprint import HTML

    untagged = HTML(string="<html><body><img src='data:,' ></body></html>").write_pdf()
    problems = pdf_problems(untagged, "de")
    assert any("StructTreeRoot" in p for p in problems) and any("pdfuaid" in p for p in problems)
    assert html_problems('<html><img src="x.png"></html>', "ar", rtl=True) == [
        "html lang is not ar",
        'html has no dir="rtl"',
        'image without alt text: <img src="x.png">',
    ]
    assert heading_problems([1, 3]) == ["heading level 3 after 1"]
    assert heading_problems([2]) == ["the first heading is level 2"]


@pytest.mark.parametrize(("shape", "size"), [("square", (1080, 1080)), ("portrait", (1080, 1350))])
def test_a_sharepic_is_a_png_of_its_size_in_the_office_colour(shape, size) -> None:  # type: ignore[no-untyped-def]
    image = Image.open(io.BytesIO(sharepic_png(sheet("de"), load_design(), shape)))
    assert image.format == "PNG" and image.size == size
    assert image.getpixel((5, size[1] - 5)) == (0x00, 0x50, 0x7A)  # --brand of poster.css


def test_an_office_replaces_the_design_with_its_own_css_and_logo(settings: Settings) -> None:
    folder = settings.data_dir / "publish"
    folder.mkdir(parents=True)
    css = load_design().css.replace("--brand: #00507a", "--brand: #7a0050")
    (folder / "poster.css").write_text(css, encoding="utf-8")
    design = load_design(settings)
    image = Image.open(io.BytesIO(sharepic_png(sheet("de"), design)))
    assert image.getpixel((5, 1075)) == (0x7A, 0x00, 0x50)
    (folder / "logo.png").write_bytes(b"GIF89a not a png")
    with pytest.raises(InputError, match=r"logo .*logo\.png is not a PNG"):
        load_design(settings)


def test_the_sharepic_alt_text_is_written_from_the_message() -> None:
    page = sheet("de")
    assert page.alt_text.startswith("Grafik mit Text: Die Grippeimpfung schützt Sie im Winter.")
    assert "Termin vereinbaren: https://impfen.example.org/termin" in page.alt_text
    assert page.alt_text.endswith("Gesundheitsamt Musterstadt.")


def test_an_empty_message_is_refused() -> None:
    with pytest.raises(InputError, match="empty"):
        sheet("de", "  \n ")


@pytest.mark.parametrize(
    "text",
    [
        "Grippeimpfung im Gesundheitsamt: Termin unter https://impfen.example.org",
        "Impfen schützt. " * 11,  # 176 GSM-7 characters: two parts
        "Grippeimpfung: Termin buchen – ab Montag.",  # the en dash: UCS-2
        "تطعيم الإنفلونزا يحميك. احجز موعدك الآن: https://impfen.example.org",
        "Kosten: 0 € {kostenlos}",  # extension characters count twice
    ],
)
def test_the_gateway_csv_has_one_row_per_sms_with_encoding_and_segments(text: str) -> None:
    rows = list(csv.DictReader(io.StringIO(gateway_csv([Sms("id-1", "older-adults", "de", text)]))))
    info = sms_info(text)
    assert len(rows) == 1 and rows[0]["text"] == text
    assert rows[0]["encoding"] == info.encoding and int(rows[0]["segments"]) == info.segments
    assert int(rows[0]["units"]) == info.units
    assert rows[0]["data_coding"] == ("0" if info.encoding == "GSM-7" else "8")


def test_the_gateway_csv_refuses_an_empty_sms() -> None:
    with pytest.raises(InputError, match="SMS id-2 is empty"):
        gateway_csv([Sms("id-2", "older-adults", "de", " ")])
