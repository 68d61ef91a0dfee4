"""Clarion's own assembly never fails its own checks, and a version cut off is refused.

The model writes placeholders and Clarion fills them in once, adds the facts the text lacks, and
gives the model a budget (the schema's `maxLength`) after which the finished text still fits the
channel; the readability rules judge the model's prose, not Clarion's fact lines. A version cut
off at the token limit (the backend's `finish_reason` "length"), or whose last sentence trails
off in a function word or "please", is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from comms.campaign_facts import CampaignFacts
from comms.checks.lint import LintContext, lint
from comms.drafting.assembly import channel_text, plan_assembly
from comms.drafting.draft import Request, TruncatedAnswer, draft_message, resolve
from comms.drafting.write import adapt_message, compose_message
from comms.model.backends import Completion, OpenAIChat
from core.catalog import load_catalog
from core.settings import Settings, load_settings
from knowledge.retrieval.store import Store
from tests.conftest import FakeEmbedder, ScriptedChat

# A campaign's fact sheet as an office fills it in: every field, long values, typographic dashes.
FULL = CampaignFacts(
    what="Grippeimpfung 2025/26",
    who="alle ab 60 Jahren und Menschen mit chronischen Krankheiten",
    when="jeden Dienstag 14–18 Uhr, vom 3. März bis 28. April 2026",
    where="Gesundheitsamt Musterstadt, Hauptstraße 5, Raum 12",
    cost="kostenlos",
    booking="0123 456789 · example.org/impfen",
    contact="Impfteam des Gesundheitsamts, Telefon 0123 456780",
    source="STIKO",
)
# The sheet of the issue's SMS: the date and the booking details only.
SHORT = CampaignFacts(when=FULL.when, booking=FULL.booking)

# Per language: a sentence that uses each placeholder, and short plain sentences to fill with.
USES = {
    "de": {"when": "Wir impfen {when}.", "where": "Kommen Sie ins {where}.",
           "cost": "Die Impfung ist {cost}.", "booking": "Termin: {booking}.",
           "contact": "Fragen beantwortet das {contact}.", "what": "Es geht um die {what}.",
           "who": "Sie ist für {who}.", "source": "Das rät die {source}."},
    "en": {"when": "We vaccinate {when}.", "where": "Come to {where}.",
           "cost": "The vaccine is {cost}.", "booking": "Book now: {booking}.",
           "contact": "Questions go to {contact}.", "what": "This is about {what}.",
           "who": "It is for {who}.", "source": "The {source} advises it."},
    "tr": {"when": "Aşı günleri: {when}.", "where": "Adres: {where}.", "cost": "Aşı {cost}.",
           "booking": "Randevu alın: {booking}.", "contact": "Sorular için: {contact}.",
           "what": "Konu: {what}.", "who": "Kimler için: {who}.", "source": "Öneren: {source}."},
    "ar": {"when": "المواعيد: {when}.", "where": "العنوان: {where}.", "cost": "التطعيم {cost}.",
           "booking": "احجز: {booking}.", "contact": "للأسئلة: {contact}.",
           "what": "عن {what}.", "who": "لمن: {who}.", "source": "توصي به {source}."},
    "uk": {"when": "Ми щепимо {when}.", "where": "Адреса: {where}.", "cost": "Щеплення {cost}.",
           "booking": "Запис: {booking}.", "contact": "Питання: {contact}.",
           "what": "Тема: {what}.", "who": "Для кого: {who}.", "source": "Радить {source}."},
    "ru": {"when": "Мы прививаем {when}.", "where": "Адрес: {where}.", "cost": "Прививка {cost}.",
           "booking": "Запись: {booking}.", "contact": "Вопросы: {contact}.",
           "what": "Тема: {what}.", "who": "Для кого: {who}.", "source": "Советует {source}."},
}  # fmt: skip
FILLERS = {
    "de": ["Die Impfung schützt Sie.", "Sie ist gut verträglich.", "Fragen Sie uns gern.",
           "Ja.", "Gut."],
    "en": ["The vaccine protects you.", "It is well tolerated.", "Ask us at any time.",
           "Yes.", "Good."],
    "tr": ["Aşı sizi korur.", "Aşı iyi tolere edilir.", "Bize sorun.", "Evet.", "Tamam."],
    "ar": ["التطعيم يحميك.", "التطعيم آمن.", "اسألنا.", "نعم.", "حسنا."],
    "uk": ["Щеплення захищає вас.", "Воно безпечне.", "Запитуйте нас.", "Так.", "Добре."],
    "ru": ["Прививка защищает вас.", "Она безопасна.", "Спросите нас.", "Да.", "Ладно."],
}  # fmt: skip
CATALOG = load_catalog()
CHANNELS = [channel.id for channel in CATALOG.channels]
LANGUAGES = [language.id for language in CATALOG.languages]


def text_of_exactly(size: int, start: list[str], language: str) -> str:
    """The sentences of `start` (or a first filler), then filler sentences: `size` characters."""
    fillers = FILLERS[language.split("-")[0]]
    head = " ".join(start) or fillers[0]
    need = size - len(head)
    assert need >= 0, (head, size)
    reach: dict[int, str] = {0: ""}  # a length the fillers sum to -> the filler that ends it
    for total in range(1, need + 1):
        ends = [piece for piece in fillers if total - len(piece) - 1 in reach]
        if ends:
            reach[total] = ends[0]
    filled = max(total for total in reach if total <= need)
    pieces = []
    while filled:
        pieces.append(reach[filled])
        filled -= len(reach[filled]) + 1
    text = " ".join([head, *pieces])
    if len(text) < size:  # a few characters short of a filler: blank lines between sentences
        assert ". " in text, text
        text = text.replace(". ", "." + "\n" * (size - len(text) + 1), 1)
    assert len(text) == size
    return text


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One fake store with the shipped corpus for the whole module (built once: it is slow)."""
    from knowledge.ingest import sync_corpus

    built = Store(load_settings(data_dir=tmp_path_factory.mktemp("assembly")), FakeEmbedder())
    sync_corpus(built)
    return built


