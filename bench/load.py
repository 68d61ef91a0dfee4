"""P13 load: simulated staff on two app replicas behind HAProxy and PostgreSQL, while a pack runs.

    python -m bench.load [--staff 20] [--rounds 3] [--no-think]
    python -m bench --only P13

The deployment of docs/deployment.md, on loopback: a PostgreSQL cluster from Debian's packages
(bench/postgres_rig.py), migrated once by `python -m comms migrate`; a Chroma server with the
shipped corpus; two model stand-ins (bench/standin.py, 2 s an answer, 4 slots each); two
Streamlit replicas (`CLARION_AUTH=local`, `CLARION_MIGRATE=off`, one cookie secret) behind
HAProxy with the shipped deploy/haproxy.cfg. Each simulated person is a Streamlit session over
the proxy's websocket (bench/streamlit_session.py): signs in, then per round loads the write
page, composes a message (the form's button, a question in the concern field), and loads the
Packs and Knowledge pages, reading for 3–10 s (uniform, seeded) before each action, as a load
test's simulated users do (locust's `between`); the first action starts within 10 s.
Meanwhile this process runs a 48-cell pack over the stand-ins with
the model asked, then approves every cell and exports the pack (the library, on the same
database). Times are from the request to the script run's end.

The raw column is the same person alone, before the load: one session, same actions.
Targets (issue: one Clarion for a whole Land): p95 of a composed message ≤ 1 s, of a page load
≤ 2 s; no HTTP 5xx at the proxy; every cell stored once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.chroma_server import chroma_server
from bench.pack_fanout import ANSWER, campaign
from bench.postgres_rig import start_cluster
from bench.report import Row, format_table, skipped
from bench.rig import Rig, percentile
from bench.standin import StandIn, as_content
from bench.startup import free_port
from bench.streamlit_session import Session, press, typed

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
PASSWORD = "load-test-Passw0rd"
CONCERNS = ["Ist die Impfung sicher?", "Was kostet das?", "Wo kann ich mich impfen lassen?",
            "Muss ich jedes Jahr?", "Hat die Impfung Nebenwirkungen?"]  # fmt: skip
PAGES = ("write", "packs", "knowledge")
THINK = (3.0, 10.0)  # seconds a person reads before the next action, uniform (locust's between)


@dataclass
class Timings:
    """What the simulated staff waited for, in seconds, by action."""

    compose: list[float] = field(default_factory=list)
    page: list[float] = field(default_factory=list)
    login: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Deployment:
    """The running deployment: the proxy's address, the env of its processes, its logs."""

    proxy: str
    env: dict[str, str]
    folder: Path
    proxy_log: Path
    standins: list[StandIn]


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def _spawn(
    stack: ExitStack, command: list[str], env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    out = stack.enter_context(log.open("w"))
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    stack.callback(proc.wait, 30)
    stack.callback(proc.terminate)
    return proc


@contextmanager
def deployment(folder: Path, staff: int) -> Iterator[Deployment]:
    """Start everything on loopback; stop it all at the end."""
    from comms.accounts.auth import add_user
    from core.settings import load_settings

    with ExitStack() as stack:
        cluster = start_cluster(free_port())
        stack.callback(cluster.stop)
        standins = [stack.enter_context(StandIn(slots=4, delay=2.0)) for _ in range(2)]
        for server in standins:
            server.script(lambda body: as_content(ANSWER))
        chroma = stack.enter_context(chroma_server(folder / "chroma", folder / "chroma.log"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLARION_")} | {
            "CLARION_DATA_DIR": str(folder / "data"),
            "CLARION_DATABASE_URL": cluster.url,
            "CLARION_MIGRATE": "off",
            "CLARION_CHROMA_URL": chroma,
            "CLARION_AUTH": "local",
            "CLARION_LLM_MODE": "openai",
            "CLARION_LLM_URL": ",".join(f"{s.url}#slots=4" for s in standins),
            "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32),
        }
        for module in (["comms", "migrate"], ["knowledge", "index"]):
            subprocess.run([sys.executable, "-m", *module], cwd=ROOT, env=env, check=True,
                           capture_output=True)  # fmt: skip
        settings = load_settings(data_dir=folder / "data", database_url=cluster.url)
        for n in range(staff):  # in the database the replicas share
            add_user(settings, f"staff{n + 1}", "reviewer", PASSWORD)
        replicas = [free_port() for _ in range(2)]
        for n, port in enumerate(replicas, 1):
            log = folder / f"replica-{n}.log"
            proc = _spawn(stack, [sys.executable, "-m", "streamlit", "run", "app.py",
                                  "--server.address", "127.0.0.1", "--server.port", str(port),
                                  "--server.headless", "true",
                                  "--browser.gatherUsageStats", "false"], env, log)  # fmt: skip
            _wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc, log)
        proxy_port = free_port()
        proxy_env = env | {
            "CLARION_BIND": f"127.0.0.1:{proxy_port}",
            "CLARION_REPLICA_1": f"127.0.0.1:{replicas[0]}",
            "CLARION_REPLICA_2": f"127.0.0.1:{replicas[1]}",
            "CLARION_HAPROXY_SOCKET": str(folder / "haproxy.sock"),
        }
        proxy_log = folder / "haproxy.log"
        proc = _spawn(stack, ["haproxy", "-db", "-f", str(HAPROXY_CFG)], proxy_env, proxy_log)
        _wait_http(f"http://127.0.0.1:{proxy_port}/_stcore/health", proc, proxy_log)
        yield Deployment(f"http://127.0.0.1:{proxy_port}", env, folder, proxy_log, standins)


async def person(base: str, name: str, rounds: int, timings: Timings, think: bool) -> None:
    """One member of staff: sign in, then write, compose, look at packs and knowledge, reading
    what came for a few seconds between actions (`think`; seeded by the name)."""
    session = Session(base)
    pause = random.Random(name)

    async def read() -> None:
        if think:
            await asyncio.sleep(pause.uniform(*THINK))

    try:
        await asyncio.sleep(pause.uniform(0, THINK[1]) if think else 0)  # not all at once
        await session.open()
        page = await session.run("")
        form = [typed(page.widget("text_input", label), value) for label, value in
                (("Benutzername", name), ("Passwort", PASSWORD))]  # fmt: skip
        signed = await session.run(None, [*form, press(page.widget("button", "Anmelden"))])
        timings.login.append(signed.seconds)
        for n in range(rounds):
            await read()
            write = await session.run("write")
            timings.page.append(write.seconds)
            await read()
            concern = typed(write.widget("text_area", "Anliegen"), CONCERNS[n % len(CONCERNS)])
            made = await session.run(None, [concern, press(write.widget("button", "Nachricht"))])
            if made.exception:
                timings.errors.append(f"{name}: {made.exception}")
            timings.compose.append(made.seconds)
            for other in PAGES[1:]:
                await read()
                shown = await session.run(other)
                if shown.exception:
                    timings.errors.append(f"{name} {other}: {shown.exception}")
                timings.page.append(shown.seconds)
    except Exception as exc:
        timings.errors.append(f"{name}: {type(exc).__name__}: {exc}")
    finally:
        await session.close()


def staff_at_once(base: str, count: int, rounds: int, think: bool = True) -> Timings:
    """`count` people at once, each `rounds` rounds."""
    timings = Timings()

    async def everyone() -> None:
        await asyncio.gather(*(person(base, f"staff{n + 1}", rounds, timings, think)
                               for n in range(count)))  # fmt: skip

    asyncio.run(everyone())
    return timings


def pack_meanwhile(deployed: Deployment, result: dict[str, float | int]) -> threading.Thread:
    """The 48-cell pack with the model asked, then every cell approved and the pack exported."""
    from comms.model.backends import build_chat_model
    from comms.packs.archive import export_pack
    from comms.packs.generation import create_campaign, generate_pack
    from comms.packs.review import approve
    from comms.packs.store import PackStore
    from core.settings import load_settings
    from knowledge import open_store

    env = deployed.env
    settings = load_settings(
        data_dir=Path(env["CLARION_DATA_DIR"]), database_url=env["CLARION_DATABASE_URL"],
        migrate="off", chroma_url=env["CLARION_CHROMA_URL"], llm_mode="openai",
        llm_url=env["CLARION_LLM_URL"],
    )  # fmt: skip

    def work() -> None:
        packs, store = PackStore(settings), open_store(settings)
        pack = campaign("load")
        create_campaign(packs, pack, settings=settings, user="staff1")
        started = time.perf_counter()
        run = generate_pack(packs, pack.id, settings=settings, chat=build_chat_model(settings),
                            knowledge=store, user="staff1", ask_model=True)  # fmt: skip
        result["pack_s"] = time.perf_counter() - started
        result["failed"] = len(run.failed)
        started = time.perf_counter()
        for message in packs.messages(pack.id):
            approve(packs, pack.id, message.cell, user="staff2", revision=message.revision)
        result["review_s"] = time.perf_counter() - started
        started = time.perf_counter()
        export_pack(packs, pack.id, deployed.folder / "load.zip", user="staff1", knowledge=store)
        result["export_s"] = time.perf_counter() - started
        result["stored"] = len(packs.messages(pack.id))

    thread = threading.Thread(target=work, name="pack", daemon=True)
    thread.start()
    return thread


def server_errors(log: Path) -> int:
    """HTTP 5xx answers in HAProxy's log (httplog: the status follows the timers)."""
    pattern = re.compile(r" -?\d+/-?\d+/-?\d+/-?\d+/\+?-?\d+ (5\d\d) ")
    return sum(1 for line in log.read_text(errors="replace").splitlines() if pattern.search(line))


def rows(staff: int = 20, rounds: int = 3, think: bool = True) -> list[Row]:
    """Alone first (the raw column), then `staff` at once while the pack runs."""
    if shutil.which("haproxy") is None:
        return [skipped("P13", "load", "haproxy is missing: `make haproxy` installs it")]
    with tempfile.TemporaryDirectory(prefix="clarion-load-") as tmp, \
            deployment(Path(tmp), staff) as deployed:  # fmt: skip
        staff_at_once(deployed.proxy, 2, 1, think=False)  # warm both replicas (round robin)
        alone = staff_at_once(deployed.proxy, 1, rounds, think=False)
        result: dict[str, float | int] = {}
        pack = pack_meanwhile(deployed, result)
        started = time.perf_counter()
        crowd = staff_at_once(deployed.proxy, staff, rounds, think)
        wall = time.perf_counter() - started
        pack.join(timeout=600)
        fives = server_errors(deployed.proxy_log)
    note = (f"{staff} people × {rounds} rounds in {wall:.0f} s; pack of 48 cells "
            f"{result.get('pack_s', 0):.0f} s, {result.get('stored', 0)} stored, "
            f"{result.get('failed', '?')} failed; approving 48 cells "
            f"{result.get('review_s', 0):.1f} s, export {result.get('export_s', 0):.1f} s; "
            f"{fives} HTTP 5xx at the proxy; {len(crowd.errors)} errors"
            + (f" (first: {crowd.errors[0][:120]})" if crowd.errors else ""))  # fmt: skip
    return [
        _row("composed message", crowd.compose, alone.compose, 1.0, fives, note),
        _row("page load", crowd.page, alone.page, 2.0, fives, note),
        _row("sign-in", crowd.login, alone.login, None, fives, ""),
    ]


def _row(what: str, crowd: list[float], alone: list[float], target: float | None,
         fives: int, note: str) -> Row:  # fmt: skip
    p95, raw = percentile(crowd, 0.95), percentile(alone, 0.95)
    return Row(
        "P13", f"load: p95 of a {what} under load (n = {len(crowd)}), s", f"{p95:.2f}",
        f"{raw:.2f}", p95 / raw if raw else None,
        f"≤ {target:g} s, 0 HTTP 5xx" if target else "",
        (p95 <= target and fives == 0) if target else None,
        f"median {percentile(crowd, 0.5):.2f} s, max {max(crowd, default=0):.2f} s; " + note,
    )  # fmt: skip


def run(rig: Rig) -> list[Row]:
    """For `python -m bench`: timed with the background indexing paused."""
    with rig.measuring():
        return rows()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-think", action="store_true", help="no reading between actions")
    args = parser.parse_args()
    print(format_table(rows(args.staff, args.rounds, not args.no_think)))


if __name__ == "__main__":
    main()
