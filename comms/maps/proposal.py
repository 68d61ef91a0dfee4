"""Draft a new concern from the evidence: the model proposes, an admin corrects every line.

The result is YAML text of one concern (a `concerns:` list item), always labelled as a draft,
for the editor on the Maps page. It never goes into a map by itself: it is proposed and approved
like any other change.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from comms.maps.schema import KEY_MESSAGES, MAX_FACTS
from comms.model.backends import ChatModel
from core.catalog import load_catalog
from core.errors import InputError
from core.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:  # the store module pulls in numpy
    from knowledge.retrieval.search import Passage
    from knowledge.retrieval.store import Store

PROMPT = PROJECT_ROOT / "prompts" / "proposals" / "concern.yaml"
LABEL = "# Entwurf/Draft – check every line"
MAX_QUESTION_CHARS = 300
PASSAGES = 6
MAX_TOKENS = 900


class _DraftFact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    de: str
    en: str


class _DraftKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    de: str
    en: str
    facts: list[_DraftFact] = Field(default_factory=list, max_length=MAX_FACTS)


class _DraftAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key_messages: list[_DraftKey] = Field(min_length=KEY_MESSAGES, max_length=KEY_MESSAGES)


def draft_concern(
    question: str, topic_id: str, *, chat: ChatModel, store: Store, settings: Settings
) -> str:
    """YAML of a new concern answering `question`, drafted by the model from the evidence."""
    question = _checked(question)
    topic = _topic_label(topic_id)
    passages = _evidence(store, question, topic_id)
    sources = sorted({p.source_id for p in passages})
    completion = chat.complete(
        _messages(question, topic, passages),
        answer_schema(sources),
        seed=settings.seed,
        max_tokens=MAX_TOKENS,
        temperature=settings.llm_temperature,
    )
    try:
        answer = _DraftAnswer.model_validate(json.loads(completion.text))
    except (ValueError, ValidationError) as exc:
        reason = str(exc).splitlines()[0][:200]
        return skeleton(question, note=f"The model's answer could not be read ({reason}).")
    cited = {f.source for k in answer.key_messages for f in k.facts}
    if not cited <= set(sources):
        unknown = ", ".join(sorted(cited - set(sources)))
        return skeleton(question, note=f"The model cited sources it was not given ({unknown}).")
    return concern_yaml(question, [_key(k) for k in answer.key_messages])


def skeleton(question: str, note: str = "") -> str:
    """An empty concern with the question filled in, for the editor to complete."""
    empty = {"de": "", "en": "", "facts": [{"source": "", "de": "", "en": ""}]}
    return concern_yaml(question, [empty] * KEY_MESSAGES, note)


def concern_yaml(question: str, keys: list[dict[str, Any]], note: str = "") -> str:
    """A `concerns:` list item in the map file's layout, labelled as a draft."""
    slug = _slug(question)
    concern = {
        "id": slug,
        "kind": "other",
        "question": {"de": question, "en": question},
        "key_messages": [_key_entry(slug, n, key) for n, key in enumerate(keys, 1)],
    }
    body = yaml.safe_dump([concern], allow_unicode=True, sort_keys=False, width=100)
    indented = "".join(f"  {line}" for line in body.splitlines(keepends=True))
    notes = [LABEL, "# Translate the question and every text; check each fact against its source."]
    notes += [f"# {note}"] if note else []
    return "\n".join(notes) + "\n" + indented


def answer_schema(sources: list[str]) -> dict[str, Any]:
    """The JSON the model must give: three key messages, each with facts citing a passage."""
    text = {"type": "string", "minLength": 1, "maxLength": 240}
    fact = _object({"source": {"enum": sources}, "de": text, "en": text})
    facts = {"type": "array", "maxItems": MAX_FACTS, "items": fact}
    key = _object({"de": text, "en": text, "facts": facts})
    keys = {"type": "array", "minItems": KEY_MESSAGES, "maxItems": KEY_MESSAGES, "items": key}
    return _object({"key_messages": keys})


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


def _checked(question: str) -> str:
    question = " ".join(question.split())
    if not question:
        raise InputError("Type the concern's question first, in the words people use.")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"The question is longer than {MAX_QUESTION_CHARS} characters.")
    return question


def _topic_label(topic_id: str) -> str:
    for topic in load_catalog().topics:
        if topic.id == topic_id:
            return topic.label_in("en")
    raise InputError(f"No topic '{topic_id}'.")


def _evidence(store: Store, question: str, topic_id: str) -> list[Passage]:
    from knowledge.retrieval.search import Filters, search

    passages = search(store, question, k=PASSAGES, filters=Filters(vaccine=topic_id))
    passages = passages or search(store, question, k=PASSAGES)
    if not passages:
        raise InputError("The knowledge store is empty; run `python -m knowledge index` first.")
    return passages


@lru_cache(maxsize=1)
def _prompt() -> dict[str, str]:
    return dict(yaml.safe_load(PROMPT.read_text(encoding="utf-8")))


def _messages(question: str, topic: str, passages: list[Passage]) -> list[dict[str, str]]:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    user = env.from_string(_prompt()["user"]).render(
        topic=topic, question=question, passages=passages
    )
    return [{"role": "system", "content": _prompt()["system"]}, {"role": "user", "content": user}]


def _key(key: _DraftKey) -> dict[str, Any]:
    return {"de": key.de, "en": key.en, "facts": [f.model_dump() for f in key.facts]}


def _key_entry(slug: str, n: int, key: dict[str, Any]) -> dict[str, Any]:
    facts = [
        {"id": f"{slug}-{n}-{m}", "source": f["source"], "text": {"de": f["de"], "en": f["en"]}}
        for m, f in enumerate(key["facts"], 1)
    ]
    return {"id": f"{slug}-{n}", "text": {"de": key["de"], "en": key["en"]}, "facts": facts}


def _slug(question: str) -> str:
    words = re.findall(r"[a-z0-9]+", question.lower().translate(_UMLAUTS))[:5]
    return "-".join(words) or "new-concern"


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
