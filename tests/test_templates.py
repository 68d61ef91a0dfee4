"""Prompt templates: the shipped ones render, and the sandbox holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from comms.catalog import load_catalog
from comms.draft import Request, resolve, template_variables
from comms.errors import TemplateError
from comms.templates import SHIPPED_DIR, load_template, parse_template, render
from knowledge.search import Passage

PASSAGE = Passage(
    "s#0", "s", "Title", "https://example.org", "2024-01-01", "en", "principle", "", "Body.", 0.9
)
VALID = """
id: t
title: T
description: d
version: 1
variables: {name: who}
system: "Hello {{ name }}"
user: "{{ name | upper }}"
"""


def variables(language: str = "de", concern: str = "") -> dict[str, object]:
    return template_variables(
        resolve(Request("measles", "hesitant", "sms", language, concern)), [PASSAGE]
    )


@pytest.mark.parametrize("path", sorted(SHIPPED_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_template_renders_with_the_variables_the_code_passes(path: Path) -> None:
    template = load_template(path.stem)
    assert set(template.variables) == set(variables())
    system, user = render(template, variables())
    assert "German" in system["content"]
    assert "[1] Title: Body." in user["content"]
    assert "{{" not in user["content"] and "{%" not in user["content"]


def test_draft_prompt_snapshot() -> None:
    _, user = render(load_template("draft_message"), variables("en", "Is it safe?"))
    assert user["content"].splitlines()[:2] == [
        "Topic: Measles (MMR)",
        "Audience: Hesitant people. They worry about: doubts about safety, things they have heard "
        "online, distrust of authorities.",
    ]
    assert "Answer this concern: Is it safe?" in user["content"]
    assert "at most 306 characters" in user["content"]


def test_concern_line_is_left_out_when_empty() -> None:
    _, user = render(load_template("draft_message"), variables())
    assert "concern" not in user["content"].lower()


def test_version_is_a_content_hash() -> None:
    first = parse_template(VALID)
    second = parse_template(VALID.replace("Hello", "Hi"))
    assert len(first.content_hash) == 12 and first.content_hash != second.content_hash


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID.replace("version: 1", "version: 1\ncolour: red"),
            "colour: Extra inputs are not permitted",
        ),
        (VALID.replace('user: "{{ name | upper }}"', ""), "user: Field required"),
        (
            VALID.replace("{{ name | upper }}", "{% if name %}open"),
            "user part, line 1: Unexpected end of template",
        ),
        ("- just\n- a list", "must be a mapping"),
        ("id: [unclosed", "not valid YAML"),
    ],
)
def test_invalid_templates_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        parse_template(text)


def test_missing_variable_is_an_error_not_a_blank() -> None:
    with pytest.raises(TemplateError, match="'name' is undefined"):
        render(parse_template(VALID), {})


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ name.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.environ }}",
        "{{ '{0.__class__.__mro__}'.format(name) }}",
        "{{ lipsum.__globals__ }}",
    ],
)
def test_sandbox_refuses_escapes(attack: str) -> None:
    template = parse_template(VALID.replace('"{{ name | upper }}"', repr(attack)))
    with pytest.raises(TemplateError, match="unsafe|undefined|no loader|not safely"):
        render(template, {"name": "x"})


def test_rendering_has_a_size_limit() -> None:
    template = parse_template(VALID.replace('"{{ name | upper }}"', '"{{ name * 100000 }}"'))
    with pytest.raises(TemplateError, match="the limit is"):
        render(template, {"name": "abc"})


def test_office_override_in_data_dir_wins(settings) -> None:  # type: ignore[no-untyped-def]
    folder = settings.data_dir / "templates"
    folder.mkdir(parents=True)
    shipped = (SHIPPED_DIR / "draft_message.yaml").read_text()
    (folder / "draft_message.yaml").write_text(shipped.replace("You are a", "You are our office's"))
    assert (
        load_template("draft_message", settings).content_hash
        != load_template("draft_message").content_hash
    )
    assert load_catalog().topics  # unaffected


@pytest.mark.parametrize(
    "statement",
    [
        "{% include '/etc/passwd' %}",
        "{% import 'os' as os %}",
        "{% from 'x' import y %}",
        "{% extends 'base' %}",
    ],
)
def test_file_includes_and_imports_are_refused_at_validation(statement: str) -> None:
    with pytest.raises(
        TemplateError, match="user part, line 1: a template may not include, import or extend"
    ):
        parse_template(VALID.replace('"{{ name | upper }}"', repr(statement)))
