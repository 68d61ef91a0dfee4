"""Consistency across the messages of one campaign."""

from __future__ import annotations

from comms.campaign_facts import CampaignFacts
from comms.checks.consistency import check_consistency
from comms.message import Citation, Message, ModelRef
from knowledge.retrieval.search import Passage

FACTS = CampaignFacts(when="ab 2. November", booking="Telefon 0123 456789")


def message(
    text: str,
    audience: str = "older-adults",
    language: str = "de",
    cited: tuple[str, str] = ("rec-flu-stiko-de", "recommendation"),
) -> Message:
    source_id, kind = cited
    return Message(
        text=text,
        topic="flu",
        audience=audience,
        channel="sms",
        language=language,
        citations=[
            Citation(
                number=1,
                chunk_id=f"{source_id}#0",
                source_id=source_id,
                title="T",
                url="https://example.org",
                date="2024-01-01",
            )
        ],
        evidence=[
            Passage(
                chunk_id=f"{source_id}#0",
                source_id=source_id,
                title="T",
                url="https://example.org",
                date="2024-01-01",
                language="de",
                kind=kind,
                section="",
                text="Ab 60 Jahren empfohlen.",
                score=1.0,
            )
        ],
        model=ModelRef(backend="fake", model_id="x"),
        template_id="draft_message",
        template_version="abc",
        seed=1,
    )


def test_consistent_campaign_has_no_findings() -> None:
    messages = [
        message("Die Impfung ist ab 60 Jahren empfohlen. Termin: Telefon 0123 456789."),
        message("Die Impfung schützt Sie. Termin ab 2. November.", audience="chronic-illness"),
    ]
    assert check_consistency(messages, FACTS) == []


def test_a_number_from_nowhere_is_reported() -> None:
    [finding] = check_consistency([message("Impfen Sie sich bis zum 15. Dezember.")], FACTS)
    assert finding.kind == "facts" and "15" in finding.detail and finding.messages == (0,)


def test_different_recommending_bodies_in_one_language_are_reported() -> None:
    messages = [
        message("Die Impfung ist ab 60 Jahren empfohlen."),
        message(
            "Die Impfung ist ab 60 Jahren empfohlen.", cited=("rec-flu-who-en", "recommendation")
        ),
    ]
    [finding] = check_consistency(messages, FACTS)
    assert (
        finding.kind == "recommendation" and "stiko" in finding.detail and "who" in finding.detail
    )


def test_a_second_body_cited_for_a_fact_beside_the_shared_one_is_one_voice() -> None:
    both = message("Die Impfung ist ab 60 Jahren empfohlen und gut verträglich.")
    who = message("Die Impfung ist gut verträglich.", cited=("rec-flu-who-en", "recommendation"))
    both.citations.append(who.citations[0].model_copy(update={"number": 2}))
    both.evidence.append(who.evidence[0])
    assert (
        check_consistency([both, message("Die Impfung ist ab 60 Jahren empfohlen.")], FACTS) == []
    )
    [finding] = check_consistency([both, who, message("Ab 60 Jahren empfohlen.")], FACTS)
    assert finding.kind == "recommendation" and finding.messages == (0, 1, 2)


def test_mixed_terminology_is_reported_with_the_preferred_term() -> None:
    messages = [message("Holen Sie sich die Impfung."), message("Holen Sie sich den Piks.")]
    [finding] = check_consistency(messages, FACTS)
    assert (
        finding.kind == "terminology"
        and "“Impfung”" in finding.detail
        and finding.messages == (0, 1)
    )


def test_languages_are_compared_separately() -> None:
    messages = [
        message("Holen Sie sich die Impfung."),
        message("Get your jab today.", language="en", cited=("rec-flu-who-en", "recommendation")),
    ]
    assert check_consistency(messages, FACTS) == []
