"""Facts in every language (comms/campaign_facts.py): a fact sheet's values per message language,
its schedule written by Babel, the note that names what stays in the office's language, and the same
shape in a campaign file and on the write page; and the advice to have a native speaker read a
message whose map texts in its language nobody has checked."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from comms.campaign_facts import CampaignFacts, Schedule, load_facts, localized, schedule_text
from comms.drafting.draft import Request
from comms.drafting.write import compose_message
from comms.packs.campaign import Campaign
from core.errors import InputError
from core.settings import Settings
from knowledge.retrieval.store import Store
from tests.conftest import ScriptedChat

ROOT = Path(__file__).resolve().parent.parent
OLD = load_facts(ROOT / "tests" / "fixtures" / "gate" / "facts.yaml")  # one language, no schedule
SPRING = Schedule(weekday="tuesday", opens="14:00", closes="18:00", first="2026-03-03",
                  last="2026-04-28")  # fmt: skip
SHEET = CampaignFacts(
    where="Gesundheitsamt Lindenhain, Marktplatz 4, 2. Stock",
    cost="kostenlos",
    booking="lindenhain.example/impfen",
    contact="06221 555 0190",
    schedule=SPRING,
    translations={
        "en": {"where": "Lindenhain health office, Marktplatz 4, 2nd floor", "cost": "free"},
        "tr": {"where": "Lindenhain Sağlık Müdürlüğü, Marktplatz 4, 2. kat", "cost": "ücretsiz"},
    },
)
GERMAN_WORDS = ("Dienstag", "Uhr", "Gesundheitsamt", "kostenlos", "Stock", "März")


def test_an_old_one_language_sheet_loads_and_stays_as_it_was_in_german() -> None:
    sheet, missing = localized(OLD, "de")
    assert sheet.filled() == OLD.filled()
    assert missing == ()


def test_easy_read_german_is_german() -> None:
    assert localized(OLD, "de-leicht")[0].filled() == OLD.filled()


def test_another_language_names_the_values_it_has_no_text_for() -> None:
    _, missing = localized(OLD, "en")
    assert missing == ("what", "when", "where", "cost")  # booking link and phone read the same


def test_a_translation_takes_the_place_of_the_office_value() -> None:
    sheet, missing = localized(SHEET, "tr")
    assert sheet.where == "Lindenhain Sağlık Müdürlüğü, Marktplatz 4, 2. kat"
    assert sheet.cost == "ücretsiz"
    assert sheet.booking == SHEET.booking
    assert missing == ()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "jeden Dienstag, 14:00–18:00 Uhr (3. März – 28. Apr. 2026)"),
        ("en", "every Tuesday, 14:00 – 18:00 (Mar 3 – Apr 28, 2026)"),
        ("tr", "her salı 14:00–18:00 (3 Mar – 28 Nis 2026)"),
        ("ar", "أيام الثلاثاء، 14:00–18:00 (3 مارس – 28 أبريل 2026)"),
        ("ru", "вторник, 14:00–18:00 (3 мар. – 28 апр. 2026 г.)"),
    ],
)
def test_the_schedule_is_written_in_each_language(language: str, text: str) -> None:
    assert schedule_text(SPRING, language) == text


def test_a_schedule_of_one_day_names_the_day() -> None:
    one = Schedule(first="2026-10-06")
    assert schedule_text(one, "de") == "06.10.2026"
    assert schedule_text(one, "en") == "Oct 6, 2026"


def test_the_office_when_stays_in_its_own_language_and_the_schedule_serves_the_others() -> None:
    sheet = SHEET.model_copy(update={"when": "dienstags 14–18 Uhr, März und April"})
    assert localized(sheet, "de")[0].when == "dienstags 14–18 Uhr, März und April"
    assert localized(sheet, "en")[0].when.startswith("every Tuesday")


def test_the_campaign_months_are_read_from_what_the_office_wrote() -> None:
    sheet = localized(SHEET, "tr")[0]
    assert sheet.written_when == "every Tuesday, 14:00 – 18:00 (Mar 3 – Apr 28, 2026)"
    assert localized(OLD, "tr")[0].written_when == OLD.when


@pytest.mark.parametrize(
    ("language", "free", "amount"),
    [("de", "kostenlos", "25,00 €"), ("en", "free of charge", "€25.00"),
     ("tr", "ücretsiz", "€25,00"), ("uk", "безкоштовно", "25,00 EUR"),
     ("ru", "бесплатно", "25,00 €"), ("de-leicht", "kostenlos", "25,00 €")],
)  # fmt: skip
def test_the_price_is_written_in_each_language(language: str, free: str, amount: str) -> None:
    assert localized(CampaignFacts(price=0), language)[0].cost == free
    assert localized(CampaignFacts(price=Decimal("25")), language)[0].cost == amount


def test_a_price_needs_no_translation_and_the_office_text_stays_in_its_language() -> None:
    sheet = CampaignFacts(cost="kostenlos (die Krankenkasse zahlt)", price=0)
    assert localized(sheet, "de")[0].cost == "kostenlos (die Krankenkasse zahlt)"
    arabic, missing = localized(sheet, "ar")
    assert arabic.cost == "مجانًا" and "cost" not in missing


def test_a_price_survives_a_campaign_file() -> None:
    again = CampaignFacts.model_validate(
        CampaignFacts(price=Decimal("12.5")).model_dump(mode="json")
    )
    assert again.price == Decimal("12.5")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"schedule": {"weekday": "dienstag"}}, "weekday"),
        ({"schedule": {"opens": "18:00", "closes": "14:00"}}, "closes must be later"),
        ({"schedule": {"opens": "14:00"}}, "both opens and closes"),
        ({"schedule": {"first": "2026-04-28", "last": "2026-03-03"}}, "last must not be before"),
        ({"translations": {"en": {"place": "x"}}}, "en.place is not a field"),
        ({"translations": {"en": {"where": "{booking}"}}}, "no braces"),
        ({"price": -5}, "greater than or equal to 0"),
        ({"price": "12.345"}, "decimal places"),
    ],
)
def test_a_bad_sheet_is_refused_naming_what_is_wrong(data: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        CampaignFacts.model_validate(data)


def test_an_english_message_has_no_german_logistics_where_the_sheet_has_english(
    settings: Settings,
) -> None:
    request = Request("flu", "older-adults", "letter", "en", "Where do I go?")
    message = compose_message(request, settings=settings, store=None, facts=SHEET).message
    assert "Lindenhain health office, Marktplatz 4, 2nd floor" in message.text
    assert [w for w in GERMAN_WORDS if w in message.text] == []
    assert [n.id for n in message.notes if n.id == "untranslated_facts"] == []
    assert message.checks.ok, [i.reason for i in message.checks.failed()]


def test_what_stays_german_is_named_in_a_note(settings: Settings) -> None:
    request = Request("flu", "older-adults", "letter", "en", "Where do I go?")
    message = compose_message(request, settings=settings, store=None, facts=OLD).message
    (note,) = [n for n in message.notes if n.id == "untranslated_facts"]
    assert note.args == {"fields": "when, where, cost", "language": "en"}
    assert OLD.where in message.text


def test_a_campaign_file_keeps_translations_and_schedule() -> None:
    data = SHEET.model_dump(mode="json", exclude_defaults=True)
    campaign = Campaign(id="flu-2026", name="Flu 2026", topic="flu", facts=data,
                        audiences=["older-adults"], channels=["sms"], languages=["en"])  # fmt: skip
    assert campaign.fact_sheet == SHEET
    assert campaign.facts["schedule"]["weekday"] == "tuesday"


def test_the_write_page_takes_the_values_in_the_message_language(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    from tests.test_write_page import page

    at = page(monkeypatch, settings, fake_store, ScriptedChat([]))
    for key, value in (("topic", "flu"), ("audience", "older-adults"), ("channel", "letter"),
                       ("language", "en")):  # fmt: skip
        at.selectbox(key=key).set_value(value)
    at.text_area(key="concern").input("Where do I go?")
    at.text_input(key="fact_where").input(SHEET.where)
    at.text_input(key="fact_where_translated").input("Lindenhain health office, Marktplatz 4")
    at.button[0].click().run()
    assert not at.exception, at.exception
    message = at.session_state["write_message"]
    assert "Lindenhain health office, Marktplatz 4" in message.text
    assert SHEET.where not in message.text
    assert [n.id for n in message.notes if n.id == "untranslated_facts"] == []


def test_a_message_in_a_language_no_native_speaker_checked_says_so(settings: Settings) -> None:
    request = Request("measles", "parents-infants", "sms", "tr")
    report = compose_message(request, settings=settings, store=None, facts=OLD).message.checks
    item = report.item("needs_native_reader")
    assert not item.passed and item.max_points == 0
    assert item.reason_args == {"language": "tr"}
    assert report.ok  # advice for staff, not a failure


def test_a_language_the_office_checked_has_no_such_advice(settings: Settings) -> None:
    request = Request("measles", "parents-infants", "sms", "en")
    report = compose_message(request, settings=settings, store=None, facts=OLD).message.checks
    assert "needs_native_reader" not in [i.id for i in report.items]


def test_a_campaign_file_given_as_a_fact_sheet_is_named_as_such(tmp_path: Path) -> None:
    campaign = Path(__file__).resolve().parents[1] / "examples" / "flu-campaign.yaml"
    with pytest.raises(InputError, match="flu-campaign.yaml is a campaign file, not a fact sheet"):
        load_facts(campaign)


def test_a_bad_fact_sheet_file_names_each_field_in_one_line(tmp_path: Path) -> None:
    sheet = tmp_path / "facts.yaml"
    sheet.write_text("when: 5\nwhre: Marktplatz 4\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_facts(sheet)
    assert str(raised.value) == ("Fact sheet facts.yaml is invalid: when: Input should be a valid "
                                 "string; whre: Extra inputs are not permitted")  # fmt: skip
