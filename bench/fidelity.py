"""Calibration of the fidelity check's similarity threshold: how close a key message is, in
all-MiniLM-L6-v2's embedding, to a rewording of it, and to the other key messages of its map.

Rewordings: the map's Einfache Sprache text of the same key message against its German one
(same meaning, other words: what a model's adaptation does). Others: every other key message
of the same map and language (the hardest wrong answers: same topic, other point).

    python -m bench.fidelity
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from comms.checks.fidelity import FIDELITY_SIMILARITY, kept
from comms.maps.library import load_map, shipped_map_ids
from core.settings import load_settings
from knowledge.retrieval.embedder import Embedder


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def _row(name: str, values: list[float]) -> str:
    values = sorted(values)
    p10 = values[len(values) // 10]
    p90 = values[(len(values) * 9) // 10]
    above = sum(v >= FIDELITY_SIMILARITY for v in values) / len(values)
    middle = statistics.median(values)
    figures = f"{values[0]:.2f} | {p10:.2f} | {middle:.2f} | {p90:.2f} | {values[-1]:.2f}"
    return f"| {name} | {len(values)} | {figures} | {above:.0%} |"


def main() -> None:
    embedder = Embedder(load_settings().resolved_embedder_path())
    reworded: list[float] = []
    others: dict[str, list[float]] = {"de": [], "en": []}
    whole = {"reworded": [0, 0], "de": [0, 0], "en": [0, 0]}  # [kept, pairs] by the full check
    for map_id in shipped_map_ids():
        keys = [k for _, k in load_map(map_id).map.all_key_messages()]
        german = embedder.embed([k.text["de"] for k in keys])
        plain = embedder.embed([k.text["de-einfach"] for k in keys])
        for key, a, b in zip(keys, german, plain, strict=True):
            reworded.append(_cosine(a, b))
            found = kept(key.text["de"], key.text["de-einfach"], "de", reworded[-1])
            _count(whole["reworded"], found)
        english = embedder.embed([k.text["en"] for k in keys])
        for language, vectors in (("de", german), ("en", english)):
            for n, vector in enumerate(vectors):
                for m, other in enumerate(vectors):
                    if m == n:
                        continue
                    similarity = _cosine(vector, other)
                    others[language].append(similarity)
                    said, text = keys[n].text[language], keys[m].text[language]
                    _count(whole[language], kept(said, text, language, similarity))
    print(f"threshold {FIDELITY_SIMILARITY}\n")
    print("| pairs | n | min | p10 | median | p90 | max | at or above threshold |")
    print("|---|---|---|---|---|---|---|---|")
    print(_row("same key message, German vs Einfache Sprache", reworded))
    print(_row("other key messages of the map, German", others["de"]))
    print(_row("other key messages of the map, English", others["en"]))
    print("\nThe whole check (numbers, key terms and meaning) passes:\n")
    print("| pairs | kept |\n|---|---|")
    names = {"reworded": "same key message, German vs Einfache Sprache",
             "de": "other key messages of the map, German",
             "en": "other key messages of the map, English"}  # fmt: skip
    for name, (passed, total) in whole.items():
        print(f"| {names[name]} | {passed / total:.1%} ({passed}/{total}) |")


def _count(tally: list[int], problems: list[str]) -> None:
    tally[0] += not problems
    tally[1] += 1


if __name__ == "__main__":
    main()
