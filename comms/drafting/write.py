"""Writing a message the way staff get it: the composed floor from the message map first, then
the model's version, offered only when it passes every error-level check and keeps the key
messages (docs/maps.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from comms.campaign_facts import CampaignFacts, localized
from comms.checks.fidelity import Embed
from comms.checks.lint import LintContext, lint, with_item
from comms.checks.support import Support
from comms.drafting.backing import meaning_for, support_for
from comms.drafting.draft import (
    OnText,
    Request,
    Resolved,
    draft_message,
    lint_context,
    resolve,
    retrieve,
)
from comms.drafting.grounding import cited_passages
from comms.drafting.judge import judge_sentences
from comms.maps.compose import Composed, compose
from comms.maps.library import LoadedMap, load_map
from comms.maps.matching import ConcernMatch, match_concern
from comms.message import (
    Citation,
    KeyMessageRef,
    MapRef,
    Message,
    ModelRef,
    Note,
    RejectedVersion,
)
from comms.model.backends import ChatModel
from comms.office import load_office
from comms.report import LintReport
from core.catalog import base_language
from core.errors import BackendError, GenerationError, ModelCrashed
from core.settings import Settings

if TYPE_CHECKING:
    from comms.drafting.template import PromptTemplate
    from knowledge.retrieval.search import Passage
    from knowledge.retrieval.store import Store

AskModel = Literal["always", "on-request", "never"]
COMPOSER = ModelRef(backend="composer", model_id="message map")


@dataclass(frozen=True)
class Floor:
    """A composed message with what the model's version needs to be judged against it."""

    message: Message
    composed: Composed
    loaded: LoadedMap
    resolved: Resolved
    match: ConcernMatch


def should_ask(settings: Settings, requested: bool = False) -> bool:
    """Whether the model is asked: always, never, or only when staff ask for it."""
    mode: AskModel = settings.ask_model
    return mode == "always" or (mode == "on-request" and requested)


def compose_message(
    request: Request | Resolved,
    *,
    settings: Settings,
    store: Store | None,
    facts: CampaignFacts | None = None,
    concern_id: str | None = None,
    loaded: LoadedMap | None = None,
) -> Floor:
    """The composed floor: the map's key messages for this request, cited and checked.

    `loaded` pins the map version (a pack loads it once for all its cells); default: the map
    in effect now.
    """
    resolved = request if isinstance(request, Resolved) else resolve(request)
    facts, untranslated = localized(facts, resolved.language.id) if facts else (None, ())
    loaded = loaded or load_map(resolved.topic.id, settings)
    match = _match(resolved, loaded, store, concern_id)
    composed = compose(loaded, topic=resolved.topic, audience=resolved.audience,
                       channel=resolved.channel, language=resolved.language,
                       facts=facts, concern_id=match.concern_id,
                       concern_text=resolved.concern, office=load_office(settings))  # fmt: skip
    passages = cited_passages(store, composed)
    support = support_for(resolved, loaded, facts or CampaignFacts(), [p.text for p in passages],
                          frames=composed.frames)  # fmt: skip
    meaning = meaning_for(resolved, loaded, support, _embed(store))
    checks = lint(composed.text, _context(resolved, facts, passages, composed, loaded), meaning)
    message = Message(
        text=composed.text,
        topic=resolved.topic.id,
        audience=resolved.audience.id,
        channel=resolved.channel.id,
        language=resolved.language.id,
        concern=resolved.concern,
        citations=[Citation.of(n, p) for n, p in enumerate(passages, 1)],
        evidence=passages,
        model=COMPOSER,
        template_id=f"map:{loaded.id}",
        template_version=loaded.version,
        seed=0,
        slots={k: v for k, v in (facts or CampaignFacts()).filled().items() if v in composed.text},
        checks=checks,
        first_checks=checks,
        version="composed",
        map=map_ref(composed),
        concern_matched=composed.concern_id,
        concern_reason=match.reason,
        notes=[
            *composed.notes,
            *_untranslated(untranslated, facts, composed.text, resolved.language.id),
        ],
        composed_text=composed.text,
        composed_checks=checks,
    )
    return Floor(message, composed, loaded, resolved, match)


