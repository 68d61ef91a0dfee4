"""Drafting one message: retrieve evidence, render the template, ask the model, validate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from comms.campaign_facts import CampaignFacts, grounded_numbers
from comms.checks.lint import LintContext, LintReport, capped_score, lint
from comms.checks.sentences import split_sentences
from comms.checks.words import words_of
from comms.drafting.assembly import Assembly, assemble, channel_text, plan_assembly
from comms.message import (
    MAX_GRAMMAR_LENGTH,
    Citation,
    Message,
    ModelRef,
    output_schema,
    parse_answer,
    partial_text,
)
from comms.model.backends import ChatModel
from comms.report import LintItem, SentenceVerdict
from comms.screening import Screened, screen
from core.catalog import Audience, Catalog, Channel, Language, Topic, load_catalog, pick
from core.errors import GenerationError, InputError
from core.settings import Settings

if TYPE_CHECKING:  # imported where used: the app's first page must not wait for numpy or Jinja2
    from comms.drafting.template import PromptTemplate
    from knowledge.retrieval.search import Passage
    from knowledge.retrieval.store import Store

MAX_CONCERN_CHARS = 500
VARIANT_STRIDE = 1000  # variant seeds: seed, seed + 1000, … (distinct, fixed, reproducible)
ADVISORY_ITEMS = frozenset(
    {"needs_test_reader", "needs_native_reader"}
)  # shown to staff, never "repaired" by the model
OnText = Callable[[str], None]
CUT_OFF = "The model's answer was cut off at the token limit; its last sentence is incomplete."


class TruncatedAnswer(GenerationError):
    """Every answer the model gave was cut off at the token limit: no version to offer.

    Carries the best of them (`text`, `report`) so that staff can see what was refused."""

    def __init__(self, reason: str, text: str = "", report: LintReport | None = None) -> None:
        super().__init__(reason)
        self.text = text
        self.report = report


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
    return find_evidence(store, retrieval_query(resolved), resolved.topic.id, k)


def find_evidence(store: Store, query: str, topic_id: str, k: int) -> list[Passage]:
    """The one way Clarion retrieves evidence, for a message and for a pack: passages about the
    topic, or general guidance when the store has none about it."""
    from knowledge.retrieval.search import Filters, search

    passages = search(store, query, k=k, filters=Filters(vaccine=topic_id))
    if not passages:
        passages = search(store, query, k=k)
    if not passages:
        raise InputError("The knowledge store is empty; run `python -m knowledge index` first.")
    return passages


def template_variables(
    resolved: Resolved,
    passages: list[Passage],
    facts: CampaignFacts | None = None,
    screened: list[Screened] | None = None,
    key_messages: list[str] | None = None,
    composed: str = "",
    assembly: Assembly | None = None,
) -> dict[str, Any]:
    """Plain data for the template: no objects with methods reach the sandbox.

    `screened` is each passage as `screen` left it, where the caller has it already;
    `key_messages` and `composed` are the map's key messages and the composed draft;
    `assembly` (default: none) limits the facts to the placeholders it offers and gives the
    channel's length as the characters left for the model's own text.
    """
    screened = screened or [screen(p.text) for p in passages]
    filled = (facts or CampaignFacts()).filled()
    channel = resolved.channel.model_dump()
    if assembly is not None:
        filled = {slot: value for slot, value in filled.items() if slot in assembly.offered}
        channel["max_chars"] = assembly.budget
    return {
        "topic": resolved.topic.model_dump(),
        "audience": resolved.audience.model_dump(),
        "channel": channel,
        "language": resolved.language.model_dump(),
        "concern": resolved.concern,
        "facts": filled,
        "passages": [
            {"title": p.title, "source": p.url, "text": s.text, "flagged": s.flagged}
            for p, s in zip(passages, screened, strict=True)
        ],
        "key_messages": list(key_messages or []),
        "composed": composed,
    }


@dataclass
class Candidate:
    """One attempt: the model's raw text, the finished text and its checks."""

    raw: str
    cited: list[int]
    text: str
    slots: list[str]
    appended: str
    report: LintReport
    truncated: bool = False  # the answer was cut off at the token limit

    @property
    def failures(self) -> list[dict[str, str]]:
        return [
            {"item": item.id, "reason": item.reason}
            for item in self.report.items
            if not item.passed and item.id not in ADVISORY_ITEMS
        ]

    def rank(self) -> tuple[bool, int, int]:
        """Lower is better: complete, then fewer failed errors, then a higher score."""
        errors = sum(1 for i in self.report.items if not i.passed and i.severity == "error")
        return self.truncated, errors, -self.report.score


