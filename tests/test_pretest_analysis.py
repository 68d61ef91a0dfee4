"""The pretest analysis against independent computations: numpy formulas and textbook values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from comms.pretest.analysis import PretestAnalysis, analyse, cronbach_alpha, dz_interval, holm
from comms.pretest.charts import PALETTE, means_chart, paired_chart
from comms.pretest.design import Rating
from comms.pretest.power import (
    check_panel,
    format_power_table,
    power,
    power_table,
    respondents_needed,
)
from comms.pretest.summary import notes, size_word, summarise

ITEMS = ("pme1", "pme2", "pme3")
T_975_5 = 2.570582  # Student's t, 97.5 % quantile, 5 degrees of freedom (printed tables)


def rows(answers: dict[str, dict[str, tuple[int, ...]]], extra: int | None = None) -> list[Rating]:
    """Ratings from {respondent: {version: (pme1, pme2, pme3[, clear])}}."""
    found = []
    for respondent, versions in answers.items():
        for position, (version, scores) in enumerate(versions.items(), start=1):
            items = (*ITEMS, "clear")[: len(scores)]
            for item, score in zip(items, scores, strict=True):
                found.append(
                    Rating(
                        respondent=respondent,
                        language="de",
                        form=1,
                        position=position,
                        version=version,
                        item=item,
                        score=score,
                    )
                )
    return found


def simulated(shifts: tuple[float, ...], n: int, seed: int = 1, noise: float = 0.7) -> list[Rating]:
    """Ratings of n respondents whose item scores move with the versions' shifts."""
    rng = np.random.default_rng(seed)
    answers = {}
    for person in range(n):
        base = rng.normal(3, 0.6)
        answers[f"r{person}"] = {
            label: tuple(
                int(np.clip(round(base + shift + rng.normal(0, noise)), 1, 5)) for _ in ITEMS
            )
            for label, shift in zip("ABCD", shifts, strict=False)
        }
    return rows(answers)


HAND = {  # six respondents; primary scores A: 2, 3, 2⅓, 4, 3, 2⅔ and B: 3, 3⅔, 3, 4, 4⅓, 3
    "1": {"A": (2, 2, 2), "B": (3, 3, 3)},
    "2": {"A": (3, 3, 3), "B": (4, 4, 3)},
    "3": {"A": (2, 3, 2), "B": (3, 3, 3)},
    "4": {"A": (4, 4, 4), "B": (4, 4, 4)},
    "5": {"A": (3, 3, 3), "B": (5, 4, 4)},
    "6": {"A": (3, 2, 3), "B": (3, 3, 3)},
}


def hand_scores() -> tuple[np.ndarray, np.ndarray]:
    a = np.array([np.mean(v["A"]) for v in HAND.values()])
    b = np.array([np.mean(v["B"]) for v in HAND.values()])
    return a, b


def test_two_versions_match_the_paired_t_formulas() -> None:
    result = analyse(rows(HAND), ["A", "B"])
    a, b = hand_scores()
    d = b - a
    mean, sd, n = d.mean(), d.std(ddof=1), len(d)
    pair = result.pairs[0]
    assert result.respondents == 6 and result.dropped == 0 and result.test == "paired t-test"
    assert (pair.first, pair.second) == ("A", "B")
    assert pair.difference == pytest.approx(mean)
    assert pair.t == pytest.approx(mean / (sd / np.sqrt(n)))
    assert pair.ci_low == pytest.approx(mean - T_975_5 * sd / np.sqrt(n), abs=1e-6)
    assert pair.ci_high == pytest.approx(mean + T_975_5 * sd / np.sqrt(n), abs=1e-6)
    assert pair.dz == pytest.approx(mean / sd)
    assert pair.p == pytest.approx(2 * stats.t.sf(abs(mean / (sd / np.sqrt(n))), n - 1))
    assert pair.p_holm == pair.p and pair.df == 5
    assert pair.wilcoxon_p is not None and 0 < pair.wilcoxon_p < 1
    means = {v.version: v for v in result.versions}
    assert means["A"].mean == pytest.approx(a.mean()) and means["B"].mean == pytest.approx(b.mean())
    half = T_975_5 * a.std(ddof=1) / np.sqrt(n)
    assert means["A"].ci_low == pytest.approx(a.mean() - half, abs=1e-6)