def adapt_message(
    floor: Floor,
    *,
    settings: Settings,
    chat: ChatModel,
    store: Store,
    facts: CampaignFacts | None = None,
    seed: int | None = None,
    on_text: OnText | None = None,
    template: PromptTemplate | None = None,
    passages: list[Passage] | None = None,
) -> Message:
    """Ask the model for its version of the composed message; keep it only if it passes.

    `template` pins the drafting template and `passages` is evidence already found (a pack's
    shared set); by default the current template and a fresh search.
    """
    resolved, composed = floor.resolved, floor.composed
    facts = localized(facts, resolved.language.id)[0] if facts else None
    found = retrieve(store, resolved, settings.retrieval_k) if passages is None else passages
    # The composed message's own passages first, then the search's, up to retrieval_k in all:
    # the small default model has a 4k context, and the draft and key messages need room too.
    limit = max(settings.retrieval_k, len(floor.message.evidence))
    preferred = prefer_authority(found, floor.loaded.map.authority.sources)
    passages = _merge(floor.message.evidence, preferred)[:limit]
    keys = [text for _, text in composed.key_messages]
    try:
        model = draft_message(resolved, settings=settings, chat=chat, store=store, facts=facts,
                              seed=seed, on_text=on_text, passages=passages, template=template,
                              key_messages=keys, composed=composed.text)  # fmt: skip
    except ModelCrashed:
        raise  # the caller restarts nothing: the worker is already back; a pack marks the cell
    except (GenerationError, BackendError) as exc:  # no usable answer: the floor stands
        # A TruncatedAnswer (cut off at the token limit) carries what came and its checks;
        # the reasons are then the checks it failed (complete_sentences names the cut).
        checks = getattr(exc, "report", None) or LintReport(items=(), score=0)
        failed = [{"item": i.id, "reason": i.reason} for i in checks.items
                  if not i.passed and i.severity == "error"]  # fmt: skip
        reasons = failed or [{"item": "model", "reason": str(exc)}]
        return _keep_floor(floor, getattr(exc, "text", ""), checks, reasons)
    citations = _union(floor.message.citations, model.citations, passages)
    # The version's numbers and sentences rest on the passages *it* cites, not on those of
    # the composed draft it was shown.
    cited = model.cited_passages()
    texts = [p.text for p in cited]
    support = support_for(resolved, floor.loaded, facts or CampaignFacts(), texts, composed.text)
    context = _context(resolved, facts, cited, composed, floor.loaded,
                       valid=not model.rejected_citations, approved=support)  # fmt: skip
    context = context.model_copy(update={"fact_block": model.fact_line})
    meaning = meaning_for(resolved, floor.loaded, support, store.embedder.embed,
                          composed.key_messages, fidelity_required(floor))  # fmt: skip
    checks = lint(model.text, context, meaning)
    if settings.judge == "model":
        checks = with_item(checks, judge_sentences(chat, model.text, support, seed=model.seed))
    failures = [{"item": i.id, "reason": i.reason} for i in checks.items
                if not i.passed and i.severity == "error"]  # fmt: skip
    if failures:
        return _keep_floor(floor, model.text, checks, failures)
    return model.model_copy(update={
        "checks": checks, "citations": citations, "version": "model", "map": floor.message.map,
        "concern_matched": composed.concern_id, "concern_reason": floor.message.concern_reason,
        "notes": floor.message.notes,
        "composed_text": composed.text,
        "composed_checks": floor.message.checks, "model_text": model.text, "model_checks": checks,
    })  # fmt: skip


def write_message(
    request: Request | Resolved,
    *,
    settings: Settings,
    store: Store,
    chat: ChatModel | None = None,
    facts: CampaignFacts | None = None,
    ask_model: bool | None = None,
    seed: int | None = None,
    on_text: OnText | None = None,
    concern_id: str | None = None,
    loaded: LoadedMap | None = None,
    template: PromptTemplate | None = None,
    passages: list[Passage] | None = None,
) -> Message:
    """The message staff get: composed, then the model's version if asked and if it passes.

    `ask_model` None follows the setting (`always` asks; `on-request` and `never` do not).
    `loaded`, `template` and `passages` pin the map, the template and the evidence (packs).
    """
    floor = compose_message(request, settings=settings, store=store, facts=facts,
                            concern_id=concern_id, loaded=loaded)  # fmt: skip
    ask = should_ask(settings) if ask_model is None else ask_model
    if not ask or chat is None:
        return floor.message
    return adapt_message(floor, settings=settings, chat=chat, store=store, facts=facts,
                         seed=seed, on_text=on_text, template=template,
                         passages=passages)  # fmt: skip


def prepare(settings: Settings, store: Store | None) -> None:
    """Load everything a first message needs (maps, the store's snapshot, the embedder, the
    language detector, the word lists) by composing one message and throwing it away."""
    from comms.maps.library import shipped_map_ids

    for map_id in shipped_map_ids():
        load_map(map_id, settings)
    request = Request("measles", "hesitant", "sms", "de", "Ist die Impfung sicher?")
    compose_message(request, settings=settings, store=store)


