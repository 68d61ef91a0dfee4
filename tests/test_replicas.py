"""Two app replicas behind HAProxy with the shipped deploy/haproxy.cfg, driven in Chromium.

The rig starts itself on 127.0.0.1: two `streamlit run app.py` processes with the same
server.cookieSecret and the same data folder (one SQLite database), and HAProxy in front of
them with the configuration docs/deployment.md ships. A signed-in reviewer's replica is then
killed (SIGKILL): the browser must reconnect to the other one, still signed in, on the same
pack, without one HTTP 5xx. `make haproxy` installs HAProxy (apt-get, as root) and `make
browser` Chromium; without them these tests are skipped, which fails the run in CI.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, free_port, wait_for_http
from tests.test_browser import CHROMIUM, PASSWORD, VIEWPORT, browser

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CONFIG = ROOT / "deploy" / "haproxy.cfg"
SERVERS = ("app1", "app2")  # the `server` names and cookie values of deploy/haproxy.cfg
CAMPAIGNS = {"grippe-herbst": "Grippe Herbst", "rsv-winter": "RSV Winter"}

__all__ = ["browser"]  # the Chromium fixture of tests/test_browser.py
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: `make browser` installs it (apt-get, as root)",
    ),
    pytest.mark.skipif(
        not Path(HAPROXY).exists(),
        reason="haproxy is missing: `make haproxy` installs it (apt-get, as root)",
    ),
]


@dataclass
class Rig:
    """The proxy's URL, its stats socket and log, and each replica's process by server name."""

    url: str
    socket: Path
    log: Path
    replicas: dict[str, subprocess.Popen[bytes]]


@contextmanager
def replica(data: Path, secret: str, name: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`streamlit run app.py` on a free port with local sign-in over the shared data folder."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")}
    environment |= {
        "CLARION_DATA_DIR": str(data),
        "CLARION_AUTH": "local",
        "STREAMLIT_SERVER_COOKIE_SECRET": secret,  # the same on every replica
    }
    log = (data.parent / f"{name}.log").open("wb")
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "streamlit", "run", "app.py"),
            *("--server.address", "127.0.0.1", "--server.port", str(port)),
            *("--server.headless", "true", "--browser.gatherUsageStats", "false"),
            *("--server.fileWatcherType", "none"),
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield port, server
    finally:
        stop(server)
        log.close()


@contextmanager
def haproxy(folder: Path, ports: list[int]) -> Iterator[tuple[str, Path, Path]]:
    """HAProxy in the foreground with deploy/haproxy.cfg; its URL, stats socket and log."""
    port = free_port()
    stats = folder / "haproxy.sock"
    log_path = folder / "haproxy.log"
    environment = os.environ | {
        "CLARION_BIND": f"127.0.0.1:{port}",
        "CLARION_HAPROXY_SOCKET": str(stats),
        **{f"CLARION_REPLICA_{n}": f"127.0.0.1:{p}" for n, p in enumerate(ports, start=1)},
    }
    log = log_path.open("wb")
    proxy = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(CONFIG)], env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield f"http://127.0.0.1:{port}", stats, log_path
    finally:
        stop(proxy)
        log.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def seed(data: Path) -> None:
    """A reviewer and two campaigns in the database both replicas share (as the replicas see
    it: the variables of this process's environment are not theirs)."""
    from comms.accounts.auth import add_user
    from comms.packs.generation import create_campaign
    from comms.packs.store import PackStore
    from core.settings import load_settings
    from tests.pack_helpers import small_campaign

    settings = load_settings(data_dir=data, database_url=None, users_file=None)
    add_user(settings, "rita", "reviewer", PASSWORD)
    for campaign_id, name in CAMPAIGNS.items():
        campaign = small_campaign(id=campaign_id, name=name)
        create_campaign(PackStore(settings), campaign, settings=settings, user="rita")


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    folder = tmp_path_factory.mktemp("replicas")
    data = folder / "data"
    data.mkdir()
    seed(data)
    secret = secrets.token_hex(32)
    with ExitStack() as stack:
        started = {name: stack.enter_context(replica(data, secret, name)) for name in SERVERS}
        for port, _ in started.values():
            wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=120)
        ports = [port for port, _ in started.values()]
        url, stats, log = stack.enter_context(haproxy(folder, ports))
        wait_for_http(f"{url}/_stcore/health", timeout=30)
        yield Rig(url, stats, log, {name: process for name, (_, process) in started.items()})


