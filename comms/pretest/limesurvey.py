"""A pretest as a LimeSurvey survey: the tab-separated survey-structure format (.txt).

The format is LimeSurvey's "Tab Separated Values" survey structure, read by TSVImportSurvey in
application/helpers/admin/import_helper.php and written by tsvSurveyExport in
application/helpers/export_helper.php (LimeSurvey 4 to 6). One heading row, then S rows
(survey settings), SL rows (settings per language), then one block of G (group), Q
(question), SQ (subquestion) and A (answer option) rows per language, the base language
first. Rows belong to the group or question above them; LimeSurvey matches a group across
languages by its `type/scale` (the group order) and a question by its code within the group.
Question attributes (`hidden`) sit in their own columns, in the base language's rows only,
as LimeSurvey's own export writes them. docs/pretest.md describes the survey it makes."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re

from pydantic import BaseModel, ConfigDict

from comms.pretest.design import Pretest
from comms.pretest.scale import Scale, load_scale
from core.errors import InputError

COLUMNS = ("id", "related_id", "class", "type/scale", "name", "relevance", "text", "help",
           "language", "validation", "mandatory", "other", "default", "same_default",
           "hidden")  # fmt: skip
FORM_CODE = "FORM"  # the hidden equation question that draws and keeps the form number
INTRO_CODE = "INTRO"
QUESTION_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,19}$")  # LimeSurvey: letters/digits, ≤ 20
SUBQUESTION_CODE = re.compile(r"^[A-Za-z0-9]{1,20}$")
ANSWER_CODE = re.compile(r"^[A-Za-z0-9]{1,5}$")
CLASSES = ("S", "SL", "G", "Q", "SQ", "A")
BLOCK_CLASSES = ("G", "Q", "SQ", "A")
MANDATORY = "S"  # soft: LimeSurvey asks once for a missing rating, then lets the reader go on


def display_code(position: int, form: int) -> str:
    """The text-display question that shows form `form`'s version at `position`: P2F3."""
    return f"P{position}F{form}"


def rating_code(position: int) -> str:
    """The array question with the rating items for the version at `position`: P2."""
    return f"P{position}"


def draw_equation(forms: int) -> str:
    """Draws a form number once and keeps it when the page is shown or checked again."""
    return f"{{if(is_empty({FORM_CODE}.NAOK), rand(1,{forms}), {FORM_CODE}.NAOK)}}"


def survey_structure(pretest: Pretest) -> bytes:
    """The survey as LimeSurvey's tab-separated structure file, UTF-8 with a byte-order mark."""
    scale = load_scale()
    rows = _settings(pretest, scale)
    for index, language in enumerate(pretest.languages):
        rows += _block(pretest, scale, language, base=index == 0)
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", quotechar='"', lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([row.get(column, "") for column in COLUMNS] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def survey_filename(pretest: Pretest) -> str:
    """The name to save the structure under: LimeSurvey imports a .txt (or .tsv) file as this
    format and refuses the same text under another extension."""
    return f"pretest-{pretest.id}-limesurvey.txt"


def survey_id(pretest: Pretest) -> str:
    """Six digits 1-9 from the pretest id, the survey id LimeSurvey is asked for (its import
    reads the S row `sid`, and takes another where that one is in use)."""
    digest = hashlib.sha256(pretest.id.encode()).digest()
    return "".join(str(1 + byte % 9) for byte in digest[:6])


def _settings(pretest: Pretest, scale: Scale) -> list[dict[str, str]]:
    settings = {
        "sid": survey_id(pretest),
        "language": pretest.languages[0],
        "additional_languages": " ".join(pretest.languages[1:]),
        "format": "G",  # one group per page: the form is drawn before the first message
        "anonymized": "Y",
    }
    rows = [{"class": "S", "name": name, "text": text} for name, text in settings.items()]
    for language in pretest.languages:
        texts = {
            "surveyls_title": f"{scale.say('title', language)} {pretest.id}",
            "surveyls_endtext": _html(scale.say("thanks", language)),
        }
        rows += [
            {"class": "SL", "name": name, "text": text, "language": language}
            for name, text in texts.items()
        ]
    return rows


def _block(pretest: Pretest, scale: Scale, language: str, *, base: bool) -> list[dict[str, str]]:
    hidden = "1" if base else ""
    rows = [
        _group(1, scale.strings["title"][language], language),
        _question("X", INTRO_CODE, _html(scale.say("intro", language, count=_count(pretest))),
                  language),
        {**_question("*", FORM_CODE, draw_equation(len(pretest.orders)), language),
         "hidden": hidden},
    ]  # fmt: skip
    for position in range(1, _count(pretest) + 1):
        rows += _position(pretest, scale, language, position)
    return rows


def _position(pretest: Pretest, scale: Scale, language: str, position: int) -> list[dict[str, str]]:
    heading = scale.say("message", language, position=position, count=_count(pretest))
    rows = [_group(position + 1, heading, language)]
    for form, order in enumerate(pretest.orders, start=1):
        text = pretest.text(order[position - 1], language)
        shown = f"<p><strong>{html.escape(heading)}</strong></p>{_html(text)}"
        question = _question("X", display_code(position, form), shown, language)
        rows.append({**question, "relevance": f"{FORM_CODE} == {form}"})
    rating = _question("F", rating_code(position), _html(scale.say("prompt", language)), language)
    rows.append({**rating, "mandatory": MANDATORY})
    rows += [_row("SQ", item, _escaped(scale.item(item).text[language]), language, "0")
             for item in pretest.items]  # fmt: skip
    rows += [_row("A", str(anchor.score), _escaped(anchor.text[language]), language, "0")
             for anchor in scale.anchors]  # fmt: skip
    return rows


