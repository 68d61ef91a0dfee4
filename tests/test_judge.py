"""The model's second opinion (CLARION_JUDGE=model, comms/drafting/judge.py): each sentence of a
version marked supported or not by a schema-constrained request, scripted here; an unsupported
verdict or an answer that cannot be read is an error, never a pass; and the gate keeps the
composed floor when the judge refuses the model's version (one more request, only when on)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.rig import FACTS as RIG_FACTS
from comms.campaign_facts import load_facts
from comms.checks.support import Statement, Support, sentence_spans
from comms.drafting.backing import support_for
from comms.drafting.draft import Request, resolve
from comms.drafting.judge import judge_sentences
from comms.drafting.write import Floor, adapt_message, compose_message
from comms.maps.library import load_map
from comms.message import Message
from comms.report import LintItem, LintReport
from core.errors import BackendError
from core.settings import load_settings
from knowledge.retrieval.store import Store
from tests.conftest import FakeEmbedder, ScriptedChat

ROOT = Path(__file__).resolve().parent.parent
FACTS = load_facts(ROOT / "tests" / "fixtures" / "gate" / "facts.yaml")
PASSAGE = "Die STIKO empfiehlt die MMR-Impfung allen Kindern ab 11 Monaten."
SENTENCES = [
    "Zwei MMR-Impfungen schützen zuverlässig vor Masern.",
    "Masern sind sehr ansteckend und können schwer verlaufen.",
    "Auch bei hohem Fieber müssen Sie nicht zum Arzt.",
]
TEXT = " ".join(SENTENCES)


@pytest.fixture(scope="module")
def support(tmp_path_factory: pytest.TempPathFactory) -> Support:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("judge-support"))
    resolved = resolve(Request("measles", "parents-infants", "sms", "de"))
    return support_for(resolved, load_map("measles", settings), FACTS, [PASSAGE])


def answer(*supported: bool, numbers: list[int] | None = None) -> dict[str, Any]:
    """The judge's JSON: one verdict per sentence, numbered from 1 unless `numbers` says."""
    numbers = numbers or list(range(1, len(supported) + 1))
    return {"verdicts": [
        {"n": n, "supported": ok, "why": "" if ok else "No approved statement says this."}
        for n, ok in zip(numbers, supported, strict=True)
    ]}  # fmt: skip


def test_all_sentences_supported_is_a_pass_and_the_request_asks_one_verdict_each(
    support: Support,
) -> None:
    chat = ScriptedChat([answer(True, True, True)])
    item = judge_sentences(chat, TEXT, support, seed=7)
    assert (item.id, item.passed, item.severity, item.reason_key) == (
        "judge", True, "error", "judge.ok",
    )  # fmt: skip
    assert item.sentences == () and item.reason_args == {"count": "3"}
    (call,) = chat.calls
    assert call["seed"] == 7
    verdicts = call["schema"]["properties"]["verdicts"]
    assert (verdicts["minItems"], verdicts["maxItems"]) == (3, 3)
    number = verdicts["items"]["properties"]["n"]
    assert (number["minimum"], number["maximum"]) == (1, 3)
    assert set(verdicts["items"]["required"]) == {"n", "supported", "why"}
    user = call["messages"][-1]["content"]
    for n, sentence in enumerate(SENTENCES, 1):
        assert f"\n{n}. {sentence}" in user
    assert "- Zwei MMR-Impfungen schützen zuverlässig vor Masern." in user  # the map's
    assert f"- {FACTS.booking}" in user  # the fact sheet's


