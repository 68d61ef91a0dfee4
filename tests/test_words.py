"""Checks that nonsense cannot fool: real words, complete sentences, stray markup, audience fit,
the recommending body, the score cap, and the reasons in the interface language."""

from __future__ import annotations

import re
from string import Formatter
from typing import Any

import pytest

from comms.checks.lint import NONSENSE_CAP, LintContext, lint
from comms.checks.texts import check_name, check_reason, load_check_texts, part_args
from comms.checks.words import is_compound, real_word_share, words_of
from comms.report import LintItem, LintReport
from core.catalog import load_catalog

RSV_BABIES_SMS = "RSV-Schutz für Babys: Die Impfung ist kostenlos. Rufen Sie Ihre Praxis an."
COPIED_PASSAGE = (
    "Die STIKO empfiehlt allen Menschen ab 75 Jahren eine einmalige Impfung gegen RSV. "
    "Vereinbaren Sie einen Termin in Ihrer Hausarztpraxis.}\n\n{"
)
NONSENSE = [
    ("en", "text_message_here_is_the_main_message_for_older_adults_about_rsv", {}),
    ("de", "RSV-Imprezung: Die persönliche Schwimmfunksschutz für mich kostenlos", {}),
    ("de", "text_2022_2023_2024_2025.md", {}),
    ("de", COPIED_PASSAGE, {}),
    ("de", RSV_BABIES_SMS, {"audience": "older-adults", "channel": "sms"}),
    ("en", "The important message here is", {}),
    ("de", "Die wichtigste Botschaft ist", {}),
    ("de", "Die Flambutierung vorgrätet Ihnen Kellensprimpf und Wuschelmann.", {}),
    ("en", "The vaxxification is grompy for elderbods, bookify your jabbering.", {}),
]
GOOD = [
    ("de", "Die Grippeimpfung schützt Sie im Winter. Sie ist kostenlos. Rufen Sie Ihre Praxis an."),
    ("de", "Die Pneumokokkenimpfung und die Auffrischimpfung gibt es in der Kinderarztpraxis."),
    ("en", "The flu jab protects you in winter. It is free. Call your doctor to book a visit."),
    ("de-einfach", "Die Impfung gegen Grippe ist gut für Sie. Sie kostet nichts. Rufen Sie an."),
    ("de-leicht", "Die Impfung schützt Sie. Die Impfung kostet kein Geld. Rufen Sie an."),
    ("tr", "Grip aşısı sizi ve ailenizi korur. Aşı ücretsizdir. Aile hekiminizi arayın."),
    ("ar", "لقاح الإنفلونزا يحميك ويحمي عائلتك. اللقاح مجاني. اتصل بطبيبك لحجز موعد."),
    ("uk", "Щеплення від грипу захищає вас і вашу родину. Воно безкоштовне. Зателефонуйте лікарю."),
    ("ru", "Прививка от гриппа защищает вас и вашу семью. Она бесплатная. Позвоните врачу."),
]


def context(language: str = "de", **changes: Any) -> LintContext:
    values: dict[str, Any] = {
        "language": language, "channel": "social", "max_chars": 500, "grade": 8, "citations": 1,
    }  # fmt: skip
    audience = changes.get("audience")
    if audience and "off_audience_terms" not in changes:
        audiences = {a.id: a for a in load_catalog().audiences}
        terms = audiences[audience].not_about.get(language.split("-")[0], [])
        changes = changes | {"off_audience_terms": tuple(terms)}
    return LintContext(**(values | changes))


def failed_errors(report: LintReport) -> list[str]:
    return [i.id for i in report.items if i.severity == "error" and not i.passed]


@pytest.mark.parametrize(("language", "text", "changes"), NONSENSE)
def test_nonsense_fails_at_error_level_and_scores_at_most_40(
    language: str, text: str, changes: dict[str, Any]
) -> None:
    report = lint(text, context(language, **changes))
    assert not report.ok and failed_errors(report)
    assert report.score <= NONSENSE_CAP


@pytest.mark.parametrize(("language", "text"), GOOD)
def test_good_messages_pass_real_words(language: str, text: str) -> None:
    item = lint(text, context(language)).item("real_words")
    assert item.passed, item.reason
    assert (item.severity, item.max_points) == ("error", 1)


