"""Check names and reasons in the interface language, from catalog/checks.yaml.

A LintItem keeps its English `reason` for JSON and the CLI; `reason_key` and `reason_args` let a
view say the same in German. Several problems in one reason have their keys joined by "+"; a key
"plain.long@2" (sentence 2) takes the arguments ending in ".2" ("words.2") as well.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from comms.report import LintItem
from core.errors import ConfigError
from core.settings import PROJECT_ROOT

CHECK_TEXTS = PROJECT_ROOT / "catalog" / "checks.yaml"


class CheckTexts(BaseModel):
    """Names per check id and reason templates per key, each by interface language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    names: dict[str, dict[str, str]]
    reasons: dict[str, dict[str, str]]


@lru_cache(maxsize=2)
def load_check_texts(path: Path = CHECK_TEXTS) -> CheckTexts:
    """The names and reason templates of the checks."""
    try:
        return CheckTexts.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"Check texts {path.name} are invalid: {exc}") from exc


def check_name(item_id: str, ui_language: str) -> str:
    """The check's name in the interface language, else in English, else its id."""
    names = load_check_texts().names.get(item_id, {})
    return names.get(ui_language) or names.get("en") or item_id


def part_args(part: str, args: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A key part's template key and its arguments ("plain.long@2" also takes "words.2")."""
    key, _, index = part.partition("@")
    if not index:
        return key, args
    suffix = "." + index
    numbered = {name.removesuffix(suffix): v for name, v in args.items() if name.endswith(suffix)}
    return key, args | numbered | {"n": index}


def check_reason(item: LintItem, ui_language: str) -> str:
    """The item's reason in the interface language; the English reason when no template fits."""
    if ui_language == "en" or not item.reason_key:
        return item.reason
    templates = load_check_texts().reasons
    parts = []
    for part in item.reason_key.split("+"):
        key, args = part_args(part, item.reason_args)
        template = templates.get(key, {}).get(ui_language)
        if template is None:
            return item.reason
        try:
            parts.append(template.format_map(args))
        except (KeyError, IndexError, ValueError):
            return item.reason
    text = "; ".join(parts)
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