def test_the_judge_is_shown_approved_statements_and_passages_not_myths_or_frames() -> None:
    small = Support(
        language="de",
        statements=(
            Statement(SENTENCES[0], "map"),
            Statement("Die MMR-Impfung löse Autismus aus.", "myth"),
            Statement("Mit freundlichen Grüßen.", "frame"),
            Statement(SENTENCES[1], "draft"),
            Statement(PASSAGE, "passage"),
        ),
        fact_values=(FACTS.booking,),
    )
    chat = ScriptedChat([answer(True, True, True)])
    judge_sentences(chat, TEXT, small)
    approved = chat.calls[0]["messages"][-1]["content"].split("\n\nThe office's logistics")[0]
    # the version's own evidence first, then the map (a long map must not crowd out passages)
    assert approved.splitlines()[1:] == [f"- {PASSAGE}", f"- {SENTENCES[1]}", f"- {SENTENCES[0]}"]


def test_the_judge_is_shown_the_passages_the_version_cites(support: Support) -> None:
    chat = ScriptedChat([answer(True, True, True)])
    judge_sentences(chat, TEXT, support)
    assert f"- {PASSAGE}" in chat.calls[0]["messages"][-1]["content"]


def test_one_unsupported_sentence_is_an_error_naming_it_at_its_offsets(support: Support) -> None:
    chat = ScriptedChat([answer(True, True, False)])
    item = judge_sentences(chat, TEXT, support)
    assert (item.passed, item.severity, item.reason_key) == (False, "error", "judge.refused")
    (refused,) = item.sentences
    assert TEXT[refused.start : refused.end] == refused.text == SENTENCES[2]
    assert (refused.check, refused.rule, refused.reason_key) == (
        "judge", "supported.judge", "supported.judge",
    )  # fmt: skip
    assert refused.reason_args == {"why": "No approved statement says this."}
    assert SENTENCES[2] in item.reason and item.points == 0


@pytest.mark.parametrize(
    "raw",
    [
        "not json at all",
        "[]",
        '{"verdict": []}',
        '{"verdicts": "all fine"}',
        {"verdicts": [{"n": "one", "supported": True, "why": ""}] * 3},
        {"verdicts": [{"supported": True, "why": ""}] * 3},
        answer(True, True),  # a sentence left out
        answer(True, True, True, True),  # a sentence the text does not have
        answer(True, True, True, numbers=[1, 2, 4]),
        answer(True, True, True, numbers=[1, 1, 2]),
    ],
    ids=[
        "prose",
        "list",
        "no-verdicts",
        "string",
        "n-not-a-number",
        "no-n",
        "two-of-three",
        "four-of-three",
        "numbers-1-2-4",
        "numbers-1-1-2",
    ],
)
def test_an_answer_that_cannot_be_read_is_a_failed_item_not_a_pass(
    support: Support, raw: str | dict[str, Any]
) -> None:
    item = judge_sentences(ScriptedChat([raw]), TEXT, support)
    assert (item.passed, item.severity, item.reason_key) == (False, "error", "judge.failed")
    assert item.reason_args["error"] and item.sentences == ()


class DownChat(ScriptedChat):
    """A backend that does not answer."""

    def complete(self, messages, schema, **kwargs):  # type: ignore[no-untyped-def]
        self.calls.append({"messages": messages, "schema": schema})
        raise BackendError("Connection refused: 127.0.0.1:8080")


def test_a_backend_that_does_not_answer_is_a_failed_item(support: Support) -> None:
    item = judge_sentences(DownChat([]), TEXT, support)
    assert (item.passed, item.reason_key) == (False, "judge.failed")
    assert "Connection refused" in item.reason


def test_the_judge_is_shown_whole_sentences_where_fact_values_have_full_stops(
    support: Support,
) -> None:
    logistics = f"Kommen Sie {FACTS.when} ins {FACTS.where}."  # "vom 3. März", "2. Stock"
    text = f"{SENTENCES[0]} {logistics} Wir freuen uns auf Sie."
    chat = ScriptedChat([answer(True, True, True)])
    item = judge_sentences(chat, text, support)
    verdicts = chat.calls[0]["schema"]["properties"]["verdicts"]
    assert verdicts["maxItems"] == 3, chat.calls[0]["messages"][-1]["content"]
    assert f"\n2. {logistics}\n" in chat.calls[0]["messages"][-1]["content"]
    assert item.passed