def _count(pretest: Pretest) -> int:
    return len(pretest.versions)


def _group(order: int, name: str, language: str) -> dict[str, str]:
    return {"class": "G", "type/scale": str(order), "name": _plain(name), "relevance": "1",
            "language": language}  # fmt: skip


def _question(kind: str, code: str, text: str, language: str) -> dict[str, str]:
    return {
        **_row("Q", code, text, language, kind),
        "relevance": "1",
        "mandatory": "N",
        "other": "N",
        "same_default": "0",
    }


def _row(cls: str, name: str, text: str, language: str, scale: str) -> dict[str, str]:
    return {"class": cls, "type/scale": scale, "name": name, "text": text, "language": language}


def _html(text: str) -> str:
    """Plain text as LimeSurvey's HTML: paragraphs, line breaks, nothing unescaped."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r", "")) if p.strip()]
    return "".join(f"<p>{_plain(html.escape(p)).replace(chr(10), '<br />')}</p>"
                   for p in paragraphs)  # fmt: skip


def _escaped(text: str) -> str:
    return _plain(html.escape(text)).replace("\n", " ")


def _plain(text: str) -> str:
    return text.replace("\t", " ").replace("\r", "")


class StructureRow(BaseModel):
    """One row of a structure file: its line number and its cells by column name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line: int
    cells: dict[str, str]

    @property
    def cls(self) -> str:
        return self.cells.get("class", "")

    @property
    def name(self) -> str:
        return self.cells.get("name", "")

    @property
    def language(self) -> str:
        return self.cells.get("language", "")


class Structure(BaseModel):
    """A structure file read back: its settings and its rows, grouped by language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: list[str]
    rows: list[StructureRow]

    @property
    def settings(self) -> dict[str, str]:
        """The S rows: survey setting name → value."""
        return {row.name: row.cells.get("text", "") for row in self.rows if row.cls == "S"}

    @property
    def languages(self) -> list[str]:
        """The base language, then the additional ones, as the S rows list them."""
        extra = self.settings.get("additional_languages", "").split()
        return [self.settings.get("language", ""), *extra]

    def block(self, language: str) -> list[StructureRow]:
        """The G, Q, SQ and A rows of one language, in file order."""
        return [r for r in self.rows if r.cls in BLOCK_CLASSES and r.language == language]

    def question(self, code: str, language: str) -> StructureRow:
        """The Q row with this code in this language (KeyError if none)."""
        for row in self.block(language):
            if row.cls == "Q" and row.name == code:
                return row
        raise KeyError(code)


def read_structure(text: str | bytes) -> Structure:
    """Parse a structure file and check it: known row classes, codes within LimeSurvey's
    limits, one block per listed language, each block the base block's twin."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter="\t", quotechar='"'))
    if not lines or "class" not in lines[0]:
        raise InputError("This is not a LimeSurvey structure file: no 'class' column heading.")
    header = lines[0]
    rows = [
        StructureRow(line=number, cells=dict(zip(header, cells, strict=False)))
        for number, cells in enumerate(lines[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    structure = Structure(header=header, rows=rows)
    for row in rows:
        _check_row(row)
    _check_blocks(structure)
    return structure


def _check_row(row: StructureRow) -> None:
    rules = {"Q": QUESTION_CODE, "SQ": SUBQUESTION_CODE, "A": ANSWER_CODE}
    if row.cls not in CLASSES:
        raise InputError(f"Line {row.line}: row class '{row.cls}' is not one Clarion writes.")
    rule = rules.get(row.cls)
    if rule and not rule.match(row.name):
        raise InputError(
            f"Line {row.line}: {row.cls} code '{row.name}' breaks LimeSurvey's code rules."
        )


def _check_blocks(structure: Structure) -> None:
    languages = structure.languages
    if not languages[0]:
        raise InputError("The S rows name no base language (the setting 'language').")
    found = list(dict.fromkeys(r.language for r in structure.rows if r.cls in BLOCK_CLASSES))
    if found != languages:
        raise InputError(f"The blocks are in {found}; the S rows list {languages}.")
    shape = [_shape(row) for row in structure.block(languages[0])]
    for language in languages[1:]:
        if [_shape(row) for row in structure.block(language)] != shape:
            raise InputError(f"The '{language}' block is not the base block's twin.")
    seen: list[str] = []
    for row in structure.rows:  # a block's rows are contiguous: no language comes back
        if row.cls in BLOCK_CLASSES and (not seen or seen[-1] != row.language):
            if row.language in seen:
                raise InputError(f"Line {row.line}: the '{seen[-1]}' block is interrupted.")
            seen.append(row.language)


def _shape(row: StructureRow) -> tuple[str, str, str, str]:
    name = "" if row.cls == "G" else row.name  # a group's name is its heading, translated
    return row.cls, row.cells.get("type/scale", ""), name, row.cells.get("relevance", "")
