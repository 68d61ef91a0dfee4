"""The pretest kit (comms/pretest/): the scale as data, the Williams-design orders, the
LimeSurvey structure file, the paper questionnaire and template, and reading answers back."""

from __future__ import annotations

import io
import itertools
from collections import Counter
from pathlib import Path

import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn

from comms.pretest.design import Pretest, TestVersion, design_pretest, williams_orders
from comms.pretest.limesurvey import (
    ANSWER_CODE,
    FORM_CODE,
    QUESTION_CODE,
    SUBQUESTION_CODE,
    display_code,
    draw_equation,
    rating_code,
    read_structure,
    survey_structure,
)
from comms.pretest.questionnaire import answer_template_csv, questionnaire_docx, template_columns
from comms.pretest.scale import SCALE_FILE, load_scale
from comms.publish.conformance import docx_problems, heading_levels
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
    assert classes[:4] == ["S"] * 4
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
    assert after[0].cells["text"].startswith("Diese Nachricht macht mich besorgt")
    assert structure.block("ar")[-1].cells["text"] == "أوافق بشدة"


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
    assert len(document.tables) == 6 * 3
    assert len(document.tables[0].rows) == 1 + len(six_forms.items)
    assert document.tables[0].cell(1, 3).text == "☐"


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


# --- the CSV template and reading answers ---------------------------------------------------


def test_the_template_has_a_column_per_position_and_item() -> None:
    test = pretest(3, ["de"], items=["pme1", "clear"])
    data = answer_template_csv(test)
    assert data.startswith("\ufeff".encode())
    heading = data.decode("utf-8-sig").strip()
    assert heading == ("respondent;language;form;P1_pme1;P1_clear;P2_pme1;P2_clear;"
                       "P3_pme1;P3_clear")  # fmt: skip
    assert heading.split(";") == template_columns(test)
