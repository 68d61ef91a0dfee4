"""The message linter: every item passes and fails where it should, in several languages."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from pydantic import ValidationError

from comms.checks.lint import LintContext, LintItem, LintReport, lint, score_items
from comms.checks.numbers import find_numbers, find_ungrounded, normalise_number
from comms.checks.readability import _textstat_metric, measure_readability
from comms.checks.sentences import split_sentences, split_words

DE_GOOD = (
    "Die Masern-Impfung schützt Ihr Kind. Sie ist gut verträglich. "
    "Vereinbaren Sie einen Termin in Ihrer Kinderarztpraxis."
)
EN_GOOD = "The measles shot keeps your child safe. It is free. Call your doctor to book a visit."
DE_HARD = (
    "Die Ständige Impfkommission empfiehlt die zweimalige Immunisierung gegen Masern, Mumps und "
    "Röteln im Kleinkindalter, wobei die Grundimmunisierung entsprechend den aktuellen "
    "Empfehlungen spätestens bis zum vollendeten zweiten Lebensjahr abgeschlossen sein sollte."
)
EN_HARD = (
    "Immunization against measles, mumps, and rubella is recommended by the Advisory Committee on "
    "Immunization Practices for all children, with the first dose administered at twelve to "
    "fifteen months of age and the second dose administered at four to six years of age."
)
LONG_DE = " ".join(["Die Impfung schützt Kinder"] * 7) + "."  # 28 words


def context(language: str = "de", **changes: Any) -> LintContext:
    values: dict[str, Any] = {
        "language": language, "channel": "social", "max_chars": 500, "grade": 8, "citations": 1,
    }  # fmt: skip
    return LintContext(**(values | changes))


def check(text: str, item_id: str, language: str = "de", **changes: Any) -> LintItem:
    return lint(text, context(language, **changes)).item(item_id)


def expect(item: LintItem, passed: bool, reason: str) -> None:
    assert item.passed is passed, item.reason
    assert reason in item.reason


@pytest.mark.parametrize(
    ("language", "text", "changes", "passed", "reason"),
    [
        ("de", DE_GOOD, {}, True, 'Sentence 1 carries the main message: "Die Masern-Impfung'),
        (
            "de",
            "Hallo! Die Impfung schützt.",
            {},
            False,
            'Sentence 1 is only a greeting ("Hallo!")',
        ),
        ("de", "Guten Tag, liebe Eltern! Impfen schützt.", {}, False, "only a greeting"),
        ("de", "Ist die Impfung sicher? Ja.", {}, False, "Sentence 1 is a question"),
        ("de", LONG_DE, {}, False, "Sentence 1 has 28 words; a main message needs at most 25"),
        (
            "de",
            "Liebe Eltern,\nDie Masern-Impfung schützt Ihr Kind.",
            {},
            True,
            "Sentence 2 carries",
        ),
        (
            "de",
            "Ist sie sicher?\nJa, die Impfung ist sicher.",
            {"channel": "faq"},
            True,
            "Sentence 2",
        ),
        ("de", "Ist sie sicher?\nJa, die Impfung ist sicher.", {}, False, "is a question"),
        ("de", "Die Impfung schützt.", {"topic_keywords": ("masern",)}, False, "(none of: masern)"),
        ("de", "Die Masernimpfung schützt.", {"topic_keywords": ("masern",)}, True, "carries"),
        ("de", "", {}, False, "There is no sentence"),
        ("en", EN_GOOD, {}, True, "Sentence 1 carries the main message"),
        ("en", "Hello there! The shot is safe.", {}, False, "Sentence 1 is only a greeting"),
        ("en", "Dear parents,\nThe measles shot is safe.", {}, True, "Sentence 2 carries"),
        ("en", "Is the measles shot safe? Yes.", {}, False, "is a question; open with the answer"),
        ("en", "The shot is safe.", {"topic_keywords": ("measles", "MMR")}, False, "measles, MMR"),
        ("ar", "هل اللقاح آمن؟ نعم.", {}, False, "is a question"),
    ],
)
def test_main_message_first(
    language: str, text: str, changes: dict[str, Any], passed: bool, reason: str
) -> None:
    expect(check(text, "main_message_first", language, **changes), passed, reason)


@pytest.mark.parametrize(
    ("language", "text", "passed", "reason"),
    [
        ("de", "Vereinbaren Sie einen Termin.", True, 'Call to action: "Vereinbaren Sie"'),
        ("de", "Rufen Sie uns an.", True, '"Rufen Sie"'),
        ("de", "Kommen Sie in die Praxis.", True, '"Kommen Sie"'),
        (
            "de",
            "Die Impfung ist sicher.",
            False,
            'No call to action; tell readers what to do ("ver',
        ),
        ("en", "Book your appointment today.", True, '"Book"'),
        ("en", "Call your doctor.", True, '"Call"'),
        ("en", "The vaccine is safe.", False, 'No call to action; tell readers what to do ("book"'),
        ("tr", "Randevu alın.", True, '"Randevu alın"'),
        ("ar", "احجزوا موعدكم.", True, '"احجزوا"'),
        ("uk", "Запишіться до лікаря.", True, '"Запишіться"'),
        ("ru", "Вакцина безопасна.", False, "No call to action"),
    ],
)
def test_call_to_action(language: str, text: str, passed: bool, reason: str) -> None:
    expect(check(text, "call_to_action", language), passed, reason)


@pytest.mark.parametrize(
    ("text", "changes", "passed", "reason"),
    [
        ("a" * 500, {}, True, "500 characters; the social channel allows 500."),
        ("a" * 501, {}, False, "501 characters; the social channel allows 500."),
        ("a" * 306, {"channel": "sms"}, True, "SMS in GSM-7: 306 units, 2 segments of 153"),
        ("a" * 307, {"channel": "sms"}, False, "GSM-7: 307 units, 3 segments of 153; at most 2"),
        ("€" * 152, {"channel": "sms"}, True, "304 units, 2 segments"),
        ("€" * 153, {"channel": "sms"}, False, "306 units, 3 segments"),  # 76 + 76 + 1 pairs
        ("ş" * 134, {"channel": "sms"}, True, "SMS in UCS-2: 134 units, 2 segments of 67"),
        ("ş" * 135, {"channel": "sms"}, False, "UCS-2: 135 units, 3 segments of 67"),
        ("😀" * 68, {"channel": "sms"}, False, "UCS-2: 136 units, 3 segments"),
        ("a" * 160, {"channel": "sms"}, True, "160 units, 1 segment of 160"),
        ("a" * 200, {"channel": "text", "sms": True}, True, "SMS in GSM-7"),
        ("a" * 200, {"channel": "sms", "sms": False, "max_chars": 150}, False, "200 characters"),
    ],
)
def test_length(text: str, changes: dict[str, Any], passed: bool, reason: str) -> None:
    item = check(text, "length", **changes)
    expect(item, passed, reason)
    assert item.severity == "error"


EINFACH_15 = "Die Impfung gegen Masern schützt Ihr Kind und andere Kinder in der Kita sehr gut."
EINFACH_16 = (
    "Die Impfung gegen Masern schützt Ihr Kind und auch andere Kinder in der Kita sehr gut."
)
LEICHT_10 = "Die Impfung schützt Ihr Kind gut vor der Krankheit Masern."
LEICHT_11 = "Die Impfung schützt Ihr Kind sehr gut vor der Krankheit Masern."
LONG_UK = " ".join(["Щеплення захищає дітей і дорослих від хвороби"] * 4) + "."  # 28 words


@pytest.mark.parametrize(
    ("language", "text", "grade", "passed", "reason"),
    [
        ("de", DE_GOOD, 8, True, "Wiener Sachtextformel"),
        ("de", DE_HARD, 8, False, "the audience reads at grade 8, up to 9 accepted"),
        ("en", EN_GOOD, 8, True, "Flesch-Kincaid grade"),
        ("en", EN_HARD, 8, False, "the audience reads at grade 8, up to 9 accepted"),
        ("de-einfach", "Impfen schützt. " + EINFACH_15, 5, True, "at most 15 words"),
        ("de-einfach", "Impfen schützt. " + EINFACH_16, 5, False,
         "Sentence 2 has 16 words; Einfache Sprache allows 15."),
        ("de-einfach", "Kinder bekommen z. B. zwei Impfungen. Dr. Roth impft ca. 1.000 Kinder.",
         5, True, "Einfache Sprache"),
        ("de-leicht", LEICHT_10 + " Das ist gut.", 4, True, "one statement each"),
        ("de-leicht", LEICHT_11, 4, False, "Sentence 1 has 11 words; Leichte Sprache allows 10"),
        ("de-leicht", "Rufen Sie an, weil wir helfen.", 4, False,
         "Sentence 1 has more than one statement (\", weil\")"),
        ("de-leicht", "Das Kind, das geimpft ist, ist geschützt.", 4, False, '(", das")'),
        ("de-leicht", "Impfen schützt; es ist gratis.", 4, False, '(";")'),
        ("tr", "Aşı çocuğunuzu korur. Randevu alın.", 5, True, "Sentences average 2.5 words"),
        ("uk", LONG_UK, 5, False, "Sentences average 28.0 words; at most 20 allowed."),
        ("ar", "اللقاح يحمي طفلك. احجزوا موعدكم.", 5, True, "at most 20 allowed"),
    ],
)  # fmt: skip
def test_readability(language: str, text: str, grade: int, passed: bool, reason: str) -> None:
    expect(check(text, "readability", language, grade=grade), passed, reason)


@pytest.mark.parametrize(
    ("language", "present"),
    [("de-leicht", True), ("de-einfach", False), ("de", False), ("en", False)],
)
def test_leichte_sprache_always_needs_a_test_reader(language: str, present: bool) -> None:
    report = lint("Die Impfung schützt. Rufen Sie an.", context(language))
    ids = [item.id for item in report.items]
    assert ("needs_test_reader" in ids) is present
    if present:
        item = report.item("needs_test_reader")
        assert (item.passed, item.severity, item.max_points) == (False, "warning", 0)


@pytest.mark.parametrize(
    ("language", "text", "passed", "reason"),
    [
        ("de", DE_GOOD, True, "No jargon"),
        ("de", "Die Immunisierung hilft.", False, '"Immunisierung" → say "Impfschutz"'),
        ("de", "Die Inzidenz steigt.", False, '"Inzidenz" → say "Zahl der neuen Fälle"'),
        ("de", "Es gibt eine Kontraindikation.", False, 'say "Grund, nicht zu impfen"'),
        ("en", EN_GOOD, True, "No jargon"),
        ("en", "Immunization helps.", False, '"Immunization" → say "vaccination"'),
        ("en", "The efficacy is high.", False, '"efficacy" → say "how well it works"'),
        ("en", "An adverse event is rare.", False, '"adverse event" → say "side effect"'),
        ("ru", "Иммунизация помогает.", False, 'say "прививка"'),
    ],
)
def test_jargon(language: str, text: str, passed: bool, reason: str) -> None:
    expect(check(text, "jargon", language), passed, reason)


@pytest.mark.parametrize(
    ("language", "text", "passed", "reason"),
    [
        ("de", DE_GOOD, True, "No fear, urgency, pressure or stigma words."),
        ("de", "Masern sind tödlich.", False, 'Avoid fear: "tödlich".'),
        ("de", "Kommen Sie sofort.", False, 'urgency: "sofort"'),
        ("de", "Sie müssen Ihr Kind impfen lassen.", False, 'pressure: "Sie müssen"'),
        ("de", "Impfgegner irren.", False, 'stigma: "Impfgegner"'),
        ("de", "Tödliche Masern: Sie müssen sofort handeln!", False,
         'fear: "Tödliche"; urgency: "sofort"; pressure: "Sie müssen"'),
        ("en", EN_GOOD, True, "No fear"),
        ("en", "Measles is deadly.", False, 'fear: "deadly"'),
        ("en", "Don’t wait!", False, "urgency: \"Don't wait\""),
        ("en", "You must vaccinate.", False, 'pressure: "You must"'),
        ("en", "Anti-vaxxers are wrong.", False, 'stigma: "Anti-vaxxers"'),
        ("tr", "Hemen randevu alın.", False, 'urgency: "Hemen"'),
        ("tr", "Aşı karşıtları yanılıyor.", False, 'stigma: "Aşı karşıtları"'),
        ("tr", "Aşı çocuğunuzu korur.", True, "No fear"),
        ("ar", "احجزوا موعدكم فوراً.", False, 'urgency: "فورا"'),
        ("ar", "هذا المرض مميت.", False, 'fear: "مميت"'),
        ("ar", "اللقاح يحمي طفلك.", True, "No fear"),
        ("uk", "Запишіться негайно.", False, 'urgency: "негайно"'),
        ("uk", "Щеплення захищає вашу дитину.", True, "No fear"),
        ("ru", "Корь смертельно опасна.", False, 'fear: "смертельно"'),
        ("ru", "Прививка защищает ребёнка.", True, "No fear"),
    ],
)  # fmt: skip
def test_tone(language: str, text: str, passed: bool, reason: str) -> None:
    expect(check(text, "tone", language), passed, reason)


SANDWICH_DE = (
    "Die Masern-Impfung ist sicher. Manche sagen, die Impfung mache krank. "
    "Studien mit Millionen Kindern zeigen das Gegenteil. Fragen Sie Ihre Ärztin."
)
SANDWICH_EN = (
    "The MMR vaccine is safe. Some people say it causes autism. "
    "Large studies of millions of children found no link. Ask your doctor."
)


@pytest.mark.parametrize(
    ("language", "text", "myth", "passed", "reason"),
    [
        ("de", SANDWICH_DE, "Die Impfung macht krank", True, "Fact, myth (sentence 2), fact."),
        ("de", SANDWICH_DE, None, True, "Fact, myth (sentence 2), fact."),  # marker only
        ("de", "Mythos: Impfen macht krank. Das ist falsch. Impfen schützt.", None, False,
         "Sentence 1 states the myth; open with the fact"),
        ("de", "Die Impfung ist sicher. Manche sagen, sie mache krank.", None, False,
         "No fact follows the myth in sentence 2"),
        ("de", "Impfen schützt. Manche sagen, Impfen mache krank. Das ist ein Mythos. Impfen hilft.",
         None, False, "The myth appears in sentences 2, 3; mention it once"),
        ("de", DE_GOOD, "Die Impfung macht krank", True, "The myth is not repeated"),
        ("en", SANDWICH_EN, "The MMR vaccine causes autism", True, "Fact, myth (sentence 2), fact."),
        ("en", "Vaccines cause autism. Studies show they do not. Ask your doctor.",
         "Vaccines cause autism", False, "Sentence 1 states the myth"),
        ("en", "Dear parents,\nVaccines cause autism. Studies show they do not.",
         "Vaccines cause autism", False, "Sentence 2 states the myth"),
        ("uk", "Щеплення безпечне. Це міф, що воно шкодить. Запишіться до лікаря.", None, True,
         "Fact, myth (sentence 2), fact."),
    ],
)  # fmt: skip
def test_fact_sandwich(
    language: str, text: str, myth: str | None, passed: bool, reason: str
) -> None:
    expect(check(text, "fact_sandwich", language, myth=myth), passed, reason)


def test_fact_sandwich_is_not_scored_without_a_myth() -> None:
    item = check(DE_GOOD, "fact_sandwich")
    assert (item.passed, item.max_points, item.reason) == (True, 0, "No myth is addressed.")


@pytest.mark.parametrize(
    ("language", "text", "passed", "reason"),
    [
        ("de", "1 von 1.000 Kindern bekommt Fieber.", True, "without percentages"),
        (
            "de",
            "5 % bekommen Fieber.",
            False,
            'Percentages: "5 %"; use natural frequencies such as "5 von 100 Menschen".',
        ),
        ("de", "0,1% bekommen Fieber.", False, '"0,1%"'),
        ("de", "Fünf Prozent bekommen Fieber.", False, '"Prozent"'),
        ("en", "1 in 1,000 children gets a fever.", True, "without percentages"),
        (
            "en",
            "5 percent get a fever.",
            False,
            'Percentages: "percent"; use natural frequencies such as "5 of 100 people".',
        ),
        ("en", "5% get a fever.", False, '"5%"'),
        ("tr", "Çocukların %5'i ateşlenir.", False, '"%5"'),
        ("ar", "٥٪ من الأطفال.", False, '"٥٪"'),
    ],
)
def test_natural_frequencies(language: str, text: str, passed: bool, reason: str) -> None:
    expect(check(text, "natural_frequencies", language), passed, reason)


def test_natural_frequencies_is_not_scored_without_numbers() -> None:
    assert check(DE_GOOD, "natural_frequencies").max_points == 0


@pytest.mark.parametrize(
    ("language", "text", "allowed", "passed", "reason"),
    [
        ("de", "1 von 1.000 Kindern.", {"1", "1000"}, True, "Grounded: 2 numbers."),
        ("de", "1 von 1.000 Kindern.", {"1 von 1,000"}, True, "Grounded"),
        ("de", "Nach 7 Tagen.", {"5"}, False, "Not in the fact sheet or a cited passage: 7."),
        ("de", "Rufen Sie 0800 123 456 an.", {"0800/123456"}, True, "Grounded: 1 number."),
        ("de", "Rufen Sie 0800 123 457 an.", {"0800 123 456"}, False, "passage: 0800 123 457."),
        ("de", "Am 12.03.2025 um 10:30 Uhr.", {"12.03.2025", "10:30"}, True, "Grounded"),
        ("de", "Am 12.03.2025 um 10:30 Uhr.", {"12.03.2025"}, False, ": 10:30."),
        ("de", "0,5 ml impfen.", {"0.5"}, True, "Grounded"),
        ("de", "COVID-19 und 2 Dosen.", {"2"}, True, "Grounded: 1 number."),
        ("en", "1 in 1,000 children.", {"1", "1.000"}, True, "Grounded"),
        (
            "en",
            "Call 555-123-4567 or 1-800-232-4636.",
            {"(555) 123-4567"},
            False,
            ": 1-800-232-4636.",
        ),
        ("en", "Two doses, 4 weeks apart, for 95 of 100.", {"4", "100"}, False, ": 95."),
        ("ar", "٥ من كل ١٠٠ طفل.", {"5", "100"}, True, "Grounded"),
    ],
)
def test_numbers_grounded(
    language: str, text: str, allowed: set[str], passed: bool, reason: str
) -> None:
    item = check(text, "numbers_grounded", language, allowed_numbers=frozenset(allowed))
    expect(item, passed, reason)
    assert item.severity == "error"


def test_numbers_grounded_is_not_scored_without_numbers() -> None:
    assert check(DE_GOOD, "numbers_grounded").max_points == 0


@pytest.mark.parametrize(
    ("citations", "valid", "passed", "reason"),
    [
        (0, True, False, "No citation; cite at least one passage."),
        (1, True, True, "1 citation, all valid."),
        (3, True, True, "3 citations, all valid."),
        (2, False, False, "A citation number does not match a retrieved passage."),
    ],
)
def test_citations(citations: int, valid: bool, passed: bool, reason: str) -> None:
    item = check(DE_GOOD, "citations", citations=citations, citations_valid=valid)
    expect(item, passed, reason)


@pytest.mark.parametrize(
    ("language", "text", "passed", "severity", "reason"),
    [
        ("de", DE_GOOD, True, "error", 'Detected "de" as requested.'),
        ("de-einfach", DE_GOOD, True, "error", 'Detected "de"'),
        ("de-leicht", DE_GOOD, True, "error", 'Detected "de"'),
        ("de", EN_GOOD, False, "error", 'Detected "en"; expected "de".'),
        ("en", EN_GOOD, True, "error", 'Detected "en"'),
        ("en", DE_GOOD, False, "error", 'expected "en"'),
        ("de", "Hallo", False, "warning", "The text is short (5 characters)"),
        ("tr", "Aşı çocuğunuzu korur. Randevu alın.", True, "error", 'Detected "tr"'),
        ("ar", "اللقاح يحمي طفلك. احجزوا موعدكم.", True, "error", 'Detected "ar"'),
        (
            "uk",
            "Щеплення захищає вашу дитину. Запишіться до лікаря.",
            True,
            "error",
            'Detected "uk"',
        ),
        (
            "ru",
            "Прививка защищает вашего ребёнка. Запишитесь к врачу.",
            True,
            "error",
            'Detected "ru"',
        ),
        (
            "uk",
            "Прививка защищает вашего ребёнка. Запишитесь к врачу.",
            False,
            "error",
            'Detected "ru"; expected "uk"',
        ),
    ],
)
def test_language(language: str, text: str, passed: bool, severity: str, reason: str) -> None:
    item = check(text, "language", language)
    expect(item, passed, reason)
    assert item.severity == severity


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("de", "Wir impfen z. B. Kinder. Das kostet ca. 1.000 Euro.",
         ["Wir impfen z. B. Kinder.", "Das kostet ca. 1.000 Euro."]),
        ("de", "Impfen schützt u. a. vor Masern. Dr. Roth impft z.B. Babys.",
         ["Impfen schützt u. a. vor Masern.", "Dr. Roth impft z.B. Babys."]),
        ("de", "Wir impfen am 3. März. Kommen Sie!", ["Wir impfen am 3. März.", "Kommen Sie!"]),
        ("de", "Liebe Eltern,\nImpfen schützt.", ["Liebe Eltern,", "Impfen schützt."]),
        ("de", "Sie fragen: „Ist das sicher?“ Ja.", ["Sie fragen: „Ist das sicher?“", "Ja."]),
        ("en", "Dr. Smith says e.g. children. Book now! Is it safe? Yes.",
         ["Dr. Smith says e.g. children.", "Book now!", "Is it safe?", "Yes."]),
        ("en", "We open on May 3. Call us.", ["We open on May 3.", "Call us."]),
        ("ar", "هل اللقاح آمن؟ نعم، اللقاح آمن۔ احجزوا موعدكم.",
         ["هل اللقاح آمن؟", "نعم، اللقاح آمن۔", "احجزوا موعدكم."]),
        ("ru", "Прививка, т. е. вакцинация, защищает. Запишитесь.",
         ["Прививка, т. е. вакцинация, защищает.", "Запишитесь."]),
        ("tr", "Dr. Yılmaz aşı yapar. 2. doz önemlidir.", ["Dr. Yılmaz aşı yapar.", "2. doz önemlidir."]),
        ("de", "", []),
    ],
)  # fmt: skip
def test_split_sentences(language: str, text: str, expected: list[str]) -> None:
    assert split_sentences(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Der Impf-Pass kostet 1.000 Euro.", ["Der", "Impf-Pass", "kostet", "1.000", "Euro"]),
        ("Don't wait, call 0800.", ["Don't", "wait", "call", "0800"]),
        ("سجّل الآن", ["سجل", "الآن"]),  # a shadda does not split the word
    ],
)
def test_split_words(text: str, expected: list[str]) -> None:
    assert split_words(text) == expected


@pytest.mark.parametrize(
    ("text", "numbers", "normalised"),
    [
        ("1 von 1.000", ["1", "1.000"], ["1", "1000"]),
        ("1 in 1,000", ["1", "1,000"], ["1", "1000"]),
        ("0,5 ml oder 0.5 ml", ["0,5", "0.5"], ["0.5", "0.5"]),
        ("1.000.000,5 und 1,000,000.5", ["1.000.000,5", "1,000,000.5"], ["1000000.5"] * 2),
        ("10 000 человек", ["10 000"], ["10000"]),
        ("Seit 2023 100 Fälle", ["2023", "100"], ["2023", "100"]),
        ("Tel. 0800 123 456, +49 30 1234567", ["0800 123 456", "+49 30 1234567"],
         ["0800123456", "49301234567"]),
        ("Am 12.03.2025 um 10:30, 24/7", ["12.03.2025", "10:30", "24/7"],
         ["12.03.2025", "10:30", "24/7"]),
        ("COVID-19, H1N1, 12-Jährige, 9-14 Jahre", ["12", "9", "14"], ["12", "9", "14"]),
        ("٥٠٠ شخص", ["٥٠٠"], ["500"]),
        ("Keine Zahl", [], []),
    ],
)  # fmt: skip
def test_numbers_are_found_and_normalised(
    text: str, numbers: list[str], normalised: list[str]
) -> None:
    assert find_numbers(text) == numbers
    assert [normalise_number(raw) for raw in numbers] == normalised


def test_ungrounded_numbers_are_listed_once_as_written() -> None:
    assert find_ungrounded("7 Tage, 7 Tage, 1.000", {"1000"}) == ["7"]


def test_score_is_the_share_of_scored_points() -> None:
    items = [
        LintItem(id="a", passed=True, severity="error", reason="", points=1, max_points=1),
        LintItem(id="b", passed=False, severity="warning", reason="", points=0, max_points=1),
        LintItem(id="c", passed=False, severity="warning", reason="", points=0, max_points=1),
        LintItem(id="d", passed=False, severity="warning", reason="", points=0, max_points=0),
    ]
    assert score_items(items) == 33
    assert score_items([]) == 100


@pytest.mark.parametrize(
    ("language", "text", "allowed", "score", "ok"),
    [
        ("de", DE_GOOD, set(), 100, True),
        ("en", EN_GOOD, set(), 100, True),
        ("de", "Hallo! Masern sind tödlich. Sie müssen sofort impfen, 5 % sterben. Die Immunisierung "
         "hilft. Rufen Sie 0800 123 456 an.", {"0800 123 456"}, 64, False),
    ],
)  # fmt: skip
def test_report_score_and_ok(
    language: str, text: str, allowed: set[str], score: int, ok: bool
) -> None:
    report = lint(text, context(language, allowed_numbers=frozenset(allowed)))
    assert (report.score, report.ok) == (score, ok)
    scored = [item for item in report.items if item.max_points]
    assert report.score == round(100 * sum(i.points for i in scored) / len(scored))


def test_report_lists_every_item_once_in_order() -> None:
    ids = [item.id for item in lint(DE_GOOD, context()).items]
    assert ids == [
        "well_formed", "real_words", "complete_sentences", "main_message_first", "call_to_action",
        "length", "readability", "jargon", "tone", "fact_sandwich", "natural_frequencies",
        "numbers_grounded", "citations", "language", "audience_fit", "authority", "fidelity",
        "supported", "never_say",
    ]  # fmt: skip


def test_unknown_item_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        LintReport(items=(), score=100).item("tone")


@pytest.mark.parametrize(
    "changes",
    [{"language": "fr"}, {"colour": "red"}, {"max_chars": 0}, {"grade": 0}, {"citations": -1}],
)
def test_context_rejects_bad_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        context(**changes)


class DownloadAttempted(Exception):
    pass


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No socket can be opened, and every nltk download or data lookup is recorded and refused."""
    import nltk

    calls: list[str] = []

    def refuse(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise DownloadAttempted(name)

        return call

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise OSError("networking is disabled in this test")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(nltk, "download", refuse("download"))
    monkeypatch.setattr(nltk.data, "find", refuse("find"))
    return calls


def test_the_offline_fixture_would_catch_textstats_english_path(offline: list[str]) -> None:
    from textstat.backend.utils import get_cmudict

    with pytest.raises(DownloadAttempted):
        get_cmudict("en")  # what textstat does for English: proves the spy can fail a test
    assert offline == ["find"]


@pytest.mark.parametrize("text", [EN_GOOD, EN_HARD, "Immunization helps. Ask your doctor."])
def test_english_readability_runs_offline(offline: list[str], text: str) -> None:
    report = lint(text, context("en"))
    assert "Flesch-Kincaid grade" in report.item("readability").reason
    assert offline == []  # nltk.download and nltk.data.find were never called


def test_german_readability_runs_offline(offline: list[str]) -> None:
    assert measure_readability(split_sentences(DE_HARD, "de"), "de").grade > 12
    assert offline == []


def test_textstat_is_never_given_english() -> None:
    with pytest.raises(ValueError, match="may download data"):
        _textstat_metric("flesch_reading_ease", EN_GOOD, "en")


@pytest.mark.parametrize(
    ("text", "grade_below"),
    [(EN_GOOD, 3), (EN_HARD, 30)],
)
def test_english_grades_are_plausible(text: str, grade_below: float) -> None:
    found = measure_readability(split_sentences(text, "en"), "en")
    assert found.grade < grade_below
    assert (found.reading_ease > 80) is (text == EN_GOOD)


@pytest.mark.parametrize(
    ("language", "text", "passed", "reason"),
    [
        ("de", DE_GOOD, True, "No repetition"),
        ("en", EN_GOOD, True, "No repetition"),
        ("en", "Book at https://example.org/flu_jab or example.org/impf_termin.", True, "No rep"),
        ("de", "Sehr, sehr gut geschützt: Die Grippeimpfung hilft.", True, "No repetition"),
        ("de", "text_here_here_here_here Grippe", False, '"here" comes 4 times in a row'),
        ("de", "Text_hier Die Grippeimpfung schützt.", False, '("Text_hier")'),
        ("en", "Flu jab: 2 pages, 2 pages, 2 pages, 2 pages.", False, '"2 pages 2" comes 3 times'),
        ("en", "Flu vaccination <text n=2> is free.", False, '("<text")'),
        ("de", "Die Grippeimpfung ist frei. {your_message}", False, '("{your_message}")'),
        ("ru", "Прививка прививка прививка от гриппа.", False, '"прививка" comes 3 times'),
        ("en", "Get\x17 your flu jab.", False, "1 invisible control character(s) (U+0017)"),
        ("en", "Flu jab \u202efree\u202c today.", False, "2 invisible control character(s)"),
        ("en", "Flu jab.\nBook today.\tFree.", True, "No repetition"),
        ("ar", "لقاح الإنفلونزا مجاني\u200f.", True, "No repetition"),  # a right-to-left mark
    ],
)
def test_well_formed(language: str, text: str, passed: bool, reason: str) -> None:
    expect(check(text, "well_formed", language), passed, reason)


def test_control_characters_fail_well_formed_and_are_removed_from_answers() -> None:
    from comms.message import parse_answer

    assert not check("Impfen\x00 schützt.", "well_formed").passed
    text, cited = parse_answer('{"text": "Impfen\x07 schützt\u202e.", "citations": [1]}')
    assert text == "Impfen schützt." and cited == [1]
