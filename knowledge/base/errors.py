"""Errors a user can act on. Each message names what to fix."""

from __future__ import annotations


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


class ModelCrashed(BackendError):
    """The model's process stopped in the middle of a request; a fresh one has been started."""
