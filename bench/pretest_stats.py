"""The pretest statistics checked by simulation, and `analyse` timed against the raw scipy test.

    python -m bench.pretest_stats [--runs 1000] [--seed 2029] [--out docs/pretest-statistics.md | -]

Seeded simulations of panels rating every version on three 5-point items: a latent normal
score per respondent, version and item (respondent intercept + version effect + respondent ×
version reaction + item noise), cut at fixed thresholds into 1–5 and averaged over the items,
then run through comms.pretest.analysis.analyse. dz is the respondents' mean-score difference
over its standard deviation; the latent shift that gives dz = 0.5 on that scale is found by
bisection on a population of 200,000 simulated respondents, and the realised dz is reported.
`make bench` runs the same checks as rows P10 (with --quick, half the runs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.report import Row, load_average, publish
from bench.rig import Rig
from comms.pretest.analysis import PretestAnalysis, analyse
from comms.pretest.design import LABELS, Rating
from comms.pretest.power import format_power_table, power, power_table

ITEMS = ("pme1", "pme2", "pme3")
THRESHOLDS = (-1.5, -0.5, 0.5, 1.5)  # latent cut-points of the 5-point items
CENTRE = 0.3  # latent mean: answers lean a little towards the top of the scale
RESPONDENT_SD = 0.8  # the random intercept: some people rate everything higher
REACTION_SD = 0.6  # respondent × version: what makes the paired differences vary
ITEM_SD = 0.6  # item noise within one respondent and version
RESPONDENTS = 34  # the panel that has 80 % power for dz = 0.5 (power.respondents_needed)
HOPED_DZ = 0.5
POPULATION = 200_000
RUNS = 1000  # ± 2 SE of a 5 % share: ± 1.4 points; about a minute on 2 cores
SEED = 2029
DOC = Path(__file__).resolve().parent.parent / "docs" / "pretest-statistics.md"


@dataclass
class Check:
    """One simulated property: what was measured against its target."""

    name: str
    target: str
    share: float  # the measured proportion
    low: float
    high: float
    runs: int
    seed: int
    note: str = ""

    @property
    def error(self) -> float:
        """Two Monte Carlo standard errors of the share."""
        return 2 * (self.share * (1 - self.share) / self.runs) ** 0.5

    @property
    def met(self) -> bool:
        """The target band and the measured share ± 2 SE overlap: consistent with the target."""
        return self.share - self.error <= self.high and self.share + self.error >= self.low


def panel(rng: np.random.Generator, respondents: int, shifts: tuple[float, ...]) -> np.ndarray:
    """Simulated answers, respondents × versions × items, each 1–5."""
    versions = len(shifts)
    intercept = rng.normal(0, RESPONDENT_SD, (respondents, 1, 1))
    reaction = rng.normal(0, REACTION_SD, (respondents, versions, 1))
    noise = rng.normal(0, ITEM_SD, (respondents, versions, len(ITEMS)))
    latent = CENTRE + intercept + np.asarray(shifts)[None, :, None] + reaction + noise
    return np.digitize(latent, THRESHOLDS) + 1


def population(shift: float, seed: int = SEED) -> tuple[float, float]:
    """The true mean difference of B − A and its dz, from a very large simulated panel."""
    answers = panel(np.random.default_rng(seed), POPULATION, (0.0, shift))
    differences = answers[:, 1].mean(axis=1) - answers[:, 0].mean(axis=1)
    return float(differences.mean()), float(differences.mean() / differences.std())


def calibrate(dz: float, seed: int = SEED) -> float:
    """The latent shift whose population dz is dz (bisection; the same draws every time)."""
    low, high = 0.0, 3.0
    for _ in range(22):
        middle = (low + high) / 2
        low, high = (middle, high) if population(middle, seed)[1] < dz else (low, middle)
    return (low + high) / 2


def ratings(answers: np.ndarray) -> list[Rating]:
    """The simulated answers as the Rating rows a survey export gives, in rotated orders."""
    respondents, versions, _ = answers.shape
    labels = LABELS[:versions]
    rows = []
    for person in range(respondents):
        form = person % versions
        for position in range(versions):
            version = (form + position) % versions
            for item, name in enumerate(ITEMS):
                rows.append(
                    Rating(
                        respondent=f"r{person}",
                        language="de" if person % 3 else "en",
                        form=form + 1,
                        position=position + 1,
                        version=labels[version],
                        item=name,
                        score=int(answers[person, version, item]),
                    )
                )
    return rows


def simulate(
    runs: int, seed: int, shifts: tuple[float, ...], respondents: int = RESPONDENTS
) -> list[PretestAnalysis]:
    """runs analyses of independent simulated panels."""
    rng = np.random.default_rng(seed)
    labels = LABELS[: len(shifts)]
    return [analyse(ratings(panel(rng, respondents, shifts)), labels) for _ in range(runs)]


def share(found: list[bool]) -> float:
    return sum(found) / len(found)


def checks(runs: int = RUNS, seed: int = SEED) -> tuple[list[Check], dict[str, float]]:
    """The four simulated checks (a)–(d) and the calibration's figures."""
    shift = calibrate(HOPED_DZ, seed)
    difference, dz = population(shift, seed + 1)  # fresh draws: the calibration's own are biased
    alternative = simulate(runs, seed + 2, (0.0, shift))
    null = simulate(runs, seed + 3, (0.0, 0.0))
    three = simulate(runs, seed + 4, (0.0, 0.0, 0.0))
    covered = [_covers(a, difference) for a in alternative]
    sample_dz = statistics.mean(a.pairs[0].dz or 0.0 for a in alternative)
    wilcoxon = share([(a.pairs[0].wilcoxon_p or 1) < 0.05 for a in null])
    anova = share([(a.omnibus.p or 1) < 0.05 for a in three if a.omnibus])
    found = [
        Check(
            "(a) 95 % CI covers the true paired difference",
            "93–97 %",
            share(covered),
            0.93,
            0.97,
            runs,
            seed + 2,
            f"true difference {difference:.3f}, dz {dz:.3f}",
        ),
        Check(
            "(b) false positives, no true difference, p < .05",
            "4–6 %",
            share([a.pairs[0].p < 0.05 for a in null]),
            0.04,
            0.06,
            runs,
            seed + 3,
            f"Wilcoxon check: {wilcoxon * 100:.1f} %",
        ),
        Check(
            f"(c) power, {RESPONDENTS} respondents, dz = {HOPED_DZ}",
            "75–85 %",
            share([a.pairs[0].p < 0.05 for a in alternative]),
            0.75,
            0.85,
            runs,
            seed + 2,
            f"theory {power(RESPONDENTS, dz) * 100:.1f} % at the realised dz {dz:.3f}; "
            f"mean sample dz {sample_dz:.3f}",
        ),
        Check(
            "(d) 3 versions, no true difference: any Holm p < .05",
            "≤ 5 %",
            share([any(p.p_holm < 0.05 for p in a.pairs) for a in three]),
            0.0,
            0.05,
            runs,
            seed + 4,
            f"AnovaRM p < .05: {anova * 100:.1f} %",
        ),
    ]
    return found, {"shift": shift, "difference": difference, "dz": dz}


