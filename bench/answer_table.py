"""The answer table: for every map × audience × typical concern, which key messages Clarion
composes from, against the reviewer's table written down first (tests/fixtures/concerns.yaml).

A cell is right when the key set used (the concern matched, or the audience's overview, or the
map's overarching key messages) is one the reviewer accepts. Matching uses the bundled embedder,
as the app does. For each cell whose concern asks for the cost, the place or the time, the SMS
(the shortest form) is composed with the town clinic's fact sheet of issue 25 and must carry
that fact. Prints Markdown and writes it into docs/answer-table.md between its markers.

    python -m bench.answer_table [--out docs/answer-table.md | --out -]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.report import load_average, publish
from comms.campaign_facts import CampaignFacts
from comms.drafting.draft import Request, resolve
from comms.maps.compose import choose_keys, compose
from comms.maps.library import load_map
from comms.maps.matching import Embed, match_concern

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "tests" / "fixtures" / "concerns.yaml"
DOC = ROOT / "docs" / "answer-table.md"
# The town clinic of issue 25: a spring campaign, free, at the health office.
CLINIC = CampaignFacts(
    when="jeden Dienstag 14–18 Uhr, vom 3. März bis 28. April 2026",
    where="Gesundheitsamt Lindenhain, Marktplatz 4, 2. Stock",
    cost="kostenlos",
    booking="06221 555 0190 oder lindenhain.example/impfen",
)


@dataclass(frozen=True)
class Cell:
    """One request of the table and the key sets the reviewer accepts (the preferred first)."""

    map_id: str
    audience: str
    words: str
    language: str
    accepted: tuple[str, ...]


def load_table(path: Path = TABLE) -> list[Cell]:
    """Every cell of the reviewer's table, map by map, audience by audience."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cells = []
    for map_id, rows in data["expected"].items():
        for audience, expected in rows.items():
            phrases = data["phrases"][audience]
            for phrase, accepted in zip(phrases, expected, strict=True):
                sets = tuple(accepted) if isinstance(accepted, list) else (accepted,)
                cells.append(Cell(map_id, audience, phrase["words"], phrase["language"], sets))
    return cells


def key_set(cell: Cell, embed: Embed | None) -> tuple[str, str]:
    """The key set a message for the cell is composed from, and why."""
    loaded = load_map(cell.map_id)
    match = match_concern(cell.words, loaded, cell.language, embed, cell.audience)
    concern, _ = choose_keys(loaded, cell.audience, match.concern_id)
    return (concern.id if concern is not None else "key_messages"), match.reason


def answer_in_sms(cell: Cell, embed: Embed | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The facts the cell's concern asks for, and those its SMS has no room for."""
    loaded = load_map(cell.map_id)
    match = match_concern(cell.words, loaded, cell.language, embed, cell.audience)
    r = resolve(Request(cell.map_id, cell.audience, "sms", cell.language, cell.words))
    made = compose(loaded, topic=r.topic, audience=r.audience, channel=r.channel,
                   language=r.language, facts=CLINIC, concern_id=match.concern_id,
                   concern_text=cell.words)  # fmt: skip
    missing = [n.args["fields"].split(", ") for n in made.notes if n.id == "no_room"]
    return made.asked, tuple(f for fields in missing for f in fields)


Answer = tuple[tuple[str, ...], tuple[str, ...]]  # facts asked for, facts the SMS lacks


def render(cells: list[Cell], chosen: list[str], answers: list[Answer]) -> str:
    """One table per map: audiences down, their typical concerns across."""
    right = sum(c in cell.accepted for cell, c in zip(cells, chosen, strict=True))
    asking = [(asked, missing) for asked, missing in answers if asked]
    carried = sum(not missing for _, missing in asking)
    lines = [f"**{right} of {len(cells)} cells right** (✓: a set the reviewer accepts; ✗: not, "
             "with the reviewer's preferred set after the arrow).", "",
             f"**{carried} of {len(asking)} cells whose concern asks for the cost, the place or "
             "the time carry that fact in the SMS** (after the key set: the facts asked for, ✓ "
             "in the SMS, ✗ no room; the SMS is composed with the town clinic's fact sheet of "
             "issue 25)."]  # fmt: skip
    words: dict[str, list[str]] = {}
    for cell in cells:
        if cell.map_id == cells[0].map_id and cell.words:
            words.setdefault(cell.audience, []).append(f"{cell.words} ({cell.language})")
    lines += ["", "The typical concerns, as staff typed them (message language):", "",
              "| audience | 1 | 2 | 3 | 4 |", "|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {audience} | " + " | ".join(said) + " |" for audience, said in words.items()]
    for map_id in dict.fromkeys(cell.map_id for cell in cells):
        rows: dict[str, list[str]] = {}
        for cell, found, (asked, missing) in zip(cells, chosen, answers, strict=True):
            if cell.map_id == map_id:
                mark = "✓" if found in cell.accepted else f"✗ → {cell.accepted[0]}"
                fact = f" · {', '.join(asked)} {'✗' if missing else '✓'}" if asked else ""
                rows.setdefault(cell.audience, []).append(f"{found} {mark}{fact}")
        lines += ["", f"**{map_id}**", "", "| audience | 1 | 2 | 3 | 4 | no concern |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        lines += [f"| {audience} | " + " | ".join(found) + " |" for audience, found in rows.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.answer_table")
    parser.add_argument("--out", default=str(DOC), help="Markdown file, or - to only print")
    args = parser.parse_args(argv)
    from core.settings import bundled_embedder_path
    from knowledge.retrieval.embedder import Embedder

    started, load_before = time.monotonic(), load_average()
    path = bundled_embedder_path()
    embed = Embedder(path).embed if path is not None else None
    cells = load_table()
    chosen = [key_set(cell, embed)[0] for cell in cells]
    answers = [answer_in_sms(cell, embed) for cell in cells]
    publish(render(cells, chosen, answers), load_before, started, args.out)


if __name__ == "__main__":
    main()
