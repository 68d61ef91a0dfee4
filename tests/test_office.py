"""The office profile: letters, e-mails and phone scripts sign with the office's name and
sign-off, never with an e-mail address; without a profile, "Ihr Gesundheitsamt"; a pack's
letters carry it; only admins change it (System page)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from bench.rig import FACTS
from comms.accounts import auth
from comms.drafting.draft import Request, resolve
from comms.drafting.write import compose_message
from comms.maps.compose import compose
from comms.maps.library import load_map
from comms.office import Office, load_office, office_path, save_office
from comms.packs.campaign import Campaign
from comms.packs.generation import create_campaign
from comms.packs.store import PackStore
from core.errors import InputError
from core.settings import Settings, load_settings
from tests.conftest import ROOT
from ui import auth as ui_auth
from ui import resources

LINDENHAIN = Office(
    name={"de": "Gesundheitsamt Lindenhain", "en": "Lindenhain Health Office"},
    address=["Marktplatz 4", "69117 Lindenhain"],
    phone="06221 555 0100",
    web="lindenhain.example",
    email="gesundheitsamt@lindenhain.example",
    sign_off={"de": "Mit freundlichen Grüßen aus Lindenhain", "en": "Best wishes from Lindenhain"},
)
CONTACT = "impfen@lindenhain.example"


def composed_text(channel: str, language: str, office: Office | None) -> str:
    r = resolve(Request("measles", "older-adults", channel, language))
    facts = FACTS.model_copy(update={"contact": CONTACT})
    return compose(load_map("measles"), topic=r.topic, audience=r.audience, channel=r.channel,
                   language=r.language, facts=facts, office=office).text  # fmt: skip


@pytest.mark.parametrize("channel", ["letter", "email"])
@pytest.mark.parametrize(
    ("language", "office", "signature"),
    [
        ("de", LINDENHAIN, ["Mit freundlichen Grüßen aus Lindenhain", "Gesundheitsamt Lindenhain"]),
        ("en", LINDENHAIN, ["Best wishes from Lindenhain", "Lindenhain Health Office"]),
        # Einfache Sprache takes the German name and sign-off; Turkish its own closing and the
        # official (German) name
        ("de-einfach", LINDENHAIN, ["Mit freundlichen Grüßen aus Lindenhain", "Gesundheitsamt Lindenhain"]),
        ("tr", LINDENHAIN, ["Saygılarımızla", "Gesundheitsamt Lindenhain"]),
        # no profile: the language's closing and "your health office", not the contact
        ("de", None, ["Mit freundlichen Grüßen", "Ihr Gesundheitsamt"]),
        ("en", None, ["Kind regards", "Your health office"]),
    ],
)  # fmt: skip
def test_a_letter_signs_with_the_office_not_an_email_address(
    channel: str, language: str, office: Office | None, signature: list[str]
) -> None:
    text = composed_text(channel, language, office)
    assert text.splitlines()[-2:] == signature
    assert text.count(CONTACT) == 1  # in the fact lines ("Kontakt: …"), not as the signature


@pytest.mark.parametrize(
    ("language", "office", "opening"),
    [
        ("de", LINDENHAIN, "Gesundheitsamt Lindenhain, guten Tag!"),
        ("en", LINDENHAIN, "Hello, this is Lindenhain Health Office calling about"),
        ("de", None, "Ihr Gesundheitsamt, guten Tag!"),
        ("en", None, "Hello, this is your health office calling about"),
    ],
)
def test_a_phone_script_names_the_office(
    language: str, office: Office | None, opening: str
) -> None:
    assert composed_text("phone", language, office).startswith(opening)


def test_the_signed_letter_passes_every_error_level_check(settings: Settings) -> None:
    save_office(settings, LINDENHAIN)
    for language in ("de", "en", "tr", "de-leicht"):
        request = Request("flu", "older-adults", "letter", language)
        message = compose_message(request, settings=settings, store=None, facts=FACTS).message
        assert message.checks.ok, [i.reason for i in message.checks.failed()]
        assert "Gesundheitsamt Lindenhain" in message.text or "Lindenhain Health" in message.text


def test_the_profile_round_trips_and_a_missing_one_is_none(settings: Settings) -> None:
    assert load_office(settings) is None
    save_office(settings, LINDENHAIN)
    assert load_office(settings) == LINDENHAIN
    assert yaml.safe_load(office_path(settings).read_text())["name"]["de"] == (
        "Gesundheitsamt Lindenhain"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("name: {de: ''}", "name in at least one language"),
        ("name: {xx: Amt}", "'xx' is not a language"),
        ("name: {de: Amt}\nfax: 123", "fax"),
        ("name: {de: 'Amt {x}'}", "curly braces"),
    ],
)
def test_an_invalid_profile_names_the_file_and_the_problem(
    settings: Settings, text: str, says: str
) -> None:
    office_path(settings).parent.mkdir(parents=True, exist_ok=True)
    office_path(settings).write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="office.yaml") as raised:
        load_office(settings)
    assert says in str(raised.value)


def test_names_fall_back_to_the_official_name() -> None:
    office = Office(name={"de": "Gesundheitsamt Lindenhain"}, sign_off={"de": "Viele Grüße"})
    assert office.name_in("en") == office.name_in("de-leicht") == "Gesundheitsamt Lindenhain"
    assert office.sign_off_in("de-einfach") == "Viele Grüße" and office.sign_off_in("en") == ""


def test_a_new_campaign_without_a_sender_is_signed_by_the_office(settings: Settings) -> None:
    save_office(settings, LINDENHAIN)
    campaign = Campaign(id="flu-2026", name="Grippe 2026", topic="flu", audiences=["older-adults"],
                        channels=["letter"], languages=["de"])  # fmt: skip
    record = create_campaign(PackStore(settings), campaign, settings=settings, user="anna")
    sender = record.campaign.sender
    assert sender is not None and sender.name == "Gesundheitsamt Lindenhain"
    assert (sender.address, sender.phone, sender.email, sender.web) == (
        LINDENHAIN.address, LINDENHAIN.phone, LINDENHAIN.email, LINDENHAIN.web
    )  # fmt: skip


PASSWORD = "Impfen-2025!"


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Settings]:
    """Local sign-in with an editor and an admin, and a fresh data directory."""
    monkeypatch.setenv("CLARION_DATA_DIR", str(tmp_path / "data"))
    auth.add_user(load_settings(), "erika", "editor", PASSWORD)
    auth.add_user(load_settings(), "adam", "admin", PASSWORD)
    monkeypatch.setenv("CLARION_AUTH", "local")
    monkeypatch.chdir(ROOT)
    for cached in (resources.settings, resources.store, ui_auth._throttle):
        cached.clear()
    yield load_settings(data_dir=tmp_path / "data")
    for cached in (resources.settings, resources.store, ui_auth._throttle):
        cached.clear()


def system_page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Anmelden").click().run()
    at.switch_page("pages/system.py").run()
    assert not at.exception, at.exception
    return at


def test_an_admin_saves_the_profile_on_the_system_page(signed_in: Settings) -> None:
    at = system_page("adam")
    at.text_input(key="office_name_de").input("Gesundheitsamt Lindenhain")
    at.text_input(key="office_sign_off_de").input("Herzliche Grüße")
    at.text_area[0].input("Marktplatz 4\n69117 Lindenhain")
    next(b for b in at.button if b.label == "Profil speichern").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = load_office(signed_in)
    assert saved == Office(name={"de": "Gesundheitsamt Lindenhain"},
                           sign_off={"de": "Herzliche Grüße"},
                           address=["Marktplatz 4", "69117 Lindenhain"])  # fmt: skip


def test_an_editor_sees_the_profile_but_cannot_change_it(signed_in: Settings) -> None:
    save_office(signed_in, LINDENHAIN)
    at = system_page("erika")
    assert not [w for w in at.text_input if str(w.key).startswith("office_")]
    assert "Gesundheitsamt Lindenhain" in " ".join(m.value for m in at.markdown)
