"""The office's own authority first: map facts that cite another country's or an international
body's source are marked `from_abroad`, validation keeps the mark true, and a message that
carries such a fact says where it comes from, in the reader's language (docs/maps.md)."""

from __future__ import annotations

import re

import pytest

from comms.drafting.draft import Request, resolve
from comms.maps.compose import compose
from comms.maps.library import load_map, shipped_map_ids, shipped_map_text
from comms.maps.schema import MapFact
from comms.maps.validation import check_map
from knowledge.sources.corpus import SourceMeta, corpus_countries, read_corpus

GERMAN_BODY = "DE"


def _facts(map_id: str) -> list[MapFact]:
    found = load_map(map_id).map
    keys = [*found.key_messages, *(k for c in found.concerns for k in c.key_messages)]
    return list({f.id: f for k in keys for f in k.facts}.values())


def test_every_recommendation_and_vaccine_fact_names_its_country() -> None:
    docs = [d for d in read_corpus() if d.meta.kind in ("recommendation", "vaccine-fact")]
    assert len(docs) == 27
    assert {d.meta.country for d in docs} == {"DE", "US", "INT"}
    assert all(d.meta.country == "DE" for d in docs if "STIKO" in d.meta.source_org)


def test_a_recommendation_without_a_country_is_refused() -> None:
    meta = read_corpus()[0].meta.model_dump() | {"kind": "recommendation", "country": None}
    with pytest.raises(ValueError, match="names its country"):
        SourceMeta.model_validate(meta)


@pytest.mark.parametrize("map_id", shipped_map_ids())
def test_a_fact_is_marked_exactly_when_its_source_is_not_german(map_id: str) -> None:
    countries = corpus_countries()
    for fact in _facts(map_id):
        country = countries.get(fact.source)
        if country is not None:
            assert fact.from_abroad is (country != GERMAN_BODY), fact.id


def test_the_shipped_maps_cite_the_german_body_where_its_documents_say_it() -> None:
    """Five facts that cited WHO or CDC cite STIKO's own documents, which say the same."""
    moved = {("flu", "new-composition"), ("flu", "viruses-change-constantly"),
             ("hpv", "before-exposure"), ("shingles", "rash-chickenpox-virus"),
             ("shingles", "go-away-in-days")}  # fmt: skip
    for map_id, fact_id in moved:
        [fact] = [f for f in _facts(map_id) if f.id == fact_id]
        assert corpus_countries()[fact.source] == GERMAN_BODY and not fact.from_abroad


def test_an_unmarked_fact_from_abroad_is_an_error_naming_the_source() -> None:
    text = shipped_map_text("measles")
    unmarked = re.sub(r"\n\s+from_abroad: true", "", text, count=1)
    _, problems = check_map(unmarked, "measles.yaml", "measles")
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1
    assert errors[0].field.endswith(".source")
    assert "vaccine-measles-mmr-safety-cdc-en' is a source of country US" in errors[0].message


def test_a_german_fact_marked_from_abroad_is_an_error() -> None:
    text = shipped_map_text("measles")
    marked = text.replace("source: rec-measles-stiko-de\n",
                          "source: rec-measles-stiko-de\n        from_abroad: true\n", 1)  # fmt: skip
    _, problems = check_map(marked, "measles.yaml", "measles")
    [error] = [p for p in problems if p.severity == "error"]
    assert error.field.endswith(".from_abroad")
    assert "the map's own country" in error.message


def _made(topic: str, audience: str, channel: str, language: str, concern: str) -> str:
    r = resolve(Request(topic, audience, channel, language))
    return compose(load_map(topic), topic=r.topic, audience=r.audience, channel=r.channel,
                   language=r.language, concern_id=concern).text  # fmt: skip


def test_a_us_fact_in_a_german_letter_says_it_comes_from_the_usa() -> None:
    text = _made("measles", "parents-infants", "letter", "de", "safety")
    line = "Schwere Nebenwirkungen der Impfung sind selten. Diese Angabe stammt aus den USA " \
           "(Gesundheitsbehörde CDC)."  # fmt: skip
    assert line in text


def test_the_same_fact_in_english_says_it_in_english() -> None:
    text = _made("measles", "parents-infants", "letter", "en", "safety")
    assert "Serious side effects of the vaccine are rare. This comes from the USA (the health " \
           "agency CDC)." in text  # fmt: skip
    assert "Angabe" not in text


def test_a_fact_that_names_its_body_gets_no_second_attribution() -> None:
    """ "Laut WHO …" names the body already; the fact beside it does not, and gets the line."""
    text = _made("rotavirus", "parents-infants", "letter", "de", "unknown")
    assert "Laut WHO stecken sich fast alle Kinder in den ersten Lebensjahren an." in text
    assert "Lebensjahren an. Diese Angabe" not in text


def test_leichte_sprache_says_it_in_leichte_sprache() -> None:
    text = _made("rotavirus", "parents-infants", "letter", "de-leicht", "hygiene-myth")
    assert text.count("Das sagt die Welt-Gesundheits-Organisation WHO.") >= 1
    assert "Weltgesundheitsorganisation" not in text


def test_a_german_fact_gets_no_attribution() -> None:
    text = _made("measles", "parents-infants", "letter", "de", "harmless")
    assert "Gegen das Masernvirus selbst gibt es kein Medikament." in text
    assert "Diese Angabe" not in text and "WHO" not in text
