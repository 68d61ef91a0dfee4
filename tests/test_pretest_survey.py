"""The pretest kit (comms/pretest/): the scale as data, the Williams-design orders, the
LimeSurvey structure file, the paper questionnaire and template, and reading answers back."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn

from comms.pretest.answers import AnswerFileError, read_answer_file, read_answers
from comms.pretest.design import Pretest, Rating, TestVersion, design_pretest, williams_orders
from comms.pretest.limesurvey import (
    ANSWER_CODE,
    FORM_CODE,
    QUESTION_CODE,
    SUBQUESTION_CODE,
    display_code,
    draw_equation,
    rating_code,
    read_structure,
    survey_filename,
    survey_id,
    survey_structure,
)
from comms.pretest.questionnaire import (
    answer_template_csv,
    questionnaire_docx,
    questionnaire_html,
    questionnaire_pdf,
    template_columns,
)
from comms.pretest.scale import SCALE_FILE, load_scale
from comms.publish.conformance import docx_problems, heading_levels, html_problems, pdf_problems
from core.errors import ConfigError, InputError

LANGUAGES = ["de", "en", "tr", "ar", "uk", "ru"]


def versions(count: int, languages: list[str] = LANGUAGES) -> list[TestVersion]:
    """count versions, each text naming its label and language so a test can find it."""
    return [
        TestVersion(
            label=label,
            variant=index + 1,
            texts={
                lang: f"Version {label} ({lang}): Impfen schützt.\n\nZweiter Absatz {label}."
                for lang in languages
            },
        )
        for index, label in enumerate("ABCD"[:count])
    ]


def pretest(count: int = 3, langs: list[str] | None = None, **changes: object) -> Pretest:
    languages = langs or ["de", "ar"]
    arguments: dict = {
        "id": "masern-sms-1",
        "campaign_id": "masern-2027",
        "audience": "parents-infants",
        "channel": "sms",
        "versions": versions(count, languages),
        "languages": languages,
        "created_by": "amt",
        "created_at": "2026-12-04T19:00:00Z",
    }
    return design_pretest(**{**arguments, **changes})


# --- the scale ------------------------------------------------------------------------------


def test_the_scale_has_three_primary_pme_items_then_two_message_perception_items() -> None:
    scale = load_scale()
    assert [(i.id, i.kind) for i in scale.items] == [
        ("pme1", "primary"),
        ("pme2", "primary"),
        ("pme3", "primary"),
        ("clear", "secondary"),
        ("believable", "secondary"),
    ]
    assert scale.scores == [1, 2, 3, 4, 5]
    assert set(scale.languages) == set(LANGUAGES)
    assert all(i.adapted_from for i in scale.items if i.kind == "primary")


def test_no_language_claims_a_validation_the_vaccination_wording_does_not_have() -> None:
    scale = load_scale()
    assert not any(v.validated for v in scale.languages.values())
    assert "not validated" in scale.languages["en"].note
    assert all("not validated" in v.note for v in scale.languages.values())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["items"][0]["text"].pop("tr"), "item pme1 lacks tr"),
        (lambda d: d["items"][0].update(colour="red"), "colour"),
        (lambda d: d["anchors"].pop(2), "anchor scores must run"),
        (lambda d: d["items"].reverse(), "primary items come before secondary"),
        (lambda d: d["strings"]["message"].update(de="Nachricht {position}"), "string message"),
        (lambda d: d["languages"]["de"].pop("note"), "note"),
    ],
)
def test_a_broken_scale_file_is_a_config_error_naming_the_problem(
    tmp_path: Path, change, message: str
) -> None:
    data = yaml.safe_load(SCALE_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "scale.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_scale(path)


# --- the design -----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "orders"), [(2, 2), (3, 6), (4, 4)])
def test_williams_orders_balance_positions_and_first_order_carry_over(
    count: int, orders: int
) -> None:
    square = williams_orders(count)
    assert len(square) == orders
    assert all(sorted(order) == list(range(count)) for order in square)
    per_position = [Counter(order[p] for order in square) for p in range(count)]
    assert all(set(c.values()) == {orders // count} for c in per_position)
    pairs = Counter(pair for order in square for pair in itertools.pairwise(order))
    assert set(pairs) == {(a, b) for a in range(count) for b in range(count) if a != b}
    assert len(set(pairs.values())) == 1  # every ordered pair follows equally often


def test_design_labels_the_orders_and_keeps_the_scale_order_of_items() -> None:
    test = pretest(4, items=["believable", "pme1"])
    assert test.orders == [["A", "B", "D", "C"], ["B", "C", "A", "D"],
                           ["C", "D", "B", "A"], ["D", "A", "C", "B"]]  # fmt: skip
    assert test.items == ["pme1", "believable"]
    assert pretest(2).items == ["pme1", "pme2", "pme3", "clear", "believable"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"versions": versions(1, ["de"])}, "compares 2 to 4 versions, not 1"),
        ({"versions": versions(4, ["de"]) + versions(1, ["de"])}, "not 5"),
        ({"versions": versions(3, ["de"])[::-1]}, "labels are C, B, A; they must be A, B, C"),
        (
            {"versions": versions(3, ["de"]), "languages": ["de", "tr"]},
            "Version A has no text in 'tr'",
        ),
        ({"languages": ["de", "fr"], "versions": versions(3, ["de", "fr"])}, "no wording in 'fr'"),
        ({"languages": ["de", "de"]}, "listed twice"),
        ({"languages": []}, "at least one language"),
        ({"id": "Masern SMS"}, "pretest id 'Masern SMS' is not usable"),
        ({"campaign_id": ""}, "campaign id '' is not usable"),
        ({"audience": "martians"}, "Unknown audience 'martians'"),
        ({"channel": "fax"}, "Unknown channel 'fax'"),
        ({"items": ["pme1", "funny"]}, "Unknown rating item 'funny'"),
        ({"items": []}, "at least one rating item"),
    ],
)
def test_a_bad_design_is_an_input_error_that_says_what_to_fix(changes: dict, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        pretest(3, ["de"], **changes)


def test_a_blank_text_counts_as_missing() -> None:
    blank = [v.model_copy(update={"texts": {"de": "  "}}) for v in versions(2, ["de"])]
    with pytest.raises(InputError, match="Version A has no text in 'de'"):
        pretest(2, ["de"], versions=blank)


# --- LimeSurvey structure -------------------------------------------------------------------


@pytest.fixture(scope="module")
def six_forms() -> Pretest:
    return pretest(3, ["de", "en", "ar"])


def test_the_structure_file_has_one_block_per_language_base_first(six_forms: Pretest) -> None:
    data = survey_structure(six_forms)
    assert data.startswith("\ufeff".encode())
    structure = read_structure(data)
    assert structure.header[:3] == ["id", "related_id", "class"]
    assert structure.settings["language"] == "de"
    assert structure.settings["additional_languages"] == "en ar"
    assert structure.languages == ["de", "en", "ar"]
    classes = [row.cls for row in structure.rows]
    assert classes[:5] == ["S"] * 5
    assert structure.settings["sid"] == survey_id(six_forms)
    assert survey_filename(six_forms) == "pretest-masern-sms-1-limesurvey.txt"
    assert re.fullmatch(r"[1-9]{6}", survey_id(six_forms))
    assert survey_id(pretest(2, id="masern-sms-2")) != survey_id(six_forms)
    assert Counter(classes)["SL"] == 3 * 2
    blocks = [structure.block(language) for language in structure.languages]
    assert len({len(block) for block in blocks}) == 1
    # per block: 4 groups, INTRO + FORM + 3 positions × (6 displays + 1 array), 5 SQ and 5 A each
    assert Counter(row.cls for row in blocks[0]) == {"G": 4, "Q": 2 + 3 * 7, "SQ": 15, "A": 15}


def test_every_code_keeps_within_limesurveys_limits(six_forms: Pretest) -> None:
    structure = read_structure(survey_structure(six_forms))
    rules = {"Q": QUESTION_CODE, "SQ": SUBQUESTION_CODE, "A": ANSWER_CODE}
    checked = [row for row in structure.rows if row.cls in rules]
    assert len(checked) == 3 * (23 + 15 + 15)
    assert all(rules[row.cls].fullmatch(row.name) for row in checked)
    assert max(len(row.name) for row in checked if row.cls == "Q") <= 20
    assert max(len(row.name) for row in checked if row.cls == "A") <= 5


def test_the_form_is_drawn_once_from_the_number_of_orders_and_hidden(six_forms: Pretest) -> None:
    structure = read_structure(survey_structure(six_forms))
    form = structure.question(FORM_CODE, "de")
    assert form.cells["type/scale"] == "*"
    assert form.cells["text"] == "{if(is_empty(FORM.NAOK), rand(1,6), FORM.NAOK)}"
    assert form.cells["text"] == draw_equation(6)
    assert form.cells["hidden"] == "1"
    assert structure.question(FORM_CODE, "ar").cells["hidden"] == ""  # attributes: base only


def test_each_position_shows_each_forms_version_once_then_its_ratings(six_forms: Pretest) -> None:
    structure = read_structure(survey_structure(six_forms))
    for language, form, position in itertools.product(["de", "ar"], range(1, 7), range(1, 4)):
        label = six_forms.orders[form - 1][position - 1]
        shown = structure.question(display_code(position, form), language)
        assert shown.cells["type/scale"] == "X"
        assert shown.cells["relevance"] == f"FORM == {form}"
        assert f"Version {label} ({language})" in shown.cells["text"]
        others = set("ABC") - {label}
        assert not any(f"Version {o} " in shown.cells["text"] for o in others)
    block = structure.block("de")
    rating = structure.question(rating_code(2), "de")
    after = block[block.index(rating) + 1 :][:10]
    assert [r.name for r in after] == [*six_forms.items, "1", "2", "3", "4", "5"]
    assert after[0].cells["text"].startswith("Wie sehr macht Ihnen diese Nachricht Sorgen")
    assert structure.block("ar")[-1].cells["text"] == "كثيرًا جدًا"


def test_message_text_is_escaped_html_in_one_line() -> None:
    texts = {"de": 'Er sagte "<b>ja</b>"\tund ging.\nNeue Zeile.'}
    odd = [TestVersion(label=label, variant=1, texts=texts) for label in "AB"]
    structure = read_structure(survey_structure(pretest(2, ["de"], versions=odd)))
    text = structure.question(display_code(1, 1), "de").cells["text"]
    assert "&quot;&lt;b&gt;ja&lt;/b&gt;&quot; und ging.<br />Neue Zeile." in text
    assert "\t" not in text and "\n" not in text


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("\tQ\tF\tP1\t", "\tQ\tF\t1P\t", "Q code '1P' breaks"),
        ("\tQ\tX\tP1F1\t", "\tQ\tX\tP1_F1\t", "Q code 'P1_F1' breaks"),
        ("\tA\t0\t5\t", "\tA\t0\tfive55\t", "A code 'five55' breaks"),
        ("\tSQ\t0\tpme1\t", "\tSQ\t0\tpme-1\t", "SQ code 'pme-1' breaks"),
        ("\tS\t\tadditional_languages\t\tar", "\tS\t\tadditional_languages\t\ttr", "S rows list"),
        ("\tG\t1\t", "\tGX\t1\t", "row class 'GX'"),
    ],
)
def test_the_structure_reader_refuses_what_limesurvey_would_not_take(
    old: str, new: str, message: str
) -> None:
    text = survey_structure(pretest(2, ["de", "ar"])).decode("utf-8-sig")
    assert old in text
    with pytest.raises(InputError, match=message):
        read_structure(text.replace(old, new, 1))


def test_a_block_that_differs_from_the_base_block_is_refused() -> None:
    text = survey_structure(pretest(2, ["de", "ar"])).decode("utf-8-sig")
    lines = text.splitlines()
    arabic = next(
        i for i, line in enumerate(lines) if "\tQ\tX\tP1F2\t" in line and "\tar\t" in line
    )
    with pytest.raises(InputError, match="'ar' block is not the base block's twin"):
        read_structure("\n".join(lines[:arabic] + lines[arabic + 1 :]))


# --- paper questionnaire --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "ar"])
def test_the_questionnaire_has_one_form_per_order_each_listing_every_version_once(
    six_forms: Pretest, language: str
) -> None:
    data = questionnaire_docx(six_forms, language)
    document = Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    forms = [h for h in headings if h in _form_headings(language)]
    assert forms == _form_headings(language)
    assert heading_levels(document) == [1, 2, 2, 2] * 6
    texts = [p.text for p in document.paragraphs]
    starts = [texts.index(h) for h in forms] + [len(texts)]
    for form, (start, end) in enumerate(itertools.pairwise(starts)):
        shown = [t[8] for t in texts[start:end] if t.startswith("Version ")]
        assert shown == six_forms.orders[form]
    stamps = [t for t in texts if t.endswith(")") and "masern-sms-1 · " in t]
    assert [s.rsplit("(", 1)[1] for s in stamps] == [
        f"masern-sms-1 · {language} · {k})" for k in range(1, 7)
    ]
    assert len(document.tables) == 6 * 3
    assert len(document.tables[0].rows) == 1 + len(six_forms.items)
    assert document.tables[0].cell(1, 3).text == "☐"


@pytest.mark.parametrize("write", [questionnaire_docx, questionnaire_html, questionnaire_pdf])
def test_a_questionnaire_in_a_language_not_tested_is_refused(write) -> None:
    with pytest.raises(InputError, match="Pretest 'masern-sms-1' is not in 'tr'; it is in de, ar"):
        write(pretest(2, ["de", "ar"]), "tr")


def _form_headings(language: str) -> list[str]:
    scale = load_scale()
    return [scale.say("form", language, form=k, forms=6) for k in range(1, 7)]


@pytest.mark.parametrize(("language", "locale"), [("de", "de-DE"), ("ar", "ar"), ("uk", "uk-UA")])
def test_the_questionnaire_sets_its_language_on_every_run(language: str, locale: str) -> None:
    test = pretest(2, ["de", "ar", "uk"])
    data = questionnaire_docx(test, language)
    problems = docx_problems(data, locale)
    assert [p for p in problems if "table" not in p] == []
    document = Document(io.BytesIO(data))
    assert document.core_properties.language == locale
    body = document.element.body
    rtl = [run.find(f"{qn('w:rPr')}/{qn('w:rtl')}") is not None for run in body.iter(qn("w:r"))]
    assert all(rtl) if language == "ar" else not any(rtl)
    bidi_tables = list(body.iter(qn("w:bidiVisual")))
    assert len(bidi_tables) == (len(document.tables) if language == "ar" else 0)


def test_the_pdf_questionnaire_is_tagged_and_starts_each_form_on_a_new_page() -> None:
    from pypdf import PdfReader

    test = pretest(2, ["de", "ar"])
    assert html_problems(questionnaire_html(test, "ar"), "ar", rtl=True) == []
    pdf = questionnaire_pdf(test, "de")
    assert pdf_problems(pdf, "de") == []
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    firsts = [i for i, text in enumerate(pages) if "Bogen " in text]
    assert [pages[i].split("Bogen ")[1][:8] for i in firsts] == ["1 von 2\n", "2 von 2\n"]
    assert "Version B (de)" in "".join(pages[firsts[1] :]).split("Nachricht 2 von 2")[0]


# --- the CSV template and reading answers ---------------------------------------------------


def test_the_template_has_a_column_per_position_and_item() -> None:
    test = pretest(3, ["de"], items=["pme1", "clear"])
    data = answer_template_csv(test)
    assert data.startswith("\ufeff".encode())
    heading = data.decode("utf-8-sig").strip()
    assert heading == ("respondent;language;form;P1_pme1;P1_clear;P2_pme1;P2_clear;"
                       "P3_pme1;P3_clear")  # fmt: skip
    assert heading.split(";") == template_columns(test)


def simulated(test: Pretest, respondents: int, seed: int = 7) -> tuple[bytes, list[Rating]]:
    """A filled-in template: version B is rated one point higher; the truth it was made from."""
    rng = np.random.default_rng(seed)
    lines = [template_columns(test)]
    truth = []
    for number in range(1, respondents + 1):
        language = test.languages[number % len(test.languages)]
        form = number % len(test.orders) + 1
        row = [str(number), language, str(form)]
        for position, label in enumerate(test.orders[form - 1], start=1):
            for item in test.items:
                score = int(np.clip(np.round(rng.normal(3.0 + (label == "B"), 0.8)), 1, 5))
                row.append(str(score))
                truth.append(Rating(respondent=str(number), language=language, form=form,
                                    position=position, version=label, item=item, score=score))  # fmt: skip
        lines.append(row)
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(lines)
    return ("\ufeff" + out.getvalue()).encode("utf-8"), truth


def test_a_filled_template_reads_back_exactly_what_was_written() -> None:
    test = pretest(3, ["de", "tr"])
    data, truth = simulated(test, respondents=60)
    result = read_answer_file(test, data, "antworten.csv")
    assert result.source == "template"
    assert sorted(result.ratings, key=_key) == sorted(truth, key=_key)
    assert (result.respondents, result.skipped) == (60, 0)
    assert len(result.ratings) == 60 * 3 * 5
    means = {v: np.mean([r.score for r in result.ratings if r.version == v]) for v in "ABC"}
    assert means["B"] - max(means["A"], means["C"]) > 0.6  # the simulated effect survives
    forms = Counter(r.form for r in result.ratings if r.position == 1 and r.item == "pme1")
    assert set(forms) == set(range(1, 7))


def _key(rating: Rating) -> tuple:
    return rating.respondent, rating.language, rating.position, rating.item


def limesurvey_export(test: Pretest) -> bytes:
    """A response export as LimeSurvey writes it with code headings: ";" and a BOM, the
    equation's number with decimals, one unfinished response without ratings."""
    ratings = [f"P{p}[{i}]" for p in range(1, 3) for i in test.items]
    heading = ["id", "submitdate", "lastpage", "startlanguage", "seed", "FORM", *ratings]
    rows = [
        ["11", "2026-12-01 10:00:00", "3", "de", "123", "2.0000000000", *["4", "5"] * 5],
        ["12", "", "1", "en", "456", "1.0000000000", *[""] * 10],
        ["13", "2026-12-01 11:00:00", "3", "en", "789", "1", *["1"] * 5, *["2"] * 5],
    ]
    out = io.StringIO()
    csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL).writerows([heading, *rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_a_limesurvey_export_with_semicolons_and_a_bom_maps_forms_to_versions() -> None:
    test = pretest(2, ["de", "en"])
    result = read_answer_file(test, limesurvey_export(test), "results-survey123456.csv")
    assert result.source == "limesurvey"
    assert (result.respondents, result.skipped) == (2, 1)
    assert "1 rows without any rating skipped" in result.summary
    first = [r for r in result.ratings if r.respondent == "11"]
    assert {(r.form, r.position, r.version) for r in first} == {(2, 1, "B"), (2, 2, "A")}
    assert Counter(r.score for r in first if r.version == "B") == {4: 3, 5: 2}
    later = [r for r in result.ratings if r.respondent == "13" and r.position == 2]
    assert {(r.version, r.score, r.language) for r in later} == {("B", 2, "en")}


def test_comma_separated_full_answer_text_reads_too() -> None:
    test = pretest(2, ["de"], items=["pme1"])
    data = "id,startlanguage,FORM,P1[pme1],P2[pme1]\n5,de,1,Ziemlich,Naja, sehr\n"
    with pytest.raises(AnswerFileError):  # an unquoted comma inside a cell shifts the columns
        read_answers(test, data.encode(), "r.csv")
    good = 'id,startlanguage,FORM,P1[pme1],P2[pme1]\n5,de,1,Ziemlich,"Einigermaßen"\n'
    assert [r.score for r in read_answers(test, good.encode(), "r.csv")] == [4, 3]


def filled(test: Pretest, row: list[str]) -> bytes:
    return "\n".join([";".join(template_columns(test)), ";".join(row)]).encode()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["1", "de", "1", "9", "3", "3", "3"],
            "Row 2, column P1_pme1: '9' is not a rating from 1 to 5",
        ),
        (
            ["1", "de", "1", "3", "3", "3", "x"],
            "Row 2, column P2_clear: 'x' is not a rating from 1 to 5",
        ),
        (["1", "de", "1", "3", "0", "3", "3"], "Row 2, column P1_clear: '0' is not a rating"),
        (["1", "de", "1", "3", "3.5", "3", "3"], "Row 2, column P1_clear: '3.5' is not a rating"),
        (
            ["1", "de", "3", "3", "3", "3", "3"],
            "Row 2, column form: '3' is not a form number from 1 to 2",
        ),
        (["1", "de", "", "3", "3", "3", "3"], "Row 2, column form: '' is not a form number"),
        (
            ["1", "fr", "1", "3", "3", "3", "3"],
            "Row 2, column language: 'fr' is not a language of this pretest",
        ),
        (
            ["", "de", "1", "3", "3", "3", "3"],
            "Row 2, column respondent: the respondent number is empty",
        ),
    ],
)
def test_every_bad_cell_names_its_row_and_column(row: list[str], message: str) -> None:
    test = pretest(2, ["de", "tr"], items=["pme1", "clear"])
    with pytest.raises(AnswerFileError, match=message) as caught:
        read_answers(test, filled(test, row), "antworten.csv")
    assert caught.value.row == 2
    assert caught.value.column == message.split("column ")[1].split(":")[0]