def map_ref(composed: Composed) -> MapRef:
    """The map version and key messages a composed message carries."""
    return MapRef(
        id=composed.map_id,
        version=composed.map_version,
        key_set=composed.key_set,
        key_messages=[KeyMessageRef(id=i, text=t) for i, t in composed.key_messages],
    )


def _match(
    resolved: Resolved, loaded: LoadedMap, store: Store | None, concern_id: str | None
) -> ConcernMatch:
    if concern_id:  # compose() refuses an id the map does not have
        return ConcernMatch(concern_id, "chosen")
    embed = store.embedder.embed if store is not None else None
    return match_concern(resolved.concern, loaded, resolved.language.id, embed,
                         audience=resolved.audience.id)  # fmt: skip


def _context(
    resolved: Resolved,
    facts: CampaignFacts | None,
    passages: list[Passage],
    composed: Composed,
    loaded: LoadedMap,
    valid: bool = True,
    approved: Support | None = None,
) -> LintContext:
    """The linter's context for a message made from the map: its evidence, the myth it
    answers, the approved texts it may use, and the body that speaks for the office.

    `approved`: the map's statements and the draft, whose numbers the office approved."""
    context = lint_context(resolved, facts or CampaignFacts(), [p.text for p in passages],
                           len(passages), valid)  # fmt: skip
    if approved is not None:
        texts = [s.text for s in approved.statements if s.kind in ("map", "question", "draft")]
        context = context.model_copy(
            update={"allowed_numbers": context.allowed_numbers | frozenset(texts)}
        )
    authority = loaded.map.authority
    body = authority.body.get(resolved.language.id) or authority.body.get("en", "")
    return context.model_copy(update={
        "myth": composed.myth,
        "approved_texts": tuple(composed.approved_texts),
        "authority": body,
        "authority_sources": frozenset(authority.sources),
        "cited_recommendations": tuple(p.source_id for p in passages if p.kind == "recommendation"),
        "unreviewed_translation": base_language(resolved.language.id)
        in loaded.map.native_review_pending,
    })  # fmt: skip


def fidelity_required(floor: Floor) -> bool:
    """Whether the model's version must keep the draft's own key messages: where staff chose
    the concern, or the concern matched is one this audience has. Otherwise (no concern, or
    another audience's) a key-message set that fits the audience will do."""
    if floor.match.how == "chosen":
        return True
    found = floor.composed.concern_id
    concern = floor.loaded.map.concern(found) if found else None
    audience = floor.resolved.audience.id
    return concern is not None and (not concern.audiences or audience in concern.audiences)


def _embed(store: Store | None) -> Embed | None:
    return store.embedder.embed if store is not None else None


def _keep_floor(
    floor: Floor, text: str, checks: LintReport, reasons: list[dict[str, str]]
) -> Message:
    rejected = RejectedVersion(text=text, reasons=reasons)
    return floor.message.model_copy(update={
        "model_text": text, "model_checks": checks, "rejected_model_version": rejected,
    })  # fmt: skip


def _untranslated(fields: tuple[str, ...], facts: CampaignFacts | None, text: str,
                  language: str) -> list[Note]:  # fmt: skip
    """A note naming the fact-sheet values the message shows in the office's language."""
    values = facts.filled() if facts is not None else {}
    shown = [f for f in fields if f in values and values[f] in text]
    if not shown:
        return []
    names = ", ".join(shown)
    said = (f"The fact sheet has no {language} text for {names}: the message keeps the "
            f"office's wording there. Add it to the fact sheet under translations, {language}, "
            "or check that readers understand it.")  # fmt: skip
    return [Note(id="untranslated_facts", text=said, args={"fields": names, "language": language})]


def prefer_authority(passages: list[Passage], sources: tuple[str, ...]) -> list[Passage]:
    """The body that speaks for the office first; another country's recommendation is left
    out where the office's own body has one among the passages (their schedules differ)."""
    own = [p for p in passages if p.source_id in sources]
    has_own = any(p.kind == "recommendation" for p in own)
    others = [p for p in passages if p.source_id not in sources
              and not (has_own and p.kind == "recommendation")]  # fmt: skip
    return own + others


def _merge(first: list[Passage], more: list[Passage]) -> list[Passage]:
    seen = {p.chunk_id for p in first}
    return [*first, *(p for p in more if p.chunk_id not in seen)]


def _union(
    composed: list[Citation], model: list[Citation], passages: list[Passage]
) -> list[Citation]:
    numbers = sorted({c.number for c in composed} | {c.number for c in model})
    return [Citation.of(n, passages[n - 1]) for n in numbers if 0 < n <= len(passages)]
