"""Drafting with a scripted model over a real Chroma directory and the fake embedder."""

from __future__ import annotations

import pytest

from comms.draft import Request, draft_message, resolve, retrieval_query
from comms.errors import GenerationError, InputError
from tests.conftest import ScriptedChat

REQUEST = Request("measles", "parents-infants", "sms", "de", "Ist das sicher?")


def test_message_cites_retrieved_passages_with_provenance(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    chat = ScriptedChat([{"text": "Die MMR-Impfung schützt Ihr Kind.", "citations": [2, 1]}])
    streamed: list[str] = []
    message = draft_message(
        REQUEST, settings=settings, chat=chat, store=fake_store, on_text=streamed.append
    )
    assert message.text == "Die MMR-Impfung schützt Ihr Kind."
    assert [c.number for c in message.citations] == [2, 1]
    evidence_ids = [p["chunk_id"] for p in message.evidence]
    assert [c.chunk_id for c in message.citations] == [evidence_ids[1], evidence_ids[0]]
    assert all(c.url.startswith("https://") and c.title for c in message.citations)
    assert (message.topic, message.audience, message.channel, message.language) == (
        "measles",
        "parents-infants",
        "sms",
        "de",
    )
    assert message.model.model_id == "scripted"
    assert message.template_id == "draft_message" and len(message.template_version) == 12
    assert streamed[-1] == message.text
    assert chat.calls[0]["schema"]["properties"]["citations"]["items"]["enum"] == list(
        range(1, len(evidence_ids) + 1)
    )


def test_evidence_is_about_the_topic(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    chat = ScriptedChat([{"text": "Eine Nachricht über Masern.", "citations": [1]}])
    message = draft_message(REQUEST, settings=settings, chat=chat, store=fake_store)
    sources = {p["source_id"] for p in message.evidence}
    assert any("measles" in s for s in sources), sources
    assert len(message.evidence) == settings.retrieval_k


def test_citation_to_a_passage_not_retrieved_is_rejected(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    chat = ScriptedChat([{"text": "Ein Text mit Quellen.", "citations": [1, 42]}])
    message = draft_message(REQUEST, settings=settings, chat=chat, store=fake_store)
    assert [c.number for c in message.citations] == [1]
    assert message.rejected_citations == [42]


def test_only_invalid_citations_is_an_error(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    chat = ScriptedChat([{"text": "Ein Text ohne echte Quelle.", "citations": [9]}])
    with pytest.raises(GenerationError, match="cited none of the retrieved passages"):
        draft_message(REQUEST, settings=settings, chat=chat, store=fake_store)


def test_malformed_answer_is_retried_with_the_next_seed(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    chat = ScriptedChat(['{"text": "cut o', {"text": "Zweiter Versuch klappt.", "citations": [1]}])
    message = draft_message(REQUEST, settings=settings, chat=chat, store=fake_store, seed=7)
    assert message.text == "Zweiter Versuch klappt."
    assert [call["seed"] for call in chat.calls] == [7, 8]


def test_two_malformed_answers_give_a_clear_error(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    chat = ScriptedChat(["nope", "{}"])
    with pytest.raises(GenerationError, match="not valid JSON|no message text"):
        draft_message(REQUEST, settings=settings, chat=chat, store=fake_store)


def test_unknown_audience_is_refused_before_the_model_is_asked(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    chat = ScriptedChat([])
    with pytest.raises(InputError, match="Unknown audience"):
        draft_message(
            Request("measles", "nobody", "sms", "de"),
            settings=settings,
            chat=chat,
            store=fake_store,
        )
    assert chat.calls == []


def test_empty_store_says_how_to_fill_it(settings) -> None:  # type: ignore[no-untyped-def]
    from knowledge.store import Store
    from tests.conftest import FakeEmbedder

    with pytest.raises(InputError, match="python -m knowledge index"):
        draft_message(
            REQUEST, settings=settings, chat=ScriptedChat([]), store=Store(settings, FakeEmbedder())
        )


def test_retrieval_query_uses_topic_audience_and_concern() -> None:
    query = retrieval_query(resolve(REQUEST))
    assert "measles" in query and "Parents of infants" in query and "Ist das sicher?" in query
