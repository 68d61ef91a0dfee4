"""The parent's side of the model worker: start it, talk to it, notice when it dies."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from comms.model.worker import Pipe
from core.errors import BackendError, ConfigError
from core.settings import PROJECT_ROOT

LOG_LIMIT = 2 << 20  # the model log is cut back to nothing when it passes 2 MB
DRAIN_SECONDS = 30.0  # a cancelled completion must end within this, or the worker is stopped


class WorkerDied(Exception):
    """The worker process ended while the parent waited for it."""

    def __init__(self, returncode: int | None, log_path: Path | None) -> None:
        super().__init__(returncode)
        self.returncode = returncode
        self.log_path = log_path

    @property
    def cause(self) -> str:
        """The signal or exit status in words: SIGSEGV, SIGKILL (often out of memory), …"""
        code = self.returncode
        if code is None:
            return "no exit status"
        if code < 0:
            name = signal.Signals(-code).name
            return f"{name}, often out of memory" if name == "SIGKILL" else name
        return f"exit status {code}"

    def describe(self) -> str:
        details = f" Details: {self.log_path}" if self.log_path else ""
        return (
            f"The language model stopped unexpectedly ({self.cause}); it has been restarted, "
            f"please try again.{details}"
        )


class Worker:
    """One `python -m comms.model.worker` process holding one loaded model."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path | None) -> None:
        self.process = process
        self.log_path = log_path
        assert process.stdout is not None and process.stdin is not None
        writer = io.TextIOWrapper(process.stdin, encoding="utf-8", write_through=True)
        self.pipe = Pipe(process.stdout.fileno(), writer)
        self.facts: dict[str, Any] | None = None
        # A worker whose owner is gone is ended, not left holding the model's memory.
        weakref.finalize(self, _end, process)

    @classmethod
    def start(cls, config: dict[str, Any], log_path: Path) -> Worker:
        """Start the worker and send it the configuration; it loads the model in the meantime.

        llama.cpp's output goes to log_path; where the data directory cannot be written, to
        nowhere (the model still runs; the pages that need the directory say why).
        """
        env = dict(os.environ)
        # OpenMP threads that spin while waiting take a shared core away from the one doing
        # the work; passive waiting keeps decode speed when another process is busy.
        env.setdefault("OMP_WAIT_POLICY", config["omp_wait_policy"])
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        log = _open_log(log_path)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "comms.model.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log or subprocess.DEVNULL,
                env=env,
            )
        finally:
            if log is not None:
                log.close()
        worker = cls(process, log_path if log is not None else None)
        worker.pipe.send(**config)
        return worker

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self) -> dict[str, Any]:
        """Wait until the model is loaded; a load failure is a ConfigError naming the file."""
        message = self.pipe.receive()
        if message is None:
            died = WorkerDied(self.process.wait(), self.log_path)
            details = f" Details: {self.log_path}." if self.log_path else ""
            raise BackendError(
                f"The language model stopped while loading ({died.cause}).{details} "
                "`python -m comms doctor` checks the model and the build."
            )
        if "error" in message:
            self.stop()
            raise ConfigError(str(message["error"]))
        self.facts = dict(message["ready"])
        return self.facts

    def request(
        self, request: dict[str, Any], on_token: Callable[[str], None] | None
    ) -> tuple[dict[str, Any], list[str]]:
        """Send one request and collect its answer; WorkerDied if the process ends meanwhile."""
        try:
            self.pipe.send(**request)
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(self.process.wait(), self.log_path) from exc
        parts: list[str] = []
        while True:
            message = self.pipe.receive()
            if message is None:
                raise WorkerDied(self.process.wait(), self.log_path)
            if "token" in message:
                parts.append(message["token"])
                if on_token is not None:
                    self._forward(on_token, message["token"])
            elif "done" in message:
                return dict(message["done"]), parts
            else:
                raise BackendError(f"The language model could not answer: {message.get('error')}")

    def _forward(self, on_token: Callable[[str], None], token: str) -> None:
        """Pass a token on; if the caller stops listening, stop the generation too."""
        try:
            on_token(token)
        except BaseException:
            self._cancel()
            raise

    def _cancel(self) -> None:
        """Ask the worker to stop generating and read what it still sends, up to its end."""
        try:
            self.pipe.send(op="cancel")
            while (message := self.pipe.receive(timeout=DRAIN_SECONDS)) is not None:
                if "done" in message or "error" in message:
                    return
        except OSError:
            pass
        self.stop()  # no orderly end: the next request starts a fresh worker

    def stop(self) -> None:
        """End the worker (it also ends by itself when this process goes)."""
        if self.alive():
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _open_log(path: Path) -> IO[bytes] | None:
    """The model log, opened for appending (emptied past LOG_LIMIT); None if it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_LIMIT:
            path.write_bytes(b"")
        return path.open("ab")
    except OSError:
        return None


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
