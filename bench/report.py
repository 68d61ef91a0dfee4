"""The benchmark table: rows comparing Clarion with the raw library, and the machine they ran on."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

START = "<!-- bench:start (written by `python -m bench`; edit outside these markers) -->"
END = "<!-- bench:end -->"
PACKAGES = (
    "llama-cpp-python",
    "chromadb",
    "sentence-transformers",
    "torch",
    "streamlit",
    "playwright",
)


@dataclass
class Row:
    """One measurement: Clarion's figure, the raw library's, their ratio and the target."""

    id: str
    what: str
    clarion: str
    raw: str
    ratio: float | None = None
    target: str = ""
    met: bool | None = None  # None: no target, or the row was skipped
    note: str = ""


def skipped(id: str, what: str, reason: str, target: str = "") -> Row:
    """A row that could not be measured here, with the reason in place of figures."""
    return Row(id, what, "skipped", "skipped", None, target, None, reason)


def verdict(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "–"}[met]


def format_table(rows: list[Row]) -> str:
    """The rows as one Markdown table."""
    lines = [
        "| # | measurement | Clarion | raw library | Clarion ÷ raw | target | met | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}×"
        cells = [row.id, row.what, row.clarion, row.raw, ratio, row.target or "–"]
        cells += [verdict(row.met), row.note]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or what platform knows)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else platform.processor() or "unknown"


def memory_gib() -> float:
    """Total RAM in GiB from /proc/meminfo."""
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) / 1024**2 if found else 0.0


def versions() -> str:
    """Python and the measured libraries' versions."""
    found = [f"Python {platform.python_version()}"]
    for package in PACKAGES:
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package} (not installed)")
    return ", ".join(found)


def chromium_version(path: Path = Path("/usr/bin/chromium")) -> str:
    if not path.exists():
        return "absent"
    try:
        done = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "present (version unknown)"
    return done.stdout.strip() or "present"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def machine(load_before: str, load_after: str) -> str:
    """The machine's details as Markdown lines."""
    from core.settings import available_cores, bundled_embedder_path, bundled_model_path

    model, embedder = bundled_model_path(), bundled_embedder_path()
    return "\n".join(
        [
            f"- run: {dt.datetime.now().isoformat(timespec='minutes')}",
            f"- CPU: {cpu_model()}, {os.cpu_count()} cores ({available_cores()} usable)",
            f"- RAM: {memory_gib():.1f} GiB",
            f"- load average (1/5/15 min): {load_before} before, {load_after} after",
            f"- versions: {versions()}",
            f"- Chromium: {chromium_version()}",
            f"- models: {_short(model)}, {_short(embedder)}",
        ]
    )


def _short(path: Path | None) -> str:
    return "/".join(path.parts[-3:]) if path else "(not found)"


def section(table: str, details: str) -> str:
    """The generated part of docs/benchmarks.md."""
    return f"{START}\n\n{table}\n\nMachine:\n\n{details}\n\n{END}"


def write_report(path: Path, table: str, details: str) -> None:
    """Put the table between the markers of path, keeping the prose around them."""
    generated = section(table, details)
    text = path.read_text() if path.exists() else ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + generated + after
    else:
        text = f"# Benchmarks\n\n{generated}\n" + (f"\n{text}" if text else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def publish(table: str, load_before: str, started: float, out: str) -> None:
    """Print the table with the machine's details and, unless out is "-", write it to out."""
    import sys
    import time

    details = machine(load_before, load_average())
    details += f"\n- wall time of this run: {time.monotonic() - started:.0f} s"
    print(f"{table}\n\n{details}")
    if out != "-":
        write_report(Path(out), table, details)
        print(f"\nwritten to {out}", file=sys.stderr)
