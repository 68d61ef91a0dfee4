"""A pretest on paper: a Word questionnaire with one form per order, and the CSV template
that staff type the paper answers into (comms/pretest/answers.py reads it back)."""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from comms.pretest.design import Pretest
from comms.pretest.scale import Scale, load_scale
from comms.publish.letter import set_language
from comms.publish.sheet import LOCALE
from core.catalog import load_catalog, pick
from core.errors import InputError

BOX = "☐"
ASSETS = Path(__file__).parent / "assets"
TEMPLATE_COLUMNS = ("respondent", "language", "form")
# After w:bidiVisual in a w:tblPr (ECMA-376 sequence order): Word refuses elements out of order.
AFTER_BIDI_VISUAL = ("w:tblStyleRowBandSize", "w:tblStyleColBandSize", "w:tblW", "w:jc",
                     "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout",
                     "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")  # fmt: skip


def rating_column(position: int, item: str) -> str:
    """The template's column for an item about the version at `position`: P2_pme1."""
    return f"P{position}_{item}"


def answer_template_csv(pretest: Pretest) -> bytes:
    """The heading row for typing in paper answers: respondent, language, form, P1_pme1, …;
    separated by ";" with a byte-order mark, so Excel with German settings opens it in columns."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(template_columns(pretest))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_columns(pretest: Pretest) -> list[str]:
    """Every column of the answer template, in order."""
    positions = range(1, len(pretest.versions) + 1)
    return [*TEMPLATE_COLUMNS, *(rating_column(p, i) for p in positions for i in pretest.items)]


def questionnaire_docx(pretest: Pretest, language: str) -> bytes:
    """The paper questionnaire in one language: one form per order, each on its own pages."""
    from docx import Document

    _check_language(pretest, language)
    scale = load_scale()
    document = Document()
    for form, order in enumerate(pretest.orders, start=1):
        _form(document, pretest, scale, language, form, order)
    rtl = bool(pick(load_catalog().languages, language, "language").rtl)
    locale = LOCALE.get(language, language)
    set_language(document, locale, rtl=rtl)
    if rtl:
        for table in document.tables:
            _bidi_table(table)
    document.core_properties.title = f"{scale.say('title', language)} {pretest.id}"
    document.core_properties.language = locale
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _check_language(pretest: Pretest, language: str) -> None:
    if language not in pretest.languages:
        tested = ", ".join(pretest.languages)
        raise InputError(f"Pretest '{pretest.id}' is not in '{language}'; it is in {tested}.")


def _form(
    document: Any, pretest: Pretest, scale: Scale, language: str, form: int, order: list[str]
) -> None:
    count = len(order)
    heading = document.add_heading(
        scale.say("form", language, form=form, forms=len(pretest.orders)), level=1
    )
    heading.paragraph_format.page_break_before = form > 1
    respondent = scale.say("respondent", language)
    document.add_paragraph(f"{respondent}: ____________    ({_stamp(pretest, language, form)})")
    document.add_paragraph(scale.say("intro", language, count=count))
    for position, label in enumerate(order, start=1):
        document.add_heading(scale.say("message", language, position=position, count=count), 2)
        for paragraph in _paragraphs(pretest.text(label, language)):
            document.add_paragraph(paragraph)
        document.add_paragraph(f"{scale.say('prompt', language)} {scale.say('tick', language)}")
        _ratings(document, pretest, scale, language)
    document.add_paragraph(scale.say("thanks", language))


def _stamp(pretest: Pretest, language: str, form: int) -> str:
    """What the typist copies into the template: the pretest, the language code, the form."""
    return f"{pretest.id} · {language} · {form}"


def _ratings(document: Any, pretest: Pretest, scale: Scale, language: str) -> None:
    table = document.add_table(rows=1 + len(pretest.items), cols=1 + len(scale.anchors))
    table.style = "Table Grid"
    _repeat_heading(table.rows[0])
    for column, anchor in enumerate(scale.anchors, start=1):
        table.cell(0, column).text = f"{anchor.score}\n{anchor.text[language]}"
    for row, item in enumerate(pretest.items, start=1):
        table.cell(row, 0).text = scale.item(item).text[language]
        for column in range(1, len(scale.anchors) + 1):
            table.cell(row, column).text = BOX


def _repeat_heading(row: Any) -> None:
    """The anchors' row is the table's heading: a screen reader says it, a new page repeats it."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _bidi_table(table: Any) -> None:
    """Columns run right to left in an Arabic table."""
    from docx.oxml import OxmlElement

    table._tbl.tblPr.insert_element_before(OxmlElement("w:bidiVisual"), *AFTER_BIDI_VISUAL)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r", "")) if p.strip()]


@lru_cache(maxsize=1)
def _page_template() -> Any:
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    return env.from_string((ASSETS / "questionnaire.html").read_text(encoding="utf-8"))


def questionnaire_html(pretest: Pretest, language: str) -> str:
    """The paper questionnaire as HTML (lang and dir set, every value escaped)."""
    _check_language(pretest, language)
    scale = load_scale()
    count = len(pretest.versions)
    forms = [
        {
            "heading": scale.say("form", language, form=form, forms=len(pretest.orders)),
            "stamp": _stamp(pretest, language, form),
            "messages": [
                {
                    "heading": scale.say("message", language, position=position, count=count),
                    "paragraphs": _paragraphs(pretest.text(label, language)),
                }
                for position, label in enumerate(order, start=1)
            ],
        }
        for form, order in enumerate(pretest.orders, start=1)
    ]
    return str(
        _page_template().render(
            lang=language,
            rtl=pick(load_catalog().languages, language, "language").rtl,
            title=f"{scale.say('title', language)} {pretest.id}",
            forms=forms,
            respondent=scale.say("respondent", language),
            intro=scale.say("intro", language, count=count),
            prompt=f"{scale.say('prompt', language)} {scale.say('tick', language)}",
            anchors=[f"{a.score} {a.text[language]}" for a in scale.anchors],
            items=[scale.item(item).text[language] for item in pretest.items],
            thanks=scale.say("thanks", language),
        )
    )


def questionnaire_pdf(pretest: Pretest, language: str) -> bytes:
    """The paper questionnaire as a tagged PDF/UA-1, A4, one form per page or more."""
    from weasyprint import HTML

    document = HTML(string=questionnaire_html(pretest, language), base_url=None)
    return bytes(document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=False))