def draft_message(
    request: Request | Resolved,
    *,
    settings: Settings,
    chat: ChatModel,
    store: Store,
    facts: CampaignFacts | None = None,
    seed: int | None = None,
    on_text: OnText | None = None,
    template: PromptTemplate | None = None,
    passages: list[Passage] | None = None,
    key_messages: list[str] | None = None,
    composed: str = "",
) -> Message:
    """Write one cited, checked message; failed checks are fed back for repair.

    `passages` lets a pack share one evidence set across its cells, so consecutive prompts
    share a long prefix that llama.cpp does not evaluate again. A TruncatedAnswer when every
    answer was cut off at the token limit.
    """
    from comms.drafting.template import load_template, render

    resolved = request if isinstance(request, Resolved) else resolve(request)
    facts = facts or CampaignFacts()
    passages = passages or retrieve(store, resolved, settings.retrieval_k)
    screened = [screen(p.text) for p in passages]
    template = template or load_template("draft_message", settings)
    plan = plan_assembly(resolved.channel, resolved.language, facts)
    variables = template_variables(
        resolved, passages, facts, screened, key_messages, composed, assembly=plan
    )
    schema = output_schema(len(passages), plan.budget)
    seed = settings.seed if seed is None else seed
    ask = partial(
        _ask, chat, schema=schema, max_chars=plan.budget, settings=settings, on_text=on_text
    )
    finish = partial(_finish, resolved=resolved, facts=facts, passages=passages, plan=plan)
    first = best = finish(*ask(render(template, variables), seed))
    attempts = 1
    repair = load_template("repair_message", settings) if best.failures else None
    while repair is not None and best.failures and attempts <= settings.repair_tries:
        prompt = render(repair, {**variables, "draft": best.raw, "failures": best.failures})
        candidate = finish(*ask(prompt, seed + attempts))
        attempts += 1
        best = min(best, candidate, key=Candidate.rank)
    if best.truncated:
        raise TruncatedAnswer(f"{CUT_OFF} Nothing of it is used.", best.text, best.report)
    flagged = [n for n, s in enumerate(screened, 1) if s.flagged]
    message = _message(resolved, best, passages, chat, template, seed, attempts, facts, flagged)
    message.first_checks = first.report if attempts > 1 else message.checks
    return message


def draft_variants(request: Request | Resolved, count: int, **kwargs: Any) -> list[Message]:
    """N versions of one message with distinct fixed seeds, for an A/B choice. The request is
    resolved once and its evidence retrieved once, whatever the number of versions."""
    if not 1 <= count <= 5:
        raise InputError("Choose between 1 and 5 variants.")
    base = kwargs.pop("seed", None)
    settings: Settings = kwargs["settings"]
    first = settings.seed if base is None else base
    resolved = request if isinstance(request, Resolved) else resolve(request)
    if kwargs.get("passages") is None:
        kwargs["passages"] = retrieve(kwargs["store"], resolved, settings.retrieval_k)
    return [
        draft_message(resolved, seed=first + VARIANT_STRIDE * n, **kwargs) for n in range(count)
    ]


def check_message(
    message: Message, facts: CampaignFacts | None = None, text: str | None = None
) -> LintReport:
    """Re-run the checks on a message, e.g. after staff edited its text."""
    resolved = resolve(Request(message.topic, message.audience, message.channel, message.language))
    cited_texts = [p.text for p in message.cited_passages()]
    context = lint_context(resolved, facts or CampaignFacts(), cited_texts,
                           len(message.citations), True)  # fmt: skip
    # An edited translation is still one no native speaker has checked, as generated.
    unreviewed = any(item.id == "needs_native_reader" for item in message.checks.items)
    context = context.model_copy(update={"unreviewed_translation": unreviewed})
    return lint(message.text if text is None else text, context)


def lint_context(
    resolved: Resolved, facts: CampaignFacts, cited_texts: list[str], citations: int, valid: bool
) -> LintContext:
    """What the linter needs to know about a message's request and evidence."""
    values = facts.filled().values()
    written = [channel_text(value, resolved.channel, resolved.language) for value in values]
    return LintContext(
        language=resolved.language.id,  # type: ignore[arg-type]
        channel=resolved.channel.id,
        max_chars=resolved.channel.max_chars,
        grade=resolved.audience.grade,
        citations=citations,
        citations_valid=valid,
        allowed_numbers=grounded_numbers(facts, cited_texts),
        fact_values=tuple(dict.fromkeys([*values, *written])),  # as given, and as an SMS has it
        topic_keywords=tuple(resolved.topic.keywords),
        known_words=words_of([*facts.filled().values(), *cited_texts]),
        audience=resolved.audience.id,
        off_audience_terms=tuple(
            resolved.audience.not_about.get(resolved.language.base_language, ())
        ),
    )


