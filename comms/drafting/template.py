"""Prompt templates: data files in prompts/templates, rendered in Jinja2's sandbox."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import TemplateError, file_problems
from core.settings import PROJECT_ROOT, Settings

SHIPPED_DIR = PROJECT_ROOT / "prompts" / "templates"
MAX_RENDERED_CHARS = 60_000


class PromptTemplate(BaseModel):
    """One task's prompt: a system part, a user part and the variables they use."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    description: str
    version: int
    variables: dict[str, str]
    system: str
    user: str

    @property
    def content_hash(self) -> str:
        """Short hash of the wording: identifies exactly which text produced a message."""
        text = "\0".join([self.id, self.system, self.user])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def sandbox() -> SandboxedEnvironment:
    """The one Jinja2 environment templates are parsed and rendered in."""
    # No loader: {% include %} and {% import %} cannot reach any file.
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


@lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    """A template part compiled once per process: a pack renders the same parts for every
    cell, and compiling them (about 10 ms) cost more than rendering. A compiled template
    renders in any thread; each render has its own context."""
    return _environment().from_string(source)


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return sandbox()


def parse_template(text: str, origin: str = "template") -> PromptTemplate:
    """Validate a template file's text into a PromptTemplate."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{origin} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise TemplateError(f"{origin} must be a mapping with id, system, user and variables.")
    try:
        template = PromptTemplate.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(map(str, file_problems(exc)))
        raise TemplateError(f"{origin} is invalid: {problems}") from exc
    for part in ("system", "user"):
        check_source(getattr(template, part), f"{origin} {part} part")
    return template


def check_source(source: str, where: str) -> None:
    """Syntax errors with line numbers; file includes, imports and inheritance are refused."""
    try:
        tree = sandbox().parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{where}, line {exc.lineno}: {exc.message}") from exc
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        raise TemplateError(
            f"{where}, line {node.lineno}: a template may not include, import or extend files."
        )


def shipped_ids() -> list[str]:
    """Ids of the shipped templates: the only ones Clarion's code renders."""
    return sorted(path.stem for path in SHIPPED_DIR.glob("*.yaml"))


def shipped_text(template_id: str) -> str:
    """The read-only shipped default's file text."""
    if template_id not in shipped_ids():
        known = ", ".join(shipped_ids())
        raise TemplateError(f"No shipped template '{template_id}'; choose one of: {known}.")
    return (SHIPPED_DIR / f"{template_id}.yaml").read_text(encoding="utf-8")


def template_path(template_id: str, settings: Settings | None = None) -> Path:
    """The office's override in the data directory if present, else the shipped default."""
    if settings is not None:
        override = settings.data_dir / "templates" / f"{template_id}.yaml"
        if override.is_file():
            return override
    return SHIPPED_DIR / f"{template_id}.yaml"


def load_template(template_id: str, settings: Settings | None = None) -> PromptTemplate:
    """Load a template by id."""
    path = template_path(template_id, settings)
    if not path.is_file():
        raise TemplateError(f"No prompt template '{template_id}' in {SHIPPED_DIR.name}/.")
    return parse_template(path.read_text(encoding="utf-8"), origin=path.name)


def render(template: PromptTemplate, variables: dict[str, Any]) -> list[dict[str, str]]:
    """Render both parts into chat messages; a missing variable or sandbox escape is an error."""
    messages = []
    for role, source in (("system", template.system), ("user", template.user)):
        try:
            text = _compiled(source).render(**variables)
        except (JinjaTemplateError, TypeError) as exc:  # TypeError: include without a loader
            raise TemplateError(f"Template '{template.id}' {role} part: {exc}") from exc
        if len(text) > MAX_RENDERED_CHARS:
            raise TemplateError(
                f"Template '{template.id}' {role} part renders to {len(text)} characters; "
                f"the limit is {MAX_RENDERED_CHARS}."
            )
        messages.append({"role": role, "content": text.strip()})
    return messages
