"""A pretest's result in plain words for health-office staff, in German and English.

The library keeps its own small phrase table (the UI's strings in ui/text.py are out of its
reach: libraries never import views). The rules, in docs/pretest-statistics.md:
- a difference whose 95 % interval covers 0 is "no clear difference";
- a significant one is "a clear result" only when the panel also had 80 % power for the
  difference the office hoped to find (and, with two versions, the Wilcoxon test agrees);
  otherwise it is "a hint, not proof";
- sizes are Cohen's words for dz: under 0.2 very small, 0.2 small, 0.5 medium, 0.8 large.
"""

from __future__ import annotations

import math
from typing import Literal

from comms.pretest.analysis import PairResult, PretestAnalysis
from comms.pretest.power import ALPHA

Language = Literal["de", "en"]
SIZES = ((0.2, "very small"), (0.5, "small"), (0.8, "medium"), (float("inf"), "large"))

PHRASES: dict[Language, dict[str, str]] = {
    "en": {
        "very small": "very small", "small": "small", "medium": "medium", "large": "large",
        "higher": "Version {high} was rated higher than version {low}; the difference is "
        "{size}{dz}.",
        "same": "There is no clear difference between {versions}{dz}.",
        "winner": "Version {high} was rated highest, clearly above every other version; its "
        "smallest lead is {size}{dz}.",
        "no winner": "Version {high} was rated highest, but not clearly higher than {others}.",
        "hint": " With {n} respondents this is a hint, not proof.",
        "clear": " With {n} respondents this is a clear result.",
        "missed": " With {n} respondents a real difference is easily missed: about {needed} are "
        "needed to find {hoped} difference (dz = {hoped_dz}).",
        "a very small": "a very small", "a small": "a small", "a medium": "a medium",
        "a large": "a large",
        "version": "version {label}", "versions": "versions {labels}", "and": " and ",
        "dropped": "{dropped} respondent(s) did not rate every version on every main item and "
        "were left out.",
        "alpha": "The main items agree poorly for {which} (α = {alpha} < 0.7): read the score "
        "with care.",
        "all versions": "all versions together",
        "disagree": "The t-test and the Wilcoxon test disagree about p < .05: treat the result "
        "as a hint.",
    },
    "de": {
        "very small": "sehr klein", "small": "klein", "medium": "mittelgroß", "large": "groß",
        "higher": "Fassung {high} wurde besser bewertet als Fassung {low}; der Unterschied ist "
        "{size}{dz}.",
        "same": "Zwischen {versions} gibt es keinen klaren Unterschied{dz}.",
        "winner": "Fassung {high} wurde am besten bewertet, klar vor jeder anderen Fassung; ihr "
        "kleinster Vorsprung ist {size}{dz}.",
        "no winner": "Fassung {high} wurde am besten bewertet, aber nicht klar besser als "
        "{others}.",
        "hint": " Bei {n} Befragten ist das ein Hinweis, kein Beweis.",
        "clear": " Bei {n} Befragten ist das ein klares Ergebnis.",
        "missed": " Bei {n} Befragten wird ein echter Unterschied leicht übersehen: Für "
        "{hoped} Unterschied (dz = {hoped_dz}) braucht es etwa {needed}.",
        "a very small": "einen sehr kleinen", "a small": "einen kleinen",
        "a medium": "einen mittelgroßen", "a large": "einen großen",
        "version": "Fassung {label}", "versions": "den Fassungen {labels}", "and": " und ",
        "dropped": "{dropped} Befragte haben nicht jede Fassung in jeder Hauptfrage bewertet und "
        "wurden nicht ausgewertet.",
        "alpha": "Die Hauptfragen stimmen für {which} schlecht überein (α = {alpha} < 0,7): "
        "den Wert mit Vorsicht lesen.",
        "all versions": "alle Fassungen zusammen",
        "disagree": "t-Test und Wilcoxon-Test kommen bei p < 0,05 zu verschiedenen Ergebnissen: "
        "das Ergebnis nur als Hinweis lesen.",
    },
}  # fmt: skip


def size_word(dz: float) -> str:
    """Cohen's convention for |dz|: very small, small, medium or large (a rule of thumb)."""
    return next(word for bound, word in SIZES if abs(dz) < bound)