def quiet(settings: Settings) -> Settings:
    """No repair rounds: the scripted answer is the version judged."""
    return settings.model_copy(update={"repair_tries": 0})


@pytest.mark.parametrize("facts", [FULL, SHORT], ids=["full-sheet", "date-and-booking"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_text_of_exactly_the_budget_using_every_placeholder_fits(
    settings: Settings, store: Store, channel: str, language: str, facts: CampaignFacts
) -> None:
    request = Request("flu", "older-adults", channel, language)
    resolved = resolve(request)
    plan = plan_assembly(resolved.channel, resolved.language, facts)
    uses = USES[resolved.language.base_language]
    text = text_of_exactly(plan.budget, [uses[slot] for slot in plan.offered], language)
    chat = ScriptedChat([{"citations": [1], "text": text}])
    message = draft_message(request, settings=quiet(settings), chat=chat, store=store, facts=facts)

    schema = chat.calls[0]["schema"]["properties"]["text"]
    assert schema.get("maxLength", plan.budget) == plan.budget
    prompt = chat.calls[0]["messages"][1]["content"]
    assert f"at most {plan.budget} characters" in prompt
    for slot, value in facts.filled().items():
        written = channel_text(value, resolved.channel, resolved.language)
        offered = slot in plan.offered
        assert (f"{{{slot}}} = " in prompt) is offered, slot
        assert message.text.count(written) == (1 if offered else 0), (slot, message.text)
    assert message.fact_line == "", "the text carries every fact of the line itself"
    for item in ("length", "readability"):
        assert message.checks.item(item).passed, message.checks.item(item).reason


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_text_of_exactly_the_budget_without_placeholders_fits_with_the_whole_fact_block(
    settings: Settings, store: Store, channel: str, language: str
) -> None:
    request = Request("flu", "older-adults", channel, language)
    resolved = resolve(request)
    plan = plan_assembly(resolved.channel, resolved.language, FULL)
    text = text_of_exactly(plan.budget, [], language)
    chat = ScriptedChat([{"citations": [1], "text": text}])
    message = draft_message(request, settings=quiet(settings), chat=chat, store=store, facts=FULL)
    assert message.fact_line and message.text == f"{text}\n{message.fact_line}"
    for slot in plan.line_fields:
        written = channel_text(FULL.filled()[slot], resolved.channel, resolved.language)
        assert message.text.count(written) == 1, slot
    for item in ("length", "readability"):
        assert message.checks.item(item).passed, message.checks.item(item).reason


def test_the_sms_of_the_issue_is_not_given_a_second_fact_line(
    settings: Settings, store: Store
) -> None:
    # The model writes {when} and {booking}; the booking value's "·" becomes "-" in an SMS,
    # which once hid it from Clarion, so it appended the whole line again (354 units).
    text = (
        "Die Grippeimpfung schützt Sie und Ihre Familie im Winter. Wir impfen {when}. "
        "Vereinbaren Sie einen Termin: {booking}. Wir freuen uns auf Sie."
    )
    chat = ScriptedChat([{"citations": [1], "text": text}])
    message = draft_message(Request("flu", "older-adults", "sms", "de"), settings=quiet(settings),
                            chat=chat, store=store, facts=SHORT)  # fmt: skip
    assert message.fact_line == ""
    assert message.text.count("0123 456789") == 1 and message.text.count("28. April") == 1
    length = message.checks.item("length")
    assert length.passed and length.reason_args["segments"] == "2", length.reason


def test_the_fact_block_is_not_prose_for_leichte_sprache(settings: Settings, store: Store) -> None:
    text = "Die Grippe-Impfung schützt Sie. Die Impfung ist gut. Fragen Sie uns."
    chat = ScriptedChat([{"citations": [1], "text": text}])
    message = draft_message(Request("flu", "older-adults", "letter", "de-leicht"),
                            settings=quiet(settings), chat=chat, store=store,
                            facts=FULL)  # fmt: skip
    assert "Wann: jeden Dienstag 14–18 Uhr, vom 3. März bis 28. April 2026" in message.fact_line
    assert message.checks.item("readability").passed, message.checks.item("readability").reason
    # The same text with the block written as prose by the model is judged as prose.
    prose = message.text.replace("\n", " ")
    context = LintContext(language="de-leicht", channel="letter", max_chars=2500, grade=5)
    assert not lint(prose, context).item("readability").passed


class CutOffChat(ScriptedChat):
    """A scripted chat model whose answers stop for the scripted reasons."""

    def __init__(self, answers: list[str | dict[str, Any]], reasons: list[str]) -> None:
        super().__init__(answers)
        self.reasons = list(reasons)

    def complete(self, messages, schema, **kwargs):  # type: ignore[no-untyped-def]
        completion: Completion = super().complete(messages, schema, **kwargs)
        completion.finish_reason = self.reasons.pop(0)
        return completion


CUT = {"citations": [1], "text": "Die Grippeimpfung schützt Sie im Winter. Sie ist"}
WHOLE = {"citations": [1], "text": "Die Grippeimpfung schützt Sie im Winter. Termin: {booking}."}
FLU_SMS = Request("flu", "older-adults", "sms", "de")


def test_an_answer_cut_off_at_the_token_limit_is_refused(settings: Settings, store: Store) -> None:
    chat = CutOffChat([CUT], ["length"])
    with pytest.raises(TruncatedAnswer, match="cut off at the token limit") as refused:
        draft_message(FLU_SMS, settings=quiet(settings), chat=chat, store=store, facts=SHORT)
    assert refused.value.text.startswith(CUT["text"])
    assert refused.value.report is not None
    item = refused.value.report.item("complete_sentences")
    assert not item.passed and item.reason_key == "complete.truncated"
    assert [v.text for v in item.sentences] == ["Sie ist"]


def test_a_complete_text_cut_off_is_refused_too(settings: Settings, store: Store) -> None:
    # The backend says it stopped at the limit: whatever the text looks like, it is not whole.
    chat = CutOffChat([WHOLE], ["length"])
    with pytest.raises(TruncatedAnswer):
        draft_message(FLU_SMS, settings=quiet(settings), chat=chat, store=store, facts=SHORT)


def test_a_repair_that_finishes_is_used(settings: Settings, store: Store) -> None:
    chat = CutOffChat([CUT, WHOLE], ["length", "stop"])
    message = draft_message(FLU_SMS, settings=settings.model_copy(update={"repair_tries": 1}),
                            chat=chat, store=store, facts=SHORT)  # fmt: skip
    assert message.attempts == 2 and message.text.startswith(WHOLE["text"][:40])
    assert "cut off at the token limit" in chat.calls[1]["messages"][1]["content"]
    assert not message.first_checks.item("complete_sentences").passed


def test_the_openai_backend_carries_the_finish_reason(tmp_path: Path) -> None:
    stand_in = pytest.importorskip("bench.standin", reason="the stand-in server is not there")
    with stand_in.StandIn() as server:
        settings = load_settings(data_dir=tmp_path / "data", llm_mode="openai", llm_url=server.url)
        chat = OpenAIChat(settings)
        server.script(CUT, finish_reason="length")
        server.script(WHOLE)
        cut = chat.complete([{"role": "user", "content": "x"}], {}, seed=1, max_tokens=9,
                            temperature=0.0)  # fmt: skip
        whole = chat.complete([{"role": "user", "content": "x"}], {}, seed=1, max_tokens=99,
                              temperature=0.0)  # fmt: skip
    assert (cut.finish_reason, cut.truncated) == ("length", True)
    assert (whole.finish_reason, whole.truncated) == ("stop", False)
    assert cut.text == json.dumps(CUT, ensure_ascii=False)


def test_a_version_cut_off_behind_a_server_keeps_the_composed_message(
    tmp_path: Path, store: Store
) -> None:
    from bench.rig import FACTS

    stand_in = pytest.importorskip("bench.standin", reason="the stand-in server is not there")
    with stand_in.StandIn() as server:
        settings = load_settings(data_dir=tmp_path / "data", llm_mode="openai",
                                 llm_url=server.url, repair_tries=0)  # fmt: skip
        request = Request("measles", "parents-infants", "sms", "de")
        floor = compose_message(request, settings=settings, store=store, facts=FACTS)
        server.script({"citations": [1], "text": floor.message.text[:80]}, finish_reason="length")
        message = adapt_message(floor, settings=settings, chat=OpenAIChat(settings), store=store,
                                facts=FACTS)  # fmt: skip
    assert message.version == "composed" and message.text == floor.message.text
    rejected = message.rejected_model_version
    assert rejected is not None and rejected.text.startswith(floor.message.text[:40])
    assert "cut off at the token limit" in rejected.reasons[0]["reason"]
    assert not message.model_checks.item("complete_sentences").passed


def test_the_llama_cpp_worker_reports_the_finish_reason() -> None:
    from comms.model.worker import Counter, _complete

    class Llama:
        """llama-cpp-python's streamed chat chunks: the role, the content, then the reason."""

        def generate(self, *args: Any) -> None: ...
        def eval(self, tokens: Any) -> None: ...
        def sample(self, *args: Any) -> None: ...

        def create_chat_completion(self, **kwargs: Any) -> Any:
            for delta, finish in (({"role": "assistant"}, None), ({"content": '{"text'}, None),
                                  ({}, "length")):  # fmt: skip
                yield {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    class Pipe:
        def __init__(self) -> None:
            self.sent: list[dict[str, Any]] = []

        def send(self, **message: Any) -> None:
            self.sent.append(message)

        def receive(self, timeout: float | None = None) -> None:
            return None

    llama, pipe = Llama(), Pipe()
    request = {"messages": [], "schema": {}, "max_tokens": 1, "temperature": 0.0, "seed": 0}
    _complete(llama, Counter(llama), pipe, request)  # type: ignore[arg-type]
    assert pipe.sent[0] == {"token": '{"text'}
    assert pipe.sent[-1]["done"]["finish_reason"] == "length"


def test_the_bundled_model_says_when_it_hit_the_token_limit(real_chat: Any) -> None:
    messages = [{"role": "user", "content": "Write a long story about vaccines."}]
    cut = real_chat.complete(messages, {}, seed=1, max_tokens=3, temperature=0.0)
    assert cut.finish_reason == "length" and cut.truncated


LAST_SENTENCE = [
    ("de", "Die Grippeimpfung schützt Sie im Winter. Wenn Sie sich entschieden haben, bitte", False),
    ("de", "Die Grippeimpfung schützt Sie im Winter. Kommen Sie zu uns und…", False),
    ("de", "Die Grippeimpfung schützt Sie im Winter. Rufen Sie uns an, bitte.", True),
    ("en", "The flu vaccine protects you in winter. When you have decided, please", False),
    ("en", "The flu vaccine protects you in winter. Come and see us with:", False),
    ("en", "The flu vaccine protects you in winter. Call us to book, please!", True),
    ("tr", "Grip aşısı sizi kışın korur. Karar verdiğinizde lütfen,", False),
    ("tr", "Grip aşısı sizi kışın korur. Aile hekiminize gidin ve", False),
    ("tr", "Grip aşısı sizi kışın korur. Randevu alın lütfen.", True),
]  # fmt: skip


@pytest.mark.parametrize(("language", "text", "passed"), LAST_SENTENCE)
def test_a_last_sentence_that_trails_off_is_refused(language: str, text: str, passed: bool) -> None:
    context = LintContext(language=language, channel="letter", max_chars=2500, grade=8)  # type: ignore[arg-type]
    item = lint(text, context).item("complete_sentences")
    assert item.passed is passed, item.reason
    # Clarion's fact block after it does not hide it.
    block = "Termin vereinbaren: 0123 456789"
    after = lint(f"{text}\n{block}", context.model_copy(update={"fact_block": block}))
    assert after.item("complete_sentences").passed is passed
