"""Errors a user can act on. Each message names what to fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import yaml
from pydantic import ValidationError


class ClarionError(Exception):
    """Base for every error shown to a user as one clear line."""


class ConfigError(ClarionError):
    """A setting points at something missing or unusable."""


class InputError(ClarionError):
    """A request names an unknown id or leaves a required field empty."""


class BackendError(ClarionError):
    """The language model or the knowledge store could not be reached or failed."""


class TemplateError(ClarionError):
    """A prompt template is invalid or tried something the sandbox forbids."""


class GenerationError(ClarionError):
    """The model's answer could not be turned into a valid message."""


class ServerUnavailable(BackendError):
    """An LLM server did not answer (refused, timed out, 5xx): another server of a pool may."""


class ModelCrashed(BackendError):
    """The model's process stopped in the middle of a request; a fresh one has been started."""


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong in a data file: its line where known, the field ("" for the file)."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field or 'file'}: {self.message}"


def file_problems(
    exc: ValidationError | yaml.YAMLError, lines: Mapping[tuple[str | int, ...], int] | None = None
) -> list[FileProblem]:
    """Each problem a YAML or pydantic error names, with the line of the nearest field in
    `lines` (a field path → line map); one formatter, so every file reports errors alike."""
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        reason = str(getattr(exc, "problem", None) or exc).strip()
        return [FileProblem(mark.line + 1 if mark is not None else None, "", reason)]
    lines = lines or {}
    problems = []
    for error in exc.errors():
        path = tuple(error["loc"])
        found = (lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in lines)
        field = ".".join(str(part) for part in path)
        problems.append(FileProblem(next(found, None), field, str(error["msg"])))
    return problems