# The gate: adapt_message with the judge on and off ------------------------------------------


@dataclass(frozen=True)
class Gate:
    """One store (fake embedder, shipped corpus) and one composed floor for the module."""

    data_dir: Path
    store: Store
    floor: Floor

    def adapt(self, judge: str, answers: list[Any]) -> tuple[Message, ScriptedChat]:
        """The gate on the model's version, with CLARION_JUDGE as `judge`, the chat scripted."""
        settings = load_settings(data_dir=self.data_dir, judge=judge)
        chat = ScriptedChat(answers)
        message = adapt_message(self.floor, settings=settings, chat=chat, store=self.store,
                                facts=RIG_FACTS)  # fmt: skip
        return message, chat

    def version(self) -> str:
        """A faithful version of the composed letter (as tests/test_write.py words it)."""
        from tests.test_write import reworded

        return reworded(self.floor.message.text)


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Gate:
    from knowledge.ingest import sync_corpus

    data_dir = tmp_path_factory.mktemp("judge-data")
    store = Store(load_settings(data_dir=data_dir), FakeEmbedder())
    sync_corpus(store)
    request = Request("measles", "parents-infants", "letter", "de")
    floor = compose_message(request, settings=load_settings(data_dir=data_dir), store=store,
                            facts=RIG_FACTS, concern_id="safety")  # fmt: skip
    return Gate(data_dir, store, floor)


def judge_item(checks: LintReport) -> LintItem | None:
    return next((i for i in checks.items if i.id == "judge"), None)


def test_with_the_judge_off_one_request_is_made_and_the_version_kept(
    gate: Gate,
) -> None:
    text = gate.version()
    message, chat = gate.adapt("off", [{"citations": [1], "text": text}])
    rejected = message.rejected_model_version
    assert message.version == "model", rejected.reasons if rejected else None
    assert len(chat.calls) == 1 and judge_item(message.checks) is None


def test_with_the_judge_on_a_version_it_backs_is_kept_after_one_more_request(
    gate: Gate,
) -> None:
    text = gate.version()
    count = len(sentence_spans(text, "de"))
    message, chat = gate.adapt("model", [{"citations": [1], "text": text}, answer(*[True] * count)])
    rejected = message.rejected_model_version
    assert message.version == "model", rejected.reasons if rejected else None
    assert len(chat.calls) == 2
    assert chat.calls[1]["schema"]["properties"]["verdicts"]["minItems"] == count
    found = judge_item(message.checks)
    assert found is not None and found.passed and message.checks.ok


def test_an_unsupported_verdict_keeps_the_composed_floor_with_the_reason_judge(
    gate: Gate,
) -> None:
    text = gate.version()
    spans = sentence_spans(text, "de")
    wrong = next(n for n, s in enumerate(spans) if "Jahrzehnten" in s.text)
    flags = [n != wrong for n in range(len(spans))]
    message, chat = gate.adapt("model", [{"citations": [1], "text": text}, answer(*flags)])
    assert message.version == "composed" and message.text == gate.floor.message.text
    rejected = message.rejected_model_version
    assert rejected is not None and rejected.text == text
    assert [r["item"] for r in rejected.reasons] == ["judge"]
    found = judge_item(message.model_checks)
    assert found is not None and not found.passed
    (sentence,) = found.sentences
    assert text[sentence.start : sentence.end] == sentence.text == spans[wrong].text
    assert len(chat.calls) == 2


def test_a_judge_answer_that_cannot_be_read_keeps_the_composed_floor(
    gate: Gate,
) -> None:
    text = gate.version()
    message, chat = gate.adapt("model", [{"citations": [1], "text": text}, "{}"])
    assert message.version == "composed" and len(chat.calls) == 2
    rejected = message.rejected_model_version
    assert rejected is not None and [r["item"] for r in rejected.reasons] == ["judge"]