def test_dz_interval_inverts_the_noncentral_t() -> None:
    low, high = dz_interval(2.9, 34)
    assert low < 2.9 / np.sqrt(34) < high
    assert stats.nct.cdf(2.9, 33, low * np.sqrt(34)) == pytest.approx(0.975, abs=1e-6)
    assert stats.nct.cdf(2.9, 33, high * np.sqrt(34)) == pytest.approx(0.025, abs=1e-6)
    assert dz_interval(0.0, 20)[0] == pytest.approx(-dz_interval(0.0, 20)[1])
    low, high = dz_interval(40.0, 30)  # beyond what scipy solves: the normal approximation
    assert low < 40 / np.sqrt(30) < high


def test_cronbach_alpha_matches_the_covariance_formula_and_known_cases() -> None:
    items = np.array([[2, 3, 3], [4, 4, 5], [3, 3, 2], [5, 4, 5], [1, 2, 2], [3, 4, 3]], float)
    covariance = np.cov(items, rowvar=False)
    k = 3
    mean_cov = (covariance.sum() - np.trace(covariance)) / (k * (k - 1))
    mean_var = np.trace(covariance) / k
    assert cronbach_alpha(items) == pytest.approx(k * mean_cov / (mean_var + (k - 1) * mean_cov))
    assert cronbach_alpha(np.repeat(items[:, :1], 3, axis=1)) == pytest.approx(1.0)
    assert (
        cronbach_alpha(np.array([[1, 4], [5, 2], [3, 3], [2, 5]], float)) < 0
    )  # items that disagree
    assert cronbach_alpha(np.ones((4, 3))) is None


def test_reliability_per_version_and_pooled_with_a_low_flag() -> None:
    result = analyse(rows(HAND), ["A", "B"])
    alphas = {r.version: r for r in result.reliability}
    assert set(alphas) == {"A", "B", "all"} and alphas["all"].rows == 12
    a_items = np.array([HAND[r]["A"] for r in HAND], float)
    assert alphas["A"].alpha == pytest.approx(cronbach_alpha(a_items))
    assert alphas["A"].low is (alphas["A"].alpha < 0.7)  # type: ignore[operator]
    disagreeing = {
        str(n): {"A": (n % 5 + 1, 5 - n % 5, 3), "B": (3, 3, n % 5 + 1)} for n in range(8)
    }
    low = analyse(rows(disagreeing), ["A", "B"])
    assert [r.version for r in low.reliability if r.low]
    assert any("α" in note for note in notes(low, "en"))


def test_incomplete_respondents_are_dropped_and_counted() -> None:
    answers = dict(HAND)
    answers["7"] = {"A": (3, 3, 3), "B": (4, 4)}  # pme3 of B missing
    answers["8"] = {"A": (3, 3, 3)}  # never saw B
    only_clear = Rating(
        respondent="9", language="en", form=1, position=1, version="A", item="clear", score=4
    )
    ratings = [*rows(answers), only_clear]
    result = analyse(ratings, ["A", "B"])
    assert result.respondents == 6 and result.dropped == 3
    assert result.pairs[0].difference == pytest.approx(
        analyse(rows(HAND), ["A", "B"]).pairs[0].difference
    )
    assert "3 respondent(s)" in notes(result, "en")[0]
    assert "3 Befragte" in notes(result, "de")[0]


def test_the_wilcoxon_check_flags_a_disagreement() -> None:
    """One respondent's large drop hides 14 small gains from the t-test, not from the ranks."""
    answers = {str(n): {"A": (3, 3, 3), "B": (4, 3, 3)} for n in range(14)}
    answers["outlier"] = {"A": (5, 5, 5), "B": (1, 1, 1)}
    result = analyse(rows(answers), ["A", "B"])
    pair = result.pairs[0]
    assert pair.p > 0.05 and pair.wilcoxon_p is not None and pair.wilcoxon_p < 0.05
    assert pair.tests_disagree
    assert any("Wilcoxon" in note for note in notes(result, "en"))
    assert "no clear difference" in summarise(result, "en")


def test_the_hoped_difference_sets_the_panel_check() -> None:
    result = analyse(rows(HAND), ["A", "B"], hoped_dz=0.8)
    assert result.panel.needed == 15 and result.panel.too_small


def test_a_duplicate_answer_and_a_wrong_number_of_versions_are_errors() -> None:
    twice = [*rows(HAND), rows(HAND)[0]]
    with pytest.raises(ValueError, match="more than once"):
        analyse(twice, ["A", "B"])
    with pytest.raises(ValueError, match="two to four"):
        analyse(rows(HAND), ["A"])
    with pytest.raises(ValueError, match="at least two"):
        analyse(rows({"1": HAND["1"]}), ["A", "B"])


