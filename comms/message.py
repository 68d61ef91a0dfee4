"""The message object: what the model must return, and what Clarion stores and shows."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from comms.report import EMPTY_REPORT, LintReport
from core.clock import now
from core.errors import GenerationError
from knowledge.retrieval.search import Passage
from knowledge.sources.chunks import content_hash


class Citation(BaseModel):
    """A retrieved passage the message rests on, pinned by its text's hash."""

    number: int
    chunk_id: str
    source_id: str
    title: str
    url: str
    date: str
    content_hash: str = ""  # the passage's hash when cited ("" in messages made before)

    @classmethod
    def of(cls, number: int, passage: Passage) -> Citation:
        """The citation numbered `number` of a passage."""
        return cls(
            number=number, chunk_id=passage.chunk_id, source_id=passage.source_id,
            title=passage.title, url=passage.url, date=passage.date,
            content_hash=content_hash(passage.text),
        )  # fmt: skip


class ModelRef(BaseModel):
    backend: str
    model_id: str
    sha256: str | None = None
    name: str = ""  # the model's own name, where the model says it
    license: str = ""  # the licence as read from the model ("unknown" where it says none)


class KeyMessageRef(BaseModel):
    """An approved key message a message carries."""

    id: str
    text: str


class MapRef(BaseModel):
    """The message map a message was made from: which version, and which key messages."""

    id: str
    version: str  # the map file's hash
    key_set: str  # "key_messages" (the overarching three) or the concern whose three were used
    key_messages: list[KeyMessageRef]


class RejectedVersion(BaseModel):
    """The model's version when it was not used, and why."""

    text: str
    reasons: list[dict[str, str]]  # {"item": check id, "reason": why it failed}


class Note(BaseModel):
    """Something staff must know about how a message was composed, shown as a warning: `text`
    in English (JSON, CLI); `id` and `args` give it in the interface language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str  # "campaign_dates": a map statement the campaign's dates contradict, left out
    text: str
    args: dict[str, str] = Field(default_factory=dict)


class Message(BaseModel):
    """One generated message with its full provenance."""

    model_config = ConfigDict(extra="forbid")

    text: str
    topic: str
    audience: str
    channel: str
    language: str
    concern: str = ""
    citations: list[Citation]
    rejected_citations: list[int] = Field(default_factory=list)
    evidence: list[Passage]
    model: ModelRef
    template_id: str
    template_version: str
    seed: int
    slots: dict[str, str] = Field(default_factory=dict)  # fact values Clarion put in the text
    fact_line: str = ""  # the closing fact line Clarion appended, if any
    checks: LintReport = EMPTY_REPORT  # the check report of `text`: items and score
    attempts: int = 1  # 1 + the number of repair rounds
    first_checks: LintReport = EMPTY_REPORT  # the checks before any repair
    flagged_passages: list[int] = Field(default_factory=list)  # evidence that tried to instruct
    created_at: str = Field(default_factory=now)
    # Message maps: which version staff get, the composed floor and the model's version.
    version: Literal["composed", "model"] = "model"  # messages before maps were the model's
    map: MapRef | None = None
    concern_matched: str | None = None  # the map concern the message answers; None: general
    concern_reason: str = ""  # why that concern (comms.maps.matching.ConcernMatch.reason)
    notes: list[Note] = Field(default_factory=list)  # what the composer changed, and why
    composed_text: str = ""
    composed_checks: LintReport = EMPTY_REPORT
    model_text: str = ""  # the model's version, when the model was asked (used or not)
    model_checks: LintReport = EMPTY_REPORT
    rejected_model_version: RejectedVersion | None = None

    def cited_passages(self) -> list[Passage]:
        """The evidence passages the message cites."""
        count = len(self.evidence)
        return [self.evidence[c.number - 1] for c in self.citations if 0 < c.number <= count]


# llama.cpp expands a string length limit into nested grammar rules; limits in the thousands
# (a letter) overflow its grammar stack and crash the process. Longer channels are bounded by
# max_tokens and the length check instead.
MAX_GRAMMAR_LENGTH = 600


def output_schema(passages: int, max_chars: int) -> dict[str, Any]:
    """JSON schema the model's answer must follow; citations can only name retrieved passages."""
    text: dict[str, Any] = {"type": "string", "minLength": 20}
    if max_chars <= MAX_GRAMMAR_LENGTH:
        text["maxLength"] = max_chars
    # Citations come first: the model picks its evidence before it writes, and a text cut off
    # at the token limit still arrives with its citations.
    return {
        "type": "object",
        "properties": {
            "citations": {
                "type": "array",
                "items": {"type": "integer", "enum": list(range(1, passages + 1))},
                "minItems": 1,
                "maxItems": min(3, passages),
            },
            "text": text,
        },
        "required": ["citations", "text"],
        "additionalProperties": False,
    }


# Bidirectional embeddings, overrides and isolates can make text display in another order
# than it is stored; a byte-order mark has no place inside a message. (Joiners and the
# left-to-right / right-to-left marks stay: emoji and Arabic script need them.)
_HIDDEN = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def is_control(char: str) -> bool:
    """A control character (other than a line break or tab) or a hidden reordering mark."""
    return char in _HIDDEN or (char not in "\n\t" and unicodedata.category(char) == "Cc")


def without_controls(text: str) -> str:
    """The text without control characters: a model's output may hold them (a schema's
    grammar allows them in strings), and an SMS gateway or a letter must not."""
    return "".join(c for c in text if not is_control(c))


def parse_answer(raw: str) -> tuple[str, list[int]]:
    """The model's (text, cited passage numbers), or a GenerationError saying what was wrong."""
    try:
        data = json.loads(raw, strict=False)  # small models put raw line breaks in strings
    except json.JSONDecodeError as exc:
        data = _salvage(raw)
        if data is None:
            raise GenerationError(f"The model's answer is not valid JSON ({exc.msg}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise GenerationError("The model's answer has no message text.")
    text = without_controls(data["text"]).strip()
    if not text:
        raise GenerationError("The model returned an empty message.")
    cited = data.get("citations") or []
    numbers = [n for n in cited if isinstance(n, int) and not isinstance(n, bool)]
    return text, list(dict.fromkeys(numbers))


def _salvage(raw: str) -> dict[str, Any] | None:
    """A text cut off at the token limit: its citations and the text so far (checks flag it)."""
    found = re.match(r'\s*\{\s*"citations"\s*:\s*\[([\d,\s]*)\]', raw)
    text = partial_text(raw)
    if found is None or not text.strip():
        return None
    return {"text": text, "citations": [int(n) for n in re.findall(r"\d+", found.group(1))]}


def partial_text(raw: str) -> str:
    """The message text so far, read out of a JSON answer that is still streaming."""
    marker = raw.find('"text"')
    if marker < 0:
        return ""
    colon = raw.find(":", marker)
    start = raw.find('"', colon + 1) if colon >= 0 else -1
    if start < 0:
        return ""
    body, escaped = [], False
    for char in raw[start + 1 :]:
        if escaped:
            body.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            break
        else:
            body.append(char)
    try:
        return str(json.loads('"' + "".join(body) + '"'))
    except json.JSONDecodeError:
        return "".join(body)