def test_a_respondent_entered_twice_is_refused_naming_both_rows() -> None:
    test = pretest(2, ["de", "en"], items=["pme1"])
    lines = [";".join(template_columns(test)), "7;de;1;3;4", "8;de;2;3;4", "7;en;2;5;5"]
    with pytest.raises(
        AnswerFileError, match=r"Row 4, column respondent: '7' is there twice \(first in row 2\)"
    ):
        read_answers(test, "\n".join(lines).encode(), "a.csv")


def test_blank_lines_are_ignored_and_a_single_language_may_be_left_empty() -> None:
    test = pretest(2, ["de"], items=["pme1"])
    lines = [";".join(template_columns(test)), "1;;1;3;4", ";;;;", "2;de;2;;5", "3;de;1;;"]
    result = read_answer_file(test, "\n".join(lines).encode("cp1252"), "a.csv")
    assert [(r.respondent, r.language, r.version, r.score) for r in result.ratings] == [
        ("1", "de", "A", 3), ("1", "de", "B", 4), ("2", "de", "A", 5),
    ]  # fmt: skip
    assert result.skipped == 1


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        (
            "respondent;language;form;P1_pme1;P2_pme1;P3_pme1",
            "belongs to another pretest: it has columns for P3_pme1",
        ),
        (
            "respondent;language;form;P1_pme1",
            "belongs to another pretest: it has no column P2_pme1",
        ),
        ("name;age;town", "no rating columns such as P1_pme1: it is not an answer file"),
        ("respondent;language;P1_pme1;P2_pme1", "has no column 'form'"),
        ("language;form;P1_pme1;P2_pme1", "has no column 'respondent'"),
        ("", "is empty"),
    ],
)
def test_a_file_of_another_pretest_or_none_is_named_as_such(heading: str, message: str) -> None:
    test = pretest(2, ["de", "en"], items=["pme1"])
    with pytest.raises(AnswerFileError, match=message):
        read_answers(test, (heading + "\n1;de;1;3;3\n").encode(), "other.csv")


def test_a_spreadsheet_is_refused_with_what_to_do() -> None:
    with pytest.raises(AnswerFileError, match="save it as CSV"):
        read_answers(pretest(2, ["de"]), b"PK\x03\x04", "antworten.xlsx")


def test_a_block_that_comes_back_after_another_language_is_refused() -> None:
    text = survey_structure(pretest(2, ["de", "ar"])).decode("utf-8-sig")
    lines = text.splitlines()
    last_german = max(i for i, line in enumerate(lines) if "\tde\t" in line)
    first_arabic = next(i for i, line in enumerate(lines) if "\tG\t" in line and "\tar\t" in line)
    assert last_german == first_arabic - 1
    moved = [
        *lines[:last_german],
        lines[first_arabic],
        lines[last_german],
        *lines[first_arabic + 1 :],
    ]
    with pytest.raises(InputError, match="the 'ar' block is interrupted"):
        read_structure("\n".join(moved))
    short = "id\tclass\tname\n\tS\tlanguage\n\tG\n"
    with pytest.raises(InputError, match="no base language"):
        read_structure(short)
