"""The composer's German glue is German: every phrase it puts around the map's texts, with every
topic's name, in the case and gender the phrase needs ("wegen des RSV-Schutzes", not "wegen der
RSV-Schutz"). Read once by a person; the expected texts are written out in full below."""

from __future__ import annotations

import pytest
import yaml

from comms.drafting.draft import Request, resolve
from comms.maps.compose import PHRASES, _topic_forms, compose
from comms.maps.library import load_map
from comms.office import Office

GERMAN = ("de", "de-einfach", "de-leicht")
TOPICS = ("measles", "hpv", "flu", "covid19", "rsv", "pertussis", "pneumococcal", "shingles",
          "meningococcal", "rotavirus")  # fmt: skip

# The three German phrases that name the topic, as a person read them, for all ten topics:
# (phone opening, question of a general FAQ, headline), in standard German and Einfache Sprache.
DE = {
    "measles": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der Masern-Impfung an.",
                "Warum ist die Masern-Impfung wichtig?",
                "Masern-Impfung: das Wichtigste für Sie."),
    "hpv": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der HPV-Impfung an.",
            "Warum ist die HPV-Impfung wichtig?",
            "HPV-Impfung: das Wichtigste für Sie."),
    "flu": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der Grippe-Impfung an.",
            "Warum ist die Grippe-Impfung wichtig?",
            "Grippe-Impfung: das Wichtigste für Sie."),
    "covid19": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der COVID-19-Impfung an.",
                "Warum ist die COVID-19-Impfung wichtig?",
                "COVID-19-Impfung: das Wichtigste für Sie."),
    "rsv": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen des RSV-Schutzes an.",
            "Warum ist der RSV-Schutz wichtig?",
            "RSV-Schutz: das Wichtigste für Sie."),
    "pertussis": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der Keuchhusten-Impfung an.",
                  "Warum ist die Keuchhusten-Impfung wichtig?",
                  "Keuchhusten-Impfung: das Wichtigste für Sie."),
    "pneumococcal": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der Pneumokokken-Impfung an.",
                     "Warum ist die Pneumokokken-Impfung wichtig?",
                     "Pneumokokken-Impfung: das Wichtigste für Sie."),
    "shingles": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der Gürtelrose-Impfung an.",
                 "Warum ist die Gürtelrose-Impfung wichtig?",
                 "Gürtelrose-Impfung: das Wichtigste für Sie."),
    "meningococcal": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der Meningokokken-Impfung an.",
                      "Warum ist die Meningokokken-Impfung wichtig?",
                      "Meningokokken-Impfung: das Wichtigste für Sie."),
    "rotavirus": ("Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der Rotaviren-Impfung an.",
                  "Warum ist die Rotaviren-Impfung wichtig?",
                  "Rotaviren-Impfung: das Wichtigste für Sie."),
}  # fmt: skip
# Leichte Sprache: no genitive ("Es geht um …"), and its own names (Corona, Gürtel-Rose).
LEICHT = {
    "measles": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um die Masern-Impfung.",
                "Warum ist die Masern-Impfung wichtig?",
                "Masern-Impfung: das Wichtigste für Sie."),
    "hpv": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um die HPV-Impfung.",
            "Warum ist die HPV-Impfung wichtig?",
            "HPV-Impfung: das Wichtigste für Sie."),
    "flu": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um die Grippe-Impfung.",
            "Warum ist die Grippe-Impfung wichtig?",
            "Grippe-Impfung: das Wichtigste für Sie."),
    "covid19": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um die Corona-Impfung.",
                "Warum ist die Corona-Impfung wichtig?",
                "Corona-Impfung: das Wichtigste für Sie."),
    "rsv": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um den RSV-Schutz.",
            "Warum ist der RSV-Schutz wichtig?",
            "RSV-Schutz: das Wichtigste für Sie."),
    "pertussis": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um die Keuchhusten-Impfung.",
                  "Warum ist die Keuchhusten-Impfung wichtig?",
                  "Keuchhusten-Impfung: das Wichtigste für Sie."),
    "pneumococcal": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um die Pneumokokken-Impfung.",
                     "Warum ist die Pneumokokken-Impfung wichtig?",
                     "Pneumokokken-Impfung: das Wichtigste für Sie."),
    "shingles": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um die Gürtel-Rose-Impfung.",
                 "Warum ist die Gürtel-Rose-Impfung wichtig?",
                 "Gürtel-Rose-Impfung: das Wichtigste für Sie."),
    "meningococcal": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um die Meningokokken-Impfung.",
                      "Warum ist die Meningokokken-Impfung wichtig?",
                      "Meningokokken-Impfung: das Wichtigste für Sie."),
    "rotavirus": ("Ihr Gesundheitsamt, guten Tag! Wir rufen an. Es geht um die Rota-Viren-Impfung.",
                  "Warum ist die Rota-Viren-Impfung wichtig?",
                  "Rota-Viren-Impfung: das Wichtigste für Sie."),
}  # fmt: skip
EXPECTED = {"de": DE, "de-einfach": DE, "de-leicht": LEICHT}
TOPIC_PHRASES = ("phone_opening", "general_question", "headline")
# Every other German phrase, once: they name no topic. A {question} or {myth} is quoted in
# „…“, so any question fits; the office's name opens the phone script without an article.
FIXED_DE = {
    "acknowledge": "Viele fragen uns: „{question}“ Diese Frage nehmen wir ernst.",
    "myth": "Manche sagen: „{myth}“ – das stimmt nicht.",
    "call_to_action": "Fragen Sie Ihre Ärztin oder Ihren Arzt nach der Impfung.",
    "closing": "Mit freundlichen Grüßen",
    "sender": "Ihr Gesundheitsamt",
    "office": "Ihr Gesundheitsamt",
    "phone_closing": "Vielen Dank für das Gespräch. Auf Wiederhören!",
    "salutation": {"default": "Guten Tag,", "parents-infants": "Liebe Eltern,",
                   "parents-teens": "Liebe Eltern,",
                   "health-workers": "Liebe Kolleginnen und Kollegen,"},
    "opening": {"default": "Wir möchten Sie gut informieren.",
                "parents-infants": "Sie möchten Ihr Kind gut schützen.",
                "parents-teens": "Sie möchten Ihr Kind gut schützen.",
                "pregnant": "Sie möchten sich und Ihr Baby gut schützen.",
                "older-adults": "Sie möchten gesund bleiben.",
                "health-workers": "Sie schützen jeden Tag Ihre Patientinnen und Patienten.",
                "hesitant": "Ihre Fragen nehmen wir ernst.",
                "limited-german": "Wir erklären es Ihnen einfach.",
                "chronic-illness": "Sie möchten gut geschützt sein."},
    "phone_objection": ["Wenn gefragt wird: „{question}“", "Fragt jemand: „{question}“",
                        "Bei der Frage „{question}“ hilft:"],
    "abroad": {"US": "Diese Angabe stammt aus den USA (Gesundheitsbehörde CDC).",
               "INT": "Diese Angabe stammt von der Weltgesundheitsorganisation (WHO)."},
    "abroad_names": {"US": ["USA", "US", "US-Fachleute", "US-Expertinnen", "US-Experten",
                            "amerikanische", "amerikanischen"],
                     "INT": ["WHO", "Weltgesundheitsorganisation"]},
}  # fmt: skip
FIXED = {
    "de": FIXED_DE,
    "de-einfach": FIXED_DE | {
        "acknowledge": "Viele fragen uns: „{question}“ Das ist eine gute Frage.",
        "opening": {"default": "Wir erklären Ihnen alles einfach.",
                    "parents-infants": "Sie möchten Ihr Kind gut schützen.",
                    "parents-teens": "Sie möchten Ihr Kind gut schützen.",
                    "pregnant": "Sie möchten Ihr Baby gut schützen.",
                    "older-adults": "Sie möchten gesund bleiben.",
                    "health-workers": "Sie schützen jeden Tag andere Menschen.",
                    "hesitant": "Ihre Fragen sind wichtig.",
                    "limited-german": "Wir erklären es Ihnen einfach.",
                    "chronic-illness": "Sie möchten gut geschützt sein."},
        "abroad": {"US": "Diese Angabe kommt aus den USA.",
                   "INT": "Das sagt die Weltgesundheitsorganisation (WHO)."},
    },
    "de-leicht": FIXED_DE | {
        "acknowledge": "Viele Menschen fragen: „{question}“ Das ist eine gute Frage.",
        "myth": "Manche Menschen sagen: „{myth}“ – das ist falsch.",
        "call_to_action": "Fragen Sie Ihre Ärztin oder Ihren Arzt.",
        "opening": {"default": "Wir erklären es Ihnen.",
                    "parents-infants": "Sie wollen Ihr Kind schützen.",
                    "parents-teens": "Sie wollen Ihr Kind schützen.",
                    "pregnant": "Sie wollen Ihr Baby schützen.",
                    "older-adults": "Sie wollen gesund bleiben.",
                    "health-workers": "Sie helfen anderen Menschen.",
                    "hesitant": "Ihre Fragen sind wichtig.",
                    "limited-german": "Wir erklären es Ihnen.",
                    "chronic-illness": "Sie wollen gut geschützt sein."},
        "phone_objection": ["Jemand fragt: „{question}“", "Eine Frage ist: „{question}“",
                            "Noch eine Frage: „{question}“"],
        "abroad": {"US": "Das wissen wir aus den USA.",
                   "INT": "Das sagt die Welt-Gesundheits-Organisation WHO."},
    },
}  # fmt: skip


