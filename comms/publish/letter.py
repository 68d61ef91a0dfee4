"""The letter: a DIN 5008 Form B Word document filled from a template with docxtpl.

The template is the office's own letterhead (data_dir/publish/letter.docx) or Clarion's
(comms/publish/letter_template.py). docxtpl renders its {{ }} fields with Jinja2 in a sandbox,
every value XML-escaped. Afterwards the document language (w:lang) is set on the styles and
every run, right-to-left (w:bidi, w:rtl) for Arabic, and the pictures get their alt text."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from comms.publish.design import Design
from comms.publish.letter_template import ANCHOR_ID
from comms.publish.qr import qr_png
from comms.publish.sheet import DRAFT_MARK, Sheet
from core.errors import InputError

RECIPIENT = ("«Anrede Vorname Name»", "«Straße Hausnummer»", "«PLZ Ort»")  # mail merge fields
PAGE_WORDS = {"de": ("Seite", "von"), "en": ("Page", "of"), "tr": ("Sayfa", "/"),
              "ar": ("صفحة", "من"), "uk": ("Сторінка", "з"), "ru": ("Страница", "из")}  # fmt: skip
LOGO_MM, QR_MM = 22, 30


def letter_docx(sheet: Sheet, design: Design) -> bytes:
    """The message as a letter: letterhead, address field, date, subject, body, sign-off."""
    from docx import Document
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import StrictUndefined, TemplateError
    from jinja2.sandbox import SandboxedEnvironment
    from lxml import etree

    try:
        template = DocxTemplate(io.BytesIO(design.letter_template))
        template.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise InputError(
            f"The letter template is not a Word document Clarion can read: {exc}"
        ) from exc
    logo = InlineImage(template, io.BytesIO(design.logo), height=Mm(LOGO_MM))
    qr = (
        InlineImage(template, io.BytesIO(qr_png(sheet.booking_url)), width=Mm(QR_MM))
        if sheet.booking_url
        else ""
    )
    env = SandboxedEnvironment(undefined=StrictUndefined)
    try:
        template.render(_context(sheet, logo, qr), jinja_env=env, autoescape=True)
    except (TemplateError, etree.XMLSyntaxError, ValueError, KeyError) as exc:
        raise InputError(f"The letter template cannot be filled: {exc}") from exc
    rendered = io.BytesIO()
    template.save(rendered)  # docxtpl swaps header parts for plain XML parts: read it back
    document = Document(rendered)
    set_language(document, sheet.locale, rtl=sheet.rtl)
    describe_pictures(document, {design.logo: sheet.logo_alt, _qr_bytes(sheet): sheet.qr_alt})
    document.core_properties.title = sheet.subject
    document.core_properties.author = sheet.office_name
    document.core_properties.language = sheet.locale
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _context(sheet: Sheet, logo: Any, qr: Any) -> dict[str, Any]:
    page, of = PAGE_WORDS.get(sheet.lang, PAGE_WORDS["en"])
    return {
        "office_name": sheet.office_name,
        "logo": logo,
        "return_line": " · ".join(sheet.contact[:3]),
        "recipient": list(RECIPIENT),
        "contact": list(sheet.contact[1:]),
        "date": sheet.date,
        "draft_mark": DRAFT_MARK if sheet.draft else "",
        "notices": list(sheet.notices),
        "subject": sheet.subject,
        "body": [*_headline(sheet), *sheet.body, *_action(sheet)],
        "qr": qr,
        "sign_off": sheet.sign_off,
        "page_word": page,
        "of_word": of,
    }


def _headline(sheet: Sheet) -> list[str]:
    return [] if sheet.headline == sheet.subject else [sheet.headline]


def _action(sheet: Sheet) -> list[str]:
    return [sheet.call_to_action] if sheet.call_to_action else []


def _qr_bytes(sheet: Sheet) -> bytes:
    return qr_png(sheet.booking_url) if sheet.booking_url else b""


def set_language(document: Any, locale: str, *, rtl: bool) -> None:
    """w:lang on the document defaults, every style and every run; bidi for right-to-left,
    except in the framed paragraphs that sit at fixed places on the paper."""
    from docx.oxml.ns import qn

    roots = [document.styles.element, document.element.body]
    roots += [part._element for s in document.sections for part in _headers(s)]
    for root in roots:
        for rpr in root.iter(qn("w:rPr")):
            _lang(rpr, locale)
        for paragraph in root.iter(qn("w:p")):
            flip = rtl and not on_the_paper(paragraph)
            if flip:
                _flag(paragraph.get_or_add_pPr(), "w:bidi")
            for run in paragraph.iter(qn("w:r")):
                _lang(run.get_or_add_rPr(), locale)
                if flip:
                    _flag(run.get_or_add_rPr(), "w:rtl")


def on_the_paper(paragraph: Any) -> bool:
    """Whether a paragraph is framed at a fixed place on the page (address field, information
    block, fold marks) or anchors such frames. Those stay left to right in an Arabic letter: their
    places belong to the envelope's window and the folding machine, and LibreOffice Writer mirrors
    a frame anchored in right-to-left text to the other side of the page."""
    from docx.oxml.ns import qn

    properties = paragraph.find(qn("w:pPr"))
    if properties is None:
        return False
    frame, style = properties.find(qn("w:framePr")), properties.find(qn("w:pStyle"))
    framed = frame is not None and frame.get(qn("w:hAnchor")) == "page"
    return framed or (style is not None and style.get(qn("w:val")) == ANCHOR_ID)


def _headers(section: Any) -> list[Any]:
    parts = [section.header, section.footer, section.first_page_header, section.first_page_footer]
    return [part for part in parts if not part.is_linked_to_previous]


# What follows w:lang and w:rtl in a w:rPr, and w:bidi in a w:pPr (ECMA-376 sequence order):
# Word refuses a document whose children are out of order.
AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
AFTER_RTL = ("w:cs", "w:em", "w:lang", *AFTER_LANG)
AFTER_BIDI = ("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
              "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
              "w:rPr", "w:sectPr", "w:pPrChange")  # fmt: skip


def _lang(rpr: Any, locale: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, *AFTER_LANG)
    lang.set(qn("w:val"), locale)
    lang.set(qn("w:bidi"), locale if locale.startswith("ar") else "ar-SA")


def _flag(parent: Any, tag: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    if parent.find(qn(tag)) is None:
        after = AFTER_BIDI if tag == "w:bidi" else AFTER_RTL
        parent.insert_element_before(OxmlElement(tag), *after)


def describe_pictures(document: Any, alt: dict[bytes, str]) -> None:
    """Set each picture's alt text (wp:docPr descr) by the image it shows."""
    from docx.oxml.ns import qn

    parts = [document.part, *[p.part for s in document.sections for p in _headers(s)]]
    for part in parts:
        for inline in part.element.iter(qn("wp:inline"), qn("wp:anchor")):
            blip = next(inline.iter(qn("a:blip")), None)
            if blip is None:
                continue
            image = part.related_parts[blip.get(qn("r:embed"))]
            text = alt.get(image.blob)
            if text:
                inline.find(qn("wp:docPr")).set("descr", text)
