"""P5: app start to first paint in a real browser, against a bare Streamlit app.
P7: the click on "Nachricht erstellen" to the composed message on screen, against composing the
same message in-process.

The clock starts when `streamlit run` is spawned on a free loopback port and stops when the
page's first heading is visible in Chromium (launched beforehand, so its own start is not
counted). Clarion's models load lazily (on the first message), so first paint needs neither.
The raw side is a one-line app (`st.title`) served the same way: the floor Streamlit sets.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx

from bench.report import Row, skipped
from bench.rig import Rig, median

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 3.0
TARGET_MESSAGE_S = 1.0  # the first usable message after the click
THINKING_S = 15.0  # a person reads the page and picks a topic before the first click
BARE_APP = 'import streamlit as st\n\nst.title("Clarion")\n'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 120.0) -> None:
    """Poll Streamlit's health endpoint every 50 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/_stcore/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f} s")


def click_to_message(browser: Any, data: Path, clicks: int) -> list[float]:
    """Seconds from each click on "Nachricht erstellen" to the composed message on screen, on
    a freshly started app whose user takes THINKING_S before the first click."""
    with serving(ROOT / "app.py", data) as url:
        page = browser.new_page()
        page.goto(url)
        page.locator("h1").first.wait_for(state="visible", timeout=120_000)
        page.wait_for_timeout(THINKING_S * 1000)
        label = page.get_by_text("Aus der Botschaftskarte zusammengesetzt").first
        times = []
        for _ in range(clicks):
            started = time.perf_counter()
            page.get_by_role("button", name="Nachricht erstellen").click()
            page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
            label.wait_for(state="visible", timeout=120_000)
            times.append(time.perf_counter() - started)
        page.close()
        return times


def composing_in_process(rig: Rig) -> float:
    """Seconds to compose and check the same message with the library, warm."""
    from comms.drafting.draft import Request
    from comms.drafting.write import compose_message

    request = Request("measles", "parents-infants", "sms", "de")
    compose_message(request, settings=rig.settings, store=rig.store)
    started = time.perf_counter()
    compose_message(request, settings=rig.settings, store=rig.store)
    return time.perf_counter() - started


def first_paint(browser: Any, script: Path, data: Path) -> tuple[float, float]:
    """Seconds from spawning the server to its health answer, and to a visible heading."""
    started = time.perf_counter()
    with serving(script, data) as url:
        up = time.perf_counter() - started
        page = browser.new_page()
        page.goto(url)
        page.locator("h1").first.wait_for(state="visible", timeout=120_000)
        painted = time.perf_counter() - started
        page.close()
        return up, painted


@contextmanager
def serving(script: Path, data: Path) -> Iterator[str]:
    """`streamlit run script` on a free loopback port with CLARION_DATA_DIR=data; its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    env |= {"CLARION_DATA_DIR": str(data)}
    command = [
        *(sys.executable, "-m", "streamlit", "run", str(script)),
        *("--server.address", "127.0.0.1", "--server.port", str(port)),
        *("--server.headless", "true", "--browser.gatherUsageStats", "false"),
        *("--server.fileWatcherType", "none"),
    ]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_up(url)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def measure_click(rig: Rig, browser: Any) -> Row:
    raw = composing_in_process(rig)
    data = rig.settings.data_dir  # the store rig.store indexed, with the shipped corpus
    with rig.measuring():
        times = click_to_message(browser, data, clicks=1 + rig.runs(3))
    first, later = times[0], median(times[1:]) if len(times) > 1 else times[0]
    return Row(
        "P7", "click to the composed message on screen in Chromium, s", f"{first:.2f}",
        f"{raw:.3f}", first / raw, f"≤ {TARGET_MESSAGE_S:.0f} s", first <= TARGET_MESSAGE_S,
        f"first click {THINKING_S:.0f} s after the page opened (the store, embedder, maps and "
        f"word lists load in the background at start); later clicks {later:.2f} s (median); "
        "raw: compose_message in-process, warm",
    )  # fmt: skip


def measure(rig: Rig, browser: Any) -> Row:
    bare = rig.folder / "bare_app.py"
    bare.write_text(BARE_APP)
    data = rig.folder / "startup-data"
    results: dict[str, list[tuple[float, float]]] = {"clarion": [], "bare": []}
    scripts: list[tuple[str, Callable[[], tuple[float, float]]]] = [
        ("clarion", lambda: first_paint(browser, ROOT / "app.py", data)),
        ("bare", lambda: first_paint(browser, bare, data)),
    ]
    for run in range(1 + rig.runs(3)):  # the first round warms the OS file cache
        with rig.measuring() if run else nullcontext():
            for name, action in scripts if run % 2 == 0 else reversed(scripts):
                result = action()
                if run:
                    results[name].append(result)
    ours = median([p for _, p in results["clarion"]])
    theirs = median([p for _, p in results["bare"]])
    up = median([u for u, _ in results["clarion"]])
    return Row(
        "P5", "app start to first paint in Chromium, s", f"{ours:.2f}", f"{theirs:.2f}",
        ours / theirs, f"≤ {TARGET_S:.0f} s", ours <= TARGET_S,
        f"raw: a bare `st.title` app; server healthy after {up:.2f} s; medians of "
        f"{len(results['clarion'])} cold starts; models load on the first message",
    )  # fmt: skip


def run(rig: Rig) -> list[Row]:
    what = "app start to first paint in Chromium, s"
    if not CHROMIUM.exists():
        return [skipped("P5", what, f"{CHROMIUM} is absent", f"≤ {TARGET_S:.0f} s")]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            return [measure(rig, browser), measure_click(rig, browser)]
        finally:
            browser.close()
