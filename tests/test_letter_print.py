"""The DIN 5008 Form B letter as a word processor prints it: LibreOffice Writer turns the DOCX
into a PDF, and the positions are read back from that PDF with PDFium (pypdfium2).

test_publish_letter.py checks what the DOCX says; this module checks where the text and the marks
land on the page. One `soffice` run prints three letters (German, Arabic, a German letter of two
pages); page 1 of the German one is the picture docs/publishing.md shows.

Every position is asserted within ±1 mm. That is larger than what the font and the line spacing
add between a line's position and its glyph boxes (side bearings, ascent, the space a 1.15 line
spacing puts above a line: under 0.9 mm here) and smaller than any layout change worth catching:
a line of 11 pt text is 4.2 mm, a fold mark 5 mm long, and a sixth address line ends 0.6 mm
above the field's lower edge. Refresh the picture with
`SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest tests/test_letter_print.py`."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from comms.publish.design import load_design
from comms.publish.letter import letter_docx
from tests.publish_helpers import SOFFICE, TEXTS, office_pdfs, sheet

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / os.environ.get("SCREENSHOTS_DIR", f"{tempfile.gettempdir()}/clarion-screenshots")
MM_PER_PT = 25.4 / 72
TOLERANCE_MM = 1.0
LONG = "\n".join([TEXTS["de"]] * 14)  # enough paragraphs for a second page

pytestmark = [
    pytest.mark.office,
    pytest.mark.skipif(
        SOFFICE is None,
        reason="soffice (LibreOffice) is missing: `make office` installs it (apt-get, as root)",
    ),
]


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in mm from the top-left corner, as a ruler on paper reads it."""

    left: float
    top: float
    right: float
    bottom: float


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, pdfium.PdfDocument]]:
    letters = {
        "de": letter_docx(sheet("de"), load_design()),
        "ar": letter_docx(sheet("ar"), load_design()),
        "long": letter_docx(sheet("de", LONG), load_design()),
    }
    pdfs = office_pdfs(letters, tmp_path_factory.mktemp("office"))
    documents = {name: pdfium.PdfDocument(data) for name, data in pdfs.items()}
    yield documents
    for document in documents.values():
        document.close()


def text_box(page: pdfium.PdfPage, text: str) -> Box:
    """The box around the first occurrence of text on the page."""
    found = text_boxes(page, text)
    assert found, f"{text!r} is not printed on the page"
    return found[0]


def text_boxes(page: pdfium.PdfPage, text: str) -> list[Box]:
    """The box around every character of each occurrence of text, in the text layer's order."""
    textpage, found = page.get_textpage(), []
    searcher = textpage.search(text, match_case=True)
    while (hit := searcher.get_next()) is not None:
        index, count = hit
        boxes = [textpage.get_charbox(i, loose=True) for i in range(index, index + count)]
        boxes = [b for b in boxes if b[2] > b[0]]  # spaces have no width in PDFium's boxes
        found.append(_box(page, min(b[0] for b in boxes), min(b[1] for b in boxes),
                          max(b[2] for b in boxes), max(b[3] for b in boxes)))  # fmt: skip
    return found


def marks(page: pdfium.PdfPage) -> list[Box]:
    """The short horizontal rules in the left margin (fold and hole marks), top to bottom."""
    found = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=3):
        box = _box(page, *obj.get_bounds())
        if box.right < 20 and box.bottom - box.top < 1:
            found.append(box)
    return sorted(found, key=lambda b: b.top)


def _box(page: pdfium.PdfPage, left: float, bottom: float, right: float, top: float) -> Box:
    height = page.get_height()
    return Box(left * MM_PER_PT, (height - top) * MM_PER_PT, right * MM_PER_PT,
               (height - bottom) * MM_PER_PT)  # fmt: skip


def near(value: float) -> object:
    return pytest.approx(value, abs=TOLERANCE_MM)


def test_the_letter_is_printed_on_a4(printed: dict[str, pdfium.PdfDocument]) -> None:
    for name, document in printed.items():
        width, height = document[0].get_size()
        assert (width * MM_PER_PT, height * MM_PER_PT) == (near(210), near(297)), name
    assert [len(d) for d in printed.values()] == [1, 1, 2]


def test_the_address_field_sits_in_the_window_of_a_form_b_envelope(
    printed: dict[str, pdfium.PdfDocument],
) -> None:
    for name in ("de", "ar"):  # an Arabic letter goes in the same envelope
        page = printed[name][0]
        back = text_box(page, "Gesundheitsamt Musterstadt · Marktplatz 1 · 12345 Musterstadt")
        first, last = text_box(page, "«Anrede Vorname Name»"), text_box(page, "«PLZ Ort»")
        # the return line: the first line of the 17.7 mm note zone, one line, inside 85 mm
        assert (back.left, back.top) == (near(20), near(45)), name
        assert back.bottom - back.top < 17.7 / 5 and back.right <= 105, name
        # the recipient: from the zone's end (45 + 17.7 mm), within the field's 45 mm
        assert (first.left, first.top) == (near(20), near(62.7)), name
        assert first.top >= 62.7 and last.bottom <= 90 and last.left == near(20), name
        # a sixth line of address, at the printed line pitch, still ends inside the field
        pitch = (last.top - first.top) / 2  # the placeholder has three lines
        assert first.bottom + 5 * pitch <= 90, name