def _covers(analysis: PretestAnalysis, truth: float) -> bool:
    pair = analysis.pairs[0]
    return (
        pair.ci_low is not None
        and pair.ci_high is not None
        and pair.ci_low <= truth <= pair.ci_high
    )


def timings(seed: int = SEED, repeats: int = 30) -> dict[str, float]:
    """Medians in ms: analyse against scipy's ttest_rel (2 versions) and AnovaRM (3)."""
    import pandas as pd
    from scipy import stats
    from statsmodels.stats.anova import AnovaRM

    rng = np.random.default_rng(seed)
    two, three = panel(rng, RESPONDENTS, (0.0, 0.3)), panel(rng, RESPONDENTS, (0.0, 0.3, 0.3))
    rows_two, rows_three = ratings(two), ratings(three)
    a, b = two[:, 0].mean(axis=1), two[:, 1].mean(axis=1)
    long = pd.DataFrame(
        [(p, v, three[p, v].mean()) for p in range(RESPONDENTS) for v in range(3)],
        columns=["respondent", "version", "score"],
    )
    return {
        "analyse, 2 versions": _median(lambda: analyse(rows_two, LABELS[:2]), repeats),
        "ttest_rel": _median(lambda: stats.ttest_rel(b, a), repeats),
        "analyse, 3 versions": _median(lambda: analyse(rows_three, LABELS[:3]), repeats),
        "AnovaRM": _median(
            lambda: AnovaRM(long, "score", "respondent", within=["version"]).fit(), repeats
        ),
    }


