"""Threads: the default model's prefill and decode speed by thread count and OpenMP wait policy,
on a quiet machine and while another process keeps one core busy.

Each setting runs in a fresh Python (OMP_WAIT_POLICY is read once, when llama.cpp's OpenMP
runtime starts) that loads the GGUF with llama-cpp-python and times `eval` directly: a prompt of
PROMPT tokens from an empty cache (prefill) and DECODE single-token steps (decode), warm-up
excluded, medians of the repeats. The ratio compares each setting with Clarion's default
(settings.llm_threads, settings.llm_batch_threads, settings.llm_omp_wait_policy) under the
same condition.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import Row
from bench.rig import Rig

ROOT = Path(__file__).resolve().parent.parent
PROMPT = 160
DECODE = 32
BUSY = "while True:\n    pass\n"

PROBE = """
import json, os, statistics, sys, time
from llama_cpp import Llama
threads, batch, prompt_len, decode_len, runs = (int(x) for x in sys.argv[1:6])
llama = Llama(model_path=sys.argv[6], n_ctx=1024, n_threads=threads, n_threads_batch=batch,
              verbose=False)
text = "Flu vaccination protects older adults and people with chronic illness. " * 40
tokens = llama.tokenize(text.encode())[:prompt_len]
prefill, decode = [], []
for run in range(runs + 1):
    llama.reset()
    started = time.perf_counter(); llama.eval(tokens); prefilled = time.perf_counter()
    for token in tokens[:decode_len]:
        llama.eval([token])
    done = time.perf_counter()
    if run:  # the first run warms up
        prefill.append(len(tokens) / (prefilled - started))
        decode.append(decode_len / (done - prefilled))
import llama_cpp
info = llama_cpp.llama_print_system_info().decode()
print(json.dumps({"prefill": statistics.median(prefill), "decode": statistics.median(decode),
                  "features": [f.split(" = ")[0] for f in info.split(" | ") if f.endswith("= 1")]}))
"""


Setting = tuple[int, int, str]  # decode threads, prompt (batch) threads, OMP_WAIT_POLICY
SETTINGS: list[Setting] = [
    (1, 1, "PASSIVE"),
    (2, 2, "PASSIVE"),
    (2, 2, "ACTIVE"),
    (1, 2, "PASSIVE"),
    (1, 2, "ACTIVE"),
]  # one decode thread never waits for another, so 1/1 ACTIVE would repeat 1/1 PASSIVE


def probe(rig: Rig, setting: Setting, python: str = sys.executable) -> dict[str, Any]:
    """Prefill and decode tokens/s of one setting, in a fresh process of python."""
    threads, batch, policy = setting
    env = dict(os.environ, OMP_WAIT_POLICY=policy)
    model = str(rig.settings.resolved_model_path())
    args = [str(n) for n in (threads, batch, PROMPT, DECODE, rig.runs(2))] + [model]
    done = subprocess.run(
        [python, "-c", PROBE, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def label(setting: Setting) -> str:
    threads, batch, policy = setting
    return f"{threads} decode / {batch} prompt thread(s), {policy}"


Speeds = dict[Setting, dict[str, float]]


def default_setting(rig: Rig) -> Setting:
    return (rig.settings.llm_threads, rig.settings.llm_batch_threads,
            rig.settings.llm_omp_wait_policy)  # fmt: skip


def settings_of(rig: Rig) -> list[Setting]:
    default = default_setting(rig)
    return SETTINGS + [default] * (default not in SETTINGS)


def quiet(rig: Rig) -> Speeds:
    """Every setting on a quiet machine."""
    with rig.measuring():
        return {setting: probe(rig, setting) for setting in settings_of(rig)}


def busy(rig: Rig, load: Callable[[], bool] | None = None) -> Speeds:
    """Every setting while another process keeps one core busy.

    load, if given, tells whether such a process is already running (bench's synthetic-store
    builder); whenever it is not, a Python busy loop takes its place. A real process's load
    varies more than a busy loop's, so the settings run twice, in opposite orders, and each
    keeps the mean of its two probes.
    """
    settings = settings_of(rig)
    probes: dict[Setting, list[dict[str, float]]] = {setting: [] for setting in settings}
    spinner: subprocess.Popen[bytes] | None = None
    try:
        for setting in [*settings, *reversed(settings)] if load else settings:
            if spinner is None and not (load and load()):
                spinner = subprocess.Popen([sys.executable, "-c", BUSY])
            probes[setting].append(probe(rig, setting))
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    return {
        setting: {key: statistics.mean(p[key] for p in found) for key in ("prefill", "decode")}
        for setting, found in probes.items()
    }


def rows(rig: Rig, quiet: Speeds, busy: Speeds) -> list[Row]:
    """One row per setting and condition, each against the default under the same one."""
    default = default_setting(rig)
    out = []
    for condition, found in (("quiet", quiet), ("one core busy", busy)):
        base = found[default]
        for setting in settings_of(rig):
            speed = found[setting]
            mark = " **(default)**" if setting == default else ""
            out.append(
                Row(
                    "T",
                    f"{label(setting)}{mark}, {condition}: prefill / decode tok/s",
                    f"{base['prefill']:.0f} / {base['decode']:.0f}",
                    f"{speed['prefill']:.0f} / {speed['decode']:.0f}",
                    base["decode"] / speed["decode"],
                    "",
                    None,
                    "Clarion: its default setting, same condition; ratio on decode",
                )
            )
    return out


def run(rig: Rig) -> list[Row]:
    """Every setting quiet and with one core busy (and the builds, if a native one is given)."""
    found = rows(rig, quiet(rig), busy(rig))
    return found + (builds(rig, rig.native_python) if rig.native_python else [])


def builds(rig: Rig, native_python: str) -> list[Row]:
    """The portable build of `make setup` against a native (-march=native) build of the same
    llama-cpp-python version, both at Clarion's default setting on a quiet machine.

    native_python is a Python whose llama-cpp-python was built with CMAKE_ARGS=-DGGML_NATIVE=ON
    (docs/benchmarks.md says how). The two alternate, twice each; each keeps the mean.
    """
    setting = default_setting(rig)
    found: dict[str, list[dict[str, Any]]] = {"portable": [], "native": []}
    with rig.measuring():
        for _ in range(2):
            found["portable"].append(probe(rig, setting, sys.executable))
            found["native"].append(probe(rig, setting, native_python))
    speed = {
        name: {key: statistics.mean(p[key] for p in probes) for key in ("prefill", "decode")}
        for name, probes in found.items()
    }
    ours, theirs = speed["portable"], speed["native"]
    native_only = sorted(
        set(found["native"][0]["features"]) - set(found["portable"][0]["features"])
    )
    return [
        Row(
            "T",
            f"build: portable vs native, {label(setting)}, quiet: prefill / decode tok/s",
            f"{ours['prefill']:.0f} / {ours['decode']:.0f}",
            f"{theirs['prefill']:.0f} / {theirs['decode']:.0f}",
            ours["decode"] / theirs["decode"],
            "",
            None,
            f"raw: the same llama-cpp-python built with -march=native; prefill ratio "
            f"{ours['prefill'] / theirs['prefill']:.2f}×; the native build also uses "
            f"{', '.join(native_only) or 'nothing more'}",
        )
    ]
