"""Catalog data files: every choice the app offers, and errors for unknown ids."""

from __future__ import annotations

import pytest

from comms.drafting.draft import Request, resolve
from core.catalog import load_catalog, pick
from core.errors import InputError


def test_catalog_offers_what_the_brief_promises() -> None:
    catalog = load_catalog()
    assert {"measles", "hpv", "flu", "rsv", "covid19"} <= {t.id for t in catalog.topics}
    assert len(catalog.audiences) >= 8
    assert {c.id for c in catalog.channels} >= {
        "sms",
        "social",
        "letter",
        "poster",
        "faq",
        "phone",
        "email",
    }
    assert {lg.id for lg in catalog.languages} == {
        "de",
        "en",
        "tr",
        "ar",
        "uk",
        "ru",
        "de-einfach",
        "de-leicht",
    }
    assert all(set(e.label) == {"de", "en"} for e in (*catalog.topics, *catalog.audiences))


def test_arabic_is_right_to_left_and_leichte_sprache_needs_a_test_reader() -> None:
    languages = {lg.id: lg for lg in load_catalog().languages}
    assert languages["ar"].rtl and not languages["de"].rtl
    assert languages["de-leicht"].needs_test_reader
    assert languages["de-einfach"].base_language == "de"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            Request("measles", "martians", "sms", "de"),
            "Unknown audience 'martians'; choose one of: parents-infants",
        ),
        (Request("", "hesitant", "sms", "de"), "The topic is empty; choose one of: measles"),
        (Request("flu", "hesitant", "fax", "de"), "Unknown channel 'fax'"),
        (Request("flu", "hesitant", "sms", "fr"), "Unknown language 'fr'"),
        (Request("flu", "hesitant", "sms", "de", "x" * 501), "longer than 500 characters"),
    ],
)
def test_bad_requests_name_what_to_fix(request_: Request, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        resolve(request_)


def test_pick_strips_whitespace() -> None:
    assert pick(load_catalog().topics, " flu ", "topic").id == "flu"
