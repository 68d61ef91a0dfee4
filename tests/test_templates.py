"""Prompt templates: the shipped ones render, and the sandbox holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from comms.drafting.draft import Request, draft_message, resolve, template_variables
from comms.drafting.template import SHIPPED_DIR, load_template, parse_template, render, shipped_ids
from comms.templates.samples import (
    SAMPLE_DRAFT,
    SAMPLE_SOURCE_TEXT,
    Scenario,
    drafts_with,
    preview,
    sample_variables,
)
from core.catalog import load_catalog
from core.errors import TemplateError
from knowledge.retrieval.search import Passage
from tests.conftest import ScriptedChat

PASSAGE = Passage(
    "s#0", "s", "Title", "https://example.org", "2024-01-01", "en", "principle", "", "Body.", 0.9
)
SAMPLED_ONLY = {"repair_message", "adapt_message"}
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


# repair_message and adapt_message take other variables: tested with their samples below.
DRAFTING = [p for p in sorted(SHIPPED_DIR.glob("*.yaml")) if p.stem not in SAMPLED_ONLY]


@pytest.mark.parametrize("path", DRAFTING, ids=lambda p: p.stem)
def test_every_shipped_template_renders_with_the_variables_the_code_passes(path: Path) -> None:
    template = load_template(path.stem)
    assert set(template.variables) == set(variables())
    system, user = render(template, variables())
    assert "German" in system["content"] + user["content"]
    assert '<evidence n="1" title="Title">Body.</evidence>' in user["content"]
    assert "{{" not in user["content"] and "{%" not in user["content"]


def test_draft_prompt_snapshot() -> None:
    _, user = render(load_template("draft_message"), variables("en", "Is it safe?"))
    lines = user["content"].splitlines()
    assert lines[0].startswith("Evidence, quoted between <evidence> tags"), "shared part first"
    topic = lines.index("Topic: Measles (MMR)")
    assert lines[topic + 1] == (
        "Audience: Hesitant people. They worry about: doubts about safety, things they have heard "
        "online, distrust of authorities."
    )
    assert lines[-2].startswith("Write the sms in English"), "what changes per message comes last"
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


# --- The task templates, the sample scenario and trying an unsaved template ---------------


@pytest.mark.parametrize("template_id", shipped_ids())
def test_every_shipped_template_is_documented_and_renders_its_sample(template_id: str) -> None:
    template = load_template(template_id)
    assert template.title and template.description.strip() and template.version >= 1
    assert all(description.strip() for description in template.variables.values())
    sample = sample_variables(template_id)
    assert set(sample) == set(template.variables)  # the sample documents what the code passes
    system, user = render(template, sample)
    assert system["role"] == "system" and "German" in system["content"] + user["content"]
    assert "{{" not in user["content"] and "{%" not in user["content"]


def test_repair_prompt_snapshot() -> None:
    _, user = preview(load_template("repair_message"), Scenario(language="en", concern=""))
    content = user["content"]
    assert f"Previous text:\n{SAMPLE_DRAFT}\n" in content
    assert (
        "It failed these checks:\n"
        "- tone: 'it is your duty' sounds like pressure.\n"
        "- call to action: It does not say where to get vaccinated.\n"
    ) in content
    assert '<evidence n="2" title="Sample passage: where to get vaccinated">' in content
    assert content.endswith("fixing every\nfailure above.")


def test_adapt_prompt_snapshot() -> None:
    _, user = preview(
        load_template("adapt_message"),
        Scenario(audience="limited-german", channel="letter", language="tr"),
    )
    assert user["content"].splitlines()[:4] == [
        "Source language: English",
        "Target language: Turkish",
        f"Audience: People with limited German. Tone: {_audience('limited-german').tone}. "
        f"Reading level: grade {_audience('limited-german').grade}.",
        "Channel: Letter, at most 2500 characters.",
    ]
    assert SAMPLE_SOURCE_TEXT in user["content"]


def test_faq_entry_picks_a_question_when_none_is_given() -> None:
    _, asked = preview(load_template("faq_entry"), Scenario(concern="Is it free?"))
    _, open_ = preview(load_template("faq_entry"), Scenario(concern=""))
    assert "Question: Is it free?" in asked["content"]
    assert "choose the most common of their worries" in open_["content"]


def test_the_scenario_changes_the_preview() -> None:
    sms = preview(load_template("phone_script"), Scenario(channel="sms", language="de"))
    phone = preview(load_template("phone_script"), Scenario(channel="phone", language="uk"))
    assert "At most 306 characters" in sms[1]["content"]
    assert "At most 1500 characters" in phone[1]["content"]
    assert "Ukrainian" in phone[0]["content"]


def test_only_templates_with_the_drafting_variables_can_be_tried() -> None:
    assert {i for i in shipped_ids() if drafts_with(load_template(i))} == {
        "draft_message",
        "faq_entry",
        "phone_script",
    }


def test_draft_message_uses_a_given_template_without_saving_it(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    shipped = (SHIPPED_DIR / "draft_message.yaml").read_text()
    edited = parse_template(shipped.replace("You are a", "TRIAL: you are a"))
    chat = ScriptedChat([{"text": "Die MMR-Impfung schützt Ihr Kind.", "citations": [1]}])
    message = draft_message(
        Request("measles", "hesitant", "sms", "de"),
        settings=settings.model_copy(update={"repair_tries": 0}),
        chat=chat,
        store=fake_store,
        template=edited,
    )
    assert chat.calls[0]["messages"][0]["content"].startswith("TRIAL: you are a")
    assert message.template_version == edited.content_hash
    assert not (settings.data_dir / "templates").exists()
    assert load_template("draft_message", settings).content_hash != edited.content_hash


def _audience(audience_id: str) -> Any:
    return next(a for a in load_catalog().audiences if a.id == audience_id)
