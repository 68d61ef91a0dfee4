"""A pretest's design: the versions under test, the languages, the rating items, the orders."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from comms.pretest.scale import load_scale
from core.catalog import load_catalog, pick
from core.errors import InputError

LABELS = ("A", "B", "C", "D")
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
# a cell's text as it stands, its composed floor, or its floor composed from an older map version
Source = Literal["current", "composed", "map"]


class TestVersion(BaseModel):
    """One version under test: where it comes from in the pack and its text per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    __test__ = False  # not a pytest class

    label: str = Field(pattern=r"^[A-D]$")
    variant: int = Field(ge=1)  # the pack cell's variant number
    source: Source = "current"
    map_version: int | None = None  # the map version a "map" source was composed from
    revisions: dict[str, int] = Field(default_factory=dict)  # language -> the cell's revision
    texts: dict[str, str]  # language -> the text respondents read


class Pretest(BaseModel):
    """Versions of one message of a pack (one audience and channel), tested in some languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
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
    # the smallest difference the office wants to find (Cohen's dz): the panel size it needs
    hoped_dz: float = Field(default=0.5, gt=0, le=3)

    def text(self, label: str, language: str) -> str:
        """The text of version `label` in `language` (KeyError if either is unknown)."""
        for version in self.versions:
            if version.label == label:
                return version.texts[language]
        raise KeyError(label)


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


def williams_orders(count: int) -> list[list[int]]:
    """A balanced Latin square (Williams 1949): count orders of 0..count-1 for an even count,
    2 * count for an odd one; each index stands in each position equally often and follows
    each other index equally often (first-order carry-over balanced)."""
    first = [0]
    low, high = 1, count - 1
    while len(first) < count:  # 0, 1, n-1, 2, n-2, …
        first.append(low)
        low += 1
        if len(first) < count:
            first.append(high)
            high -= 1
    orders = [[(index + shift) % count for index in first] for shift in range(count)]
    return orders if count % 2 == 0 else orders + [order[::-1] for order in orders]


def design_pretest(
    *,
    id: str,
    campaign_id: str,
    audience: str,
    channel: str,
    versions: list[TestVersion],
    languages: list[str],
    created_by: str,
    created_at: str,
    items: list[str] | None = None,
    hoped_dz: float = 0.5,
) -> Pretest:
    """A pretest of 2-4 versions (labels A, B, … in order) with Williams-design orders; the
    items default to every item of the scale, primary ones first."""
    scale = load_scale()
    chosen = _items(items, [item.id for item in scale.items])
    _check_id(id, "pretest id")
    _check_id(campaign_id, "campaign id")
    catalog = load_catalog()
    pick(catalog.audiences, audience, "audience")
    pick(catalog.channels, channel, "channel")
    _check_versions(versions)
    _check_languages(languages, list(scale.languages), versions)
    orders = [[versions[i].label for i in order] for order in williams_orders(len(versions))]
    return Pretest(
        id=id,
        campaign_id=campaign_id,
        audience=audience,
        channel=channel,
        languages=list(languages),
        versions=list(versions),
        orders=orders,
        items=chosen,
        created_by=created_by,
        created_at=created_at,
        hoped_dz=hoped_dz,
    )


def _check_id(value: str, what: str) -> None:
    if not re.fullmatch(ID_PATTERN, value):
        raise InputError(
            f"The {what} '{value}' is not usable: lower-case letters, digits and "
            "hyphens, starting with a letter or digit, at most 63 characters."
        )


def _check_versions(versions: list[TestVersion]) -> None:
    if not 2 <= len(versions) <= len(LABELS):
        raise InputError(f"A pretest compares 2 to 4 versions, not {len(versions)}.")
    labels = [version.label for version in versions]
    if labels != list(LABELS[: len(versions)]):
        wanted = ", ".join(LABELS[: len(versions)])
        raise InputError(f"The versions' labels are {', '.join(labels)}; they must be {wanted}.")


def _check_languages(languages: list[str], offered: list[str], versions: list[TestVersion]) -> None:
    if not languages:
        raise InputError("Choose at least one language to test in.")
    if len(set(languages)) != len(languages):
        raise InputError(f"A language is listed twice: {', '.join(languages)}.")
    for language in languages:
        if language not in offered:
            raise InputError(
                f"The rating items have no wording in '{language}'; test in one of: "
                f"{', '.join(offered)} (a plain-language text is a version, tested in 'de')."
            )
        for version in versions:
            if not version.texts.get(language, "").strip():
                raise InputError(f"Version {version.label} has no text in '{language}'.")


def _items(items: list[str] | None, offered: list[str]) -> list[str]:
    if items is None:
        return offered
    if not items:
        raise InputError("Choose at least one rating item.")
    unknown = [item for item in items if item not in offered]
    if unknown:
        raise InputError(f"Unknown rating item '{unknown[0]}'; choose from: {', '.join(offered)}.")
    if len(set(items)) != len(items):
        raise InputError(f"A rating item is listed twice: {', '.join(items)}.")
    return [item for item in offered if item in items]  # the scale's order: primary first
