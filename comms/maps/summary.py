"""A map laid out for reading: per concern, the three key messages with word counts,
readability and their facts, in one language. The CLI and the Maps page both show this."""

from __future__ import annotations

from pydantic import BaseModel

from comms.checks.readability import measure_readability
from comms.checks.sentences import split_sentences, split_words
from comms.maps.schema import TARGET_WORDS, KeyMessage, MessageMap, Texts
from core.catalog import base_language

OVERVIEW = ""  # the concern id of the overarching key messages


class FactLine(BaseModel):
    """A supporting fact and the corpus document it cites."""

    id: str
    source: str
    text: str


class KeyMessageLine(BaseModel):
    """One key message in one language, measured."""

    id: str
    text: str
    words: int
    sentence_words: list[int]  # the word count of each sentence
    formula: str = ""  # a readability formula for German and English, with its grade
    grade: float | None = None
    facts: list[FactLine]


class ConcernSummary(BaseModel):
    """A concern (or the overarching key messages) with its three key messages."""

    concern_id: str
    question: str
    key_messages: list[KeyMessageLine]
    words: int
    target_words: int = TARGET_WORDS


def summarize(found: MessageMap, language: str) -> list[ConcernSummary]:
    """The overarching key messages first, then each concern, in `language`."""
    overview = _summary(OVERVIEW, "", found.key_messages, language)
    concerns = [
        _summary(c.id, _in(c.question, language), c.key_messages, language) for c in found.concerns
    ]
    return [overview, *concerns]


def readability(text: str, language: str) -> tuple[list[int], str, float | None]:
    """Each sentence's word count, and a formula with its grade for German and English."""
    base = base_language(language)
    sentences = split_sentences(text, base) if text else []
    counts = [len(split_words(sentence)) for sentence in sentences]
    if base in ("de", "en") and sentences:
        found = measure_readability(sentences, base)
        return counts, found.formula, found.grade
    return counts, "", None


def _summary(
    concern_id: str, question: str, messages: tuple[KeyMessage, ...], language: str
) -> ConcernSummary:
    lines = [_line(key, language) for key in messages]
    return ConcernSummary(
        concern_id=concern_id,
        question=question,
        key_messages=lines,
        words=sum(line.words for line in lines),
    )


def _line(key: KeyMessage, language: str) -> KeyMessageLine:
    text = _in(key.text, language)
    counts, formula, grade = readability(text, language)
    return KeyMessageLine(
        id=key.id,
        text=text,
        words=len(split_words(text)),
        sentence_words=counts,
        formula=formula,
        grade=grade,
        facts=[FactLine(id=f.id, source=f.source, text=_in(f.text, language)) for f in key.facts],
    )


def _in(texts: Texts, language: str) -> str:
    """The text in `language`, else in German (facts are written in the map languages only)."""
    return texts.get(language) or texts.get("de", "")
