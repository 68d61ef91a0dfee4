"""Chat-model backends behind one seam: in-process llama.cpp or an OpenAI-compatible server."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from comms.model.licence import licence_from_metadata, licence_of_server_model
from comms.model.process import Worker, WorkerDied
from core.errors import BackendError, ConfigError, ModelCrashed, ServerUnavailable
from core.settings import LlmServer, Settings

Messages = list[dict[str, str]]
OnToken = Callable[[str], None]

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelInfo:
    """What produced a message: recorded with every message for provenance."""

    backend: str
    model_id: str
    sha256: str | None = None
    name: str = ""  # the model's own name (GGUF general.name), where known
    license: str = ""  # as read from the model (GGUF general.license), or "unknown"


@dataclass
class Completion:
    """A finished completion with the token counts the backend reported.

    `finish_reason` is why generation stopped, as the backend said it: "stop" (the model ended
    its answer), "length" (cut off at max_tokens), or "" where the backend did not say.
    """

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    finish_reason: str = ""

    @property
    def truncated(self) -> bool:
        """Whether the answer was cut off at the token limit."""
        return self.finish_reason == "length"


class ChatModel(Protocol):
    """Anything that turns chat messages into JSON text following a schema."""

    info: ModelInfo

    def complete(
        self,
        messages: Messages,
        schema: dict[str, Any],
        *,
        seed: int,
        max_tokens: int,
        temperature: float,
        on_token: OnToken | None = None,
    ) -> Completion: ...


def check_gguf(path: Path) -> None:
    """Raise a ConfigError unless path is a readable GGUF file."""
    if not path.exists():
        raise ConfigError(f"Model file not found: {path}. Set CLARION_MODEL_PATH to a .gguf file.")
    if not path.is_file():
        raise ConfigError(f"CLARION_MODEL_PATH={path} is a folder; point it at a .gguf file.")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise ConfigError(
            f"{path} is not a GGUF model (its first bytes are not 'GGUF'). "
            "Set CLARION_MODEL_PATH to a llama.cpp .gguf file (the first shard of a split model)."
        )


def file_sha256(path: Path, chunk: int = 1 << 22) -> str:
    """SHA-256 of a file, read in chunks so a 100 GB shard does not fill memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def concurrency(chat: object) -> int:
    """How many requests a chat model takes at once: its slots (a pool's, a server's), else 1."""
    slots = getattr(chat, "slots", 1)
    return slots if isinstance(slots, int) and slots > 1 else 1


