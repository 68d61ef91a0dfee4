"""The DIN 5008 Form B letter (comms/publish/letter.py), read back from the DOCX.

Form B (DIN 5008:2020, section on letter forms): letterhead 45 mm, address field 85 × 45 mm at
20 mm from the left and 45 mm from the top, fold marks at 105 mm and 210 mm, hole mark at
148.5 mm. docs/publishing.md names the sources."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn

from comms.publish.conformance import docx_problems, frames, heading_levels
from comms.publish.design import BUNDLED, LETTER_TEMPLATE, load_design
from comms.publish.letter import letter_docx, on_the_paper
from comms.publish.letter_template import letter_template
from core.errors import InputError
from core.settings import Settings
from tests.publish_helpers import sheet


@pytest.fixture(scope="module")
def german() -> bytes:
    return letter_docx(sheet("de"), load_design())


def test_the_address_field_sits_where_a_form_b_window_envelope_shows_it(german: bytes) -> None:
    field = next(f for f in frames(german) if "«PLZ Ort»" in f.texts)
    assert (field.x, field.y, field.width, field.height) == (20.0, 45.0, 85.0, 45.0)
    assert field.texts[0] == "Gesundheitsamt Musterstadt · Marktplatz 1 · 12345 Musterstadt"


def test_fold_and_hole_marks_are_at_105_148_5_and_210_mm(german: bytes) -> None:
    marks = sorted(f.y for f in frames(german) if f.top_border)
    assert marks == [105.0, 148.5, 210.0]
    assert all(f.x < 20 for f in frames(german) if f.top_border)  # in the left margin


def test_the_date_and_contact_stand_in_the_information_block(german: bytes) -> None:
    block = next(f for f in frames(german) if "01.10.2026" in f.texts)
    assert (block.x, block.y) == (125.0, 50.0)
    assert "impfen@musterstadt.example" in block.texts


@pytest.mark.parametrize(("language", "locale"), [("de", "de-DE"), ("ar", "ar"),
                                                  ("de-leicht", "de-DE"), ("en", "en-GB")])  # fmt: skip
def test_a_letter_passes_its_checks_in_every_language(language: str, locale: str) -> None:
    data = letter_docx(sheet(language), load_design())
    assert docx_problems(data, locale) == []
    document = Document(io.BytesIO(data))
    defaults = document.styles.element.find(f"{qn('w:docDefaults')}")
    assert defaults is not None and locale in {
        lang.get(qn("w:val")) for lang in defaults.iter(qn("w:lang"))
    }
    bidi = document.element.body.find(f".//{qn('w:bidi')}")
    assert (bidi is not None) is (language == "ar")


def test_an_arabic_letter_keeps_its_frames_left_to_right() -> None:
    """A frame anchored in right-to-left text is mirrored by LibreOffice (test_letter_print)."""
    document = Document(io.BytesIO(letter_docx(sheet("ar"), load_design())))
    header = document.sections[0].first_page_header._element
    paragraphs = [*document.element.body.iter(qn("w:p")), *header.iter(qn("w:p"))]
    fixed = [p for p in paragraphs if on_the_paper(p)]
    assert len(fixed) > 6 and not any(p.find(f".//{qn('w:bidi')}") is not None for p in fixed)
    assert any(p.find(f".//{qn('w:bidi')}") is not None for p in paragraphs)


def test_subject_is_a_heading_and_the_body_and_sign_off_follow(german: bytes) -> None:
    document = Document(io.BytesIO(german))
    assert heading_levels(document) == [1]
    heading = next(p for p in document.paragraphs if p.style.name == "Heading 1")
    assert heading.text == "Grippeimpfung 2026"
    texts = [p.text for p in document.paragraphs]
    assert "Die Grippeimpfung schützt Sie im Winter." in texts
    assert texts.index("Mit freundlichen Grüßen") > texts.index(heading.text)
    assert "Termin vereinbaren: https://impfen.example.org/termin" in texts


def test_logo_and_qr_code_have_alt_text(german: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(german)) as archive:
        xml = "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("word/")
            and n.endswith(".xml")
        )  # fmt: skip
    page = sheet("de")
    assert f'descr="{page.logo_alt}"' in xml and f'descr="{page.qr_alt}"' in xml


def test_pages_are_numbered_with_word_fields(german: bytes) -> None:
    footer = Document(io.BytesIO(german)).sections[0].footer._element
    codes = "".join(t.text for t in footer.iter(qn("w:instrText")))
    assert "PAGE" in codes and "NUMPAGES" in codes


def test_leichte_sprache_letters_carry_the_test_reading_notice() -> None:
    def texts(data: bytes) -> str:
        return " ".join(p.text for p in Document(io.BytesIO(data)).paragraphs)

    assert "DIN SPEC 33429" in texts(letter_docx(sheet("de-leicht"), load_design()))
    assert "DIN SPEC 33429" not in texts(
        letter_docx(sheet("de-leicht", test_read=True), load_design())
    )


def test_message_text_is_data_in_the_letter() -> None:
    data = letter_docx(sheet("de", "Impfen <b>&</b> {{ office_name }} schützt."), load_design())
    texts = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert "Impfen <b>&</b> {{ office_name }} schützt." in texts


def test_the_committed_template_is_what_the_builder_makes() -> None:
    def parts(data: bytes) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {n: archive.read(n) for n in archive.namelist() if n.startswith("word/")}

    assert parts((BUNDLED / LETTER_TEMPLATE).read_bytes()) == parts(letter_template())


def test_an_office_template_that_is_not_a_word_file_is_refused(settings: Settings) -> None:
    folder = settings.data_dir / "publish"
    folder.mkdir(parents=True)
    (folder / "letter.docx").write_text("{{ not a docx }}", encoding="utf-8")
    with pytest.raises(InputError, match=r"letter template .*letter\.docx is not a Word"):
        load_design(settings)


def test_an_office_template_with_a_broken_field_is_named(settings: Settings) -> None:
    from docx import Document as New

    broken = New()
    broken.add_paragraph("{{ subject ")
    out = io.BytesIO()
    broken.save(out)
    folder = settings.data_dir / "publish"
    folder.mkdir(parents=True)
    (folder / "letter.docx").write_bytes(out.getvalue())
    with pytest.raises(InputError, match="letter template cannot be filled"):
        letter_docx(sheet("de"), load_design(settings))


def test_a_damaged_office_template_is_named(settings: Settings) -> None:
    folder = settings.data_dir / "publish"
    folder.mkdir(parents=True)
    (folder / "letter.docx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a Word document Clarion can read"):
        letter_docx(sheet("de"), load_design(settings))


def test_properties_out_of_schema_order_are_found() -> None:
    from docx import Document as New
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    from comms.publish.conformance import order_problems

    document = New()
    paragraph = document.add_paragraph("x")
    paragraph.paragraph_format.space_after = Pt(3)
    assert order_problems(document) == []
    paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))  # after w:spacing: wrong
    assert order_problems(document) == ["w:pPr children out of order: ['spacing', 'bidi']"]
