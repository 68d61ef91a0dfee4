"""The gate set (tests/fixtures/gate, docs/gate.md) is well formed, and the stand-in server that
plays the strong model speaks the OpenAI protocol to Clarion's own client.

The set is a test set, like a checklist or a contrast set: good versions, and versions with one
minimal change each, labelled with the defect's class. These tests check its shape, never what
the checks make of it (that is `python -m bench.gate`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.gate import CLASSES, GateFile, Version, answer_for, load_set, load_set_facts, overlaps
from bench.standin import Answer, StandIn
from comms.campaign_facts import SLOTS
from comms.message import output_schema
from core.catalog import load_catalog
from core.settings import load_settings

GATES = load_set()
ALL = [(g, v) for g in GATES for v in g.versions]
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SENTENCE_END = re.compile(r"(?<!\d)[.!?…](?=\s|$)")  # not the dot of "2. Impfung"
MAX_CHANGED = 200  # characters a defect may change in its good version (one sentence)


def _ids(pairs: list[tuple[GateFile, Version]]) -> list[str]:
    return [f"{g.name}/{v.id}" for g, v in pairs]


DEFECTS = [(g, v) for g, v in ALL if v.label == "defect"]


def test_the_set_is_big_enough_and_covers_every_class_channel_and_language() -> None:
    goods = [v for _, v in ALL if v.label == "good"]
    classes = Counter(v.defect for _, v in DEFECTS)
    assert len(goods) >= 40 and len(DEFECTS) >= 80, (len(goods), len(DEFECTS))
    assert len(classes) >= 10 and min(classes.values()) >= 3, classes
    assert set(classes) <= set(CLASSES), set(classes) - set(CLASSES)
    channels = {g.request.channel for g in GATES}
    assert channels == {c.id for c in load_catalog().channels}
    languages = {g.request.language for g in GATES}
    assert {"de", "en", "tr"} <= languages and languages & {"de-einfach", "de-leicht"}


@pytest.mark.parametrize("gate", GATES, ids=[g.name for g in GATES])
def test_each_request_is_one_the_catalog_knows_with_good_versions(gate: GateFile) -> None:
    from comms.drafting.draft import Request, resolve

    resolve(Request(**gate.request.model_dump()))  # an unknown id raises
    ids = [v.id for v in gate.versions]
    assert len(ids) == len(set(ids)), ids
    assert any(v.label == "good" for v in gate.versions)
    assert gate.citations and gate.key_messages and gate.evidence


@pytest.mark.parametrize(("gate", "version"), ALL, ids=_ids(ALL))
def test_each_version_is_what_a_model_under_the_schema_could_send(
    gate: GateFile, version: Version
) -> None:
    assert version.text == version.text.strip() and len(version.text) >= 20  # schema minLength
    if gate.max_length is not None:
        assert len(version.text) <= gate.max_length
    names = PLACEHOLDER.findall(version.text)
    assert set(names) <= set(load_set_facts().filled()) <= set(SLOTS), names
    cited = version.citations or gate.citations
    assert cited and all(1 <= n <= len(gate.evidence) for n in cited) and len(cited) <= 3
    assert version.finish_reason in ("stop", "length")
    if version.label == "good":
        assert version.defect is None and version.of is None and version.sentence is None
        assert version.finish_reason == "stop"


@pytest.mark.parametrize(("gate", "version"), DEFECTS, ids=_ids(DEFECTS))
def test_each_defect_is_one_good_version_with_one_sentence_changed(
    gate: GateFile, version: Version
) -> None:
    assert version.defect in CLASSES and version.of and version.sentence
    good = gate.version(version.of)
    assert good.label == "good"
    assert (version.citations or gate.citations) == (good.citations or gate.citations)
    assert version.text.count(version.sentence) == 1, "the changed sentence stands in the text"
    before, after = (part.strip() for part in version.text.split(version.sentence))
    assert good.text.startswith(before), "the text before the change is the good version's"
    if version.defect == "truncated":
        assert after == "" and not SENTENCE_END.search(version.sentence), "it stops mid-sentence"
        return
    assert good.text.endswith(after), "the text after the change is the good version's"
    assert len(before) + len(after) <= len(good.text), "the parts before and after overlap"
    gone = good.text[len(before) : len(good.text) - len(after)].strip()
    assert len(gone) <= MAX_CHANGED and len(SENTENCE_END.findall(gone)) <= 1, gone
    assert version.text != good.text


def test_the_fact_sheet_has_the_slots_the_prompt_offers() -> None:
    facts = load_set_facts().filled()
    assert {"when", "where", "cost", "booking", "contact"} <= set(facts)


def test_a_defect_is_answered_with_its_citations_renumbered_to_the_prompt() -> None:
    gate = GATES[0]
    version = gate.versions[0]
    cited = version.citations or gate.citations
    # The prompt now lists the first cited passage third, after two new ones.
    shown = [gate.evidence[cited[0] - 1].opening]
    body = {"messages": [{"role": "user", "content": "".join(
        f'<evidence n="{n}" title="t">{text} …</evidence>\n'
        for n, text in enumerate(["new one", "new two", *shown], 1))}]}  # fmt: skip
    answer, moved, lost = answer_for(version, gate, body)
    data = json.loads(answer.content)
    assert data == {"citations": [3], "text": version.text}
    assert (moved, lost) == (1, len(cited) - 1)


def test_a_length_finish_cuts_the_answer_inside_the_text() -> None:
    gate, version = next((g, v) for g, v in ALL if v.finish_reason == "length")
    answer, _, _ = answer_for(version, gate, {"messages": []})
    assert answer.finish_reason == "length" and answer.content.endswith(version.text[-10:])
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.content)


@pytest.mark.parametrize(
    ("refused", "changed", "same"),
    [
        ("Auch bei hohem Fieber müssen Sie nicht zum Arzt.",
         "Auch bei hohem Fieber müssen Sie nicht zum Arzt.", True),
        ("Wenn die Frage kommt: Ja, die Impfung muss jedes Jahr wiederholt werden.",
         "Ja, die Impfung muss jedes Jahr wiederholt werden.", True),
        ("Die MMR-Impfung ist gut erprobt.", "Nebenwirkungen gibt es keine.", False),
    ],
)  # fmt: skip
def test_a_refused_sentence_names_the_changed_one_when_they_overlap(
    refused: str, changed: str, same: bool
) -> None:
    assert overlaps(refused, changed) is same


# The stand-in server.

MESSAGES = [{"role": "user", "content": "Write an SMS."}]


def test_the_standin_streams_chunks_then_the_finish_reason_then_done() -> None:
    with StandIn(model_id="maverick-stand-in") as server:
        server.script({"citations": [1], "text": "Zwei Impfungen schützen vor Masern."},
                      finish_reason="length")  # fmt: skip
        with httpx.stream("POST", server.url + "/v1/chat/completions",
                          json={"messages": MESSAGES, "stream": True}) as response:  # fmt: skip
            lines = [line for line in response.iter_lines() if line]
        assert response.headers["content-type"].startswith("text/event-stream")
        assert lines[-1] == "data: [DONE]"
        events = [json.loads(line[len("data: ") :]) for line in lines[:-1]]
        choices = [e["choices"][0] for e in events]
        text = "".join(c["delta"].get("content", "") for c in choices)
        assert json.loads(text)["text"] == "Zwei Impfungen schützen vor Masern."
        assert len(choices) > 3 and [c["finish_reason"] for c in choices[:-1]] == [None] * (
            len(choices) - 1
        )
        assert choices[-1] == {"index": 0, "delta": {}, "finish_reason": "length"}
        assert server.requests == [{"messages": MESSAGES, "stream": True}]


def test_the_standin_answers_without_streaming_lists_its_model_and_says_when_it_has_no_answer() -> (
    None
):
    with StandIn(model_id="maverick-stand-in") as server:
        models = httpx.get(server.url + "/v1/models").json()
        assert [m["id"] for m in models["data"]] == ["maverick-stand-in"]
        server.script("first")
        server.script(lambda body: Answer(f"echo {len(body['messages'])}", "stop"))
        replies = [httpx.post(server.url + "/v1/chat/completions", json={"messages": MESSAGES})
                   for _ in range(2)]  # fmt: skip
        assert [r.json()["choices"][0]["message"]["content"] for r in replies] == [
            "first", "echo 1"]  # fmt: skip
        assert replies[0].json()["choices"][0]["finish_reason"] == "stop"
        server.clear()
        empty = httpx.post(server.url + "/v1/chat/completions", json={"messages": MESSAGES})
        assert empty.status_code == 503 and "no scripted answer" in empty.text
        server.script("refused", status=500)
        assert httpx.post(server.url + "/v1/chat/completions", json={}).status_code == 500


def test_clarions_own_client_streams_the_scripted_answer_from_the_standin(
    tmp_path: Path,
) -> None:
    from comms.model.backends import Completion, build_chat_model

    answer = {"citations": [2], "text": "Die Grippeimpfung schützt jedes Jahr neu."}
    with StandIn(model_id="maverick-stand-in") as server:
        settings = load_settings(data_dir=tmp_path, llm_mode="openai", llm_url=server.url)
        chat = build_chat_model(settings)
        assert chat.info.model_id == "maverick-stand-in"
        server.script(answer, finish_reason="length")
        streamed: list[str] = []
        schema = output_schema(passages=3, max_chars=120)
        done: Completion = chat.complete(MESSAGES, schema, seed=7, max_tokens=80,
                                         temperature=0.2, on_token=streamed.append)  # fmt: skip
        sent: dict[str, Any] = server.requests[-1]
    assert json.loads(done.text) == answer and "".join(streamed) == done.text
    assert sent["stream"] is True and sent["messages"] == MESSAGES
    assert sent["response_format"]["schema"] == schema and sent["seed"] == 7
    assert done.finish_reason == "length" and done.truncated