class LlamaCppChat:
    """The in-process llama.cpp backend, run in a worker process that a model crash cannot
    take the app with (`comms.model.worker`). One request at a time, guarded by a lock; the
    worker keeps its `Llama` between calls, so the KV cache's prompt-prefix reuse still works."""

    slots = 1  # one `Llama`, behind a lock

    def __init__(self, settings: Settings) -> None:
        path = settings.resolved_model_path()
        check_gguf(path)
        self.path = path
        self.settings = settings
        self.lock = threading.Lock()
        self._sha_lock = threading.Lock()
        self.log_path = settings.data_dir / "logs" / "model.log"
        self.restarts = 0
        with self.lock:
            self._worker = Worker.start(self._config(), self.log_path)
            self.facts = self._worker.wait_ready()
        self.licence = licence_from_metadata(self.facts.get("metadata", {}), path.name)
        self.info = ModelInfo(
            "llamacpp", path.name, name=self.licence.name, license=self.licence.license
        )

    def _config(self) -> dict[str, Any]:
        s = self.settings
        return {
            "model_path": str(self.path),
            "n_ctx": s.llm_context,
            "n_threads": s.llm_threads,
            "n_threads_batch": s.llm_batch_threads,
            "seed": s.seed,
            "omp_wait_policy": s.llm_omp_wait_policy,
        }

    @property
    def worker_pid(self) -> int:
        """The process id of the worker that holds the model now."""
        return self._worker.pid

    def model_sha256(self) -> str:
        """GGUF sha256, computed on first request (hashing a large model takes a while)."""
        with self._sha_lock:
            if self.info.sha256 is None:
                self.info = replace(self.info, sha256=file_sha256(self.path))
            return self.info.sha256 or ""

    def complete(
        self,
        messages: Messages,
        schema: dict[str, Any],
        *,
        seed: int,
        max_tokens: int,
        temperature: float,
        on_token: OnToken | None = None,
    ) -> Completion:
        """Run one schema-constrained chat completion, streaming tokens to on_token."""
        request = {
            "op": "complete",
            "messages": messages,
            "schema": schema,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
        }
        done, parts = self._call(request, on_token)
        return Completion(
            "".join(parts),
            prompt_tokens=int(done.get("prompt_tokens", 0)),
            completion_tokens=int(done.get("completion_tokens", len(parts))),
            extra={"evaluated_tokens": int(done.get("evaluated_tokens", 0))},
            finish_reason=str(done.get("finish_reason") or ""),
        )

    def reset(self) -> None:
        """Forget the KV cache (the next prompt is evaluated from its first token)."""
        self._call({"op": "reset"}, None)

    def smoke(self, prompt: str = "Vaccines protect", max_tokens: int = 5) -> dict[str, Any]:
        """A short timed completion, for `doctor`: text, token counts and seconds."""
        done, _ = self._call({"op": "smoke", "prompt": prompt, "max_tokens": max_tokens}, None)
        return done

    def last_prompt(self) -> str:
        """The last prompt as llama.cpp received it, chat template applied, special tokens
        written out: what the model's own template made of the messages."""
        done, _ = self._call({"op": "last_prompt"}, None)
        return str(done.get("prompt", ""))

    def close(self) -> None:
        """Stop the worker process."""
        with self.lock:
            self._worker.stop()

    def _call(
        self, request: dict[str, Any], on_token: OnToken | None
    ) -> tuple[dict[str, Any], list[str]]:
        with self.lock:
            if not self._worker.alive():
                self._restart()
            if self._worker.facts is None:
                self.facts = self._worker.wait_ready()
            try:
                return self._worker.request(request, on_token)
            except WorkerDied as died:
                self._restart()
                raise ModelCrashed(died.describe()) from died

    def _restart(self) -> None:
        """Start a fresh worker at once; it loads the model while the user reads the error."""
        self._worker.stop()
        self.restarts += 1
        self._worker = Worker.start(self._config(), self.log_path)


def _collect(stream: Iterator[dict[str, Any]], on_token: OnToken | None) -> tuple[list[str], str]:
    """The streamed content pieces and the finish reason of the last choice that gave one."""
    parts: list[str] = []
    finish_reason = ""
    for chunk in stream:
        choice = chunk["choices"][0]
        finish_reason = str(choice.get("finish_reason") or finish_reason)
        delta = (choice.get("delta") or {}).get("content") or ""
        if delta:
            parts.append(delta)
            if on_token is not None:
                on_token(delta)
    return parts, finish_reason