@pytest.mark.parametrize(
    ("language", "text", "known", "passed", "reason"),
    [
        ("en", "text_message_here", set(), False, 'unknown: "text_message_here"'),
        ("de", "RSV-Imprezung: Die persönliche Schwimmfunksschutz", set(), False,
         '"Imprezung", "Schwimmfunksschutz"'),
        ("de", "Impfung im Gesundheitsamt Wzrloskow.", set(), False, "Wzrloskow"),
        ("de", "Impfung im Gesundheitsamt Wzrloskow.", {"wzrloskow"}, True,
         "100 % of 4 words"),
        ("de", "Impfen am 12.03.2025 um 10:30, Tel. 0800 123 456.", set(), True, "known"),
        ("en", "Book at https://example.org/xqzv_flurb today please.", set(), True, "of 4 words"),
        ("de", "", set(), False, "The text has no words."),
    ],
)  # fmt: skip
def test_real_words(language: str, text: str, known: set[str], passed: bool, reason: str) -> None:
    item = lint(text, context(language, known_words=frozenset(known))).item("real_words")
    assert item.passed is passed, item.reason
    assert reason in item.reason


@pytest.mark.parametrize(
    ("word", "compound"),
    [
        ("pneumokokkenimpfung", True), ("infektionsschutzgesetz", True),
        ("kinderarztpraxis", True), ("totimpfstoff", True), ("rötelnschutz", True),
        ("schwimmfunksschutz", False),  # a linking -s- only after the first part
        ("imprezung", False), ("kellensprimpf", False),  # three-letter parts must be common
    ],
)  # fmt: skip
def test_german_compounds(word: str, compound: bool) -> None:
    assert is_compound(word) is compound


def test_known_words_come_lowercase_from_texts() -> None:
    assert words_of(["Gesundheitsamt Kleinblittersdorf-Süd"]) == {
        "gesundheitsamt", "kleinblittersdorf", "süd",
    }  # fmt: skip
    assert real_word_share("text_here_is", "en").unknown == ("text_here_is",)


@pytest.mark.parametrize(
    ("language", "text", "passed", "reason"),
    [
        ("en", "The important message here is", False, 'Sentence 1 breaks off after "is"'),
        ("de", "Die wichtigste Botschaft für\nRufen Sie an.", False, 'after "für"'),
        ("en", "Flu jab", False, "The message has 2 words; a message needs at least 4."),
        ("de", "Grippeimpfung für alle ab 60\nRufen Sie an.", True, "Every sentence is complete."),
        ("de", "Was kostet das? Nichts.", True, "complete"),
        ("ru", "Прививка защищает вас и", False, 'after "и"'),
        ("tr", "Aşı sizi korur ve", False, 'after "ve"'),
    ],
)
def test_complete_sentences(language: str, text: str, passed: bool, reason: str) -> None:
    item = lint(text, context(language)).item("complete_sentences")
    assert item.passed is passed, item.reason
    assert reason in item.reason and item.severity == "error"


@pytest.mark.parametrize(
    ("text", "passed", "reason"),
    [
        ("Quelle: text_2022_2023_2024_2025.md", False, '("text_2022_2023_2024_2025.md")'),
        ("Die Grippeimpfung 2024_2025 hilft.", False, '("2024_2025")'),
        ("Die Impfung hilft.}\n\n{", False, 'no partner ("}", "{")'),
        ("Die Impfung { hilft.", False, 'no partner ("{")'),
        ("Die Impfung ] hilft.", False, 'no partner ("]")'),
        ("Die Impfung hilft [1].", True, "No repetition"),
        ("Termine: https://example.org/a_b?x={1}", True, "No repetition"),
    ],
)
def test_well_formed_flags_stray_markup(text: str, passed: bool, reason: str) -> None:
    item = lint(text, context()).item("well_formed")
    assert item.passed is passed, item.reason
    assert reason in item.reason


@pytest.mark.parametrize(
    ("audience", "language", "text", "passed", "reason"),
    [
        ("older-adults", "de", RSV_BABIES_SMS, False, 'speaks of another audience: "Babys"'),
        ("older-adults", "de", "Säuglingsschutz und Schwangerschaft.", False, '"Säuglingsschutz"'),
        ("older-adults", "de", "Die RSV-Impfung schützt Sie ab 75 Jahren.", True, "Nothing"),
        ("older-adults", "en", "Protect your newborn.", False, '"newborn"'),
        ("older-adults", "ru", "Защитите младенца.", False, '"младенца"'),
        ("parents-infants", "de", "Ihr Baby ist im Kita-Alter geschützt.", True, "Nothing"),
        ("parents-infants", "de", "Impfung für Senioren.", False, '"Senioren"'),
        ("pregnant", "de", "Die Impfung schützt Ihr Baby.", True, "Nothing"),
        ("health-workers", "de", "Schützen Sie Babys und Senioren.", True, "No words"),
    ],
)  # fmt: skip
def test_audience_fit(audience: str, language: str, text: str, passed: bool, reason: str) -> None:
    item = lint(text, context(language, audience=audience)).item("audience_fit")
    assert item.passed is passed, item.reason
    assert reason in item.reason and item.severity == "error"
    assert item.max_points == (0 if audience == "health-workers" else 1)