def test_fold_and_hole_marks_are_printed_at_105_148_5_and_210_mm(
    printed: dict[str, pdfium.PdfDocument],
) -> None:
    for name in ("de", "ar"):
        found = marks(printed[name][0])
        assert [(b.top + b.bottom) / 2 for b in found] == [near(105), near(148.5), near(210)], name
        assert [b.right - b.left for b in found] == [near(5), near(10), near(5)], name
        assert all(b.left == near(5) for b in found), name
    assert marks(printed["long"][1]) == []  # the marks are on the first page only


def test_the_information_block_and_the_text_keep_their_margins(
    printed: dict[str, pdfium.PdfDocument],
) -> None:
    page = printed["de"][0]
    date = text_box(page, "01.10.2026")
    contact = next(
        b for b in text_boxes(page, "Marktplatz 1") if b.left > 105
    )  # not the return line
    assert (contact.left, contact.top) == (near(125), near(50))
    assert date.left == near(125) and date.bottom <= 90
    subject = text_box(page, "Grippeimpfung 2026")
    assert subject.left == near(25) and subject.top > 90  # below the address field
    for document in printed.values():
        for page in document:
            for line in lines(page):
                if line.left == near(20) and line.top >= 45 and line.bottom <= 90:
                    continue  # the address field, from 20 mm
                assert 25 - TOLERANCE_MM <= line.left < line.right <= 190 + TOLERANCE_MM, line


def test_every_page_says_which_of_how_many_it_is(printed: dict[str, pdfium.PdfDocument]) -> None:
    expected = {"de": ["Seite 1 von 1"], "long": ["Seite 1 von 2", "Seite 2 von 2"]}
    for name, numbers in expected.items():
        for page, number in zip(printed[name], numbers, strict=True):
            box = text_box(page, number)
            assert box.right == near(190) and 277 < box.top < box.bottom < 297, number
    arabic = text_box(printed["ar"][0], "صفحة")  # at the left: the end of a right-to-left line
    assert arabic.top > 277 and arabic.right < 105


def test_the_fonts_are_embedded_and_arial_is_printed_with_its_metric_twin(
    printed: dict[str, pdfium.PdfDocument],
) -> None:
    # Liberation Sans for Arial in German, also for the subject (Heading 1 once named the
    # theme's heading font); Arabic letters from DejaVu Sans (Liberation Sans has none)
    for name in ("de", "long"):
        assert set(fonts(printed[name])) == {"LiberationSans", "LiberationSans-Bold"}, name
    arabic = set(fonts(printed["ar"]))
    assert "DejaVuSans" in arabic and arabic <= {"LiberationSans", "LiberationSans-Bold",
                                                 "DejaVuSans", "DejaVuSans-Bold"}  # fmt: skip
    assert text_box(printed["ar"][0], "يحميك").right <= 190 + TOLERANCE_MM


def test_a_screenshot_of_the_printed_first_page(printed: dict[str, pdfium.PdfDocument]) -> None:
    image = printed["de"][0].render(scale=4 * MM_PER_PT).to_pil().convert("RGB")
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    (SHOTS / "letter.png").write_bytes(out.getvalue())
    assert image.size == (841, 1189)  # 210 × 297 mm at 4 px/mm, rounded up
    # the fold mark: a thin grey-to-black rule at 105 mm between 5 and 10 mm, white around it
    rows = [min(image.getpixel((x, y))[0] for x in range(20, 40)) for y in range(412, 430)]
    assert min(rows) < 160 and rows[0] == rows[-1] == 255


def lines(page: pdfium.PdfPage) -> list[Box]:
    """The text lines of the page as PDFium groups them."""
    textpage = page.get_textpage()
    return [_box(page, *textpage.get_rect(i)) for i in range(textpage.count_rects())]


def fonts(document: pdfium.PdfDocument) -> list[str]:
    """The embedded fonts' names without their subset prefix ("ABCDEF+")."""
    import pikepdf

    out = io.BytesIO()
    document.save(out)
    names = []
    with pikepdf.open(io.BytesIO(out.getvalue())) as pdf:
        for page in pdf.pages:
            for font in page.resources.get("/Font", {}).values():
                names.append(str(font.get("/BaseFont", "")).lstrip("/").split("+")[-1])
    return names
