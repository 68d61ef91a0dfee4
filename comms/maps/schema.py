"""The shape of a message map file (catalog/maps/<topic>.yaml), checked field by field."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Every map speaks these; the composer needs them for facts and questions too.
MAP_LANGUAGES = ("de", "en", "de-einfach", "de-leicht")
# Key messages and questions are also translated into these, pending a native speaker's review.
TRANSLATED_LANGUAGES = ("tr", "ar", "uk", "ru")
ALL_LANGUAGES = MAP_LANGUAGES + TRANSLATED_LANGUAGES
KEY_MESSAGES = 3  # Covello's message map: three key messages per concern
MAX_FACTS = 3  # and up to three supporting facts under each
TARGET_WORDS = 27  # about 27 words for the three key messages together

ConcernKind = Literal[
    "overview",  # the overarching key messages for some audiences
    "safety",
    "side-effects",
    "cost",
    "timing",
    "age",
    "harmless",
    "unknown",
    "pregnancy",
    "myth",
    "other",
]

Texts = dict[str, str]  # language id → text


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


Slot = Literal["what", "who", "when", "where", "cost", "booking", "contact"]  # campaign facts


class MapFact(_Strict):
    """A supporting fact of a key message, citing one document of the curated corpus by its id
    (a map's fact, not the campaign's logistics: those are comms.campaign_facts.CampaignFacts)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    source: str
    text: Texts
    # The source is another country's body or an international one (the corpus document's
    # `country`), because no document of the map's authority says it: a message that carries
    # the fact says where it comes from (compose.yaml, `abroad`). Validation keeps it true.
    from_abroad: bool = False


class KeyMessage(_Strict):
    """One of three key messages, with up to three supporting facts."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    text: Texts
    facts: tuple[MapFact, ...] = Field(default=(), max_length=MAX_FACTS)
    # A campaign fact this key message stands in for ("Was die Impfung kostet, sagen wir Ihnen
    # gern" for `cost`): left out where the campaign's fact sheet gives that fact, which the
    # message then carries instead.
    stands_in_for: Slot | None = None


class Concern(_Strict):
    """A question people ask, in their words, with the three key messages that answer it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: ConcernKind
    question: Texts
    keywords: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    audiences: tuple[str, ...] = ()  # audiences that typically ask it; empty: everyone
    # Audiences whose situation its key messages address ("If you are healthy and under 60…");
    # the matcher never answers another audience with them. Empty: they suit anyone. An
    # overview concern speaks to its `audiences`.
    speaks_to: tuple[str, ...] = ()
    myth: Texts | None = None  # a myth concern states the myth once, inside a fact sandwich
    key_messages: tuple[KeyMessage, ...] = Field(min_length=KEY_MESSAGES, max_length=KEY_MESSAGES)
    # The key message that answers the question where a channel has room for one (an SMS, a
    # social post), when the first one does not: a myth's sandwich may open with a truth that
    # says nothing about the myth ("MMR protects against measles" to "Does MMR cause autism?").
    short_answer: str | None = None

    @model_validator(mode="after")
    def _myth_has_statement(self) -> Concern:
        if (self.kind == "myth") != (self.myth is not None):
            raise ValueError("a concern of kind 'myth' needs `myth`, and only such a concern")
        ids = [key.id for key in self.key_messages]
        if self.short_answer is not None and self.short_answer not in ids:
            raise ValueError(
                f"short_answer '{self.short_answer}' is none of this concern's key messages "
                f"({', '.join(ids)})"
            )
        return self

    def answering_first(self) -> tuple[KeyMessage, ...]:
        """Its key messages with the short answer first (the map's order without one)."""
        short = [k for k in self.key_messages if k.id == self.short_answer]
        return (*short, *(k for k in self.key_messages if k.id != self.short_answer))

    def addressed_to(self) -> tuple[str, ...]:
        """The audiences its key messages are written for; empty: anyone."""
        return self.speaks_to or (self.audiences if self.kind == "overview" else ())


class Authority(_Strict):
    """The recommending body that speaks for this office, and its documents in the corpus."""

    body: Texts
    sources: tuple[str, ...] = Field(min_length=1)


class MessageMap(_Strict):
    """A topic's approved key messages, concerns and facts."""

    id: str
    authority: Authority
    native_review_pending: tuple[str, ...] = ()  # translations no native speaker has checked
    key_messages: tuple[KeyMessage, ...] = Field(min_length=KEY_MESSAGES, max_length=KEY_MESSAGES)
    concerns: tuple[Concern, ...] = Field(min_length=1)

    def all_key_messages(self) -> list[tuple[str, KeyMessage]]:
        """Every key message with the id of the concern it answers ("" for the overarching)."""
        found = [("", km) for km in self.key_messages]
        return found + [(c.id, km) for c in self.concerns for km in c.key_messages]

    def concern(self, concern_id: str) -> Concern | None:
        """The concern with this id, if the map has it."""
        return next((c for c in self.concerns if c.id == concern_id), None)

    def fact(self, fact_id: str) -> MapFact | None:
        """The supporting fact with this id, if the map has it."""
        facts = (f for _, key in self.all_key_messages() for f in key.facts)
        return next((f for f in facts if f.id == fact_id), None)


def map_hash(text: str) -> str:
    """A map file's version hash, as recorded on every message made from it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
