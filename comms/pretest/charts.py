"""A pretest's result as Altair charts: data specs that Streamlit draws with st.altair_chart.

Accessible by design: a title and subtitle that say what is shown, axis titles, a description
for screen readers listing the means, the Okabe–Ito palette (safe for colour-blind readers), and
no meaning in colour alone: the version is also on the x axis and in the point's shape.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from comms.pretest.analysis import PretestAnalysis
from comms.pretest.summary import Language, number

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")  # Okabe–Ito blue, orange, green, purple
SHAPES = ("circle", "square", "triangle-up", "diamond")
LINE_GREY = "#6E6E6E"  # respondents' lines; 5:1 against white before the transparency

TEXT: dict[Language, dict[str, str]] = {
    "en": {
        "means": "Perceived effectiveness per version",
        "means below": "Mean of the main items with its 95 % confidence interval; {n} respondents",
        "paired": "Each respondent's ratings across the versions",
        "paired below": "Thin lines: one respondent each; thick line: the mean; {n} respondents",
        "version": "Version",
        "score": "Rating (1 = not at all, {top} = very much)",
        "mean": "Mean",
        "from": "95 % CI from",
        "to": "95 % CI to",
        "described": "Mean rating per version: {means}.",
    },
    "de": {
        "means": "Wahrgenommene Wirksamkeit je Fassung",
        "means below": "Mittelwert der Hauptfragen mit 95-%-Konfidenzintervall; {n} Befragte",
        "paired": "Die Bewertungen jeder befragten Person über die Fassungen",
        "paired below": "Dünne Linien: je eine Person; dicke Linie: der Mittelwert; {n} Befragte",
        "version": "Fassung",
        "score": "Bewertung (1 = überhaupt nicht, {top} = sehr)",
        "mean": "Mittelwert",
        "from": "95-%-KI von",
        "to": "95-%-KI bis",
        "described": "Mittlere Bewertung je Fassung: {means}.",
    },
}


def means_chart(analysis: PretestAnalysis, language: Language = "en") -> alt.LayerChart:
    """Each version's mean primary score as a point with its 95 % interval as an error bar."""
    words = TEXT[language]
    data = alt.InlineData(values=[version.model_dump() for version in analysis.versions])
    base = alt.Chart(data).encode(x=_x(analysis, words))
    bars = base.mark_errorbar(ticks=True, color=LINE_GREY).encode(
        y=_y(analysis, words, "ci_low"), y2="ci_high:Q"
    )
    points = base.mark_point(filled=True, size=140, opacity=1).encode(
        y=_y(analysis, words, "mean"),
        color=_version_scale(analysis, alt.Color),
        shape=_version_scale(analysis, alt.Shape),
        tooltip=_tooltip(words),
    )
    return alt.LayerChart(
        layer=[bars, points],
        title=_title(analysis, words, "means"),
        description=_described(analysis, language),
    )


def paired_chart(analysis: PretestAnalysis, language: Language = "en") -> alt.LayerChart:
    """One thin translucent line per respondent across the versions, the means bold on top."""
    words = TEXT[language]
    scores = alt.InlineData(values=[score.model_dump() for score in analysis.scores])
    means = alt.InlineData(values=[version.model_dump() for version in analysis.versions])
    lines = (
        alt.Chart(scores)
        .mark_line(strokeWidth=1, opacity=0.3, color=LINE_GREY)
        .encode(x=_x(analysis, words), y=_y(analysis, words, "score"), detail="respondent:N")
    )
    mean = alt.Chart(means).encode(x=_x(analysis, words), y=_y(analysis, words, "mean"))
    bold = mean.mark_line(strokeWidth=4, color="#000000")
    points = mean.mark_point(filled=True, size=160, opacity=1).encode(
        color=_version_scale(analysis, alt.Color),
        shape=_version_scale(analysis, alt.Shape),
        tooltip=_tooltip(words),
    )
    return alt.LayerChart(
        layer=[lines, bold, points],
        title=_title(analysis, words, "paired"),
        description=_described(analysis, language),
    )


def _title(analysis: PretestAnalysis, words: dict[str, str], key: str) -> alt.Title:
    below = words[f"{key} below"].format(n=analysis.respondents)
    return alt.Title(words[key], subtitle=below)


def _top(analysis: PretestAnalysis) -> int:
    """The scale's top: 5 for the 5-point items, 7 if any answer goes beyond 5."""
    return 7 if any(score.score > 5 for score in analysis.scores) else 5


def _x(analysis: PretestAnalysis, words: dict[str, str]) -> alt.X:
    return alt.X(
        "version:N", title=words["version"], sort=analysis.labels, axis=alt.Axis(labelAngle=0)
    )


def _y(analysis: PretestAnalysis, words: dict[str, str], field: str) -> alt.Y:
    top = _top(analysis)
    scale = alt.Scale(domain=[1, top], clamp=True)
    return alt.Y(f"{field}:Q", title=words["score"].format(top=top), scale=scale)


def _version_scale(analysis: PretestAnalysis, channel: Any) -> Any:
    """Colour or shape by version, the same version always the same, with no legend (x says it)."""
    k = len(analysis.labels)
    values = PALETTE if channel is alt.Color else SHAPES
    scale = alt.Scale(domain=analysis.labels, range=list(values[:k]))
    return channel("version:N", scale=scale, legend=None)


def _tooltip(words: dict[str, str]) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("version:N", title=words["version"]),
        alt.Tooltip("mean:Q", title=words["mean"], format=".2f"),
        alt.Tooltip("ci_low:Q", title=words["from"], format=".2f"),
        alt.Tooltip("ci_high:Q", title=words["to"], format=".2f"),
    ]


def _described(analysis: PretestAnalysis, language: Language) -> str:
    """The chart's content in words, for screen readers (Vega's ARIA description)."""
    means = ", ".join(f"{v.version} {number(v.mean, language)}" for v in analysis.versions)
    return TEXT[language]["described"].format(means=means)
