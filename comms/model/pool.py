"""A pool of OpenAI-compatible model servers behind the one chat-model seam.

CLARION_LLM_URL lists the servers with their slots (core.settings.parse_llm_urls). Each request
goes to the least busy server that is up (busy slots ÷ slots, then the fewest served); a server
that stops answering (refused, timed out, 5xx) rests for `retry_after` seconds, doubled on each
further failure up to five minutes, and the request goes to another server. After its rest a
server is asked whether it answers (GET /v1/models, 3 s) before it gets a request again. When
no server is up the request fails with a BackendError naming each server and its error: the
composed message stands, as with one server that is down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import BackendError, ServerUnavailable
from core.settings import LlmServer

MAX_REST = 300.0  # seconds: the longest a failed server waits before it is asked again


class Member(Protocol):
    """One server of the pool: an OpenAIChat (comms.model.backends)."""

    base_url: str
    server: LlmServer
    slots: int
    info: Any

    def complete(
        self,
        messages: Any,
        schema: Any,
        *,
        seed: int,
        max_tokens: int,
        temperature: float,
        on_token: Any = None,
    ) -> Any: ...

    def discover_model(self) -> str: ...

    def read_slots(self) -> int: ...

    def answers(self, timeout: float = 3.0) -> bool: ...


@dataclass
class Server:
    """A member and what the pool knows about it now."""

    chat: Member
    busy: int = 0
    served: int = 0
    failures: int = 0  # in a row; 0: up
    rest_until: float = 0.0
    error: str = ""

    @property
    def url(self) -> str:
        return self.chat.base_url

    def state(self, now: float) -> str:
        """The server as the System page and `doctor` show it."""
        if not self.failures:
            return f"{self.url}: up, {self.busy} of {self.chat.slots} slots busy"
        wait = max(0.0, self.rest_until - now)
        return f"{self.url}: down ({self.error}), asked again in {wait:.0f} s"


class ModelPool:
    """Several OpenAI-compatible servers as one chat model with their slots added up."""

    def __init__(
        self,
        members: Sequence[Member],
        *,
        retry_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.servers = [Server(chat) for chat in members]
        self.retry_after = retry_after
        self._clock = clock
        self._free = threading.Condition()
        self.info = members[0].info

    @classmethod
    def start(cls, members: Sequence[Member], *, retry_after: float = 5.0) -> ModelPool:
        """A pool whose servers were asked for their model and slots; one that does not answer
        now starts resting. A BackendError when none answers."""
        pool = cls(members, retry_after=retry_after)
        for server in pool.servers:
            try:
                server.chat.discover_model()
            except BackendError as exc:
                pool._down(server, exc)
                continue
            if server.chat.server.slots == "auto":
                server.chat.read_slots()
        up = [s for s in pool.servers if not s.failures]
        if not up:
            raise BackendError(pool._nobody())
        pool.info = up[0].chat.info
        return pool

    @property
    def slots(self) -> int:
        """Requests the pool takes at once: every server's slots, up or resting."""
        return sum(server.chat.slots for server in self.servers)

    def model_sha256(self) -> str | None:
        """A server does not expose its weights; the model name is the provenance."""
        return None

    def states(self) -> list[str]:
        """One line per server: up and how busy, or down, why and until when."""
        now = self._clock()
        with self._free:
            return [server.state(now) for server in self.servers]

    def served(self) -> dict[str, int]:
        """Requests each server answered, by URL."""
        with self._free:
            return {server.url: server.served for server in self.servers}

    def complete(
        self,
        messages: Any,
        schema: Any,
        *,
        seed: int,
        max_tokens: int,
        temperature: float,
        on_token: Any = None,
    ) -> Any:
        """One completion on the least busy server that is up; another if that one fails."""
        options = {"seed": seed, "max_tokens": max_tokens, "temperature": temperature,
                   "on_token": on_token}  # fmt: skip
        tried: set[str] = set()
        while True:
            server = self._take(tried)
            try:
                if server.failures and not server.chat.answers():
                    raise ServerUnavailable(f"LLM server at {server.url} does not answer yet.")
                result = server.chat.complete(messages, schema, **options)
            except ServerUnavailable as exc:
                tried.add(server.url)
                self._down(server, exc)
                continue
            finally:
                self._give_back(server)
            self._up(server)
            return result

    def smoke(self, prompt: str = "Vaccines protect", max_tokens: int = 5) -> dict[str, Any]:
        """`doctor`'s short timed completion, on the first server that is up."""
        server = self._take(set())
        try:
            return dict(server.chat.smoke(prompt, max_tokens))  # type: ignore[attr-defined]
        finally:
            self._give_back(server)

    def _take(self, tried: set[str]) -> Server:
        """A slot on the least busy server that is up and not tried yet; waits while every such
        server is full; a BackendError when none is left."""
        with self._free:
            while True:
                now = self._clock()
                ready = [s for s in self.servers if s.url not in tried and s.rest_until <= now]
                if not ready:
                    raise BackendError(self._nobody())
                free = [s for s in ready if s.busy < s.chat.slots]
                if free:
                    best = min(free, key=lambda s: (s.busy / s.chat.slots, s.served))
                    best.busy += 1
                    return best
                self._free.wait(timeout=0.5)  # a slot is given back, or a rest ends

    def _give_back(self, server: Server) -> None:
        with self._free:
            server.busy -= 1
            self._free.notify()

    def _up(self, server: Server) -> None:
        with self._free:
            server.served += 1
            server.failures, server.error = 0, ""

    def _down(self, server: Server, exc: BaseException) -> None:
        with self._free:
            server.failures += 1
            rest = min(MAX_REST, self.retry_after * 2 ** (server.failures - 1))
            server.rest_until = self._clock() + rest
            server.error = str(exc)
            self._free.notify_all()

    def _nobody(self) -> str:
        now = self._clock()
        lines = "; ".join(server.state(now) for server in self.servers)
        return f"No LLM server of the pool answers now: {lines}."