def _finish(
    raw: str,
    cited: list[int],
    truncated: bool = False,
    *,
    resolved: Resolved,
    facts: CampaignFacts,
    passages: list[Passage],
    plan: Assembly,
) -> Candidate:
    """Fill the fact slots, add the facts the text lacks, and run the checks.

    The fact block opens with the booking label where the text lacks the booking details, an
    imperative ("Termin vereinbaren: …"), so such a message ends with a call to action.
    """
    done = assemble(raw, facts, plan, resolved.channel, resolved.language)
    valid = [n for n in cited if 1 <= n <= len(passages)]
    context = lint_context(
        resolved, facts, [passages[n - 1].text for n in valid], len(valid), len(valid) == len(cited)
    ).model_copy(update={"fact_block": done.fact_block})
    report = lint(done.text, context)
    if truncated:
        report = _cut_off(report, done.text, done.fact_block, resolved.language.id)
    return Candidate(raw, cited, done.text, done.slots, done.fact_block, report, truncated)


def _cut_off(report: LintReport, text: str, block: str, language: str) -> LintReport:
    """The report with `complete_sentences` failed: the answer was cut off at the token limit,
    so its last sentence (the one before Clarion's fact block) is refused."""
    prose = text[: len(text) - len(block)].rstrip() if block and text.endswith(block) else text
    last = (split_sentences(prose, language) or [prose])[-1]
    start = max(0, prose.rfind(last))
    verdict = SentenceVerdict(
        start=start, end=start + len(last), text=last, check="complete_sentences",
        rule="complete.truncated", reason="Cut off at the token limit",
        reason_key="complete.truncated",
    )  # fmt: skip
    item = LintItem(
        id="complete_sentences", passed=False, severity="error", reason=CUT_OFF, points=0,
        max_points=1, reason_key="complete.truncated", sentences=(verdict,),
    )  # fmt: skip
    items = [item if i.id == item.id else i for i in report.items]
    return LintReport(items=tuple(items), score=capped_score(items))


def _message(
    resolved: Resolved,
    best: Candidate,
    passages: list[Passage],
    chat: ChatModel,
    template: PromptTemplate,
    seed: int,
    attempts: int,
    facts: CampaignFacts,
    flagged: list[int],
) -> Message:
    citations = [Citation.of(n, passages[n - 1]) for n in best.cited if 1 <= n <= len(passages)]
    if not citations:
        raise GenerationError("The model cited none of the retrieved passages; try again.")
    return Message(
        text=best.text,
        topic=resolved.topic.id,
        audience=resolved.audience.id,
        channel=resolved.channel.id,
        language=resolved.language.id,
        concern=resolved.concern,
        citations=citations,
        rejected_citations=[n for n in best.cited if not 1 <= n <= len(passages)],
        evidence=list(passages),
        model=ModelRef(**vars(chat.info)),
        template_id=template.id,
        template_version=template.content_hash,
        seed=seed,
        slots={slot: facts.filled()[slot] for slot in dict.fromkeys(best.slots)},
        fact_line=best.appended,
        checks=best.report,
        attempts=attempts,
        flagged_passages=flagged,
    )


def _ask(
    chat: ChatModel,
    messages: list[dict[str, str]],
    seed: int,
    *,
    schema: dict[str, Any],
    max_chars: int,
    settings: Settings,
    on_text: OnText | None,
) -> tuple[str, list[int], bool]:
    """Call the model: (text, cited passages, whether it was cut off at the token limit). One
    retry with the next seed if the answer is malformed."""
    max_tokens = min(token_budget(max_chars), settings.llm_context // 2)
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
            text, cited = parse_answer(completion.text)
        except GenerationError as exc:
            error = exc
            continue
        return text, cited, completion.truncated
    assert error is not None
    raise error


def token_budget(max_chars: int) -> int:
    """Tokens to allow for a text of max_chars: the grammar ends short texts itself, so those
    get room for one token per character; longer ones are bounded at about 3 characters a token."""
    if max_chars <= MAX_GRAMMAR_LENGTH:
        return max_chars + 48
    return max_chars // 3 + 64


def _text_streamer(on_text: OnText | None) -> Callable[[str], None] | None:
    """Turn streamed JSON tokens into the message text so far, for a live view."""
    if on_text is None:
        return None
    buffer: list[str] = []

    def stream(token: str) -> None:
        buffer.append(token)
        on_text(partial_text("".join(buffer)))

    return stream
