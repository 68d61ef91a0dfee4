"""Read exported files back and list what an accessibility check would find missing.

HTML: lang (and dir="rtl" for right-to-left), alt text on every image. PDF (pikepdf): a
structure tree, MarkInfo Marked, /Lang, the PDF/UA identifier in the XMP metadata, a title
shown as window title, alt text on every Figure. DOCX (python-docx): w:lang on every run,
heading levels in order, alt text (descr) on every picture, no tables. An empty list: passed."""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass
from typing import Any

from core.catalog import base_language

_LANG = re.compile(r"<html\b[^>]*\blang=\"([^\"]+)\"", re.I)
_DIR = re.compile(r"<html\b[^>]*\bdir=\"([^\"]+)\"", re.I)
_IMG = re.compile(r"<img\b[^>]*>", re.I)


def html_problems(html: str, language: str, *, rtl: bool) -> list[str]:
    """What the HTML lacks: its language, its direction, alt text on an image."""
    problems = []
    lang = _LANG.search(html)
    if not lang or base_language(lang.group(1)) != base_language(language):
        problems.append(f"html lang is not {base_language(language)}")
    direction = _DIR.search(html)
    if rtl and (not direction or direction.group(1) != "rtl"):
        problems.append('html has no dir="rtl"')
    for img in _IMG.findall(html):
        if not re.search(r'\balt="[^"]+"', img):
            problems.append(f"image without alt text: {img[:60]}")
    return problems


def pdf_problems(pdf: bytes, language: str) -> list[str]:
    """What the PDF lacks for PDF/UA-1: tags, language, identifier, title, figure alt texts."""
    import pikepdf

    problems = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root
        if "/StructTreeRoot" not in root:
            problems.append("no structure tree (StructTreeRoot)")
        mark = root.get("/MarkInfo")
        if mark is None or not bool(mark.get("/Marked", False)):
            problems.append("not marked as tagged (MarkInfo /Marked)")
        lang = str(root.get("/Lang", ""))
        if base_language(lang.split("-")[0]) != base_language(language):
            problems.append(f"document language {lang!r}, not {base_language(language)}")
        meta = document.open_metadata()
        if str(meta.get("pdfuaid:part", "")) != "1":
            problems.append("no PDF/UA-1 identifier (pdfuaid:part) in the XMP metadata")
        if not str(meta.get("dc:title", "")):
            problems.append("no title in the metadata")
        prefs = root.get("/ViewerPreferences")
        if prefs is None or not bool(prefs.get("/DisplayDocTitle", False)):
            problems.append("the title is not shown as window title (DisplayDocTitle)")
        if "/StructTreeRoot" in root:
            problems += [
                f"a {kind} without alt text"
                for kind, alt in figures(root.StructTreeRoot)
                if not alt
            ]
    return problems


def figures(node: Any) -> list[tuple[str, str]]:
    """(structure type, alt text) of every Figure in a structure tree."""
    import pikepdf

    found: list[tuple[str, str]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if not isinstance(item, pikepdf.Dictionary):
            continue
        if str(item.get("/S", "")) == "/Figure":
            found.append(("Figure", str(item.get("/Alt", ""))))
        kids = item.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
        elif isinstance(kids, pikepdf.Dictionary):
            stack.append(kids)
    return found


def docx_problems(docx: bytes, locale: str) -> list[str]:
    """What the Word document lacks: language on every run, heading order, alt text, no tables."""
    from docx import Document
    from docx.oxml.ns import qn

    document = Document(io.BytesIO(docx))
    body = document.element.body
    problems = []
    wrong = {
        lang.get(qn("w:val"))
        for run in body.iter(qn("w:r"))
        for lang in [run.find(f"{qn('w:rPr')}/{qn('w:lang')}")]
        if lang is None or lang.get(qn("w:val")) != locale
    }
    if wrong:
        problems.append(f"runs without w:lang {locale}: {sorted(str(w) for w in wrong)}")
    problems += heading_problems(heading_levels(document))
    for part in picture_parts(document):
        for doc_pr in part.element.iter(qn("wp:docPr")):
            if not doc_pr.get("descr"):
                problems.append(f"picture {doc_pr.get('name')} without alt text (descr)")
    if next(body.iter(qn("w:tbl")), None) is not None:
        problems.append("a table in the body (a layout table?)")
    return problems + order_problems(document)


# The ECMA-376 order of the children Clarion writes into paragraph and run properties.
PPR_ORDER = (
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "pBdr",
    "shd",
    "tabs",
    "bidi",
    "spacing",
    "ind",
    "jc",
    "rPr",
    "sectPr",
)
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "color", "sz", "szCs", "u", "rtl",
             "cs", "lang")  # fmt: skip


