"""The default Word letter template, DIN 5008 Form B, built with python-docx.

Geometry (DIN 5008:2020, Form B, A4): letterhead 45 mm; address field 85 × 45 mm at 20 mm from
the left and 45 mm from the top edge, its first 17.7 mm the note zone of five lines with the
return address (8 pt) in the first; fold marks at 105 mm and 210 mm, hole mark at 148.5 mm;
text from 25 mm on the left, 20 mm on the right. The address field and the information block
are Word frames (w:framePr) anchored to the page, so no table carries the layout; the marks are
frames with a top border in the first page's header (a header is an artifact for screen
readers). docxtpl fills the {{ }} fields. tests/test_letter_print.py prints the letter with
LibreOffice and measures these positions on the PDF."""

from __future__ import annotations

import io
from typing import Any

from docx.shared import Mm, Pt

TWIPS_PER_MM = 1440 / 25.4
ADDRESS = {"x": 20.0, "y": 45.0, "w": 85.0, "h": 45.0}  # mm
RETURN_ZONE_MM = 17.7
INFO = {"x": 125.0, "y": 50.0, "w": 75.0, "h": 40.0}  # the information block, Form B
FOLD_MARKS_MM = (105.0, 210.0)
HOLE_MARK_MM = 148.5
MARGINS = {"left": 25.0, "right": 20.0, "top": 45.0, "bottom": 20.0}  # first page top: header
# An empty left-to-right paragraph after each group of frames. LibreOffice anchors the frames to
# the paragraph after them and, when that one is right to left (an Arabic letter), mirrors them
# to the other side of the page: the address field came out 105 mm from the left, not 20 mm.
ANCHOR = "Frame Anchor"
ANCHOR_ID = "FrameAnchor"


def twips(mm: float) -> str:
    """A length in twentieths of a point, as Word writes it."""
    return str(round(mm * TWIPS_PER_MM))