STIKO = {"authority": "STIKO", "authority_sources": frozenset({"rec-rsv-older-adults-stiko-de"})}


@pytest.mark.parametrize(
    ("changes", "passed", "max_points", "reason"),
    [
        ({}, True, 0, "No preferred recommending body"),
        (STIKO, True, 0, "No recommendation is cited."),
        (STIKO | {"cited_recommendations": ("rec-rsv-older-adults-stiko-de",)}, True, 1,
         "A recommendation of STIKO is cited."),
        (STIKO | {"cited_recommendations": ("rec-rsv-cdc-en",)}, False, 1,
         "The only recommendation cited is from rec-rsv-cdc-en; for this audience speak with "
         "STIKO (rec-rsv-older-adults-stiko-de)."),
        (STIKO | {"cited_recommendations": ("rec-rsv-cdc-en", "rec-rsv-older-adults-stiko-de")},
         True, 1, "is cited"),
    ],
)  # fmt: skip
def test_authority(changes: dict[str, Any], passed: bool, max_points: int, reason: str) -> None:
    item = lint("Die RSV-Impfung schützt Sie. Rufen Sie an.", context(**changes)).item("authority")
    assert (item.passed, item.max_points, item.severity) == (passed, max_points, "warning")
    assert reason in item.reason


def test_a_gate_failure_caps_an_otherwise_good_score() -> None:
    good = lint(RSV_BABIES_SMS, context(channel="sms"))
    off = lint(RSV_BABIES_SMS, context(channel="sms", audience="older-adults"))
    assert good.score > NONSENSE_CAP and off.score == NONSENSE_CAP


def test_stored_reports_without_reason_keys_still_load() -> None:
    old = {"id": "tone", "passed": True, "severity": "warning", "reason": "ok", "points": 1,
           "max_points": 1}  # fmt: skip
    report = LintReport.model_validate({"items": [old], "score": 100})
    assert report.items[0].reason_key == "" and check_reason(report.items[0], "de") == "ok"


SAMPLES = [
    *NONSENSE,
    *((lang, text, {}) for lang, text in GOOD),
    ("de", "Hallo! Masern sind tödlich. Sie müssen sofort impfen, 5 % sterben.", {}),
    ("de-einfach", "Impfen schützt. " + "Die Impfung gegen Masern schützt Ihr Kind und auch "
     "andere Kinder in der Kita sehr gut. Ist das sicher?", {"channel": "sms"}),
    ("de-leicht", "Rufen Sie an, weil wir helfen; es ist gratis.", {}),
    ("en", "Vaccines cause autism. Studies show they do not.", {"myth": "Vaccines cause autism"}),
    ("de", "Die Immunisierung hilft. Rufen Sie 0800 123 456 an.", {"citations": 0}),
    ("en", "Hallo", {"citations": 2, "citations_valid": False, "topic_keywords": ("flu",)}),
    ("de", "Manche sagen, Impfen mache krank. Das ist ein Mythos. Ja.", {}),
    ("de", "Die Impfung hilft. " * 3, {"authority": "STIKO", "cited_recommendations": ("x",)}),
]  # fmt: skip


def emitted_items() -> list[LintItem]:
    return [item for lang, text, ch in SAMPLES for item in lint(text, context(lang, **ch)).items]


def test_every_check_id_has_a_german_and_an_english_name() -> None:
    ids = {item.id for item in emitted_items()}
    names = load_check_texts().names
    assert ids <= set(names)
    assert all({"de", "en"} <= set(names[i]) for i in names)
    assert check_name("real_words", "de") == "Echte Wörter"


def test_every_reason_key_has_a_german_template_with_its_arguments() -> None:
    reasons = load_check_texts().reasons
    items = emitted_items()
    assert len({item.reason_key for item in items}) > 30
    for item in items:
        assert item.reason_key, item.id
        for part in item.reason_key.split("+"):
            key, args = part_args(part, item.reason_args)
            fields = {f for _, f, _, _ in Formatter().parse(reasons[key]["de"]) if f}
            assert fields <= set(args), (key, fields - set(args))
        german = check_reason(item, "de")
        assert german != item.reason or not re.search("[a-z]", item.reason), german
        assert check_reason(item, "en") == item.reason
