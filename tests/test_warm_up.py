"""The app's warm-up: what start-up loads is frozen, and pages that use scipy or altair wait
until the warm-up has imported torch (they look torch up in sys.modules and fail on a module
that another thread is still importing; the cause of pages that never showed in CI)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

# torch's import, held for a while just after its empty module went into sys.modules (where
# importlib puts it before running the module): the moment another thread would find it there.
RACE = """
import importlib.abc, importlib.util, sys, threading, time

class Slow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "torch" or self in probing:
            return None
        probing.append(self)  # transformers probes with find_spec before it imports
        try:
            spec = importlib.util.find_spec("torch")
        finally:
            probing.remove(self)
        run = spec.loader.exec_module
        def exec_module(module):
            entered.set()
            time.sleep(1.5)
            run(module)
        spec.loader.exec_module = exec_module
        return spec

entered = threading.Event()
probing = []
sys.meta_path.insert(0, Slow())
from ui import resources
threading.Thread(target=resources._import_torch, daemon=True).start()
assert entered.wait(60), "the warm-up did not start importing torch"
{wait}
from scipy import stats
print(round(stats.ttest_rel([1, 2, 3, 4], [2, 3, 5, 4]).pvalue, 3))
"""


def race(wait: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter: the warm-up imports torch while this thread uses scipy."""
    code = textwrap.dedent(RACE).replace("{wait}", wait)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_scipy_is_used_only_after_the_warm_up_has_imported_torch() -> None:
    done = race("assert resources.wait_for_torch(120)")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0.092"


def test_without_the_wait_scipy_finds_torch_half_imported() -> None:
    """The hazard itself, so the test above is known to test something: with this scipy, a
    thread that does not wait fails as the Packs page did."""
    done = race("")
    assert done.returncode != 0
    assert "partially initialized module 'torch'" in done.stderr, done.stderr[-2000:]


def test_what_start_up_loaded_is_frozen_out_of_the_collector() -> None:
    code = """
import gc
from ui import resources
objects = len(gc.get_objects())
resources.freeze_loaded_objects()
print(objects, gc.get_freeze_count(), len(gc.get_objects()))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    before, frozen, after = map(int, done.stdout.split())
    assert frozen >= before * 0.9 and after < before * 0.05, (before, frozen, after)