def order_problems(document: Any) -> list[str]:
    """Paragraph and run properties whose children are out of the schema's order (Word calls
    such a file damaged)."""
    from docx.oxml.ns import qn

    problems = set()
    for part in picture_parts(document):
        for tag, order in (("w:pPr", PPR_ORDER), ("w:rPr", RPR_ORDER)):
            for props in part.element.iter(qn(tag)):
                names = [c.tag.rsplit("}", 1)[-1] for c in props]
                known = [order.index(n) for n in names if n in order]
                if known != sorted(known):
                    problems.add(f"{tag} children out of order: {names}")
    return sorted(problems)


def heading_levels(document: Any) -> list[int]:
    """The levels of the paragraphs in Word heading styles, in document order."""
    levels = []
    for paragraph in document.paragraphs:
        name = paragraph.style.name if paragraph.style is not None else ""
        if name.startswith("Heading ") and name[8:].isdigit():
            levels.append(int(name[8:]))
    return levels


def heading_problems(levels: list[int]) -> list[str]:
    """Headings start at level 1 and never skip a level going down."""
    if not levels:
        return ["no heading"]
    if levels[0] != 1:
        return [f"the first heading is level {levels[0]}"]
    return [f"heading level {b} after {a}" for a, b in itertools.pairwise(levels) if b > a + 1]


def picture_parts(document: Any) -> list[Any]:
    """The document's main part and its header and footer parts."""
    parts = [document.part]
    for rel in document.part.rels.values():
        if rel.reltype.endswith(("/header", "/footer")):
            parts.append(rel.target_part)
    return parts


@dataclass(frozen=True)
class Frame:
    """A frame of a Word document, in millimetres from the page's top-left corner."""

    x: float
    y: float
    width: float
    height: float
    texts: tuple[str, ...]
    top_border: bool


def frames(docx: bytes) -> list[Frame]:
    """Every framed paragraph group of the body and headers (address field, info block, marks),
    one Frame per distinct position, read back from w:framePr."""
    from docx import Document
    from docx.oxml.ns import qn

    document = Document(io.BytesIO(docx))
    found: dict[tuple[float, float, float, float], list[Any]] = {}
    for part in picture_parts(document):
        for paragraph in part.element.iter(qn("w:p")):
            frame = paragraph.find(f"{qn('w:pPr')}/{qn('w:framePr')}")
            if frame is None or frame.get(qn("w:hAnchor")) != "page":
                continue
            x, y, w, h = (_mm(frame.get(qn(f"w:{k}"))) for k in ("x", "y", "w", "h"))
            found.setdefault((x, y, w, h), []).append(paragraph)
    return [
        Frame(x, y, w, h, texts=tuple(_text(p) for p in group), top_border=_bordered(group[0]))
        for (x, y, w, h), group in found.items()
    ]


def _mm(twips: str | None) -> float:
    return round(int(twips or 0) * 25.4 / 1440, 1)


def _text(paragraph: Any) -> str:
    from docx.oxml.ns import qn

    return "".join(t.text or "" for t in paragraph.iter(qn("w:t")))


def _bordered(paragraph: Any) -> bool:
    from docx.oxml.ns import qn

    return paragraph.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:top')}") is not None
