"""Heavy objects, built once per server process and shared by every session."""

from __future__ import annotations

import gc
import logging
import threading
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx

from comms.model.backends import ChatModel, build_chat_model
from comms.model.licence import ModelLicence, licence_of_server_model, read_licence
from core.errors import ClarionError
from core.settings import Settings, load_settings
from knowledge import open_store

if TYPE_CHECKING:  # the store module pulls in numpy: not needed before the first search
    from knowledge.retrieval.store import Store


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The settings, read from the environment once."""
    return load_settings()


@st.cache_resource(show_spinner="Loading the knowledge store …")
def store() -> Store:
    """The Chroma store with its embedder, loaded on first use."""
    return open_store(settings())


@st.cache_resource(show_spinner=False)
def model_licence() -> ModelLicence:
    """The configured model's name and licence, from its GGUF header (no weights loaded)."""
    current = settings()
    if current.llm_mode == "openai":
        return licence_of_server_model(current.llm_model)
    try:
        return read_licence(current.resolved_model_path())
    except (ClarionError, ValueError, OSError):  # no model yet: the write page says why
        return ModelLicence()


@st.cache_resource(show_spinner="Loading the language model …")
def chat_model() -> ChatModel:
    """The chat model; the llama.cpp backend locks itself around each call."""
    return build_chat_model(settings())


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Load the store, the embedder, the maps and the checks' word lists in the background
    when the server starts, so that the first composed message does not wait for them."""
    thread = threading.Thread(target=_warm, name="clarion-warm-up", daemon=True)
    add_script_run_ctx(thread)
    thread.start()
    return thread


_IMPORTED = threading.Event()  # set once the warm-up has imported torch (or failed to)


def _warm() -> None:
    from comms.drafting.write import prepare

    try:
        _import_torch()
        prepare(settings(), store())
    except (ClarionError, OSError, ValueError) as exc:  # the page says so when it is used
        logging.getLogger(__name__).warning("Warm-up stopped: %s", exc)
    finally:
        freeze_loaded_objects()


def _import_torch() -> None:
    try:
        import sentence_transformers  # noqa: F401  (torch and transformers with it)
    except ImportError as exc:  # the store says so when it is used
        logging.getLogger(__name__).warning("Warm-up could not import torch: %s", exc)
    finally:
        _IMPORTED.set()


def wait_for_torch(timeout: float = 180.0) -> bool:
    """Wait until the warm-up has imported torch; False if it is still at it after `timeout`.

    scipy (the pretest's statistics) and altair (its charts, through narwhals) look torch up in
    `sys.modules` without importing it. While the warm-up thread is half-way through importing
    torch they find a partially initialised module and fail with "partially initialized module
    'torch' has no attribute 'Tensor'", so a page that uses them first waits for this.
    """
    return _IMPORTED.wait(timeout)


def freeze_loaded_objects() -> None:
    """Move what the process has loaded so far out of the garbage collector's sight.

    torch, the embedder, Chroma and the word lists are some 590,000 objects that live as long
    as the process. A full collection walked them all in 0.35-0.45 s, holding the GIL, and the
    collector runs one whenever enough new objects have survived, so every session on the
    replica waited for it (docs/benchmarks.md, P13). Frozen, they are skipped; reference
    counting still frees what is dropped, and what is built after this is collected as usual.
    """
    gc.collect()
    gc.freeze()
