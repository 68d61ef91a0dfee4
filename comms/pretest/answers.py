"""Readers' answers to a pretest, read from a file: LimeSurvey's response export or the
paper answers typed into the CSV template. Nothing here is stored; the caller keeps the ratings.

Row numbers count the heading row as row 1, as a spreadsheet shows them."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, ConfigDict

from comms.pretest.design import Pretest, Rating
from comms.pretest.questionnaire import rating_column
from comms.pretest.scale import load_scale
from core.errors import InputError

Source = Literal["limesurvey", "template"]
# A rating column: P2_pme1 in the template, P2[pme1] in LimeSurvey's export with code headings.
RATING_HEADING = re.compile(r"^P(\d+)(?:_([a-z][a-z0-9]*)|\[([a-z][a-z0-9]*)\])$")
ROLES = {  # the template's heading, then LimeSurvey's
    "respondent": ("respondent", "id"),
    "language": ("language", "startlanguage"),
    "form": ("form", "FORM"),
}
SPREADSHEETS = (".xlsx", ".xls", ".ods")


class AnswerFileError(InputError):
    """An answer file that cannot be read; the message names the row and column where known."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        where = f"Row {row}, column {column}: " if row is not None and column else ""
        super().__init__(where + message)
        self.row = row
        self.column = column


