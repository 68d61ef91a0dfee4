"""Chat-model backends behind one seam: in-process llama.cpp or an OpenAI-compatible server."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from comms.errors import BackendError, ConfigError
from comms.settings import Settings

Messages = list[dict[str, str]]
OnToken = Callable[[str], None]

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelInfo:
    """What produced a message: recorded with every message for provenance."""

    backend: str
    model_id: str
    sha256: str | None = None


@dataclass
class Completion:
    """A finished completion with the token counts the backend reported."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


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


class LlamaCppChat:
    """The in-process llama.cpp backend. One Llama, guarded by a lock (it is not thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        # OpenMP threads that spin while waiting take a shared core away from the one doing
        # the work; passive waiting keeps decode speed when another process is busy.
        os.environ.setdefault("OMP_WAIT_POLICY", settings.llm_omp_wait_policy)
        from llama_cpp import Llama  # heavy: imported only when this backend is chosen

        path = settings.resolved_model_path()
        check_gguf(path)
        try:
            self._llama = Llama(
                model_path=str(path),
                n_ctx=settings.llm_context,
                n_threads=settings.llm_threads,
                n_threads_batch=settings.llm_batch_threads,
                seed=settings.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ConfigError(f"llama.cpp could not load {path}: {exc}") from exc
        self.lock = threading.Lock()
        self.path = path
        self.info = ModelInfo("llamacpp", path.name, sha256=None)
        self._sha_lock = threading.Lock()

    def model_sha256(self) -> str:
        """GGUF sha256, computed on first request (hashing a large model takes a while)."""
        with self._sha_lock:
            if self.info.sha256 is None:
                self.info = ModelInfo("llamacpp", self.path.name, file_sha256(self.path))
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
        with self.lock:
            stream = self._llama.create_chat_completion(
                messages=messages,  # type: ignore[arg-type]
                response_format={"type": "json_object", "schema": schema},
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                stream=True,
            )
            parts = _collect(stream, on_token)  # type: ignore[arg-type]
        # llama-cpp-python streams one chunk per generated token.
        return Completion("".join(parts), completion_tokens=len(parts))


def _collect(stream: Iterator[dict[str, Any]], on_token: OnToken | None) -> list[str]:
    parts: list[str] = []
    for chunk in stream:
        delta = chunk["choices"][0].get("delta", {}).get("content") or ""
        if delta:
            parts.append(delta)
            if on_token is not None:
                on_token(delta)
    return parts


class OpenAIChat:
    """An OpenAI-compatible HTTP server: llama-server with Maverick in production."""

    def __init__(self, settings: Settings) -> None:
        import httpx

        if not settings.llm_url:
            raise ConfigError(
                "CLARION_LLM_MODE=openai needs CLARION_LLM_URL (e.g. http://gpu:8080)."
            )
        base = settings.llm_url.rstrip("/")
        self.base_url = base if base.endswith("/v1") else base + "/v1"
        headers = (
            {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        )
        self._client = httpx.Client(headers=headers, timeout=settings.llm_timeout)
        self._model = settings.llm_model
        self.info = ModelInfo("openai", settings.llm_model or self.base_url)

    def model_sha256(self) -> str | None:
        """A server does not expose its weights; the model name is the provenance."""
        return None

    def discover_model(self) -> str:
        """Ask the server which model it serves (GET /v1/models)."""
        data = self._get("/models")
        models = data.get("data") or []
        name = str(models[0].get("id", "")) if models else ""
        if name and not self._model:
            self.info = ModelInfo("openai", name)
        return name

    def _get(self, path: str) -> dict[str, Any]:
        import httpx

        try:
            response = self._client.get(self.base_url + path)
            response.raise_for_status()
            return dict(response.json())
        except httpx.HTTPError as exc:
            raise BackendError(f"LLM server at {self.base_url} is unreachable: {exc}") from exc

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
            with self._client.stream(
                "POST", self.base_url + "/chat/completions", json=body
            ) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise BackendError(
                        f"LLM server at {self.base_url} answered {resp.status_code}: "
                        f"{resp.text[:200]}"
                    )
                parts = _collect(_sse_events(resp.iter_lines()), on_token)
        except httpx.TimeoutException as exc:
            raise BackendError(
                f"LLM server at {self.base_url} timed out after {self._client.timeout.read}s."
            ) from exc
        except httpx.HTTPError as exc:
            raise BackendError(f"LLM server at {self.base_url} is unreachable: {exc}") from exc
        return Completion("".join(parts))


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
        case "openai":
            chat = OpenAIChat(settings)
            chat.discover_model()
            return chat
