"""A pretest's analysis: which version respondents rated as more effective, and how sure that is.

Every respondent rates every version (within-subject), so versions are compared on paired
differences: two versions with the paired t-test (scipy) and the Wilcoxon signed-rank test as a
check, three or four with a repeated-measures ANOVA (statsmodels AnovaRM) and Holm-corrected
pairwise paired t-tests. docs/pretest-statistics.md has the formulas and their limits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from scipy import stats

from comms.pretest.design import Rating
from comms.pretest.power import ALPHA, HOPED_DZ, PanelCheck, check_panel

PRIMARY = ("pme1", "pme2", "pme3")
SECONDARY = ("clear", "believable")
LEVEL = 0.95  # confidence level of every interval
LOW_ALPHA = 0.7  # Cronbach's α below this: the items may not measure one thing
POOLED = "all"  # Reliability.version of α over every version's answers


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VersionMean(_Model):
    """One version's mean score over respondents, with its t-based 95 % interval."""

    version: str
    respondents: int
    mean: float
    sd: float | None
    ci_low: float | None
    ci_high: float | None


class PairResult(_Model):
    """Two versions compared on each respondent's difference (second minus first)."""

    first: str
    second: str
    difference: float  # mean of second − first
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: int
    p: float  # paired t-test, uncorrected
    p_holm: float  # Holm-corrected over every pair (equal to p with two versions)
    dz: float | None  # mean difference / sd of the differences; None when every one is equal
    dz_low: float | None
    dz_high: float | None
    wilcoxon_p: float | None = None  # two versions only: the rank test as a check
    tests_disagree: bool = False  # t-test and Wilcoxon on different sides of p < .05


class Omnibus(_Model):
    """The repeated-measures ANOVA over three or four versions."""

    f: float | None
    df_num: float
    df_den: float
    p: float | None
    epsilon: float | None  # Greenhouse–Geisser sphericity estimate
    p_gg: float | None  # p with degrees of freedom scaled by epsilon


class Reliability(_Model):
    """Cronbach's α of the primary items for one version, or pooled over all ("all")."""

    version: str
    rows: int
    alpha: float | None
    low: bool  # α < 0.7


class ItemMean(_Model):
    """A secondary item's mean for one version over everyone who answered it (descriptive)."""

    item: str
    version: str
    respondents: int
    mean: float
    ci_low: float | None
    ci_high: float | None


class LanguageMean(_Model):
    """The primary score's mean for one language and version (complete respondents)."""

    language: str
    version: str
    respondents: int
    mean: float


class RespondentScore(_Model):
    """One complete respondent's primary score for one version: the mean of the primary items."""

    respondent: str
    language: str
    version: str
    score: float


class PretestAnalysis(_Model):
    """Everything the pretest page shows: means, pairs, the test, reliability and the panel."""

    labels: list[str]
    primary: list[str]
    secondary: list[str]
    respondents: int  # complete: rated every version on every primary item
    dropped: int  # respondents with some ratings but not complete
    test: Literal["paired t-test", "repeated-measures ANOVA"]
    versions: list[VersionMean]
    pairs: list[PairResult]
    omnibus: Omnibus | None
    winner: str | None
    reliability: list[Reliability]
    secondary_means: list[ItemMean]
    languages: list[LanguageMean]
    scores: list[RespondentScore]
    panel: PanelCheck


def analyse(
    ratings: Iterable[Rating],
    labels: Sequence[str],
    *,
    primary: Sequence[str] = PRIMARY,
    secondary: Sequence[str] = SECONDARY,
    hoped_dz: float = HOPED_DZ,
) -> PretestAnalysis:
    """Compare the versions named in labels on the primary score; describe the secondary items."""
    if not 2 <= len(labels) <= 4 or len(set(labels)) != len(labels):
        raise ValueError(f"a pretest compares two to four distinct versions, not {list(labels)}")
    frame = _frame(ratings, labels)
    answers, dropped = _complete(frame, labels, primary)
    scores = answers.T.groupby(level="version").mean().T[list(labels)]
    if len(scores) < 2:
        raise ValueError(f"{len(scores)} complete respondent(s): a comparison needs at least two")
    pairs = _pairs(scores, labels)
    languages = frame.groupby("respondent")["language"].first().loc[scores.index]
    return PretestAnalysis(
        labels=list(labels),
        primary=list(primary),
        secondary=list(secondary),
        respondents=len(scores),
        dropped=dropped,
        test="paired t-test" if len(labels) == 2 else "repeated-measures ANOVA",
        versions=[_version_mean(label, scores[label].to_numpy()) for label in labels],
        pairs=pairs,
        omnibus=None if len(labels) == 2 else _anova(scores),
        winner=_winner(scores, pairs),
        reliability=_reliability(answers, labels),
        secondary_means=_secondary(frame, labels, secondary),
        languages=_languages(scores, languages),
        scores=_respondent_scores(scores, languages),
        panel=check_panel(len(scores), len(labels), hoped_dz),
    )