def test_three_versions_run_the_repeated_measures_anova() -> None:
    ratings = simulated((0.0, 0.3, 1.0), 20, seed=3)
    result = analyse(ratings, ["A", "B", "C"])
    scores = np.array(
        [
            [s.score for s in result.scores if s.respondent == r]
            for r in dict.fromkeys(s.respondent for s in result.scores)
        ]
    )
    n, k = scores.shape
    grand = scores.mean()
    ss_version = n * ((scores.mean(axis=0) - grand) ** 2).sum()
    ss_subject = k * ((scores.mean(axis=1) - grand) ** 2).sum()
    ss_error = ((scores - grand) ** 2).sum() - ss_version - ss_subject
    f = (ss_version / (k - 1)) / (ss_error / ((k - 1) * (n - 1)))
    assert result.test == "repeated-measures ANOVA" and result.omnibus is not None
    assert result.omnibus.f == pytest.approx(f)
    assert (result.omnibus.df_num, result.omnibus.df_den) == (2, 38)
    assert result.omnibus.p == pytest.approx(stats.f.sf(f, 2, 38))
    assert result.omnibus.epsilon is not None and 0.5 <= result.omnibus.epsilon <= 1
    assert [p.wilcoxon_p for p in result.pairs] == [None, None, None]


def test_holm_correction_of_the_pairwise_tests() -> None:
    result = analyse(simulated((0.0, 0.4, 0.8, 0.8), 16, seed=5), list("ABCD"))
    raw = np.array([p.p for p in result.pairs])
    order = np.argsort(raw)
    m = len(raw)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * raw[index]))
        adjusted[index] = running
    assert len(result.pairs) == 6
    assert [p.p_holm for p in result.pairs] == pytest.approx(list(adjusted))
    assert all(p.p_holm >= p.p for p in result.pairs)
    reference = multipletests(raw, alpha=0.05, method="holm")[1]
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert [p.p_holm for p in result.pairs] == pytest.approx(list(reference))


def test_the_winner_must_beat_every_other_version() -> None:
    clear = analyse(simulated((0.0, 0.1, 1.5), 40, seed=7), ["A", "B", "C"])
    assert clear.winner == "C"
    tied = analyse(simulated((0.0, 1.4, 1.5), 40, seed=7), ["A", "B", "C"])
    assert tied.winner is None
    assert "not clearly higher than version B" in summarise(tied, "en")


def test_language_breakdown_and_secondary_means() -> None:
    answers = {
        r: {v: (*s, 4 if v == "B" else 2) for v, s in versions.items()}
        for r, versions in HAND.items()
    }
    ratings = [
        r.model_copy(update={"language": "en"}) if r.respondent in "12" else r
        for r in rows(answers)
    ]
    result = analyse(ratings, ["A", "B"])
    clear = {m.version: m for m in result.secondary_means if m.item == "clear"}
    assert clear["A"].mean == 2 and clear["B"].mean == 4 and clear["B"].respondents == 6
    by_language = {(m.language, m.version): m for m in result.languages}
    assert by_language[("en", "A")].respondents == 2 and by_language[("de", "A")].respondents == 4
    assert by_language[("en", "A")].mean == pytest.approx((2 + 3) / 2)


@pytest.mark.parametrize(
    ("shifts", "n", "english", "german"),
    [
        (
            (0.0, 1.0),
            60,
            "Version B was rated higher than version A; the difference is large",
            "Bei 60 Befragten ist das ein klares Ergebnis.",
        ),
        ((0.0, 1.0), 9, "this is a hint, not proof", "ein Hinweis, kein Beweis"),
        (
            (0.0, 0.0),
            12,
            "There is no clear difference between versions A and B",
            "Bei 12 Befragten wird ein echter Unterschied leicht übersehen",
        ),
        ((0.0, 0.0), 80, "no clear difference", "keinen klaren Unterschied"),
        (
            (0.0, 0.0, 1.2),
            60,
            "Version C was rated highest, clearly above every other version",
            "klar vor jeder anderen Fassung",
        ),
    ],
)
def test_the_sentence_for_staff(
    shifts: tuple[float, ...], n: int, english: str, german: str
) -> None:
    result = analyse(simulated(shifts, n, seed=11), list("ABC")[: len(shifts)])
    assert english in summarise(result, "en")
    assert german in summarise(result, "de")