class AnswerImport(BaseModel):
    """What one answer file holds: the ratings, and the rows without any rating skipped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source
    ratings: list[Rating]
    respondents: int
    skipped: int  # rows with no rating at all, such as LimeSurvey's unfinished responses

    @property
    def summary(self) -> str:
        """One line for the person who imported the file."""
        skipped = f"; {self.skipped} rows without any rating skipped" if self.skipped else ""
        return f"{self.respondents} respondents, {len(self.ratings)} ratings{skipped}."


class _Columns(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source
    respondent: int
    language: int | None
    form: int
    ratings: dict[tuple[int, str], int]  # (position, item) -> column index
    names: list[str]


def read_answers(pretest: Pretest, data: bytes, filename: str) -> list[Rating]:
    """Every rating in a LimeSurvey response export or a filled-in answer template."""
    return read_answer_file(pretest, data, filename).ratings


def read_answer_file(pretest: Pretest, data: bytes, filename: str) -> AnswerImport:
    """The ratings of an answer file with a count of the rows skipped for having none."""
    if PurePath(filename).suffix.lower() in SPREADSHEETS:
        raise AnswerFileError(f"{filename} is a spreadsheet; save it as CSV and import that.")
    table = _table(data, filename)
    columns = _columns(pretest, table[0], filename)
    ratings: list[Rating] = []
    seen: dict[str, int] = {}  # respondent -> row: a number names one respondent in a file
    skipped = 0
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # an empty line, not a response
        found = _row(pretest, columns, cells, number, seen)
        skipped += not found
        ratings += found
    respondents = len({r.respondent for r in ratings})
    return AnswerImport(
        source=columns.source, ratings=ratings, respondents=respondents, skipped=skipped
    )


def _table(data: bytes, filename: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not table or not any(cell.strip() for cell in table[0]):
        raise AnswerFileError(f"{filename} is empty: no heading row.")
    return table


def _columns(pretest: Pretest, header: list[str], filename: str) -> _Columns:
    names = [cell.strip() for cell in header]
    ratings = {
        key: index for index, name in enumerate(names) if (key := _rating_key(name)) is not None
    }
    wanted = {(p, i) for p in range(1, len(pretest.versions) + 1) for i in pretest.items}
    if set(ratings) != wanted:
        raise AnswerFileError(_other_pretest(pretest, names, set(ratings), wanted, filename))
    roles = {role: _find(names, headings) for role, headings in ROLES.items()}
    source: Source = "limesurvey" if "FORM" in names else "template"
    for role in ("respondent", "form"):
        if roles[role] is None:
            raise AnswerFileError(f"{filename} has no column '{ROLES[role][0]}'.")
    if roles["language"] is None and len(pretest.languages) > 1:
        raise AnswerFileError(f"{filename} has no column 'language'.")
    return _Columns(
        source=source,
        respondent=roles["respondent"] or 0,
        language=roles["language"],
        form=roles["form"] or 0,
        ratings=ratings,
        names=names,
    )


def _rating_key(name: str) -> tuple[int, str] | None:
    match = RATING_HEADING.match(name)
    if not match:
        return None
    return int(match.group(1)), match.group(2) or match.group(3)


def _find(names: list[str], headings: tuple[str, ...]) -> int | None:
    for heading in headings:
        if heading in names:
            return names.index(heading)
    lowered = [name.lower() for name in names]
    return lowered.index(headings[0]) if headings[0] in lowered else None


def _other_pretest(
    pretest: Pretest,
    names: list[str],
    found: set[tuple[int, str]],
    wanted: set[tuple[int, str]],
    filename: str,
) -> str:
    if not found:
        return (
            f"{filename} has no rating columns such as "
            f"{rating_column(1, pretest.items[0])}: it is not an answer file of a pretest."
        )
    extra = sorted(found - wanted)
    missing = sorted(wanted - found)
    what = (
        f"columns for {', '.join(rating_column(*key) for key in extra[:3])}"
        if extra
        else f"no column {rating_column(*missing[0])}"
    )
    return (
        f"{filename} belongs to another pretest: it has {what}, and pretest '{pretest.id}' "
        f"asks {len(pretest.items)} items about {len(pretest.versions)} versions."
    )


def _row(
    pretest: Pretest,
    columns: _Columns,
    cells: list[str],
    number: int,
    seen: dict[str, int],
) -> list[Rating]:
    scores = {
        key: _score(_cell(cells, index), number, columns.names[index])
        for key, index in columns.ratings.items()
    }
    given = {key: score for key, score in scores.items() if score is not None}
    if not given:
        return []
    respondent = _respondent(cells, columns, number)
    language = _language(pretest, cells, columns, number)
    form = _form(pretest, cells, columns, number)
    if respondent in seen:
        raise AnswerFileError(
            f"'{respondent}' is there twice (first in row {seen[respondent]}).",
            number,
            columns.names[columns.respondent],
        )
    seen[respondent] = number
    order = pretest.orders[form - 1]
    return [
        Rating(respondent=respondent, language=language, form=form, position=position,
               version=order[position - 1], item=item, score=score)
        for (position, item), score in sorted(given.items())
    ]  # fmt: skip


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _score(value: str, row: int, column: str) -> int | None:
    if not value:
        return None
    scale = load_scale()
    number = _integer(value)
    if number is None:  # LimeSurvey's export with full answers writes the anchor's words
        number = next((a.score for a in scale.anchors if value in a.text.values()), None)
    if number not in scale.scores:
        top = scale.scores[-1]
        raise AnswerFileError(f"'{value}' is not a rating from 1 to {top}.", row, column)
    return number


def _integer(value: str) -> int | None:
    """A whole number, also as LimeSurvey writes numbers: "2.0000000000"."""
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() else None


def _respondent(cells: list[str], columns: _Columns, row: int) -> str:
    value = _cell(cells, columns.respondent)
    if not value:
        raise AnswerFileError("the respondent number is empty.", row, _name(columns, "respondent"))
    return value


def _language(pretest: Pretest, cells: list[str], columns: _Columns, row: int) -> str:
    if columns.language is None:
        return pretest.languages[0]
    value = _cell(cells, columns.language)
    if not value and len(pretest.languages) == 1:
        return pretest.languages[0]
    if value not in pretest.languages:
        tested = ", ".join(pretest.languages)
        raise AnswerFileError(
            f"'{value}' is not a language of this pretest ({tested}).",
            row,
            columns.names[columns.language],
        )
    return value


def _form(pretest: Pretest, cells: list[str], columns: _Columns, row: int) -> int:
    value = _cell(cells, columns.form)
    form = _integer(value) if value else None
    forms = len(pretest.orders)
    if form is None or not 1 <= form <= forms:
        raise AnswerFileError(
            f"'{value}' is not a form number from 1 to {forms}.", row, _name(columns, "form")
        )
    return form


def _name(columns: _Columns, role: str) -> str:
    return columns.names[columns.respondent if role == "respondent" else columns.form]
