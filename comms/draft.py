"""Drafting one message: retrieve evidence, render the template, ask the model, validate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from comms.catalog import Audience, Catalog, Channel, Language, Topic, load_catalog, pick
from comms.errors import GenerationError, InputError
from comms.llm import ChatModel
from comms.message import Citation, Message, ModelRef, output_schema, parse_answer, partial_text
from comms.settings import Settings
from comms.templates import PromptTemplate, load_template, render
from knowledge.search import Filters, Passage, search
from knowledge.store import Store

MAX_CONCERN_CHARS = 500
OnText = Callable[[str], None]


@dataclass(frozen=True)
class Request:
    """What staff asked for: ids from the catalog and an optional concern."""

    topic: str
    audience: str
    channel: str
    language: str
    concern: str = ""


@dataclass(frozen=True)
class Resolved:
    """A request with its ids looked up in the catalog."""

    topic: Topic
    audience: Audience
    channel: Channel
    language: Language
    concern: str


def resolve(request: Request, catalog: Catalog | None = None) -> Resolved:
    """Check every id and the concern; raise an InputError naming what to fix."""
    catalog = catalog or load_catalog()
    concern = request.concern.strip()
    if len(concern) > MAX_CONCERN_CHARS:
        raise InputError(f"The concern is longer than {MAX_CONCERN_CHARS} characters; shorten it.")
    return Resolved(
        topic=pick(catalog.topics, request.topic, "topic"),
        audience=pick(catalog.audiences, request.audience, "audience"),
        channel=pick(catalog.channels, request.channel, "channel"),
        language=pick(catalog.languages, request.language, "language"),
        concern=concern,
    )


def retrieval_query(resolved: Resolved) -> str:
    """The text embedded to find evidence (the bundled embedder reads English best)."""
    parts = [resolved.topic.search["en"], resolved.audience.label["en"], resolved.concern]
    return " ".join(part for part in parts if part)


def retrieve(store: Store, resolved: Resolved, k: int) -> list[Passage]:
    """Evidence for the request: topic-specific and general guidance."""
    passages = search(
        store, retrieval_query(resolved), k=k, filters=Filters(vaccine=resolved.topic.id)
    )
    if not passages:
        passages = search(store, retrieval_query(resolved), k=k)
    if not passages:
        raise InputError("The knowledge store is empty; run `python -m knowledge index` first.")
    return passages


def template_variables(resolved: Resolved, passages: list[Passage]) -> dict[str, Any]:
    """Plain data for the template: no objects with methods reach the sandbox."""
    return {
        "topic": resolved.topic.model_dump(),
        "audience": resolved.audience.model_dump(),
        "channel": resolved.channel.model_dump(),
        "language": resolved.language.model_dump(),
        "concern": resolved.concern,
        "passages": [{"title": p.title, "source": p.url, "text": p.text} for p in passages],
    }


def draft_message(
    request: Request,
    *,
    settings: Settings,
    chat: ChatModel,
    store: Store,
    seed: int | None = None,
    on_text: OnText | None = None,
    template: PromptTemplate | None = None,
) -> Message:
    """Write one cited message for the request (with `template` instead of the saved one)."""
    resolved = resolve(request)
    passages = retrieve(store, resolved, settings.retrieval_k)
    template = template or load_template("draft_message", settings)
    messages = render(template, template_variables(resolved, passages))
    schema = output_schema(len(passages), resolved.channel.max_chars)
    seed = settings.seed if seed is None else seed
    text, cited = _ask(chat, messages, schema, seed, resolved.channel.max_chars, settings, on_text)
    citations = [_citation(n, passages[n - 1]) for n in cited if 1 <= n <= len(passages)]
    if not citations:
        raise GenerationError("The model cited none of the retrieved passages; try again.")
    return Message(
        text=text,
        topic=resolved.topic.id,
        audience=resolved.audience.id,
        channel=resolved.channel.id,
        language=resolved.language.id,
        concern=resolved.concern,
        citations=citations,
        rejected_citations=[n for n in cited if not 1 <= n <= len(passages)],
        evidence=[p.to_dict() for p in passages],
        model=ModelRef(**vars(chat.info)),
        template_id=template.id,
        template_version=template.content_hash,
        seed=seed,
    )


def _ask(
    chat: ChatModel,
    messages: list[dict[str, str]],
    schema: dict[str, Any],
    seed: int,
    max_chars: int,
    settings: Settings,
    on_text: OnText | None,
) -> tuple[str, list[int]]:
    """Call the model; one retry with the next seed if the answer is malformed."""
    max_tokens = min(max_chars // 2 + 64, settings.llm_context // 2)
    error: GenerationError | None = None
    for attempt in range(2):
        completion = chat.complete(
            messages,
            schema,
            seed=seed + attempt,
            max_tokens=max_tokens,
            temperature=settings.llm_temperature,
            on_token=_text_streamer(on_text),
        )
        try:
            return parse_answer(completion.text)
        except GenerationError as exc:
            error = exc
    assert error is not None
    raise error


def _text_streamer(on_text: OnText | None) -> Callable[[str], None] | None:
    """Turn streamed JSON tokens into the message text so far, for a live view."""
    if on_text is None:
        return None
    buffer: list[str] = []

    def stream(token: str) -> None:
        buffer.append(token)
        on_text(partial_text("".join(buffer)))

    return stream


def _citation(number: int, passage: Passage) -> Citation:
    return Citation(
        number=number,
        chunk_id=passage.chunk_id,
        source_id=passage.source_id,
        title=passage.title,
        url=passage.url,
        date=passage.date,
    )