def _median(action: Callable[[], object], repeats: int) -> float:
    action()  # warm-up: first imports
    found = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        found.append(time.perf_counter() - started)
    return statistics.median(found) * 1000


def format_checks(found: list[Check], timed: dict[str, float]) -> str:
    """The checks and the timings as Markdown tables."""
    lines = [
        "| check | target | measured | ± 2 SE | runs | seed | met | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for check in found:
        measured = f"{check.share * 100:.1f} % | {check.error * 100:.1f}"
        lines.append(
            f"| {check.name} | {check.target} | {measured} | "
            f"{check.runs} | {check.seed} | {'yes' if check.met else '**no**'} | {check.note} |"
        )
    lines += ["", "| timed (median, ms) | Clarion `analyse` | raw library | Clarion ÷ raw |"]
    lines += ["|---|---|---|---|"]
    for versions, raw in (("2 versions", "ttest_rel"), ("3 versions", "AnovaRM")):
        ours = timed[f"analyse, {versions}"]
        lines.append(
            f"| {versions}, {RESPONDENTS} respondents | {ours:.1f} | {raw} {timed[raw]:.2f} | "
            f"{ours / timed[raw]:.0f}× |"
        )
    return "\n".join(lines)


def run(rig: Rig) -> list[Row]:
    """Rows P10 of `make bench`: the simulated checks and analyse's time against scipy's."""
    found, _ = checks(rig.runs(RUNS), SEED)
    rows = [
        Row(
            "P10",
            c.name,
            f"{c.share * 100:.1f} %",
            "–",
            None,
            c.target,
            c.met,
            f"{c.runs} runs, seed {c.seed}; {c.note}",
        )
        for c in found
    ]
    timed = timings()
    ours, raw = timed["analyse, 2 versions"], timed["ttest_rel"]
    rows.append(
        Row(
            "P10",
            f"pretest analyse, {RESPONDENTS} respondents × 2 versions, ms",
            f"{ours:.1f}",
            f"{raw:.2f}",
            ours / raw,
            "≤ 100 ms",
            ours <= 100,
            "raw: scipy ttest_rel on the respondents' mean scores",
        )
    )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="simulated panels per check")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", default=str(DOC), help="Markdown file to update, or - for none")
    args = parser.parse_args(argv)
    load_before, started = load_average(), time.monotonic()
    found, calibration = checks(args.runs, args.seed)
    table = format_checks(found, timings(args.seed))
    table += (
        f"\n\nCalibration: latent shift {calibration['shift']:.3f} gives a true mean difference "
        f"of {calibration['difference']:.3f} and dz {calibration['dz']:.3f} "
        f"({POPULATION:,} simulated respondents).\n\nRespondents needed (paired t-test, α = .05 "
        f"two-sided; three or four versions: α / pairs, Holm's first step):\n\n"
        + format_power_table(power_table())
    )
    publish(table, load_before, started, args.out)


if __name__ == "__main__":
    main()