def letter_template() -> bytes:
    """The template .docx: letterhead, frames, marks, {{ }} fields, styles and page numbers."""
    from docx import Document

    doc = Document()
    _styles(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(MARGINS["left"]), Mm(MARGINS["right"])
    section.top_margin, section.bottom_margin = Mm(MARGINS["top"]), Mm(MARGINS["bottom"])
    section.header_distance, section.footer_distance = Mm(10), Mm(8)
    section.different_first_page_header_footer = True
    _first_header(section.first_page_header)
    _draft_mark(section.header.paragraphs[0])
    section.header.add_paragraph("{{ office_name }}")
    for footer in (section.first_page_footer, section.footer):
        _page_numbers(footer.paragraphs[0])
    _address_field(doc)
    _info_block(doc)
    _body(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _styles(doc: Any) -> None:
    from docx.enum.text import WD_LINE_SPACING

    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(11)
    normal.paragraph_format.space_after = Pt(0)
    heading = doc.styles["Heading 1"]  # the subject line: bold, the body's size, no colour
    heading.font.name, heading.font.size, heading.font.bold = "Arial", Pt(11), True
    heading.font.color.rgb = None
    _without_theme_font(heading, "Arial")
    heading.paragraph_format.space_before, heading.paragraph_format.space_after = Pt(24), Pt(12)
    small = doc.styles.add_style("Return Address", 1)
    small.base_style, small.font.size = normal, Pt(8)  # DIN 5008: 8 pt
    body = doc.styles.add_style("Letter Body", 1)
    body.base_style = normal
    body.paragraph_format.space_after = Pt(11)
    note = doc.styles.add_style("Letter Notice", 1)
    note.base_style, note.font.bold = normal, True
    anchor = doc.styles.add_style(ANCHOR, 1)
    anchor.base_style, anchor.font.size = normal, Pt(1)
    anchor.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    anchor.paragraph_format.line_spacing = Pt(1)


def _without_theme_font(style: Any, name: str) -> None:
    """The font by name in every script, with the size of the body text for Arabic too. Word's
    Heading 1 names the theme's heading font, which outranks w:ascii: LibreOffice printed the
    subject in DejaVu Sans Bold, Word in Calibri Light."""
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:cs"), name)
    size = rpr.find(qn("w:szCs"))
    if size is not None:
        size.set(qn("w:val"), str(round(style.font.size.pt * 2)))


def _first_header(header: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    _draft_mark(header.paragraphs[0])
    # The marks before the letterhead: LibreOffice drops the frame of a header's last paragraph
    # and prints it in the flow, which put the hole mark under the office name.
    for mm in (*FOLD_MARKS_MM, HOLE_MARK_MM):
        mark = header.add_paragraph()
        length = 10.0 if mm == HOLE_MARK_MM else 5.0  # hole mark longer, as is usual
        _frame_paragraph(mark, x=5.0, y=mm, w=length, h=0.4)
        _top_border(mark)
    header.add_paragraph(style=ANCHOR)
    top = header.add_paragraph("{{ logo }}")
    top.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    name = header.add_paragraph("{{ office_name }}")
    name.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    name.runs[0].bold = True


def _draft_mark(paragraph: Any) -> None:
    """ "ENTWURF – nicht freigegeben" in red where the export is a draft, else empty."""
    from docx.shared import RGBColor

    run = paragraph.add_run("{{ draft_mark }}")
    run.bold, run.font.size, run.font.color.rgb = True, Pt(14), RGBColor(0xC0, 0, 0)


def _address_field(doc: Any) -> None:
    from docx.enum.text import WD_LINE_SPACING

    lines = [
        ("{{ return_line }}", "Return Address"),
        ("{%p for line in recipient %}", "Normal"),
        ("{{ line }}", "Normal"),
        ("{%p endfor %}", "Normal"),
    ]
    for text, style in lines:
        paragraph = doc.add_paragraph(text, style=style)
        _frame_paragraph(paragraph, **ADDRESS)
    # The note zone has five lines; the return line is the first (DIN 5008:2020), notes such as
    # "Einschreiben" fill it from the bottom, and the recipient starts below the zone.
    zone = doc.paragraphs[-len(lines)].paragraph_format
    zone.line_spacing_rule, zone.line_spacing = WD_LINE_SPACING.EXACTLY, Mm(RETURN_ZONE_MM / 5)
    zone.space_after = Mm(RETURN_ZONE_MM * 4 / 5)
    # Six lines of address in the 27.3 mm below the zone: at Normal's 1.15 line spacing (5.2 mm
    # a line, as LibreOffice printed it) a sixth line fell out of the 45 mm field.
    recipient = doc.paragraphs[-2].paragraph_format
    recipient.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    recipient.line_spacing = Mm((ADDRESS["h"] - RETURN_ZONE_MM) / 6)


def _info_block(doc: Any) -> None:
    for text in ("{%p for line in contact %}", "{{ line }}", "{%p endfor %}", "{{ date }}"):
        _frame_paragraph(doc.add_paragraph(text), **INFO)
    doc.add_paragraph(style=ANCHOR)


def _body(doc: Any) -> None:
    doc.add_paragraph("{%p for notice in notices %}", style="Letter Notice")
    doc.add_paragraph("{{ notice }}", style="Letter Notice")
    doc.add_paragraph("{%p endfor %}", style="Letter Notice")
    doc.add_paragraph("{{ subject }}", style="Heading 1")
    doc.add_paragraph("{%p for paragraph in body %}", style="Letter Body")
    doc.add_paragraph("{{ paragraph }}", style="Letter Body")
    doc.add_paragraph("{%p endfor %}", style="Letter Body")
    doc.add_paragraph("{{ qr }}", style="Letter Body")
    doc.add_paragraph("{{ sign_off }}", style="Letter Body")
    doc.add_paragraph("{{ office_name }}", style="Normal")


def _frame_paragraph(paragraph: Any, x: float, y: float, w: float, h: float) -> None:
    """Place a paragraph in a frame at (x, y) mm from the page's top-left corner."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    frame = OxmlElement("w:framePr")
    for name, value in (
        ("w:w", twips(w)), ("w:h", twips(h)), ("w:hRule", "exact"), ("w:wrap", "notBeside"),
        ("w:vAnchor", "page"), ("w:hAnchor", "page"), ("w:x", twips(x)), ("w:y", twips(y)),
    ):  # fmt: skip
        frame.set(qn(name), value)
    ppr = paragraph._p.get_or_add_pPr()
    ppr.insert(0, frame) if ppr.find(qn("w:pStyle")) is None else ppr.insert(1, frame)


def _top_border(paragraph: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders, top = OxmlElement("w:pBdr"), OxmlElement("w:top")
    for name, value in (
        ("w:val", "single"),
        ("w:sz", "6"),
        ("w:space", "0"),
        ("w:color", "000000"),
    ):
        top.set(qn(name), value)
    borders.append(top)
    paragraph._p.get_or_add_pPr().append(borders)
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(0)


def _page_numbers(paragraph: Any) -> None:
    """ "Seite 1 von 2": PAGE and NUMPAGES fields, right aligned."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.add_run("{{ page_word }} ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" {{ of_word }} ")
    _field(paragraph, "NUMPAGES")


def _field(paragraph: Any, code: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(element: Any) -> None:
        paragraph.add_run()._r.append(element)

    def char(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    for element in (char("begin"), instruction, char("separate"), _text("1"), char("end")):
        run_with(element)


def _text(value: str) -> Any:
    from docx.oxml import OxmlElement

    element = OxmlElement("w:t")
    element.text = value
    return element