def server_status(stats: Path) -> dict[str, str]:
    """Each replica's status as HAProxy's health checks see it ("UP", "DOWN", ...)."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(stats))
        sock.sendall(b"show stat\n")
        raw = b"".join(iter(lambda: sock.recv(65536), b""))
    rows = csv.DictReader(raw.decode().removeprefix("# ").splitlines())
    return {row["svname"]: row["status"] for row in rows if row["svname"] in SERVERS}


def wait_status(stats: Path, wanted: dict[str, str], timeout: float = 20.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while (seen := server_status(stats)) != wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    return seen


def served_by(log: Path) -> list[tuple[str, int]]:
    """(server, HTTP status) of each request HAProxy logged, in order (option httplog)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    found = (
        re.search(r" streamlit/(\w+) [-\d]+/[-\d]+/[-\d]+/[-\d]+/\+?\d+ (\d{3}) ", ln)
        for ln in lines
    )
    return [(match[1], int(match[2])) for match in found if match]


def watch(websocket: Any, sockets: list[str], frames: list[int]) -> None:
    """Record a websocket the page opened, and each frame it receives on it."""
    index = len(sockets)
    sockets.append(websocket.url)
    websocket.on("framereceived", lambda _: frames.append(index))


def wait_for(condition: Callable[[], bool], page: Any, timeout: float = 45.0) -> bool:
    """Whether condition came true within timeout seconds (Playwright's events keep coming)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return condition()


def idle(page: Any) -> None:
    """Wait until the page's script run has ended (Streamlit's running indicator is gone)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")


def session_cookies(context: Any) -> list[dict[str, Any]]:
    return [c for c in context.cookies() if c["name"] == "clarion_session"]


def server_cookie(context: Any) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "SERVERID")


def test_health_checks_see_both_replicas_up(rig: Rig) -> None:
    assert wait_status(rig.socket, dict.fromkeys(SERVERS, "UP")) == dict.fromkeys(SERVERS, "UP")


