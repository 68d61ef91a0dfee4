"""The office profile (data_dir/office.yaml): who signs the office's letters, e-mails and phone
calls, and the contact block of its exported letters.

An office signs with its name, not with an e-mail address. Without a profile, a message signs
"Ihr Gesundheitsamt" ("Your health office") under the language's usual closing, and a pack's
letters carry the campaign's sender, else the fact sheet's contact (docs/maps.md).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from core.catalog import base_language, load_catalog
from core.errors import ConfigError, InputError
from core.settings import Settings

OFFICE_FILE = "office.yaml"
OFFICIAL_LANGUAGE = "de"  # the office's name in this language stands where it has no other
_CONTROL = re.compile(r"[\x00-\x1f\x7f{}]")


class Office(BaseModel):
    """The office's name and sign-off per language, its address, phone, web and e-mail."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: dict[str, str] = Field(min_length=1)  # language → name ("Gesundheitsamt Lindenhain")
    address: list[str] = Field(default_factory=list, max_length=6)
    phone: str = Field(default="", max_length=60)
    web: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=120)
    sign_off: dict[str, str] = Field(default_factory=dict)  # language → "Mit freundlichen Grüßen"

    @field_validator("name", "sign_off")
    @classmethod
    def _languages(cls, texts: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        known = {language.id for language in load_catalog().languages}
        for language, text in texts.items():
            if language not in known:
                raise ValueError(f"'{language}' is not a language ({', '.join(sorted(known))})")
            _plain_text(text)
        given = {language: text.strip() for language, text in texts.items() if text.strip()}
        if info.field_name == "name" and not given:
            raise ValueError("give the office's name in at least one language")
        return given

    @field_validator("phone", "web", "email")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _plain_text(value)

    @field_validator("address")
    @classmethod
    def _lines(cls, lines: list[str]) -> list[str]:
        return [_plain_text(line).strip() for line in lines if line.strip()]

    def name_in(self, language: str) -> str:
        """The office's name in a language: its own, its base language's (de for Einfache
        and Leichte Sprache), else the official (German) name, else any."""
        for wanted in (language, base_language(language), OFFICIAL_LANGUAGE):
            if self.name.get(wanted):
                return self.name[wanted]
        return next(iter(self.name.values()), "")

    def sign_off_in(self, language: str) -> str:
        """The office's closing formula in a language, or "" (the language's usual one)."""
        return self.sign_off.get(language) or self.sign_off.get(base_language(language), "")

    def contact_lines(self) -> list[str]:
        """The official name, the address lines, phone, e-mail and web: a letter's sender."""
        lines = [self.name_in(OFFICIAL_LANGUAGE), *self.address, self.phone, self.email, self.web]
        return [line for line in lines if line]


def _plain_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be one line, without control characters or curly braces")
    return value


def office_path(settings: Settings) -> Path:
    """Where the office profile lives: office.yaml in the data directory."""
    return settings.data_dir / OFFICE_FILE


def load_office(settings: Settings) -> Office | None:
    """The office profile, or None where the office has not made one."""
    path = office_path(settings)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"The office profile {path} cannot be read: {exc.strerror}.") from exc
    try:
        return Office.model_validate(yaml.safe_load(raw) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise InputError(f"The office profile {path} is invalid: {exc}") from exc


def save_office(settings: Settings, office: Office) -> None:
    """Atomically replace the office profile."""
    path = office_path(settings)
    data = office.model_dump(exclude_defaults=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".office.", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            yaml.safe_dump(data, out, allow_unicode=True, sort_keys=False)
        os.chmod(temp, 0o644)  # not a secret: what every letter shows
        os.replace(temp, path)
    except OSError as exc:
        raise ConfigError(f"The office profile {path} cannot be written: {exc.strerror}.") from exc
