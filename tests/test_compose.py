"""The composer: every map, channel, language and a spread of audiences compose a message that
fits its channel and cites its sources; layouts per channel; composed messages pass every
error-level check over the bench grid; nonsense never passes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.engine_grid import grid
from bench.rig import FACTS
from comms.campaign_facts import CampaignFacts
from comms.checks.lint import lint
from comms.checks.sms import sms_info
from comms.drafting.draft import Request, resolve
from comms.drafting.write import Floor, _context, compose_message
from comms.maps.compose import PHRASES, Composed, choose_keys, compose
from comms.maps.library import load_map, shipped_map_ids
from core.catalog import load_catalog, pick
from core.errors import InputError
from core.settings import Settings, load_settings

CATALOG = load_catalog()
CHANNELS = [channel.id for channel in CATALOG.channels]
LANGUAGES = ("de", "en", "de-einfach", "de-leicht", "tr", "ar", "uk", "ru")
AUDIENCES = ("parents-infants", "older-adults", "limited-german")
PHRASE_TABLE = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
CONTACT = "Dr. Erika Muster, Gesundheitsamt Musterstadt, 0123 456700"


def make(
    topic: str,
    audience: str,
    channel: str,
    language: str,
    facts: CampaignFacts | None = FACTS,
    concern_id: str | None = None,
) -> Composed:
    return compose(
        load_map(topic),
        topic=pick(CATALOG.topics, topic, "topic"),
        audience=pick(CATALOG.audiences, audience, "audience"),
        channel=pick(CATALOG.channels, channel, "channel"),
        language=pick(CATALOG.languages, language, "language"),
        facts=facts,
        concern_id=concern_id,
    )


def floor(settings: Settings, *request: str, concern_id: str | None = None) -> Floor:
    return compose_message(
        Request(*request), settings=settings, store=None, facts=FACTS, concern_id=concern_id
    )


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("topic", shipped_map_ids())
def test_every_map_composes_in_every_channel_language_and_audience(
    topic: str, channel: str
) -> None:
    limit = pick(CATALOG.channels, channel, "channel").max_chars
    loaded = load_map(topic)
    wrong = []
    for language in LANGUAGES:
        for audience in AUDIENCES:
            main = choose_keys(loaded, audience, None)[1][0].id  # the chosen set's first
            for facts in (FACTS, None):
                made = make(topic, audience, channel, language, facts)
                cell = (language, audience, facts is not None)
                if not made.text.strip() or not made.sources:
                    wrong.append((cell, "empty or uncited"))
                carried = [key for key, _ in made.key_messages]
                if carried[:1] != [main]:
                    wrong.append((cell, f"the main key message {main} is missing: {carried}"))
                if len(made.text) > limit:
                    wrong.append((cell, f"{len(made.text)} characters > {limit}"))
                if channel == "sms" and sms_info(made.text).segments > 2:
                    wrong.append((cell, f"{sms_info(made.text).segments} SMS segments"))
    assert wrong == []


@pytest.mark.parametrize("topic", ["measles", "flu"])
def test_composed_messages_pass_every_error_level_check_over_the_bench_grid(
    settings: Settings, topic: str
) -> None:
    cells = grid([topic])
    failed = []
    for request in cells:
        checks = compose_message(request, settings=settings, store=None, facts=FACTS).message.checks
        if not checks.ok:
            errors = [i.id for i in checks.failed() if i.severity == "error"]
            failed.append((request.audience, request.channel, request.language, errors))
    assert len(cells) == 208 and failed == []


def phrase(language: str, name: str, audience: str | None = None) -> str:
    found = PHRASE_TABLE.get(language, PHRASE_TABLE["en"])[name]
    return str(found.get(audience) or found["default"]) if audience is not None else str(found)


@pytest.mark.parametrize("language", ["de", "en", "tr", "ar", "uk", "ru"])
@pytest.mark.parametrize("audience", ["parents-infants", "older-adults", "health-workers"])
def test_a_letter_opens_with_the_salutation_and_ends_with_the_sender(
    audience: str, language: str
) -> None:
    lines = make("measles", audience, "letter", language).text.splitlines()
    assert lines[0] == phrase(language, "salutation", audience)
    assert lines[-2:] == [phrase(language, "closing"), phrase(language, "sender")]
    signed = make(
        "measles", audience, "letter", language, FACTS.model_copy(update={"contact": CONTACT})
    )
    # an e-mail address is not a signature: the fact lines carry it (tests/test_office.py)
    assert signed.text.splitlines()[-1] == phrase(language, "sender")


# The topic's name as it starts a line ("Measles vaccination: …") is not put into the middle of a
# sentence: the glue takes its in-sentence form, and German its article and case
# (catalog/compose.yaml; every German phrase with every topic: tests/test_glue.py).
@pytest.mark.parametrize(
    ("topic", "language", "opening"),
    [
        ("measles", "de", "Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der Masern-Impfung an."),
        ("shingles", "de", "Ihr Gesundheitsamt, guten Tag! Ich rufe wegen der Gürtelrose-Impfung an."),
        ("rsv", "en", "Hello, this is your health office calling about RSV protection."),
        ("measles", "uk", "Добрий день, я телефоную з управління охорони здоров'я щодо теми «Щеплення від кору»."),
        ("rsv", "de", "Ihr Gesundheitsamt, guten Tag! Ich rufe wegen des RSV-Schutzes an."),
        ("measles", "en", "Hello, this is your health office calling about measles vaccination."),
        ("shingles", "en", "Hello, this is your health office calling about shingles vaccination."),
        ("measles", "tr", "Merhaba, kızamık aşısı hakkında sağlık dairenizden arıyorum."),
    ],
)  # fmt: skip
def test_a_phone_script_opens_naming_the_topic(topic: str, language: str, opening: str) -> None:
    assert make(topic, "older-adults", "phone", language).text.splitlines()[0] == opening


@pytest.mark.parametrize(
    ("language", "concern_id", "question"),
    [
        ("de", None, "Warum ist die Masern-Impfung wichtig?"),
        ("en", None, "Why does measles vaccination matter?"),
        ("ru", None, "Почему прививка от кори — это важно?"),
        ("en", "safety", "Is the measles vaccine safe for my child?"),
        ("de", "cost", "Was kostet die Masernimpfung?"),
        ("tr", "safety", "Kızamık aşısı çocuğum için güvenli mi?"),
    ],
)
def test_an_faq_opens_with_one_question(
    language: str, concern_id: str | None, question: str
) -> None:
    made = make("measles", "parents-infants", "faq", language, concern_id=concern_id)
    assert made.text.splitlines()[0] == question


@pytest.mark.parametrize(
    ("audience", "channel", "language", "concern_id", "key_set", "carried"),
    [
        ("parents-infants", "letter", "en", "safety", "safety",
         ["safe-well-tested", "protects-most", "ask-doctor"]),
        # the sheet gives the cost: "we tell you the cost" (stands_in_for) gives way to it
        ("parents-infants", "faq", "de", "cost", "cost", ["recommended-by-stiko", "record-bring"]),
        ("parents-infants", "letter", "de", None, "key_messages",
         ["two-doses-protect", "measles-serious", "protect-others"]),
        # older adults get the map's concern for adults without asking for it
        ("older-adults", "letter", "de", None, "adults",
         ["adults-after-1970", "check-record", "work-two-doses"]),
        ("parents-infants", "sms", "de", "safety", "safety", ["safe-well-tested"]),  # room for one
    ],
)  # fmt: skip
def test_a_message_carries_the_key_messages_of_its_concern_in_order(
    audience: str,
    channel: str,
    language: str,
    concern_id: str | None,
    key_set: str,
    carried: list[str],
) -> None:
    made = make("measles", audience, channel, language, concern_id=concern_id)
    measles = load_map("measles").map
    chosen = {c.id: c.key_messages for c in measles.concerns}.get(key_set, measles.key_messages)
    texts = {key.id: key.text[language] for key in chosen}
    assert made.key_set == key_set and made.concern_id == concern_id
    assert made.key_messages == [(key, texts[key]) for key in carried]
    where = [made.text.index(text) for _, text in made.key_messages]
    assert where == sorted(where)


MYTH_LANGUAGES = ["en", "de", "de-einfach", "de-leicht"]


@pytest.mark.parametrize("language", ["en", "de", "de-einfach", "de-leicht"])
@pytest.mark.parametrize("channel", ["letter", "email"])
def test_a_myth_letter_states_the_myth_once_after_the_first_key_message(
    settings: Settings, channel: str, language: str
) -> None:
    made = floor(settings, "measles", "hesitant", channel, language, concern_id="autism-myth")
    text, keys = made.message.text, made.composed.key_messages
    myth = (made.composed.myth or "").rstrip(".")  # one sentence: its own full stop goes
    assert myth and text.count(myth) == 1
    assert text.index(keys[0][1]) < text.index(myth) < text.index(keys[1][1])


@pytest.mark.parametrize("language", MYTH_LANGUAGES)
@pytest.mark.parametrize("channel", ["letter", "email"])
def test_a_myth_letter_passes_the_fact_sandwich_check(
    settings: Settings, channel: str, language: str
) -> None:
    made = floor(settings, "measles", "hesitant", channel, language, concern_id="autism-myth")
    sandwich = made.message.checks.item("fact_sandwich")
    assert sandwich.passed and sandwich.max_points == 1, sandwich.reason


@pytest.mark.parametrize(("concern_id", "key_set"), [(None, "adults"), ("cost", "cost")])
def test_german_for_limited_german_uses_the_einfache_sprache_wording(
    concern_id: str | None, key_set: str
) -> None:
    made = make("measles", "limited-german", "letter", "de", concern_id=concern_id)
    concern = load_map("measles").map.concern(key_set)
    assert concern is not None and made.key_set == key_set
    assert made.key_messages == [(k.id, k.text["de-einfach"]) for k in concern.key_messages
                                 if not k.stands_in_for]  # the sheet gives the cost  # fmt: skip
    plain = [k.text["de"] for k in concern.key_messages if k.text["de"] != k.text["de-einfach"]]
    assert plain and not [text for text in plain if text in made.text]


@pytest.mark.parametrize("concern_id", ["safety", "autism-myth", "cost", "law"])
def test_a_concern_chosen_by_id_is_reported(settings: Settings, concern_id: str) -> None:
    made = floor(settings, "measles", "parents-infants", "letter", "en", concern_id=concern_id)
    concern = made.loaded.map.concern(concern_id)
    assert concern is not None
    assert made.composed.concern_id == made.message.concern_matched == concern_id
    assert made.message.map is not None and made.message.map.key_set == concern_id
    # where the sheet gives the cost, "we tell you the cost" (stands_in_for) gives way to it
    kept = [k.id for k in concern.key_messages if not k.stands_in_for]
    assert [k.id for k in made.message.map.key_messages] == kept


def test_the_overview_for_an_audience_is_not_reported_as_a_chosen_concern() -> None:
    made = make("measles", "older-adults", "letter", "de")
    assert made.key_set == "adults" and made.concern_id is None


def test_an_unknown_concern_id_raises_an_input_error(settings: Settings) -> None:
    with pytest.raises(InputError, match="has no concern 'no-such-concern'"):
        floor(settings, "measles", "parents-infants", "sms", "de", concern_id="no-such-concern")


def test_compose_itself_refuses_an_unknown_concern() -> None:
    with pytest.raises(InputError, match="no concern 'no-such-concern'"):
        make("measles", "older-adults", "letter", "de", concern_id="no-such-concern")


NONSENSE = [
    "text_message_here_is_the_main_message_here_is_the_text",
    "RSV-Imprezung: Die persönliche Schwimmfunksschutz für mich kostenlos",
]


@pytest.mark.parametrize("text", NONSENSE)
@pytest.mark.parametrize(
    "request_",
    [
        Request("rsv", "older-adults", "sms", "de"),
        Request("rsv", "parents-infants", "social", "en"),
        Request("measles", "parents-infants", "letter", "de"),
        Request("flu", "hesitant", "sms", "de-einfach"),
    ],
)
def test_nonsense_never_passes_with_the_composer_context(
    tmp_path: Path, request_: Request, text: str
) -> None:
    made = compose_message(
        resolve(request_), settings=load_settings(data_dir=tmp_path), store=None, facts=FACTS
    )
    context = _context(made.resolved, FACTS, made.message.evidence, made.composed, made.loaded)
    report = lint(text, context)
    assert made.message.checks.ok  # the same context passes the composed text
    assert not report.ok and report.score <= 40
    assert "real_words" in [i.id for i in report.failed() if i.severity == "error"]
