"""A stand-in for a strong model: an OpenAI-compatible server on 127.0.0.1 that answers from a
script and logs every request it got, so the real HTTP client, the schema, the gate and the
views run without the model (docs/gate.md).

    with StandIn() as server:
        server.script('{"citations": [1], "text": "…"}')           # one answer, queued
        server.script({"citations": [1], "text": "…"}, finish_reason="length")
        server.script(lambda body: Answer("…"))                     # answers every request
        settings = load_settings(llm_mode="openai", llm_url=server.url)
        …
        server.requests[-1]["messages"]                             # the prompt Clarion sent

Queued answers are used first, in order; when the queue is empty, the callable answers (it gets
the request body and returns an Answer or the content as text). A request with neither is
answered 503 with a message saying so. `POST /v1/chat/completions` streams Server-Sent Events
when the body asks for `"stream": true` (one `data:` chunk per piece of content, a last chunk
with `finish_reason`, then `data: [DONE]`) and returns one JSON object otherwise;
`GET /v1/models` lists the one model.

For a pool of servers (docs/deployment.md): `StandIn(slots=4, delay=2.0)` answers each request
after `delay` seconds, lists `slots` slots at `GET /slots` as llama-server does, and counts the
requests it answered and the most it held at once; `kill()` stops it the way a crashed server
stops: new connections are refused and the requests in flight are cut off without an answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

PIECE = 12  # characters per streamed chunk: a token or a few, as a real server sends them


@dataclass(frozen=True)
class Answer:
    """One scripted answer: the assistant's content, why it stopped, and the HTTP status."""

    content: str
    finish_reason: str = "stop"
    status: int = 200


Responder = Callable[[dict[str, Any]], "Answer | str"]


def as_content(answer: str | dict[str, Any]) -> str:
    """The content a model would send: text as it is, a dict as JSON (the schema's answer)."""
    return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)


class StandIn:
    """The server: start it (or use it as a context manager), script answers, read requests."""

    def __init__(
        self,
        model_id: str = "stand-in-llama-4-maverick",
        port: int = 0,
        *,
        slots: int | None = None,
        delay: float = 0.0,
    ) -> None:
        self.model_id = model_id
        self.slots = slots  # None: no GET /slots (as llama_cpp.server)
        self.delay = delay
        self.answered = 0  # requests answered with a 200
        self.most_at_once = 0
        self.dead = False
        self._in_flight = 0
        self.requests: list[dict[str, Any]] = []
        self._queue: deque[Answer] = deque()
        self._responder: Responder | None = None
        self._lock = threading.Lock()
        self._closing = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base address to set as CLARION_LLM_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(
        self,
        answer: str | dict[str, Any] | Responder,
        finish_reason: str = "stop",
        status: int = 200,
    ) -> None:
        """Queue one answer (text or a dict sent as JSON), or set a callable for every request."""
        with self._lock:
            if callable(answer):
                self._responder = answer
            else:
                self._queue.append(Answer(as_content(answer), finish_reason, status))

    def pending(self) -> int:
        """Queued answers not yet sent."""
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        """Forget the queue, the callable and the logged requests."""
        with self._lock:
            self._queue.clear()
            self._responder = None
            self.requests.clear()

    def start(self) -> StandIn:
        """Serve in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="standin", daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and free the port."""
        with self._closing:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=5)
                self._thread = None
            self._server.server_close()

    def kill(self) -> None:
        """Die like a crashed server: refuse new connections, cut off the requests in flight."""
        self.dead = True
        threading.Thread(target=self.close, daemon=True).start()  # not from a handler's thread

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.most_at_once = max(self.most_at_once, self._in_flight)

    def _leave(self, answered: bool) -> None:
        with self._lock:
            self._in_flight -= 1
            self.answered += answered

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _answer(self, body: dict[str, Any]) -> Answer:
        with self._lock:
            self.requests.append(body)
            if self._queue:
                return self._queue.popleft()
            responder = self._responder
        if responder is None:
            return Answer("The stand-in server has no scripted answer left.", "error", 503)
        found = responder(body)
        return found if isinstance(found, Answer) else Answer(found)


def _handler(owner: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are logged in owner.requests, not on stderr

        def do_GET(self) -> None:  # http.server names the handlers
            if self.path.rstrip("/") == "/slots" and owner.slots:
                self._json(200, [{"id": n, "is_processing": False} for n in range(owner.slots)])
                return
            if self.path.rstrip("/") not in ("/v1/models", "/models"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            model = {"id": owner.model_id, "object": "model", "owned_by": "stand-in"}
            self._json(200, {"object": "list", "data": [model]})

        def do_POST(self) -> None:
            if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError as exc:
                self._json(400, {"error": {"message": f"body is not JSON: {exc}"}})
                return
            owner._enter()  # held from here until its answer is ready, as a server's slot
            try:
                answer = owner._answer(body)
                time.sleep(owner.delay)
            finally:
                owner._leave(not owner.dead)
            if owner.dead:  # cut off: the client sees the connection close, no answer
                self.close_connection = True
                return
            self._respond(body, answer)

        def _respond(self, body: dict[str, Any], answer: Answer) -> None:
            if answer.status >= 400:
                self._json(answer.status, {"error": {"message": answer.content}})
            elif body.get("stream"):
                self._stream(answer)
            else:
                self._json(200, _completion(owner.model_id, answer))

        def _json(self, status: int, data: dict[str, Any] | list[Any]) -> None:
            payload = json.dumps(data, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, answer: Answer) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()  # HTTP/1.0: the body ends when the connection closes
            for event in _chunks(owner.model_id, answer):
                self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")

    return Handler


def _chunks(model_id: str, answer: Answer) -> Iterator[dict[str, Any]]:
    """The streamed events: the role, the content piece by piece, then the finish reason."""
    head = {"id": "chatcmpl-standin", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model_id}  # fmt: skip

    def event(delta: dict[str, str], finish: str | None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield event({"role": "assistant", "content": ""}, None)
    for start in range(0, len(answer.content), PIECE):
        yield event({"content": answer.content[start : start + PIECE]}, None)
    yield event({}, answer.finish_reason)


def _completion(model_id: str, answer: Answer) -> dict[str, Any]:
    tokens = max(1, len(answer.content) // 4)
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": answer.content},
            "finish_reason": answer.finish_reason,
        }],
        "usage": {"prompt_tokens": 0, "completion_tokens": tokens, "total_tokens": tokens},
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Serve as a process of its own until killed, answering every request with one answer:
    `python -m bench.standin --port 8081 --slots 4 --delay 2 --answer '{"text": "…"}'`
    (the fault tests kill such a process with SIGKILL, as a crashed server dies)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--answer", required=True, help="the content of every answer (JSON)")
    args = parser.parse_args(argv)
    server = StandIn(port=args.port, slots=args.slots, delay=args.delay)
    server.script(lambda body: args.answer)
    server.start()
    print(f"serving {server.url}", flush=True)
    threading.Event().wait()  # until the process is killed


if __name__ == "__main__":
    main()