class OpenAIChat:
    """An OpenAI-compatible HTTP server: llama-server with Maverick in production.

    `server` is one entry of CLARION_LLM_URL (default: the only one); `slots` is how many
    requests it takes at once (1 unless the entry says `#slots=N`, see `read_slots`).
    """

    def __init__(self, settings: Settings, server: LlmServer | None = None) -> None:
        import httpx

        if server is None and not settings.llm_servers:
            raise ConfigError(
                "CLARION_LLM_MODE=openai needs CLARION_LLM_URL (e.g. http://gpu:8080)."
            )
        self.server = server = server or settings.llm_servers[0]
        base = server.url.rstrip("/")
        self.base_url = base if base.endswith("/v1") else base + "/v1"
        headers = (
            {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        )
        self._client = httpx.Client(headers=headers, timeout=settings.llm_timeout)
        self._model = settings.llm_model
        self._set_slots(server.slots if isinstance(server.slots, int) else 1)
        self._name(settings.llm_model or self.base_url)

    def _set_slots(self, slots: int) -> None:
        """At most `slots` requests at once from this process: more wait here, not in the
        server's queue (a pack may have more workers than slots, see comms.packs.generation)."""
        self.slots = slots
        self._slots_free = threading.BoundedSemaphore(slots)

    def read_slots(self) -> int:
        """The server's parallel slots: llama-server lists them at GET /slots; 1 where the
        server does not say (llama_cpp.server, vLLM) or is unreachable now."""
        import httpx

        root = self.base_url.removesuffix("/v1")
        try:
            response = self._client.get(root + "/slots", timeout=5.0)
            found = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            found = None
        self._set_slots(len(found) if isinstance(found, list) and found else 1)
        return self.slots

    def answers(self, timeout: float = 3.0) -> bool:
        """Whether the server answers now (GET /v1/models within `timeout` seconds)."""
        import httpx

        try:
            return self._client.get(self.base_url + "/models", timeout=timeout).status_code < 500
        except httpx.HTTPError:
            return False

    def model_sha256(self) -> str | None:
        """A server does not expose its weights; the model name is the provenance."""
        return None

    def discover_model(self) -> str:
        """Ask the server which model it serves (GET /v1/models)."""
        data = self._get("/models")
        models = data.get("data") or []
        name = str(models[0].get("id", "")) if models else ""
        if name and not self._model:
            self._name(name)
        return name

    def _name(self, model_id: str) -> None:
        self.licence = licence_of_server_model(model_id)
        self.info = ModelInfo("openai", model_id, name=model_id, license=self.licence.license)

    def smoke(self, prompt: str = "Vaccines protect", max_tokens: int = 5) -> dict[str, Any]:
        """A short timed completion, for `doctor`: text, token counts and seconds."""
        import time

        import httpx

        body = {
            "model": self._model or self.info.model_id,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        started = time.perf_counter()
        try:
            response = self._client.post(self.base_url + "/chat/completions", json=body)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BackendError(
                f"LLM server at {self.base_url} failed the smoke test: {exc}"
            ) from exc
        usage = data.get("usage") or {}
        return {
            "text": data["choices"][0]["message"].get("content") or "",
            "prompt_tokens": usage.get("prompt_tokens", 0),
            "completion_tokens": usage.get("completion_tokens", 0),
            "seconds": round(time.perf_counter() - started, 4),
        }

    def _get(self, path: str) -> dict[str, Any]:
        import httpx

        try:
            response = self._client.get(self.base_url + path)
            response.raise_for_status()
            return dict(response.json())
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"LLM server at {self.base_url} is unreachable: {exc}") from exc

    def complete(
        self,
        messages: Messages,
        schema: dict[str, Any],
        *,
        seed: int,
        max_tokens: int,
        temperature: float,
        on_token: OnToken | None = None,
    ) -> Completion:
        """Stream one chat completion; the server constrains output to the schema."""
        import httpx

        body = {
            "model": self._model or self.info.model_id,
            "messages": messages,
            # llama-server and llama_cpp.server both accept a schema with json_object.
            "response_format": {"type": "json_object", "schema": schema},
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
            "stream": True,
        }
        try:
            with (
                self._slots_free,
                self._client.stream("POST", self.base_url + "/chat/completions", json=body) as resp,
            ):
                if resp.status_code >= 400:
                    resp.read()
                    # 5xx: the server failed, another may answer; 4xx: the request is wrong.
                    failed = ServerUnavailable if resp.status_code >= 500 else BackendError
                    raise failed(
                        f"LLM server at {self.base_url} answered {resp.status_code}: "
                        f"{resp.text[:200]}"
                    )
                parts, finish_reason = _collect(_sse_events(resp.iter_lines()), on_token)
        except httpx.TimeoutException as exc:
            raise ServerUnavailable(
                f"LLM server at {self.base_url} timed out after {self._client.timeout.read}s."
            ) from exc
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"LLM server at {self.base_url} is unreachable: {exc}") from exc
        return Completion("".join(parts), finish_reason=finish_reason)


def _sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        event = json.loads(payload)
        if event.get("choices"):
            yield event


def build_chat_model(settings: Settings) -> ChatModel:
    """Return the chat model the settings ask for."""
    match settings.llm_mode:
        case "llamacpp":
            return LlamaCppChat(settings)
        case "openai" if len(settings.llm_servers) > 1:
            from comms.model.pool import ModelPool

            members = [OpenAIChat(settings, server) for server in settings.llm_servers]
            return ModelPool.start(members, retry_after=settings.llm_retry_after)
        case "openai":
            chat = OpenAIChat(settings)
            chat.discover_model()
            if chat.server.slots == "auto":
                chat.read_slots()
            return chat
