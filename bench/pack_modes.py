"""A 48-message pack both ways: composed only (the default), and with the model asked for its
version of every cell (kept only where it passes). What the setting CLARION_ASK_MODEL saves.

    python -m bench.pack_modes [--cells 48] [--out docs/engine-grid.md | --out -]

The pack: topic flu, 8 audiences × SMS, letter and social post × German and English. Both runs
use the same store (the shipped corpus, the real embedder) and the bundled default model.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.rig import FACTS
from comms.model.backends import build_chat_model
from comms.packs.campaign import Campaign
from comms.packs.generation import Progress, create_campaign, generate_pack
from comms.packs.store import PackStore
from core.catalog import load_catalog
from core.settings import Settings, load_settings
from knowledge import open_store
from knowledge.ingest import sync_corpus


def campaign(name: str, audiences: int) -> Campaign:
    return Campaign(
        id=name, name=name, topic="flu", facts=FACTS.filled(),
        audiences=[a.id for a in load_catalog().audiences][:audiences],
        channels=["sms", "letter", "social"], languages=["de", "en"],
    )  # fmt: skip


def run(
    settings: Settings, name: str, audiences: int, ask: bool
) -> tuple[float, list[float], Counter[str]]:
    """Wall time, seconds per cell, and the versions the pack's cells got."""
    packs, knowledge = PackStore(settings), open_store(settings)
    chat = build_chat_model(settings) if ask else None
    create_campaign(packs, campaign(name, audiences), settings=settings, user="bench")
    stamps: list[float] = []
    started = time.perf_counter()

    def stamp(progress: Progress) -> None:
        if progress.cell is not None:
            stamps.append(time.perf_counter())

    generate_pack(packs, name, settings=settings, chat=chat, knowledge=knowledge, user="bench",
                  ask_model=ask, on_progress=stamp)  # fmt: skip
    wall = time.perf_counter() - started
    cells = [b - a for a, b in zip([started, *stamps], stamps, strict=False)]
    versions = Counter(str(m.message.get("version")) for m in packs.messages(name))
    return wall, cells, versions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audiences", type=int, default=8, help="8 audiences: 48 cells")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clarion-packs-") as folder:
        settings = load_settings(data_dir=Path(folder))
        sync_corpus(open_store(settings))
        rows = []
        for name, ask in (("composed-only", False), ("model-asked", True)):
            wall, cells, versions = run(settings, name, args.audiences, ask)
            shown = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
            rows.append(f"| {name} | {sum(versions.values())} | {wall:.1f} s | "
                        f"{statistics.median(cells):.2f} s | {shown} |")  # fmt: skip
    print("| pack | cells | wall time | median per cell | version shown |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