def test_a_clear_result_needs_a_panel_large_enough() -> None:
    result = analyse(simulated((0.0, 1.0), 60, seed=11), ["A", "B"])
    assert not result.panel.too_small and result.pairs[0].p < 0.05
    assert "clear result" in summarise(result, "en")
    small = analyse(simulated((0.0, 1.0), 9, seed=11), ["A", "B"])
    assert small.pairs[0].p < 0.05 and small.panel.too_small
    assert "clear result" not in summarise(small, "en")
    same = analyse(simulated((0.0, 0.0), 80, seed=11), ["A", "B"])
    assert "easily missed" not in summarise(same, "en")


@pytest.mark.parametrize(
    ("dz", "word"),
    [(0.1, "very small"), (-0.3, "small"), (0.5, "medium"), (0.79, "medium"), (1.2, "large")],
)
def test_cohens_words(dz: float, word: str) -> None:
    assert size_word(dz) == word


def test_power_of_the_paired_t_test_against_known_values() -> None:
    assert power(34, 0.5) == pytest.approx(0.808, abs=0.002)  # G*Power: n = 34 for 80 %
    assert respondents_needed(0.5) == 34
    assert respondents_needed(0.2) == 199  # Cohen's table for the paired case
    assert respondents_needed(0.8, 0.9) == 19
    assert power(34, 0.0) == pytest.approx(0.05)
    assert power(34, 0.5, versions=3) < power(34, 0.5)  # α / 3 for three pairs
    assert respondents_needed(0.5, versions=4) > respondents_needed(0.5, versions=3) > 34


def test_a_small_panel_is_flagged_with_the_number_needed() -> None:
    small = check_panel(20)
    assert small.too_small and small.needed == 34 and 0.5 < small.power < 0.8
    assert not check_panel(34).too_small
    assert check_panel(34, versions=3).too_small


def test_the_power_table() -> None:
    table = power_table()
    assert len(table) == 12
    two = {row.dz: row.needed for row in table if row.versions == 2}
    assert two[0.5] == {"80 %": 34, "90 %": 44} and two[0.2]["80 %"] == 199
    text = format_power_table(table)
    assert "| 2 | 1 | 0.5 | 34 | 44 |" in text and text.count("\n") == 13


def values(spec: dict, part: dict) -> list[dict]:  # type: ignore[type-arg]
    """A layer's data rows (Altair gathers inline data into the spec's datasets)."""
    return spec["datasets"][part["data"]["name"]]  # type: ignore[no-any-return]


def analysed() -> PretestAnalysis:
    return analyse(simulated((0.0, 0.5, 0.2), 12, seed=2), ["A", "B", "C"])


def test_the_means_chart_spec() -> None:
    result = analysed()
    spec = means_chart(result, "en").to_dict()
    bars, points = spec["layer"]
    assert values(spec, spec)[0]["version"] == "A"
    assert [v["mean"] for v in values(spec, spec)] == pytest.approx(
        [v.mean for v in result.versions]
    )
    assert bars["mark"]["type"] == "errorbar"
    assert (bars["encoding"]["y"]["field"], bars["encoding"]["y2"]["field"]) == (
        "ci_low",
        "ci_high",
    )
    encoding = points["encoding"]
    assert encoding["y"]["field"] == "mean" and encoding["x"]["field"] == "version"
    assert encoding["color"]["scale"]["range"] == list(PALETTE[:3])
    assert encoding["shape"]["field"] == "version"  # not colour alone
    assert spec["title"]["text"] == "Perceived effectiveness per version"
    assert "12 respondents" in spec["title"]["subtitle"]
    assert encoding["x"]["title"] == "Version" and "Rating" in encoding["y"]["title"]
    assert spec["description"].startswith("Mean rating per version: A ")
    assert means_chart(result, "de").to_dict()["title"]["text"].startswith("Wahrgenommene")


def test_the_paired_chart_draws_one_line_per_respondent() -> None:
    result = analysed()
    spec = paired_chart(result, "en").to_dict()
    lines, bold, points = spec["layer"]
    assert len(values(spec, lines)) == 12 * 3
    assert lines["encoding"]["detail"]["field"] == "respondent"
    assert (
        lines["mark"]["opacity"] < 0.5
        and lines["mark"]["strokeWidth"] < bold["mark"]["strokeWidth"]
    )
    assert [v["mean"] for v in values(spec, bold)] == pytest.approx(
        [v.mean for v in result.versions]
    )
    assert points["encoding"]["shape"]["scale"]["range"] == ["circle", "square", "triangle-up"]
