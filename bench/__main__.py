"""Run every benchmark, print one Markdown table and write it to docs/benchmarks.md.

    python -m bench [--only P1,P3] [--quick] [--out docs/benchmarks.md | --out -]
                    [--native-python PATH]

Each row compares Clarion with the raw library doing the same work in the same run; see
docs/benchmarks.md for the method of each row. `make bench` runs this.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (
    evidence,
    ingestion,
    load,
    memory,
    message,
    pack,
    pack_fanout,
    pretest_stats,
    retrieval,
    startup,
    threads,
    vectors,
)
from bench.report import Row, format_table, load_average, publish, skipped
from bench.rig import Rig

BENCHMARKS: dict[str, tuple[str, Callable[[Rig], list[Row]]]] = {
    "P1": ("one message end to end", message.run),
    "P2": ("24-message pack", pack.run),
    "P3": ("retrieval latency", retrieval.run),
    "P4": ("ingestion throughput", ingestion.run),
    "P5": ("app start to first paint", startup.run),
    "P6": ("peak memory", memory.run),
    "P8": ("impact check on re-ingest", evidence.run),
    "P10": ("pretest statistics: simulated checks and analyse's time", pretest_stats.run),
    "P11": ("pack fan-out over a pool of model servers", pack_fanout.run),
    "P12": ("vectors several processes share: Chroma server and pgvector", vectors.run),
    "P13": ("load: staff on two replicas behind HAProxy and PostgreSQL", load.run),
    "T": ("threads and OpenMP wait policy", threads.run),
}
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def run_one(key: str, rig: Rig, action: Callable[[Rig], list[Row]] | None = None) -> list[Row]:
    """One benchmark's rows; a failure becomes a row saying so, and the others still run."""
    title, default = BENCHMARKS[key]
    run = action or default

    def failed(exc: Exception) -> list[Row]:
        return [skipped(key, title, f"failed: {type(exc).__name__}: {exc}")]

    rows: list[Row] = staged(key, title, lambda: run(rig), failed)
    return rows


def run_all(keys: list[str], rig: Rig) -> list[Row]:
    """Every chosen benchmark's rows, in the order of keys.

    With P3 (full size) and T both chosen, Chroma indexing the 100k synthetic chunks (five
    minutes of one core) runs in a child process from the start. It is stopped whenever a
    row is timed (Rig.measuring) and runs during the untimed parts: loading models, indexing
    the corpus, warm-ups, growing the small stores. Then it runs beside the work that a busy
    core does not distort: P6 (peak memory, not time) and T's "one core busy" half, where the
    child is the busy process. The 100k latencies are taken after it has exited.
    """
    if rig.quick or not {"P3", "T"} <= set(keys):
        return [row for key in keys for row in run_one(key, rig)]
    builder = retrieval.Builder(rig)
    rig.background = builder
    try:
        done = {key: run_one(key, rig) for key in keys if key not in ("P3", "P6", "T")}
        quiet = staged("T", "quiet half", lambda: threads.quiet(rig))
        done["P3"] = run_one("P3", rig, lambda r: retrieval.run(r, retrieval.SIZES[:-1]))
        if "P6" in keys:
            done["P6"] = run_one("P6", rig)
        busy = staged("T", "busy half", lambda: threads.busy(rig, builder.running))
        done["P3"] += run_one("P3", rig, lambda r: [builder.finish(r)])
    finally:
        rig.background = None
        builder.resume()
        builder.stop()
    failed = [skipped("T", BENCHMARKS["T"][0], "failed: see the log")]
    done["T"] = threads.rows(rig, quiet, busy) if quiet and busy else failed
    if rig.native_python:
        done["T"] += run_one("T", rig, lambda r: threads.builds(r, r.native_python or ""))
    return [row for key in keys for row in done[key]]


def staged(
    key: str,
    part: str,
    action: Callable[[], Any],
    failed: Callable[[Exception], Any] = lambda exc: None,
) -> Any:
    """A benchmark or a part of one, timed and logged; on failure, failed(exception)."""
    started = time.monotonic()
    print(f"==> {key} {part} …", file=sys.stderr, flush=True)
    try:
        return action()
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        traceback.print_exc()
        return failed(exc)
    finally:
        print(f"    {key} {part}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated keys: " + ",".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 100k store")
    parser.add_argument("--out", default=str(DOC), help="Markdown file to update, or - for none")
    parser.add_argument(
        "--native-python",
        help="a Python whose llama-cpp-python is a native build: rows T compare the builds",
    )
    args = parser.parse_args(argv)
    keys = [k.strip().upper() for k in args.only.split(",") if k.strip()] or list(BENCHMARKS)
    unknown = [k for k in keys if k not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {list(BENCHMARKS)}")
    load_before, started = load_average(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="clarion-bench-") as folder:
        rig = Rig(Path(folder), quick=args.quick)
        rig.native_python = args.native_python
        rows = run_all(keys, rig)
    table = format_table(rows)
    publish(table, load_before, started, args.out)


if __name__ == "__main__":
    main()
