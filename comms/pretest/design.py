"""A pretest's design: the versions under test, the languages, the rating items, the orders."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LABELS = ("A", "B", "C", "D")
Source = Literal["current", "composed"]  # a cell's text as it stands, or its composed floor


class TestVersion(BaseModel):
    """One version under test: where it comes from in the pack and its text per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    __test__ = False  # not a pytest class

    label: str = Field(pattern=r"^[A-D]$")
    variant: int = Field(ge=1)  # the pack cell's variant number
    source: Source = "current"
    revisions: dict[str, int] = Field(default_factory=dict)  # language -> the cell's revision
    texts: dict[str, str]  # language -> the text respondents read


class Pretest(BaseModel):
    """Versions of one message of a pack (one audience and channel), tested in some languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    campaign_id: str
    audience: str
    channel: str
    languages: list[str] = Field(min_length=1)
    versions: list[TestVersion] = Field(min_length=2, max_length=4)
    # orders[k] is paper form / survey order k + 1: the version labels in the order shown
    orders: list[list[str]]
    items: list[str]  # rating item ids of the scale, primary ones first
    created_by: str
    created_at: str


class Rating(BaseModel):
    """One respondent's answer to one rating item about one version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    respondent: str  # the survey's response id or the paper form's respondent number
    language: str
    form: int = Field(ge=1)  # the order the respondent saw (1-based index into Pretest.orders)
    position: int = Field(ge=1)  # where this version stood in that order
    version: str  # a TestVersion label
    item: str  # a scale item id
    score: int = Field(ge=1, le=7)
