"""Lexicon data files: they load, they are big enough, and the matching rule holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from comms.checks.lexicon import LEXICON_DIR, Lexicon, find_terms, load_lexicon
from core.errors import ConfigError

LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru")
LISTS = ("fear", "urgency", "pressure", "stigma", "jargon", "myth_markers", "call_to_action")
MINIMUM = {"de": 15, "en": 15, "tr": 6, "ar": 6, "uk": 6, "ru": 6}


def _entries(lexicon: Lexicon) -> list[tuple[str, str]]:
    lists = [*LISTS[:4], "myth_markers", "call_to_action", "greetings", "percent_words"]
    pairs = [(name, entry) for name in lists for entry in getattr(lexicon, name)]
    return pairs + [("jargon", entry.term) for entry in lexicon.jargon]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", LISTS)
def test_every_list_is_big_enough(language: str, name: str) -> None:
    assert len(getattr(load_lexicon(language), name)) >= MINIMUM[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_file_declares_its_language_and_every_entry_finds_itself(language: str) -> None:
    lexicon = load_lexicon(language)
    assert lexicon.language == language
    for name, entry in _entries(lexicon):
        written = entry.replace("*", "")
        assert find_terms(written, (entry,), lexicon.prefixes), f"{name}: {entry!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_call_to_action_is_also_a_tone_word(language: str) -> None:
    lexicon = load_lexicon(language)
    tone = [entry for name in LISTS[:4] for entry in getattr(lexicon, name)]
    for cue in lexicon.call_to_action:
        assert not find_terms(cue.replace("*", ""), tuple(tone), lexicon.prefixes), cue


@pytest.mark.parametrize("language", ["de-einfach", "de-leicht"])
def test_plain_german_reuses_the_german_file(language: str) -> None:
    assert load_lexicon(language) == load_lexicon("de")


@pytest.mark.parametrize(
    ("language", "term", "plain"),
    [
        ("de", "immunisierung*", "Impfschutz"),
        ("de", "inzidenz*", "Zahl der neuen Fälle"),
        ("de", "kontraindikation*", "Grund, nicht zu impfen"),
        ("en", "immunization*", "vaccination"),
        ("en", "efficacy", "how well it works"),
        ("en", "adverse event*", "side effect"),
    ],
)
def test_jargon_has_the_agreed_plain_words(language: str, term: str, plain: str) -> None:
    assert {entry.term: entry.plain for entry in load_lexicon(language).jargon}[term] == plain


@pytest.mark.parametrize(
    ("entry", "text", "found"),
    [
        ("sofort", "Kommen Sie SOFORT!", ["SOFORT"]),
        ("sofort", "eine sofortige Reaktion", []),  # whole words only
        ("tödlich*", "eine tödliche Krankheit", ["tödliche"]),  # stem
        ("*leugner*", "von Coronaleugnern", ["Coronaleugnern"]),  # anything before and after
        ("impfung", "Die Masern-Impfung", ["Impfung"]),  # a hyphen separates words
        ("impfung", "Die Masernimpfung", []),
        ("vereinbaren sie", "Vereinbaren\n  Sie einen Termin", ["Vereinbaren\n  Sie"]),
        ("es stimmt nicht, dass", "Es stimmt nicht dass", ["Es stimmt nicht dass"]),
        ("don't wait", "Don’t wait!", ["Don't wait"]),  # typographic apostrophe
        ("die", "The diet", []),
        ("ilaç*", "İLAÇLAR", ["İLAÇLAR"]),  # Turkish dotted capital I
        ("hemen", "Hemen gelin", ["Hemen"]),
        ("смертельн*", "Смертельная болезнь", ["Смертельная"]),
        ("обов'язок", "ваш обовʼязок", ["обов'язок"]),  # Ukrainian modifier-letter apostrophe
    ],
)
def test_matching_rule(entry: str, text: str, found: list[str]) -> None:
    assert find_terms(text, (entry,)) == found


@pytest.mark.parametrize(
    ("entry", "text", "found"),
    [
        ("لقاح", "واللقاح آمن", ["واللقاح"]),  # joined conjunction and article
        ("فورا", "احجزوا فوراً", ["فورا"]),  # tanween is ignored
        ("أسطورة", "هذه اسطورة", ["اسطورة"]),  # hamza forms of alef count as alef
        ("لقاح", "تلقاح", []),  # an unknown prefix is still a different word
    ],
)
def test_arabic_prefixes_and_marks(entry: str, text: str, found: list[str]) -> None:
    assert find_terms(text, (entry,), load_lexicon("ar").prefixes) == found


VALID = (LEXICON_DIR / "en.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("  - deadly\n", "  - Deadly\n"), "must be lowercase"),
        (lambda t: t.replace("  - lethal\n", "  - deadly\n"), "duplicate entries: deadly"),
        (lambda t: t + "colour: red\n", "Extra inputs are not permitted"),
        (lambda t: t.replace("fear:", "fears:"), "fear"),
        (lambda t: t.replace("  - dr.\n", "  - dr\n"), "must be lowercase and end with '.'"),
        (lambda t: t.replace("  - scary\n", "  - *scary\n"), "is invalid"),  # a YAML alias
        (lambda t: t.replace("  - scary\n", "  - ' scary'\n"), "spaces at either end"),
    ],
)
def test_invalid_files_are_config_errors(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "en.yaml").write_text(change(VALID), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_lexicon("en", folder=tmp_path)


def test_missing_language_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No lexicon for language 'fr'"):
        load_lexicon("fr", folder=tmp_path)


@pytest.mark.parametrize("language", [*LANGUAGES, "de-einfach", "de-leicht"])
def test_the_fact_lines_booking_label_is_a_call_to_action(language: str) -> None:
    """The fact line Clarion appends must itself tell the reader what to do."""
    from comms.campaign_facts import CampaignFacts, fact_line
    from comms.checks.lint import has_call_to_action

    line = fact_line(CampaignFacts(booking="0123 456789"), language, "letter")
    assert has_call_to_action(line, language), line