def number(value: float, language: Language) -> str:
    """Two decimals with the language's decimal mark."""
    text = f"{value:.2f}"
    return text.replace(".", ",") if language == "de" else text


def summarise(analysis: PretestAnalysis, language: Language = "en") -> str:
    """One or two plain sentences: which version was rated higher and how sure that is."""
    words = PHRASES[language]
    found = [pair for pair in analysis.pairs if pair.p_holm < ALPHA]
    if not found:
        return _no_difference(analysis, language)
    if len(analysis.labels) == 2:
        pair = found[0]
        high, low = (pair.second, pair.first) if pair.difference > 0 else (pair.first, pair.second)
        text = words["higher"].format(high=high, low=low, **_size(pair, language))
        return text + _strength(analysis, language, pair.tests_disagree)
    if analysis.winner is not None:
        lead = min(_pairs_of(analysis, analysis.winner), key=lambda pair: abs(pair.dz or 0))
        text = words["winner"].format(high=analysis.winner, **_size(lead, language))
        return text + _strength(analysis, language, False)
    return _no_winner(analysis, language)


def _no_difference(analysis: PretestAnalysis, language: Language) -> str:
    words = PHRASES[language]
    labels = words["and"].join([", ".join(analysis.labels[:-1]), analysis.labels[-1]])
    dz = ""
    if len(analysis.labels) == 2 and analysis.pairs[0].dz is not None:
        dz = f" (dz = {number(abs(analysis.pairs[0].dz), language)})"
    text = words["same"].format(versions=words["versions"].format(labels=labels), dz=dz)
    return text + _missed(analysis, language)


def _no_winner(analysis: PretestAnalysis, language: Language) -> str:
    words = PHRASES[language]
    best = max(analysis.versions, key=lambda version: version.mean).version
    unclear = [
        pair.second if pair.first == best else pair.first
        for pair in _pairs_of(analysis, best)
        if pair.p_holm >= ALPHA
    ]
    others = words["and"].join(words["version"].format(label=label) for label in unclear)
    return words["no winner"].format(high=best, others=others) + _missed(analysis, language)


def _pairs_of(analysis: PretestAnalysis, label: str) -> list[PairResult]:
    return [pair for pair in analysis.pairs if label in (pair.first, pair.second)]


def _size(pair: PairResult, language: Language) -> dict[str, str]:
    if pair.dz is None:
        return {"size": PHRASES[language]["large"], "dz": ""}
    dz = f" (dz = {number(abs(pair.dz), language)})"
    return {"size": PHRASES[language][size_word(pair.dz)], "dz": dz}


def _strength(analysis: PretestAnalysis, language: Language, disagree: bool) -> str:
    """A clear result needs significance, an adequate panel and no disagreeing check."""
    key = "hint" if analysis.panel.too_small or disagree else "clear"
    return PHRASES[language][key].format(n=analysis.respondents)


def _missed(analysis: PretestAnalysis, language: Language) -> str:
    panel = analysis.panel
    if not panel.too_small:
        return ""
    words = PHRASES[language]
    return words["missed"].format(
        n=analysis.respondents,
        needed=panel.needed,
        hoped=words["a " + size_word(panel.hoped_dz)],
        hoped_dz=f"{panel.hoped_dz:g}".replace(".", "," if language == "de" else "."),
    )


def notes(analysis: PretestAnalysis, language: Language = "en") -> list[str]:
    """Cautions to show under the sentence: dropped respondents, low α, disagreeing tests."""
    words = PHRASES[language]
    found = []
    if analysis.dropped:
        found.append(words["dropped"].format(dropped=analysis.dropped))
    for reliability in analysis.reliability:
        if reliability.low and reliability.alpha is not None:
            which = (
                words["all versions"]
                if reliability.version == "all"
                else words["version"].format(label=reliability.version)
            )
            found.append(
                words["alpha"].format(
                    which=which, alpha=number(math.floor(reliability.alpha * 100) / 100, language)
                )
            )
    if any(pair.tests_disagree for pair in analysis.pairs):
        found.append(words["disagree"])
    return found
