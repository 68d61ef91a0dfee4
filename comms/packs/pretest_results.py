"""A pretest's result kept with the pack cell it decided: for the audit trail and the manifest."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from comms.packs.campaign import Cell
from core.database import Connection


class Comparison(BaseModel):
    """The adopted version against one other version: the paired difference of their means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    other: str  # the other version's label
    other_variant: int
    difference: float  # adopted minus other, on the scale's points
    ci_low: float | None  # None when too few respondents for an interval
    ci_high: float | None
    dz: float | None  # Cohen's dz of the paired differences; None when all are equal
    p: float  # Holm-corrected where more than two versions were tested


class PretestResult(BaseModel):
    """Which test chose this cell's text, how many readers rated it, and by how much it won."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pretest_id: str
    version: str  # the adopted version's label
    variant: int
    source: str  # "current" text of the cell, or its "composed" floor
    respondents: int = Field(ge=0)
    test: str  # e.g. "paired t-test", "repeated-measures ANOVA + Holm"
    mean: float
    comparisons: list[Comparison]
    summary: str  # the plain sentence staff read, in English
    decided_by_test: bool  # False when staff chose a version the test did not single out
    adopted_by: str
    adopted_at: str


def record_result(db: Connection, campaign_id: str, cell: Cell, result: PretestResult) -> None:
    """Keep the result with the cell, inside the caller's transaction."""
    db.execute(
        "INSERT INTO pack_pretest_results (campaign_id, audience, channel, language, variant, "
        "pretest_id, result, adopted_by, adopted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (campaign_id, audience, channel, language, variant, pretest_id) DO UPDATE "
        "SET result = excluded.result, adopted_by = excluded.adopted_by, "
        "adopted_at = excluded.adopted_at",
        (
            campaign_id, cell.audience, cell.channel, cell.language, cell.variant,
            result.pretest_id, result.model_dump_json(), result.adopted_by, result.adopted_at,
        ),
    )  # fmt: skip


def cell_results(db: Connection, campaign_id: str) -> dict[Cell, list[PretestResult]]:
    """Every adopted pretest result of a campaign, by cell, oldest first."""
    rows = db.execute(
        "SELECT audience, channel, language, variant, result FROM pack_pretest_results "
        "WHERE campaign_id = ? ORDER BY adopted_at, pretest_id",
        (campaign_id,),
    ).fetchall()
    found: dict[Cell, list[PretestResult]] = {}
    for audience, channel, language, variant, result in rows:
        cell = Cell(audience, channel, language, variant)
        found.setdefault(cell, []).append(PretestResult.model_validate_json(result))
    return found
