"""Campaigns: one topic and fact sheet, written for a grid of audiences × channels × languages."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from comms.campaign_facts import CampaignFacts
from core.catalog import Catalog, load_catalog
from core.errors import InputError, file_problems

MAX_VARIANTS = 5
MAX_CELLS = 400
MAX_FILE_BYTES = 100_000


@dataclass(frozen=True, order=True)
class Cell:
    """One message of a pack: its place in the grid and its variant number (from 1)."""

    audience: str
    channel: str
    language: str
    variant: int = 1

    @property
    def key(self) -> str:
        """A file- and widget-safe name: catalog ids hold only letters, digits and hyphens."""
        return f"{self.language}__{self.audience}__{self.channel}__v{self.variant}"

    @classmethod
    def from_key(cls, key: str) -> Cell:
        """The cell a key names ("tr__older-adults__sms__v1"); an InputError if it names none."""
        parts = key.strip().split("__")
        if len(parts) != 4 or not re.fullmatch(r"v[1-9][0-9]?", parts[3]):
            raise InputError(
                f"'{key}' is not a cell key; write language__audience__channel__vN, "
                "e.g. tr__older-adults__sms__v1."
            )
        return cls(parts[1], parts[2], parts[0], int(parts[3][1:]))


class Sender(BaseModel):
    """Who signs letters and posters: the office's name and contact block."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    address: list[str] = Field(default_factory=list, max_length=6)
    phone: str = Field(default="", max_length=60)
    email: str = Field(default="", max_length=120)
    web: str = Field(default="", max_length=200)


class Campaign(BaseModel):
    """A campaign file (YAML): what to say, to whom, where, in which languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    topic: str
    # the campaign's facts (comms/campaign_facts.py, CampaignFacts) as data: the stored field
    facts: dict[str, Any] = Field(default_factory=dict)
    audiences: list[str] = Field(min_length=1)
    channels: list[str] = Field(min_length=1)
    languages: list[str] = Field(min_length=1)
    variants: int = Field(default=1, ge=1, le=MAX_VARIANTS)
    concern: str = Field(default="", max_length=500)
    seed: int | None = None
    approvals: Literal[1, 2] = 1
    sender: Sender | None = None
    # An approved translation no native speaker has checked may be exported as approved.
    accept_unchecked_translations: bool = False

    @field_validator("facts")
    @classmethod
    def _fact_sheet(cls, facts: dict[str, Any]) -> dict[str, Any]:
        try:  # the sheet's values, translations and schedule, as a campaign file writes them
            return CampaignFacts.model_validate(facts).model_dump(
                mode="json", exclude_defaults=True
            )
        except ValidationError as exc:  # re-raised as ValueError so the loc names `facts`
            raise ValueError(_problems(exc)) from exc

    @property
    def fact_sheet(self) -> CampaignFacts:
        return CampaignFacts.model_validate(self.facts)

    @field_validator("audiences", "channels", "languages")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError("each id may appear only once")
        return values

    @property
    def fingerprint(self) -> str:
        """Short hash of the whole campaign: a resumed run must be the same campaign."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()[:12]

    @property
    def size(self) -> int:
        """How many messages the full pack has."""
        return len(self.audiences) * len(self.channels) * len(self.languages) * self.variants


def cells(campaign: Campaign) -> list[Cell]:
    """Every cell of the grid, in the file's order (packs.plan_order picks the drafting order)."""
    return [
        Cell(audience, channel, language, variant)
        for audience in campaign.audiences
        for channel in campaign.channels
        for language in campaign.languages
        for variant in range(1, campaign.variants + 1)
    ]


def check_campaign(campaign: Campaign, catalog: Catalog | None = None) -> Campaign:
    """Every id must be in the catalog and the grid within limits; InputError names what to fix."""
    catalog = catalog or load_catalog()
    _check_ids("topic", [campaign.topic], catalog.topics)
    _check_ids("audience", campaign.audiences, catalog.audiences)
    _check_ids("channel", campaign.channels, catalog.channels)
    _check_ids("language", campaign.languages, catalog.languages)
    if campaign.size > MAX_CELLS:
        raise InputError(
            f"Campaign '{campaign.id}' has {campaign.size} messages; the limit is {MAX_CELLS}. "
            "Choose fewer audiences, channels, languages or variants."
        )
    return campaign


def _check_ids(kind: str, wanted: list[str], entries: tuple[object, ...]) -> None:
    known = [str(getattr(entry, "id", "")) for entry in entries]
    unknown = [value for value in wanted if value not in known]
    if unknown:
        raise InputError(f"Unknown {kind} {', '.join(unknown)}; choose from: {', '.join(known)}.")


def parse_campaign(text: str, origin: str = "campaign file") -> Campaign:
    """A campaign from its YAML text, checked against the catalog."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{origin} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{origin} must be a mapping with id, name, topic, audiences, ….")
    try:
        campaign = Campaign.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{origin} is invalid: {_problems(exc)}") from exc
    try:
        return check_campaign(campaign)
    except InputError as exc:
        raise InputError(f"{origin}: {exc}") from exc


def load_campaign(path: Path) -> Campaign:
    """Read and check a campaign file."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path} is larger than {MAX_FILE_BYTES // 1000} kB.")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the campaign file {path}: {exc}") from exc
    return parse_campaign(text, origin=path.name)


def _problems(exc: ValidationError) -> str:
    return "; ".join(map(str, file_problems(exc)))
