"""The answer is in the message: a concern about cost, place or time gets that fact even in an
SMS; a map statement the campaign's dates contradict is left out, and staff are told."""

from __future__ import annotations

from pathlib import Path

import pytest

from comms.campaign_facts import (
    CampaignFacts,
    asked_fields,
    campaign_months,
    localized,
    stated_months,
)
from comms.drafting.draft import Request, resolve
from comms.drafting.write import compose_message
from comms.maps.compose import Composed, compose
from comms.maps.library import load_map, shipped_map_ids
from comms.maps.matching import match_concern
from core.settings import Settings
from knowledge.retrieval.store import Store
from tests.conftest import ScriptedChat

# The town clinic of issue 25: a spring campaign.
SPRING = CampaignFacts(
    when="jeden Dienstag 14–18 Uhr, vom 3. März bis 28. April 2026",
    where="Gesundheitsamt Lindenhain, Marktplatz 4, 2. Stock",
    cost="kostenlos",
    booking="06221 555 0190 oder lindenhain.example/impfen",
)
AUTUMN = SPRING.model_copy(update={"when": "jeden Dienstag 14–18 Uhr, 6. Oktober bis 24. November"})


def composed(
    topic: str, audience: str, channel: str, language: str, concern: str = "",
    facts: CampaignFacts = SPRING, concern_id: str | None = None,
) -> Composed:  # fmt: skip
    r = resolve(Request(topic, audience, channel, language, concern))
    loaded = load_map(topic)
    if concern_id is None:
        concern_id = match_concern(concern, loaded, language, None, audience).concern_id
    return compose(loaded, topic=r.topic, audience=r.audience, channel=r.channel,
                   language=r.language, facts=facts, concern_id=concern_id,
                   concern_text=concern)  # fmt: skip


@pytest.mark.parametrize(
    ("concern", "kind", "fields"),
    [
        ("Was kostet das?", None, ("cost",)),
        ("cost", None, ("cost",)),
        ("Ist das kostenlos?", None, ("cost",)),
        ("Wer bezahlt das?", None, ("cost",)),
        ("Wo und wann?", None, ("when", "where")),
        ("Wie komme ich zum Termin?", None, ("when", "where")),
        ("Nerede ve ne zaman?", None, ("when", "where")),
        ("Скільки коштує?", None, ("cost",)),
        ("Ist die Impfung sicher?", None, ()),
        ("Woher kommt das Virus?", None, ()),  # "wo" is a whole word, not "woher"
        ("", "cost", ("cost",)),
        ("", "timing", ("when",)),
        ("", "safety", ()),
    ],
)
def test_the_facts_a_concern_asks_for(
    concern: str, kind: str | None, fields: tuple[str, ...]
) -> None:
    assert asked_fields(concern, kind) == fields


@pytest.mark.parametrize(
    ("when", "months"),
    [
        ("jeden Dienstag 14–18 Uhr, vom 3. März bis 28. April 2026", {3, 4}),
        ("2.–27. November 2026, Mo–Fr 9–12 Uhr", {11}),
        ("November bis Februar", {11, 12, 1, 2}),
        ("03.03.2026 – 28.04.2026", {3, 4}),
        ("2026-09-15 to 2026-10-31", {9, 10}),
        ("from May to July", {5, 6, 7}),
        ("you may come any Tuesday, 14.00–18.00.", set()),
        ("jeden Dienstag 14–18 Uhr", set()),
    ],
)
def test_the_months_a_campaign_runs_in(when: str, months: set[int]) -> None:
    assert campaign_months(when) == months


@pytest.mark.parametrize(
    ("de", "en", "months"),
    [
        ("Die beste Zeit ist der Herbst.", "Autumn is the best time.", {9, 10, 11}),
        ("Am besten im September.", "Best in September or early October.", {9, 10}),
        ("Seit Januar 2024 empfohlen.", "Advised since January 2024.", set()),  # history
        ("Zwei Dosen im Abstand von 2 Monaten.", "You may get two doses.", set()),
    ],
)
def test_the_months_a_statement_says_to_vaccinate_in(de: str, en: str, months: set[int]) -> None:
    assert stated_months({"de": de, "en": en}) == months


COST_MAPS = [m for m in shipped_map_ids() if load_map(m).map.concern("cost")]