def _frame(ratings: Iterable[Rating], labels: Sequence[str]) -> pd.DataFrame:
    """The ratings of the versions labels as a table; one answer per respondent, version, item."""
    columns = ["respondent", "language", "version", "item", "score"]
    rows = [(r.respondent, r.language, r.version, r.item, r.score) for r in ratings]
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame[frame["version"].isin(list(labels))]
    twice = frame.duplicated(["respondent", "version", "item"], keep=False)
    if twice.any():
        first = frame[twice].iloc[0]
        raise ValueError(
            f"respondent {first['respondent']} rated item {first['item']} of version "
            f"{first['version']} more than once"
        )
    return frame


def _complete(
    frame: pd.DataFrame, labels: Sequence[str], primary: Sequence[str]
) -> tuple[pd.DataFrame, int]:
    """Primary answers (respondent × (version, item)) of complete respondents; how many dropped."""
    wanted = frame[frame["item"].isin(list(primary))]
    table = wanted.pivot(index="respondent", columns=["version", "item"], values="score")
    columns = pd.MultiIndex.from_product([list(labels), list(primary)], names=["version", "item"])
    table = table.reindex(columns=columns).astype(float)
    complete = table.dropna()
    return complete, frame["respondent"].nunique() - len(complete)


def mean_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float | None]:
    """The mean and the half-width of its t-based interval (None below two values)."""
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, None
    error = float(np.std(values, ddof=1)) / math.sqrt(len(values))
    return mean, float(stats.t.ppf((1 + level) / 2, len(values) - 1)) * error


def _version_mean(label: str, values: np.ndarray) -> VersionMean:
    mean, half = mean_interval(values)
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else None
    low, high = (None, None) if half is None else (mean - half, mean + half)
    return VersionMean(
        version=label, respondents=len(values), mean=mean, sd=sd, ci_low=low, ci_high=high
    )


def _pairs(scores: pd.DataFrame, labels: Sequence[str]) -> list[PairResult]:
    """Every pair of versions, with Holm-corrected p-values when there are more than two."""
    found = [
        _pair(scores[a].to_numpy(), scores[b].to_numpy(), a, b) for a, b in combinations(labels, 2)
    ]
    if len(found) == 1:
        return [_with_wilcoxon(found[0], scores)]
    corrected = holm([pair.p for pair in found])
    return [pair.model_copy(update={"p_holm": p}) for pair, p in zip(found, corrected, strict=True)]


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    The same figures as statsmodels' multipletests(method="holm") (the tests check it), which
    runs a full gc.collect() on every call: 60 ms in a process as full as the app's.
    """
    order = np.argsort(pvalues)
    steps = np.asarray(pvalues)[order] * np.arange(len(order), 0, -1)
    adjusted = np.empty(len(order))
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(steps))
    return [float(p) for p in adjusted]


def _pair(first: np.ndarray, second: np.ndarray, a: str, b: str) -> PairResult:
    """The paired t-test of second − first with the mean difference's and dz's intervals."""
    differences = second - first
    n = len(differences)
    mean, half = mean_interval(differences)
    sd = float(np.std(differences, ddof=1))
    if sd == 0:  # every respondent moved by the same amount: t and dz are undefined
        p = 1.0 if mean == 0 else 0.0
        t = dz = low = high = None
    else:
        t, p = (float(x) for x in stats.ttest_rel(second, first))
        dz = mean / sd
        low, high = dz_interval(t, n)
    return PairResult(
        first=a,
        second=b,
        difference=mean,
        ci_low=None if half is None else mean - half,
        ci_high=None if half is None else mean + half,
        t=t,
        df=n - 1,
        p=p,
        p_holm=p,
        dz=dz,
        dz_low=low,
        dz_high=high,
    )


def dz_interval(t: float, n: int, level: float = LEVEL) -> tuple[float, float]:
    """dz's interval by inverting the noncentral t distribution (Steiger and Fouladi).

    Where scipy's noncentral t cannot be solved (extreme t), the normal approximation with
    standard error √(1/n + dz²/(2n)) stands in.
    """
    solved = [_noncentrality(t, n - 1, share) for share in ((1 + level) / 2, (1 - level) / 2)]
    if solved[0] is not None and solved[1] is not None:
        return solved[0] / math.sqrt(n), solved[1] / math.sqrt(n)
    dz = t / math.sqrt(n)
    half = float(stats.norm.ppf((1 + level) / 2)) * math.sqrt(1 / n + dz**2 / (2 * n))
    return dz - half, dz + half


def _noncentrality(t: float, df: int, share: float) -> float | None:
    """The noncentrality whose t distribution puts share of its mass below t; None if unsolved."""
    from scipy.optimize import brentq

    def beyond(shift: float) -> float:
        return float(stats.nct.cdf(t, df, shift)) - share

    width = 3 * math.sqrt(1 + t**2 / (2 * df)) + 1
    for _ in range(8):  # few degrees of freedom: heavy tails need a wider bracket
        low, high = beyond(t - width), beyond(t + width)
        if math.isnan(low) or math.isnan(high):
            return None
        if low > 0 > high:
            return float(brentq(beyond, t - width, t + width, xtol=1e-10))
        width *= 2
    return None


def _with_wilcoxon(pair: PairResult, scores: pd.DataFrame) -> PairResult:
    """The Wilcoxon signed-rank test as a check on the t-test, and whether they disagree."""
    differences = scores[pair.second].to_numpy() - scores[pair.first].to_numpy()
    # scipy refuses all-zero differences: there is no sign to test
    p = float(stats.wilcoxon(differences).pvalue) if np.any(differences) else 1.0
    disagree = (p < ALPHA) != (pair.p < ALPHA)
    return pair.model_copy(update={"wilcoxon_p": p, "tests_disagree": disagree})


def _anova(scores: pd.DataFrame) -> Omnibus:
    """statsmodels' repeated-measures ANOVA with the Greenhouse–Geisser epsilon added."""
    from statsmodels.stats.anova import AnovaRM

    long = scores.stack().rename("score").reset_index()
    long.columns = pd.Index(["respondent", "version", "score"])
    row = AnovaRM(long, depvar="score", subject="respondent", within=["version"]).fit()
    table = row.anova_table.iloc[0]
    f, num, den = _finite(table["F Value"]), float(table["Num DF"]), float(table["Den DF"])
    epsilon = greenhouse_geisser(scores.to_numpy())
    p_gg = None
    if f is not None and epsilon is not None:
        p_gg = float(stats.f.sf(f, epsilon * num, epsilon * den))
    return Omnibus(
        f=f, df_num=num, df_den=den, p=_finite(table["Pr > F"]), epsilon=epsilon, p_gg=p_gg
    )


