"""Live validation of a template file: every problem at once, each naming its line or variable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from jinja2 import TemplateAssertionError, TemplateSyntaxError, meta, nodes
from pydantic import ValidationError

from comms.drafting.template import (
    PromptTemplate,
    parse_template,
    sandbox,
    shipped_ids,
    shipped_text,
)
from comms.templates.samples import preview
from comms.versions import decode_upload
from core.errors import TemplateError, file_problems

PARTS = ("system", "user")
IMPLICIT_NAMES = {"loop", "caller", "varargs", "kwargs", "self"}
FILE_STATEMENTS = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a template; `line` counts within the part, `file_line` in the file."""

    message: str
    part: str = ""
    line: int | None = None
    file_line: int | None = None

    def __str__(self) -> str:
        where = [f"{self.part} part" if self.part in PARTS else self.part]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.file_line is not None:
            where.append(f"file line {self.file_line}")
        prefix = ", ".join(w for w in where if w)
        return f"{prefix}: {self.message}" if prefix else self.message


MAX_TEMPLATE_BYTES = 200_000  # a template file, uploaded or imported


def read_template_file(raw: bytes) -> str:
    """The text of a template file, or a TemplateError: UTF-8 text under MAX_TEMPLATE_BYTES."""
    text = decode_upload(raw, MAX_TEMPLATE_BYTES)
    if text is None:
        raise TemplateError(f"not a UTF-8 text file under {MAX_TEMPLATE_BYTES} bytes")
    return text


def required_variables(template_id: str) -> dict[str, str]:
    """The variables Clarion's code passes to this template: the shipped default's."""
    return dict(parse_template(shipped_text(template_id), f"{template_id}.yaml").variables)


def validate(text: str, expected_id: str | None = None) -> list[Problem]:
    """All problems with a template file's text; an empty list means it can be saved."""
    raw, problems = _load(text)
    if raw is None:
        return problems
    anchors = _anchors(text)
    problems += _field_problems(raw, anchors)
    variables = raw.get("variables")
    declared = set(variables) if isinstance(variables, dict) else set()
    for part in PARTS:
        if isinstance(raw.get(part), str):
            problems += _source_problems(raw[part], part, declared, anchors.get(part))
    problems += _variable_problems(raw.get("id"), expected_id, declared, anchors)
    if not problems:
        problems += _trial_render(text)
    return problems


def _load(text: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        (bad,) = file_problems(exc)
        return None, [Problem(f"not valid YAML: {bad.message}", file_line=bad.line)]
    if not isinstance(raw, dict):
        return None, [Problem("the file must be a mapping with id, system, user and variables")]
    return raw, []


@dataclass(frozen=True)
class _Anchor:
    key_line: int  # 1-based line of the key in the file
    first_line: int | None  # 1-based file line of the value's first line, if lines map 1:1


def _anchors(text: str) -> dict[str, _Anchor]:
    """Where each top-level key sits in the file, to turn part lines into file lines."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    anchors = {}
    for key, value in root.value:
        first: int | None = None
        if isinstance(value, yaml.ScalarNode) and value.style == "|":
            first = value.start_mark.line + 2  # a literal block starts below its indicator
        elif isinstance(value, yaml.ScalarNode) and "\n" not in str(value.value):
            first = value.start_mark.line + 1
        anchors[str(key.value)] = _Anchor(key.start_mark.line + 1, first)
    return anchors


def _field_problems(raw: dict[str, Any], anchors: dict[str, _Anchor]) -> list[Problem]:
    try:
        PromptTemplate.model_validate(raw)
    except ValidationError as exc:
        lines: dict[tuple[str | int, ...], int] = {(k,): a.key_line for k, a in anchors.items()}
        return [Problem(str(p), file_line=p.line) for p in file_problems(exc, lines)]
    return []


def _source_problems(
    source: str, part: str, declared: set[str], anchor: _Anchor | None
) -> list[Problem]:
    """Syntax, sandbox-forbidden statements, unknown filters and undeclared variables."""

    def problem(message: str, line: int | None) -> Problem:
        first = anchor.first_line if anchor else None
        file_line = first + line - 1 if first is not None and line is not None else None
        return Problem(message, part, line, file_line)

    env = sandbox()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [problem(exc.message or "syntax error", exc.lineno)]
    problems = [
        problem("a template may not include, import or extend files", node.lineno)
        for node in tree.find_all(FILE_STATEMENTS)
    ]
    problems += [problem(msg, line) for msg, line in _private_access(tree)]
    try:
        unknown = meta.find_undeclared_variables(tree)  # compiles: finds unknown filters too
    except TemplateAssertionError as exc:
        problems.append(problem(exc.message or "invalid template", exc.lineno))
        unknown = _names(tree, "load") - _names(tree, "store") - IMPLICIT_NAMES
    unknown -= declared | set(env.globals)
    for name in sorted(unknown, key=lambda n: (_first_use(tree, n), n)):
        message = f"variable '{name}' is used but not declared under `variables`"
        problems.append(problem(message, _first_use(tree, name)))
    return problems


def _private_access(tree: nodes.Template) -> list[tuple[str, int]]:
    """Names starting with '_' (such as __class__) that the sandbox refuses at render time."""
    found = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = _accessed(node)
        if isinstance(name, str) and name.startswith("_"):
            found.append((f"the sandbox forbids access to '{name}'", node.lineno))
    return found


def _accessed(node: nodes.Node) -> object:
    """The attribute or constant key read by x.name or x['name']."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    key = getattr(node, "arg", None)
    return key.value if isinstance(key, nodes.Const) else None


def _names(tree: nodes.Template, ctx: str) -> set[str]:
    return {n.name for n in tree.find_all(nodes.Name) if n.ctx == ctx}


def _first_use(tree: nodes.Template, name: str) -> int:
    lines = [n.lineno for n in tree.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
    return min(lines, default=1)


def _variable_problems(
    template_id: object, expected_id: str | None, declared: set[str], anchors: dict[str, _Anchor]
) -> list[Problem]:
    """The id is a shipped one; the variables declared are exactly those the code can pass."""
    line = anchors["id"].key_line if "id" in anchors else None
    if not isinstance(template_id, str):
        return []  # reported by the field check
    if expected_id is not None and template_id != expected_id:
        message = f"id is '{template_id}' but this is the '{expected_id}' template"
        return [Problem(message, "id", file_line=line)]
    if template_id not in shipped_ids():
        known = ", ".join(shipped_ids())
        return [Problem(f"unknown template id '{template_id}'; known: {known}", "id", None, line)]
    required = required_variables(template_id)
    line = anchors["variables"].key_line if "variables" in anchors else None
    missing = [
        Problem(
            f"variable '{name}' is required (Clarion passes it) but not declared",
            "variables",
            file_line=line,
        )
        for name in required
        if name not in declared
    ]
    extra = [
        Problem(
            f"variable '{name}' is declared but Clarion does not pass it to '{template_id}'; "
            f"it can use: {', '.join(required)}",
            "variables",
            file_line=line,
        )
        for name in sorted(declared - set(required))
    ]
    return missing + extra


def _trial_render(text: str) -> list[Problem]:
    """Render with a sample scenario: catches a misspelt field such as topic.lable."""
    try:
        preview(parse_template(text))
    except TemplateError as exc:
        return [Problem(f"does not render with a sample scenario: {exc}")]
    return []