@pytest.mark.parametrize("topic", COST_MAPS)
@pytest.mark.parametrize(("language", "words"), [("de", "Was kostet das?"), ("en", "cost")])
def test_an_sms_about_cost_says_the_cost(topic: str, language: str, words: str) -> None:
    made = composed(topic, "older-adults", "sms", language, words)
    assert "kostenlos" in made.text, made.text  # whichever concern answers (pertussis: contacts)
    assert not [n for n in made.notes if n.id == "no_room"]


@pytest.mark.parametrize("topic", shipped_map_ids())
def test_an_sms_asked_where_and_when_says_both(topic: str) -> None:
    made = composed(topic, "limited-german", "sms", "de", "Wo und wann?")
    assert "Marktplatz 4" in made.text and "3. März bis 28. April 2026" in made.text, made.text


def test_an_sms_without_room_for_the_answer_tells_staff() -> None:
    """Turkish is UCS-2 (67 characters a segment): the German place and dates do not fit next to
    the main key message in two segments, so staff are told to add them."""
    made = composed("covid19", "limited-german", "sms", "tr", "Wo und wann?")
    [note] = made.notes
    assert note.id == "no_room" and note.args == {"fields": "when, where", "channel": "sms"}


def test_an_sms_with_room_for_one_answer_gives_it_before_the_call_to_action() -> None:
    """The Turkish SMS of issue 25: with the sheet's Turkish values only the time fits next to
    the main key message in two UCS-2 segments; it takes the place of "ask your doctor", and
    staff are told the place is missing."""
    sheet = SPRING.model_copy(update={"translations": {"tr": {
        "when": "her salı 14:00–18:00 (3 Mar – 28 Nis 2026)",
        "where": "Lindenhain Sağlık Müdürlüğü, Marktplatz 4, 2. kat"}}})  # fmt: skip
    made = composed("rsv", "limited-german", "sms", "tr", "nerede ve ne zaman",
                    facts=localized(sheet, "tr")[0])  # fmt: skip
    assert "Ne zaman: her salı 14:00–18:00 (3 Mar – 28 Nis 2026)" in made.text, made.text
    assert "doktorunuza" not in made.text
    [note] = [n for n in made.notes if n.id == "no_room"]
    assert note.args == {"fields": "where", "channel": "sms"}


@pytest.mark.parametrize("topic", COST_MAPS)
def test_we_tell_you_the_cost_gives_way_to_the_cost(topic: str) -> None:
    """ "Was die Impfung kostet, sagen wir Ihnen gern" stands in for the sheet's cost: beside
    "Kosten: kostenlos" it is left out; without a cost on the sheet it stays."""
    concern = load_map(topic).map.concern("cost")
    assert concern is not None
    [stand_in] = [k for k in concern.key_messages if k.stands_in_for == "cost"]
    ask_us = stand_in.text["de"]
    made = composed(topic, "older-adults", "faq", "de", concern_id="cost")
    assert ask_us not in made.text and "Kosten: kostenlos" in made.text
    assert stand_in.id not in [k for k, _ in made.key_messages]
    without = SPRING.model_copy(update={"cost": ""})
    assert ask_us in composed(topic, "older-adults", "faq", "de", facts=without,
                              concern_id="cost").text  # fmt: skip


def test_a_phone_answer_to_the_cost_question_says_the_cost() -> None:
    """The phone script answers typical questions in place; the cost question's answer ends
    with the cost where the key message that stood in for it was left out."""
    text = composed(
        "covid19", "older-adults", "phone", "de", "Wo kann ich mich impfen lassen?"
    ).text
    lead = "Bei der Frage „Was kostet die COVID-19-Impfung?“ hilft:\n"
    answer = text.split(lead, 1)[1].split("\n", 1)[0]
    assert answer.endswith("Kosten: kostenlos"), answer
    assert "sagen wir Ihnen gern" not in text


AUTUMN_BEST = "Autumn is the best time for the vaccine."


@pytest.mark.parametrize("channel", ["letter", "email", "faq", "poster", "phone"])
def test_autumn_is_not_the_best_time_for_a_spring_clinic(channel: str) -> None:
    made = composed("flu", "older-adults", channel, "en", concern_id="timing")
    assert AUTUMN_BEST not in made.text and "3. März bis 28. April 2026" in made.text
    assert "autumn" not in made.text.lower(), made.text
    named = [n for n in made.notes if n.args.get("statement") == AUTUMN_BEST]
    assert [n.args["when"] for n in named] == [SPRING.when]
    assert AUTUMN_BEST in named[0].text and SPRING.when in named[0].text


