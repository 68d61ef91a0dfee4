"""A real `chroma run` server on loopback, for tests of the settings several processes share
(CLARION_DATABASE_URL refuses the embedded store: such tests give every process this URL)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import free_port, wait_for_http


@contextmanager
def chroma_server(folder: Path) -> Iterator[str]:
    """Serve folder (an embedded store's `chroma` folder works too) and yield its URL."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    command = [
        str(chroma),
        "run",
        "--path",
        str(folder),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
