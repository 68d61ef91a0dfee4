"""Helpers shared by the publish tests: a fact sheet, an office, a sheet per language."""

from __future__ import annotations

import datetime as dt

from comms.campaign_facts import CampaignFacts
from comms.office import Office
from comms.publish.sheet import Piece, Sheet, make_sheet

FACTS = CampaignFacts(
    what="Grippeimpfung 2026",
    when="02.11.–27.11.2026",
    where="Gesundheitsamt Musterstadt, Marktplatz 1",
    cost="kostenlos",
    booking="https://impfen.example.org/termin",
    translations={"ar": {"what": "تطعيم الإنفلونزا", "where": "مكتب الصحة، السوق 1",
                         "cost": "مجاني", "when": "2.11.–27.11.2026"}},
)  # fmt: skip
OFFICE = Office(
    name={"de": "Gesundheitsamt Musterstadt", "ar": "مكتب الصحة في موسترشتات"},
    address=["Marktplatz 1", "12345 Musterstadt"],
    phone="0123 456789",
    email="impfen@musterstadt.example",
    sign_off={"de": "Mit freundlichen Grüßen"},
)
TEXTS = {
    "de": "Die Grippeimpfung schützt Sie im Winter. Lassen Sie sich jetzt impfen.\n"
    "Die Impfung dauert nur wenige Minuten.",
    "de-leicht": "Die Grippe-Impfung schützt Sie.\nDie Impfung ist kostenlos.",
    "ar": "تطعيم الإنفلونزا يحميك في الشتاء. احصل على التطعيم الآن.",
    "en": "The flu vaccine protects you in winter. Book your appointment now.",
}
DAY = dt.date(2026, 10, 1)


def sheet(language: str, text: str | None = None, **changes: object) -> Sheet:
    """The sheet of the language's sample text, signed by the sample office."""
    piece = Piece(
        text=text if text is not None else TEXTS[language],
        language=language,
        facts=FACTS,
        office=OFFICE,
        day=DAY,
        sources=("RKI: Epidemiologisches Bulletin 2026, https://www.rki.de (2026-01-10)",),
    )
    return make_sheet(Piece(**{**vars(piece), **changes}))  # type: ignore[arg-type]


def letter_proof(docx: bytes, px_per_mm: int = 4) -> bytes:
    """A drawing of a letter's first page from the positions read back from its DOCX: frames
    (address field, information block), fold and hole marks, then the body paragraphs in order.
    A proof of the geometry, not Word's rendering (there is no Word or LibreOffice here)."""
    import io

    from docx import Document
    from PIL import Image, ImageDraw, ImageFont

    from comms.publish.conformance import frames

    def mm(value: float) -> int:
        return round(value * px_per_mm)

    font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    small, normal = ImageFont.truetype(font_path, mm(2.5)), ImageFont.truetype(font_path, mm(3.6))
    bold = ImageFont.truetype(font_path.replace("Sans.ttf", "Sans-Bold.ttf"), mm(3.6))
    page = Image.new("RGB", (mm(210), mm(297)), "white")
    draw = ImageDraw.Draw(page)
    for frame in frames(docx):
        box = (mm(frame.x), mm(frame.y), mm(frame.x + frame.width), mm(frame.y + frame.height))
        if frame.top_border:
            draw.line((box[0], box[1], box[2], box[1]), fill="black", width=2)
            continue
        draw.rectangle(box, outline=(0x99, 0xBB, 0xDD))
        y = box[1] + (mm(14.5) if "«PLZ Ort»" in frame.texts else 0)
        for n, text in enumerate(t for t in frame.texts if t):
            font = small if n == 0 and "«PLZ Ort»" in frame.texts else normal
            draw.text((box[0] + mm(1), y), text, fill="black", font=font)
            y += mm(3.2) if font is small else mm(5)
    document = Document(io.BytesIO(docx))
    draw.text((mm(125), mm(12)), document.sections[0].first_page_header.paragraphs[2].text,
              fill=(0x00, 0x50, 0x7A), font=bold)  # fmt: skip
    y = mm(98.5)
    for paragraph in document.paragraphs:
        if (
            paragraph._p.pPr is not None
            and paragraph._p.pPr.find(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}framePr"
            )
            is not None
        ):
            continue
        font = bold if paragraph.style.name in ("Heading 1", "Letter Notice") else normal
        for line in _wrap(paragraph.text, draw, font, mm(165)):
            draw.text((mm(25), y), line, fill="black", font=font)
            y += mm(5)
        y += mm(4) if paragraph.text else 0
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()


def _wrap(text: str, draw: object, font: object, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) > width and line:  # type: ignore[attr-defined]
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines
