"""P11 pack fan-out: a 48-cell pack with the model asked, over a pool of model servers.

    python -m bench.pack_fanout [--delay 2] [--real | --real-only] [--real-cells 12]
    python -m bench --only P11          (the stand-in rows, in the table of docs/benchmarks.md)

Stand-ins (bench/standin.py) answer every request after a fixed `delay` (2 s) and hold 4
requests at once each. The pack (topic flu, 8 audiences × SMS, letter, social post × de, en)
runs twice in the same process and store: over the pool of two stand-ins (8 slots, cells as
jobs, one worker per slot) and over one stand-in as one URL (one request at a time, as before
pools existed). Target: ≤ 1.3 × (48 / 8) × delay. Every cell must be stored once.

With --real, the same pack (or its first --real-cells audiences' cells) runs against two
`python -m llama_cpp.server` processes with the bundled SmolLM2 GGUF, and the table says how
the requests split between them (target: each ≥ 35 %).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.report import Row, format_table
from bench.rig import FACTS, Rig
from bench.standin import StandIn, as_content
from bench.startup import free_port
from comms.model.backends import build_chat_model
from comms.packs.campaign import Campaign
from comms.packs.generation import create_campaign, generate_pack
from comms.packs.store import PackStore
from core.catalog import load_catalog
from core.settings import Settings, bundled_model_path
from knowledge.retrieval.store import Store

SLOTS = 4  # per stand-in; two stand-ins
ANSWER = {"text": "Die Grippeimpfung schützt Sie und andere. Termin: {booking}", "citations": [1]}


def campaign(name: str, audiences: int = 8) -> Campaign:
    """8 audiences × 3 channels × 2 languages = 48 cells."""
    return Campaign(
        id=name, name=name, topic="flu", facts=FACTS.filled(),
        audiences=[a.id for a in load_catalog().audiences][:audiences],
        channels=["sms", "letter", "social"], languages=["de", "en"],
    )  # fmt: skip


def timed_pack(settings: Settings, store: Store, pack: Campaign) -> tuple[float, int, int]:
    """Wall time of the pack with the model asked; cells stored, and `generate` events."""
    packs, chat = PackStore(settings), build_chat_model(settings)
    create_campaign(packs, pack, settings=settings, user="bench")
    started = time.perf_counter()
    run = generate_pack(packs, pack.id, settings=settings, chat=chat, knowledge=store,
                        user="bench", ask_model=True)  # fmt: skip
    wall = time.perf_counter() - started
    assert run.complete, f"{pack.id}: {len(run.failed)} cells failed"
    events = [e for e in packs.events(pack.id) if e.action == "generate"]
    return wall, len(packs.messages(pack.id)), len(events)


def standin_rows(rig: Rig, delay: float = 2.0) -> list[Row]:
    """The pack over two stand-ins (8 slots) and over one, one request at a time."""
    store = rig.store
    with StandIn(slots=SLOTS, delay=delay) as a, StandIn(slots=SLOTS, delay=delay) as b:
        for server in (a, b):
            server.script(lambda body: as_content(ANSWER))
        pool = rig.settings.model_copy(
            update={"llm_mode": "openai", "llm_url": f"{a.url}#slots={SLOTS},{b.url}#slots={SLOTS}"}
        )
        timed_pack(pool, store, campaign("warm-up", audiences=1))  # imports, first checks
        a.answered = b.answered = a.most_at_once = b.most_at_once = 0
        with rig.measuring():
            wall, stored, events = timed_pack(pool, store, campaign("fan-out"))
        split = (f"{a.answered} / {b.answered} requests, "
                 f"at most {a.most_at_once} / {b.most_at_once} at once")  # fmt: skip
        one = pool.model_copy(update={"llm_url": a.url})  # one URL: one request at a time
        with rig.measuring():
            serial, stored_one, _ = timed_pack(one, store, campaign("one-at-a-time"))
    cells = 48
    target = 1.3 * cells / (2 * SLOTS) * delay
    return [
        Row(
            "P11",
            f"pack fan-out, {cells} cells, {delay:g} s an answer, 2 stand-ins × {SLOTS} slots, s",
            f"{wall:.1f}",
            f"{serial:.1f}",
            wall / serial,
            f"≤ {target:.1f} s (1.3 × {cells}/{2 * SLOTS} × {delay:g} s)",
            wall <= target,
            f"raw: one URL, one request at a time ({cells} × {delay:g} s = {cells * delay:.0f} s "
            f"of answers); {split}; {stored} cells stored, {events} written, {stored_one} one at "
            f"a time; {serial / wall:.1f}× faster",
        )
    ]


@contextmanager
def llama_servers(count: int, folder: Path) -> Iterator[list[str]]:
    """`count` llama_cpp.server processes with the bundled GGUF on loopback, one thread each."""
    with ExitStack() as stack:
        urls = []
        for n in range(count):
            port = free_port()
            log = stack.enter_context((folder / f"llama-{n}.log").open("w"))
            proc = subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_model_path()),
                 "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
                 "--n_threads", "1", "--model_alias", "smollm2"],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            stack.callback(proc.wait, 30)
            stack.callback(proc.terminate)
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            _wait_for(url)
        yield urls


def _wait_for(url: str, timeout: float = 120.0) -> None:
    """Poll the server's model list until it answers."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/v1/models", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not start within {timeout:.0f} s")


def real_rows(rig: Rig, audiences: int) -> list[Row]:
    """The pack against two real llama_cpp.server processes: wall time and the split."""
    store = rig.store
    with llama_servers(2, rig.folder) as urls:
        settings = rig.settings.model_copy(
            update={"llm_mode": "openai", "llm_url": ",".join(urls), "llm_max_tokens": 48}
        )
        chat = build_chat_model(settings)
        pack = campaign("real", audiences)
        packs = PackStore(settings)
        create_campaign(packs, pack, settings=settings, user="bench")
        started = time.perf_counter()
        run = generate_pack(packs, pack.id, settings=settings, chat=chat, knowledge=store,
                            user="bench", ask_model=True)  # fmt: skip
        wall = time.perf_counter() - started
        served: Counter[str] = Counter(getattr(chat, "served", dict)())
    total = sum(served.values()) or 1
    shares = [served[url + "/v1"] / total for url in urls]
    return [
        Row(
            "P11",
            f"pack fan-out on 2 llama_cpp.server (SmolLM2), {pack.size} cells: requests each",
            " / ".join(f"{share:.0%}" for share in shares),
            "–",
            None,
            "each ≥ 35 %",
            min(shares) >= 0.35,
            f"{wall:.0f} s for {len(run.generated)} cells ({len(run.failed)} failed), "
            f"{total} requests, ≤ 48 tokens each; both servers on the same 2 cores",
        )
    ]


def run(rig: Rig) -> list[Row]:
    """The stand-in rows, for `python -m bench`."""
    return standin_rows(rig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0, help="seconds per answer")
    parser.add_argument("--real", action="store_true", help="also two llama_cpp.server")
    parser.add_argument("--real-cells", type=int, default=48, help="cells of the real pack")
    parser.add_argument("--real-only", action="store_true", help="no stand-in rows")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clarion-fanout-") as folder:
        rig = Rig(Path(folder))
        rows = [] if args.real_only else standin_rows(rig, args.delay)
        if args.real or args.real_only:
            rows += real_rows(rig, max(1, args.real_cells // 6))
    print(format_table(rows))


if __name__ == "__main__":
    main()
