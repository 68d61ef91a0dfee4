"""What every publication of one message shows: the Sheet, built from plain data.

The publish package sits below comms.packs: it knows nothing of campaigns or stores, so the
poster, letter, sharepic and SMS files can be made from any message (a pack cell, the write
page's draft, a test)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from comms.campaign_facts import CampaignFacts, fact_labels, localized
from comms.checks.sentences import split_sentences
from comms.office import OFFICIAL_LANGUAGE, Office
from core.catalog import base_language, load_catalog, pick
from core.errors import InputError

FACT_FIELDS = ("when", "where", "who", "cost")  # the facts block; booking is the call to action
DEFAULT_OFFICE = {"de": "Ihr Gesundheitsamt", "en": "Your health office"}
DRAFT_MARK = "ENTWURF – nicht freigegeben / DRAFT – not approved"
# DIN SPEC 33429: a Leichte Sprache text is checked by readers of the target group.
UNCHECKED_TRANSLATION = (
    "Übersetzung noch von niemandem mit dieser Muttersprache geprüft. "
    "Vor der Veröffentlichung von einer Person mit dieser Muttersprache lesen lassen."
)
TEST_READ_PENDING = (
    "Noch nicht von Prüflesenden geprüft (DIN SPEC 33429). "
    "Vor der Veröffentlichung von Menschen mit Lernschwierigkeiten prüfen lassen."
)
ALT_PREFIX = {"de": "Grafik mit Text", "en": "Graphic with the text"}
QR_ALT = {"de": "QR-Code zur Terminbuchung", "en": "QR code for booking"}
LOGO_ALT = {"de": "Logo", "en": "Logo"}
SIGN_OFF = {"de": "Mit freundlichen Grüßen", "en": "Kind regards", "tr": "Saygılarımızla",
            "ar": "مع أطيب التحيات", "uk": "З повагою", "ru": "С уважением"}  # fmt: skip
# Word's and PDF's language tags per message language (Einfache and Leichte Sprache are German)
LOCALE = {"de": "de-DE", "en": "en-GB", "tr": "tr-TR", "ar": "ar", "uk": "uk-UA", "ru": "ru-RU"}
_URL = re.compile(r"^https?://[^\s<>\"']+$")
_RTL_LETTER = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


@dataclass(frozen=True)
class Sheet:
    """One message laid out for print and posts, every value plain text (escaped on output)."""

    language: str  # catalog id, e.g. "de-leicht"
    headline: str
    body: tuple[str, ...]  # paragraphs after the headline
    action_label: str  # "Termin vereinbaren"
    booking: str  # the booking fact: a web address, a phone number or a place
    booking_url: str  # "" when the booking fact is not a web address (no QR code then)
    facts: tuple[tuple[str, str], ...]  # (label, value) in the message language
    office_name: str
    contact: tuple[str, ...]  # the office's name, address, phone, e-mail, web
    sign_off: str
    subject: str
    date: str
    sources: tuple[str, ...] = ()
    draft: bool = False
    notices: tuple[str, ...] = field(default=())  # printed on the document, e.g. test reading

    @property
    def lang(self) -> str:
        """The BCP 47 tag of the document: Einfache and Leichte Sprache are German."""
        return base_language(self.language)

    @property
    def locale(self) -> str:
        """The language tag Word and PDF readers expect (w:lang, /Lang)."""
        return LOCALE.get(self.lang, self.lang)

    @property
    def rtl(self) -> bool:
        return bool(pick(load_catalog().languages, self.language, "language").rtl)

    @property
    def call_to_action(self) -> str:
        """ "Termin vereinbaren: https://…", or "" without a booking fact."""
        return f"{self.action_label}: {self.booking}" if self.booking else ""

    @property
    def alt_text(self) -> str:
        """What a sharepic says, for the post's alt text: headline, call to action, office."""
        prefix = ALT_PREFIX.get(self.lang, "")
        parts = [self.headline, self.call_to_action, self.office_name]
        said = " ".join(part.rstrip(".") + "." for part in parts if part)
        return f"{prefix}: {said}" if prefix else said

    @property
    def qr_alt(self) -> str:
        return f"{QR_ALT.get(self.lang, QR_ALT['en'])}: {self.booking_url}"

    @property
    def logo_alt(self) -> str:
        return f"{LOGO_ALT.get(self.lang, 'Logo')}: {self.office_name}"


@dataclass(frozen=True)
class Piece:
    """The inputs of a sheet: one message's text and what the office and campaign add."""

    text: str
    language: str
    facts: CampaignFacts
    office: Office | None = None
    subject: str = ""
    day: dt.date = field(default_factory=dt.date.today)
    sources: tuple[str, ...] = ()
    draft: bool = False
    test_read: bool = False  # Leichte Sprache: readers of the target group checked it
    unchecked_translation: bool = False  # a translation no native speaker has checked yet


def make_sheet(message: Piece) -> Sheet:
    """Lay out one message: headline, paragraphs, facts, call to action, office and notices."""
    if not message.text.strip():
        raise InputError("The message is empty: there is nothing to publish.")
    language = pick(load_catalog().languages, message.language, "language")
    facts, _ = localized(message.facts, language.id)
    labels = fact_labels(language.id)
    values = facts.filled()
    headline, body = split_headline(message.text, language.id)
    booking = values.get("booking", "")
    name = _office_name(message.office, language.id)
    pending = language.needs_test_reader and not message.test_read
    notices: tuple[str, ...] = (TEST_READ_PENDING,) if pending else ()
    notices += (UNCHECKED_TRANSLATION,) if message.unchecked_translation else ()
    return Sheet(
        language=language.id,
        headline=headline,
        body=body,
        action_label=labels["booking"],
        booking=booking,
        booking_url=booking if _URL.match(booking) else "",
        facts=tuple((labels[f], values[f]) for f in FACT_FIELDS if f in values),
        office_name=name,
        contact=tuple(message.office.contact_lines()) if message.office else (name,),
        sign_off=_sign_off(message.office, language.id, message.text),
        subject=message.subject or values.get("what", "") or headline,
        date=letter_date(language.id, message.day),
        sources=message.sources,
        draft=message.draft,
        notices=notices,
    )


def split_headline(text: str, language: str) -> tuple[str, tuple[str, ...]]:
    """The first sentence as headline, the rest as paragraphs (lines kept)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    sentences = split_sentences(lines[0], language) or [lines[0]]
    rest = [" ".join(sentences[1:]), *lines[1:]]
    return sentences[0], tuple(part for part in rest if part)


def letter_date(language: str, day: dt.date) -> str:
    """The date as a letter in that language writes it (Babel's long format, 4. Dezember 2026)."""
    from babel.dates import format_date

    if base_language(language) == "de":
        return day.strftime("%d.%m.%Y")  # DIN 5008's numeric date
    return str(format_date(day, "long", locale=base_language(language)))


def direction(value: str) -> str:
    """ "rtl" for a value with Arabic or Hebrew letters, else "ltr" (dates, numbers, links):
    a date range in an Arabic poster keeps its order."""
    return "rtl" if _RTL_LETTER.search(value) else "ltr"


def _sign_off(office: Office | None, language: str, text: str) -> str:
    """The office's closing, else the language's usual one; none where the text has it."""
    own = office.sign_off_in(language) if office else ""
    closing = own or SIGN_OFF.get(base_language(language), "")
    return "" if closing and closing.lower() in text.lower() else closing


def _office_name(office: Office | None, language: str) -> str:
    if office is not None:
        return office.name_in(language)
    return DEFAULT_OFFICE.get(base_language(language), DEFAULT_OFFICE[OFFICIAL_LANGUAGE])
