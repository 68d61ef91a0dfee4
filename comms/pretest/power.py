"""A pretest panel's power: the chance that the paired t-test finds a difference of a given size.

The power of the two-sided paired t-test with n respondents and standardised difference dz
(mean of the differences over their standard deviation) follows the noncentral t distribution
with n − 1 degrees of freedom and noncentrality dz·√n. With three or four versions every pair
is tested and the p-values are Holm-corrected; the power for one pair is bounded from below by
testing it at α / m (Bonferroni, Holm's first and strictest step, m = the number of pairs).
"""

from __future__ import annotations

import math
from functools import lru_cache

from pydantic import BaseModel, ConfigDict
from scipy import stats

ALPHA = 0.05
TARGET_POWER = 0.8
HOPED_DZ = 0.5  # Cohen's "medium" standardised paired difference
MAX_RESPONDENTS = 100_000


class PanelCheck(BaseModel):
    """Whether a panel is large enough to find the difference an office hopes to detect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    respondents: int
    versions: int
    hoped_dz: float
    power: float
    needed: int  # respondents for TARGET_POWER at hoped_dz
    too_small: bool


class PowerRow(BaseModel):
    """Respondents needed for one effect size, per target power and number of versions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dz: float
    versions: int
    needed: dict[str, int]  # "80 %" -> respondents


def pairs(versions: int) -> int:
    """The number of pairwise comparisons among versions."""
    return versions * (versions - 1) // 2


def power(
    respondents: int, dz: float = HOPED_DZ, *, alpha: float = ALPHA, versions: int = 2
) -> float:
    """The two-sided paired t-test's power for one pair (α / pairs for three or four versions)."""
    if respondents < 2:
        return 0.0
    df = respondents - 1
    level = alpha / pairs(versions)
    critical = stats.t.ppf(1 - level / 2, df)
    shift = dz * math.sqrt(respondents)
    upper = stats.nct.sf(critical, df, shift)
    lower = stats.nct.cdf(-critical, df, shift)
    return float(upper + lower)


@lru_cache(maxsize=256)  # the same few questions on every analysis
def respondents_needed(
    dz: float = HOPED_DZ, target: float = TARGET_POWER, *, alpha: float = ALPHA, versions: int = 2
) -> int:
    """The smallest panel whose power reaches target (bisection; power rises with n)."""
    if dz == 0:
        raise ValueError("no panel can detect a difference of zero")
    low, high = 2, 4
    while power(high, dz, alpha=alpha, versions=versions) < target:
        low, high = high, high * 2
        if high > MAX_RESPONDENTS:
            raise ValueError(f"dz = {dz} needs more than {MAX_RESPONDENTS:,} respondents")
    while high - low > 1:
        middle = (low + high) // 2
        if power(middle, dz, alpha=alpha, versions=versions) >= target:
            high = middle
        else:
            low = middle
    return high if power(low, dz, alpha=alpha, versions=versions) < target else low


def check_panel(respondents: int, versions: int = 2, hoped_dz: float = HOPED_DZ) -> PanelCheck:
    """The panel's power for hoped_dz, the respondents needed for 80 %, and whether it is short."""
    found = power(respondents, hoped_dz, versions=versions)
    needed = respondents_needed(hoped_dz, versions=versions)
    return PanelCheck(
        respondents=respondents,
        versions=versions,
        hoped_dz=hoped_dz,
        power=found,
        needed=needed,
        too_small=found < TARGET_POWER,
    )


def power_table(
    dzs: tuple[float, ...] = (0.2, 0.3, 0.5, 0.8),
    targets: tuple[float, ...] = (0.8, 0.9),
    versions: tuple[int, ...] = (2, 3, 4),
) -> list[PowerRow]:
    """Respondents needed per effect size, target power and number of versions (α = .05)."""
    return [
        PowerRow(
            dz=dz,
            versions=count,
            needed={f"{t * 100:.0f} %": respondents_needed(dz, t, versions=count) for t in targets},
        )
        for count in versions
        for dz in dzs
    ]


def format_power_table(rows: list[PowerRow]) -> str:
    """The power table as Markdown: one line per number of versions and dz."""
    targets = list(rows[0].needed) if rows else []
    head = "| versions | pairs | dz | " + " | ".join(f"n for {t} power" for t in targets) + " |"
    lines = [head, "|" + "---|" * (3 + len(targets))]
    for row in rows:
        cells = [str(row.versions), str(pairs(row.versions)), f"{row.dz:.1f}"]
        cells += [str(row.needed[t]) for t in targets]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
