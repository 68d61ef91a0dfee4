"""The embedder benchmark's pairs are well formed and its metrics are right on hand-made scores.

`python -m bench.embedders` measures real models; nothing here loads one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.embedders import (
    KINDS,
    LABELS,
    LANGUAGES,
    Model,
    auc,
    best_threshold,
    cosine,
    load_pairs,
    map_texts,
    measure,
    row,
    statements,
    summary,
)
from tests.conftest import FakeEmbedder

# At least this many pairs per label; de-leicht is a small check, the others the measurement.
MINIMUM = {"paraphrase": 20, "changed": 20, "unrelated": 12}
MINIMUM_LEICHT = {"paraphrase": 5, "changed": 5, "unrelated": 3}


@pytest.fixture(scope="module")
def pairs():  # type: ignore[no-untyped-def]
    return load_pairs()


def test_every_language_has_enough_pairs_of_each_label(pairs) -> None:  # type: ignore[no-untyped-def]
    counts = Counter((p.language, p.label) for p in pairs)
    for language in LANGUAGES:
        least = MINIMUM_LEICHT if language == "de-leicht" else MINIMUM
        for label in LABELS:
            assert counts[language, label] >= least[label], (language, label)


def test_the_main_languages_test_each_change_the_issue_names(pairs) -> None:  # type: ignore[no-untyped-def]
    """Negation, once vs every year, 6 vs 11 months, "100 % safe", another disease or group."""
    for language in ("de", "en", "tr", "ar"):
        kinds = {p.kind for p in pairs if p.language == language and p.label == "changed"}
        assert set(KINDS) <= kinds, (language, set(KINDS) - kinds)


def test_each_statement_is_approved_text_of_its_map_in_its_language(pairs) -> None:  # type: ignore[no-untyped-def]
    texts = map_texts()
    for pair in pairs:
        assert pair.statement in statements(texts[pair.map_id], pair.language)
        assert pair.sentence != pair.statement


BAD = [
    ("fr", "paraphrase", "{map: flu, statement: 'x', sentence: 'y'}", "unknown language 'fr'"),
    ("de", "similar", "{map: flu, statement: 'x', sentence: 'y'}", "unknown label 'similar'"),
    ("de", "paraphrase", "{map: polio, statement: 'x', sentence: 'y'}", "unknown map 'polio'"),
    (
        "de",
        "paraphrase",
        "{map: flu, statement: 'Grippe ist harmlos.', sentence: 'y'}",
        "not a de text of flu",
    ),
    (
        "de",
        "changed",
        "{map: flu, statement: 'Grippeimpfstoffe gelten als sicher.', sentence: 'y'}",
        "a changed pair needs one of",
    ),
    (
        "de",
        "unrelated",
        "{map: flu, kind: number, statement: 'Grippeimpfstoffe gelten als sicher.', sentence: 'y'}",
        "a changed pair needs one of",
    ),
    (
        "de",
        "paraphrase",
        "{map: flu, statement: 'Grippeimpfstoffe gelten als sicher.', sentence: 'Grippeimpfstoffe gelten als sicher.'}",
        "the statement itself",
    ),
    ("de", "paraphrase", "{map: flu, statment: 'x', sentence: 'y'}", "unknown fields"),
]


@pytest.mark.parametrize(("language", "label", "entry", "message"), BAD)
def test_a_malformed_pair_is_named(
    tmp_path: Path, language: str, label: str, entry: str, message: str
) -> None:
    path = tmp_path / "pairs.yaml"
    path.write_text(f"{language}:\n  {label}:\n    - {entry}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_pairs(path)


def test_auc_counts_the_ordered_pairs_and_half_the_ties() -> None:
    assert auc([0.9, 0.8], [0.3, 0.6]) == 1.0
    assert auc([0.3, 0.6], [0.9, 0.8]) == 0.0
    assert auc([0.9, 0.8, 0.4], [0.5, 0.2, 0.1]) == pytest.approx(8 / 9)  # 0.4 loses to 0.5
    assert auc([0.5], [0.5]) == 0.5


def test_the_best_threshold_separates_and_prefers_the_stricter_of_equal_cuts() -> None:
    assert best_threshold([0.9, 0.8], [0.3, 0.6]) == (pytest.approx(0.7), 1.0)
    # 0.65 and 0.30 both get 5 of 6 right; the stricter 0.65 passes no negative.
    assert best_threshold([0.9, 0.8, 0.4], [0.5, 0.2, 0.1]) == (
        pytest.approx(0.65),
        pytest.approx(5 / 6),
    )
    cut, accuracy = best_threshold([0.2], [0.9])  # all wrong either way: refuse both
    assert cut > 0.9 and accuracy == 0.5


def test_cosine_of_parallel_and_orthogonal_vectors() -> None:
    assert cosine([1.0, 2.0], [2.0, 4.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [0.0, 3.0]) == pytest.approx(0.0)


def test_a_run_gives_a_row_per_language_and_per_language_pair(pairs) -> None:  # type: ignore[no-untyped-def]
    fake = FakeEmbedder()
    results = measure(Model("fake", "hashing", fake.embed), pairs, map_texts())
    assert set(results) == set(LANGUAGES) | {"tr→de", "tr→en", "ar→de", "ar→en"}
    for result in results.values():
        assert row(result).count("|") == 13  # 12 columns
        language = result.name.split("→")[0]
        assert len(result.scores) == sum(p.language == language for p in pairs)
    # The hashing embedder shares words: a paraphrase scores above an unrelated sentence.
    assert auc(results["de"].of("paraphrase"), results["de"].of("unrelated")) > 0.5
    line = summary(list(results.values()))
    assert line.count("|") == 7 and "negation" in line