def greenhouse_geisser(scores: np.ndarray) -> float | None:
    """Box's epsilon from the double-centred covariance of the versions' scores."""
    k = scores.shape[1]
    centre = np.eye(k) - np.full((k, k), 1 / k)
    covariance = centre @ np.cov(scores, rowvar=False) @ centre
    spread = float(np.trace(covariance @ covariance))
    if spread == 0:
        return None
    return float(np.trace(covariance) ** 2 / ((k - 1) * spread))


def _finite(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def _winner(scores: pd.DataFrame, pairs: list[PairResult]) -> str | None:
    """The highest-rated version, if it differs significantly (Holm) from every other one."""
    best = str(scores.mean().idxmax())
    own = [pair for pair in pairs if best in (pair.first, pair.second)]
    return best if all(pair.p_holm < ALPHA for pair in own) else None


def cronbach_alpha(items: np.ndarray) -> float | None:
    """k/(k−1)·(1 − Σ item variances / variance of the sum), rows × items; None if undefined."""
    rows, k = items.shape
    if k < 2 or rows < 2:
        return None
    total = float(np.var(items.sum(axis=1), ddof=1))
    if total == 0:
        return None
    return k / (k - 1) * (1 - float(np.var(items, axis=0, ddof=1).sum()) / total)


def _reliability(answers: pd.DataFrame, labels: Sequence[str]) -> list[Reliability]:
    """α per version and pooled over every (respondent, version) row."""
    blocks = {label: answers[label].to_numpy() for label in labels}
    blocks[POOLED] = np.vstack(list(blocks.values()))
    found = []
    for version, items in blocks.items():
        alpha = cronbach_alpha(items)
        low = alpha is not None and alpha < LOW_ALPHA
        found.append(Reliability(version=version, rows=len(items), alpha=alpha, low=low))
    return found


def _secondary(
    frame: pd.DataFrame, labels: Sequence[str], secondary: Sequence[str]
) -> list[ItemMean]:
    """Each secondary item's mean per version over everyone who answered it."""
    wanted = frame[frame["item"].isin(list(secondary))]
    groups = {key: group["score"].to_numpy(dtype=float) for key, group in
              wanted.groupby(["item", "version"])}  # fmt: skip
    found = []
    for item in secondary:
        for label in labels:
            if (item, label) not in groups:
                continue
            values = groups[item, label]
            mean, half = mean_interval(values)
            low, high = (None, None) if half is None else (mean - half, mean + half)
            found.append(ItemMean(item=item, version=label, respondents=len(values), mean=mean,
                                  ci_low=low, ci_high=high))  # fmt: skip
    return found


def _languages(scores: pd.DataFrame, languages: pd.Series) -> list[LanguageMean]:
    """The primary score's mean per language and version: pooled tests, a breakdown to read."""
    means = scores.groupby(languages, sort=True).mean()
    counts = languages.value_counts()
    return [
        LanguageMean(
            language=str(language),
            version=str(label),
            respondents=int(counts[language]),
            mean=float(means.loc[language, label]),
        )
        for language in means.index
        for label in scores.columns
    ]


def _respondent_scores(scores: pd.DataFrame, languages: pd.Series) -> list[RespondentScore]:
    """Each complete respondent's score per version, for the paired chart."""
    values = scores.to_numpy()
    spoken = languages.to_numpy()
    return [
        RespondentScore(
            respondent=str(respondent),
            language=str(spoken[row]),
            version=str(label),
            score=float(values[row, column]),
        )
        for row, respondent in enumerate(scores.index)
        for column, label in enumerate(scores.columns)
    ]