def phrases(language: str) -> dict[str, object]:
    return dict(yaml.safe_load(PHRASES.read_text(encoding="utf-8"))[language])


def made(topic: str, channel: str, language: str, office: Office | None = None) -> str:
    r = resolve(Request(topic, "older-adults", channel, language))
    return compose(load_map(topic), topic=r.topic, audience=r.audience, channel=r.channel,
                   language=r.language, office=office).text  # fmt: skip


def test_the_phrases_naming_the_topic_are_the_three_tested_here() -> None:
    """A new German phrase that names the topic must join the expected list above."""
    for language in GERMAN:
        named = {n for n, v in phrases(language).items() if isinstance(v, str) and "{topic" in v}
        assert named == set(TOPIC_PHRASES), language


def test_a_bare_topic_name_only_starts_a_line() -> None:
    """The line-start name ("Masern-Impfung") stands only at the start; inside a sentence a
    German phrase needs the form with its article ({topic_nom}, {topic_gen}, …)."""
    for language in GERMAN:
        for name, value in phrases(language).items():
            if isinstance(value, str) and "{topic}" in value:
                assert value.startswith("{topic}:"), (language, name)


@pytest.mark.parametrize("language", GERMAN)
@pytest.mark.parametrize("topic", TOPICS)
def test_every_german_phrase_with_every_topic(language: str, topic: str) -> None:
    words = phrases(language)
    forms = _topic_forms(words, topic, topic)
    said = tuple(str(words[n]).format(office=words["office"], **forms) for n in TOPIC_PHRASES)
    assert said == EXPECTED[language][topic]
    # and as the composer writes them: the phone script's first line
    assert made(topic, "phone", language).splitlines()[0] == EXPECTED[language][topic][0]


@pytest.mark.parametrize("language", GERMAN)
def test_the_fixed_german_phrases(language: str) -> None:
    """Every German phrase without the topic, as a person read it; with the three above, every
    phrase of the language (so a new one must be read and added here)."""
    words = phrases(language)
    assert {name: words[name] for name in FIXED[language]} == FIXED[language]
    rest = set(words) - set(FIXED[language]) - set(TOPIC_PHRASES)
    assert rest == {"topic_names", "topic_cases"}


def test_the_office_opens_the_phone_script_without_an_article() -> None:
    office = Office(name={"de": "Gesundheitsamt Lindenhain"})
    first = made("rsv", "phone", "de", office).splitlines()[0]
    assert first == "Gesundheitsamt Lindenhain, guten Tag! Ich rufe wegen des RSV-Schutzes an."


@pytest.mark.parametrize("topic", TOPICS)
def test_every_german_topic_has_its_four_cases(topic: str) -> None:
    for language in GERMAN:
        cases = phrases(language)["topic_cases"][topic]  # type: ignore[index]
        assert set(cases) == {"nom", "acc", "dat", "gen"}
        name = phrases(language)["topic_names"][topic]  # type: ignore[index]
        assert all(form.endswith((name, name + "es")) for form in cases.values()), cases
