"""The model's answer: schema, parsing, and the text read while it streams."""

from __future__ import annotations

import json

import pytest

from comms.message import output_schema, parse_answer, partial_text
from core.errors import GenerationError


def test_long_channels_have_no_grammar_length_limit() -> None:
    # A limit in the thousands overflows llama.cpp's grammar stack; length is checked instead.
    assert "maxLength" not in output_schema(passages=3, max_chars=2500)["properties"]["text"]
    assert output_schema(passages=3, max_chars=500)["properties"]["text"]["maxLength"] == 500


def test_schema_limits_citations_to_retrieved_passages() -> None:
    schema = output_schema(passages=4, max_chars=160)
    assert schema["properties"]["citations"]["items"]["enum"] == [1, 2, 3, 4]
    assert schema["properties"]["text"]["maxLength"] == 160
    assert schema["required"] == ["citations", "text"]
    assert list(schema["properties"]) == ["citations", "text"], "evidence is chosen before writing"


def test_a_text_cut_off_at_the_token_limit_keeps_its_citations() -> None:
    assert parse_answer('{"citations": [2, 1], "text": "Die Impfung schützt und ist') == (
        "Die Impfung schützt und ist",
        [2, 1],
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"text": " Hello ", "citations": [2, 1, 2]}', ("Hello", [2, 1])),
        ('{"text": "Hi", "citations": [true, "3", 4]}', ("Hi", [4])),
        ('{"text": "Hi"}', ("Hi", [])),
        ('{"text": "Zeile 1\nZeile 2", "citations": [1]}', ("Zeile 1\nZeile 2", [1])),
    ],
)
def test_parse_answer(raw: str, expected: tuple[str, list[int]]) -> None:
    assert parse_answer(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"text": "Hi", "citations": [1', "not valid JSON"),
        ('{"citations": [1, 2], "text": "', "not valid JSON"),
        ('{"citations": [1]}', "no message text"),
        ('{"text": "   ", "citations": [1]}', "empty message"),
        ("[1, 2]", "no message text"),
    ],
)
def test_parse_answer_errors(raw: str, message: str) -> None:
    with pytest.raises(GenerationError, match=message):
        parse_answer(raw)


def test_partial_text_follows_a_stream() -> None:
    full = json.dumps({"text": 'Say "yes" — ja\nnow', "citations": [1]}, ensure_ascii=False)
    seen = [partial_text(full[:end]) for end in range(len(full) + 1)]
    assert seen[-1] == 'Say "yes" — ja\nnow'
    assert all(seen[-1].startswith(s) for s in seen if s)
    assert partial_text('{"tex') == ""