def test_an_autumn_clinic_keeps_the_autumn_statement() -> None:
    made = composed("flu", "older-adults", "letter", "en", facts=AUTUMN, concern_id="timing")
    assert AUTUMN_BEST in made.text and made.notes == []


def test_a_campaign_without_months_keeps_every_statement() -> None:
    facts = SPRING.model_copy(update={"when": "jeden Dienstag 14–18 Uhr"})
    made = composed("flu", "older-adults", "letter", "en", facts=facts, concern_id="timing")
    assert AUTUMN_BEST in made.text and made.notes == []


def test_the_main_key_message_gives_way_when_the_dates_contradict_it() -> None:
    """The flu map's first key message ("A flu vaccine each autumn …") opens an SMS for a
    spring clinic no more: the next key message is the main one."""
    made = composed("flu", "hesitant", "sms", "en")
    assert "each autumn" not in made.text
    assert made.key_messages[0][0] == "flu-vaccine-updated"
    assert [n.args["statement_id"] for n in made.notes] == ["flu-vaccine-each-autumn"]


def test_the_note_reaches_generate_json_and_passes_the_checks(
    settings: Settings, tmp_path: Path
) -> None:
    request = Request("covid19", "older-adults", "letter", "de", "Wann bin ich dran?")
    message = compose_message(request, settings=settings, store=None, facts=SPRING).message
    assert message.checks.ok, [i.reason for i in message.checks.failed()]
    payload = message.model_dump(mode="json")
    statements = [n["args"]["statement"] for n in payload["notes"]]
    assert "Die beste Zeit für die Auffrischung ist der Herbst." in statements
    assert all(n["id"] == "campaign_dates" and n["args"]["when"] == SPRING.when
               for n in payload["notes"])  # fmt: skip
    assert "Herbst" not in message.text


def test_the_write_page_warns_staff_naming_both(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    from tests.test_write_page import page, write

    at = page(monkeypatch, settings, fake_store, ScriptedChat([]))
    at.text_input(key="fact_when").input(SPRING.when)
    at = write(at, "Wann ist die beste Zeit?")  # flu, older adults, SMS, German
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Die beste Zeit für die Impfung ist der Herbst." in warnings
    assert f"die Aktion läuft aber {SPRING.when}" in warnings


def _myths() -> list[tuple[str, str, str]]:
    """Every myth concern of the shipped maps, with the first audience it is for."""
    return [
        (topic, concern.id, concern.audiences[0] if concern.audiences else "hesitant")
        for topic in shipped_map_ids()
        for concern in load_map(topic).map.concerns
        if concern.myth
    ]


@pytest.mark.parametrize(("topic", "concern_id", "audience"), _myths())
@pytest.mark.parametrize("channel", ["sms", "social"])
@pytest.mark.parametrize("language", ["de", "en", "tr"])
def test_a_short_message_about_a_myth_gives_its_short_answer(
    topic: str, concern_id: str, audience: str, channel: str, language: str
) -> None:
    """An SMS or a social post has room for one key message: the concern's short answer where
    the map names one (asked whether MMR causes autism: "Large reviews found no link with
    autism", not only "MMR protects against measles"), else its first key message."""
    concern = next(c for c in load_map(topic).map.concerns if c.id == concern_id)
    message = composed(topic, audience, channel, language, concern_id=concern_id)
    answer = concern.answering_first()[0]
    assert answer.text[language] in message.text, message.text
    assert message.key_messages[0][0] == answer.id


def test_the_autism_myth_has_a_short_answer_and_long_channels_keep_the_sandwich() -> None:
    concern = next(c for c in load_map("measles").map.concerns if c.id == "autism-myth")
    assert concern.short_answer == "no-link-autism"
    sms = composed("measles", "hesitant", "sms", "en", concern_id="autism-myth")
    assert "no link with autism" in sms.text and "MMR vaccine protects" not in sms.text
    letter = composed("measles", "hesitant", "letter", "en", concern_id="autism-myth")
    assert letter.text.index("MMR vaccine protects") < letter.text.index("no link with autism")


def test_a_short_answer_must_be_one_of_the_concerns_key_messages() -> None:
    from pydantic import ValidationError

    concern = next(c for c in load_map("measles").map.concerns if c.id == "autism-myth")
    data = concern.model_dump() | {"short_answer": "two-doses-protect"}
    with pytest.raises(ValidationError, match="short_answer 'two-doses-protect' is none of"):
        type(concern).model_validate(data)