def test_a_signed_in_reviewer_continues_on_the_other_replica_when_theirs_dies(
    rig: Rig, browser: Any
) -> None:
    context = browser.new_context(viewport=VIEWPORT, locale="de-DE")
    context.set_default_timeout(45_000)
    page = context.new_page()
    statuses: list[tuple[int, str]] = []
    page.on("response", lambda response: statuses.append((response.status, response.url)))
    sockets: list[str] = []  # each websocket's URL, in the order they opened
    frames: list[int] = []  # for each frame the page received, the index of its websocket
    page.on("websocket", lambda ws: watch(ws, sockets, frames))
    sidebar = page.locator('[data-testid="stSidebar"]')
    campaign = page.get_by_role("combobox", name="Kampagne")

    before = len(served_by(rig.log))  # the rig's own health probe came first
    page.goto(rig.url)
    page.get_by_role("textbox", name="Benutzername").fill("rita")
    page.get_by_role("textbox", name="Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("heading", name="Nachricht schreiben", exact=True).wait_for()
    expect(sidebar).to_contain_text("rita")
    idle(page)  # a click during the run that follows sign-in can be lost
    sidebar.get_by_role("link", name="Nachrichtenpakete").click()
    page.get_by_role("heading", name="Nachrichtenpakete", exact=True).wait_for()
    campaign.click()
    page.get_by_role("option", name="RSV Winter (rsv-winter)").click()
    expect(campaign).to_have_value("RSV Winter (rsv-winter)")

    (cookie,) = session_cookies(context)
    assert cookie["sameSite"] == "Strict" and PASSWORD not in cookie["value"]

    # Sticky: a reload is a new Streamlit session, on the same replica, still signed in.
    first = server_cookie(context)
    page.reload()
    expect(sidebar).to_contain_text("rita")
    page.get_by_role("heading", name="Nachrichtenpakete", exact=True).wait_for()
    assert server_cookie(context) == first
    assert {server for server, _ in served_by(rig.log)[before:]} == {first}, "one replica"
    campaign.click()
    page.get_by_role("option", name="RSV Winter (rsv-winter)").click()
    expect(campaign).to_have_value("RSV Winter (rsv-winter)")

    killed_at = time.monotonic()
    opened = len(sockets)
    rig.replicas[first].send_signal(signal.SIGKILL)
    other = next(name for name in SERVERS if name != first)
    # The page notices the closed websocket and opens a new one through HAProxy, which sends it
    # to the living replica. Streamlit's page asks for no run after a reconnect while it was
    # idle: the reviewer's next click runs the page there, with the browser's widget values.
    assert wait_for(lambda: len(sockets) > opened, page), "the page reconnected"
    print(f"reconnected {time.monotonic() - killed_at:.1f} s after {first} was killed")
    assert sockets[-1].startswith(rig.url.replace("http", "ws")), "through the proxy"
    assert server_cookie(context) == other, "HAProxy moved the browser to the living replica"
    ask = page.get_by_role("checkbox", name=re.compile("Auch das Modell"))
    page.get_by_text("Auch das Modell um seine Fassung bitten").click()  # on the new websocket
    assert wait_for(lambda: bool(frames) and frames[-1] >= opened, page), "the replica answered"
    idle(page)
    expect(page.get_by_role("textbox", name="Passwort")).to_have_count(0)
    expect(sidebar).to_contain_text("Angemeldet: rita (reviewer)")
    page.get_by_role("heading", name="Nachrichtenpakete", exact=True).wait_for()
    expect(campaign).to_have_value("RSV Winter (rsv-winter)")  # the pack they were on
    expect(ask).to_be_checked()
    expect(page.get_by_text("0 von 8 Nachrichten")).to_be_visible()  # read from the database
    print(f"signed in on {other} {time.monotonic() - killed_at:.1f} s after the kill")

    # A new tab is a new session on the living replica: the cookie signs it in as well.
    tab = context.new_page()
    tab.on("response", lambda response: statuses.append((response.status, response.url)))
    tab.goto(rig.url)
    tab.get_by_role("heading", name="Nachricht schreiben", exact=True).wait_for()
    expect(tab.locator('[data-testid="stSidebar"]')).to_contain_text("Angemeldet: rita")

    # Signing out deletes the cookie: the next new session asks for the password again.
    idle(tab)
    tab.locator('[data-testid="stSidebar"]').get_by_role("button", name="Abmelden").click()
    tab.get_by_role("heading", name="Anmelden", exact=True).wait_for()
    assert wait_for(lambda: not session_cookies(context), tab), "the cookie is gone"
    tab.reload()
    tab.get_by_role("textbox", name="Passwort").wait_for()

    # A copy of the cookie taken before signing out (another browser) no longer signs in.
    stolen = browser.new_context(viewport=VIEWPORT, locale="de-DE")
    stolen.set_default_timeout(45_000)
    stolen.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    thief = stolen.new_page()
    thief.goto(rig.url)
    thief.get_by_role("textbox", name="Passwort").wait_for()
    expect(thief.locator('[data-testid="stSidebar"]')).not_to_contain_text("rita")
    stolen.close()

    assert wait_status(rig.socket, {first: "DOWN", other: "UP"}) == {first: "DOWN", other: "UP"}
    assert [s for s in statuses if s[0] >= 500] == []
    assert [s for s in served_by(rig.log) if s[1] >= 500] == []
    assert any(server == other for server, _ in served_by(rig.log))
    context.close()
