"""The sentence-transformers embedder, wrapped as a Chroma embedding function."""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import ConfigError

# One lock for every embedder of the process, not one each. torch.jit.trace keeps state at
# module level (torch.jit._trace._trace_module_map): two embedders tracing at once in two
# threads (a page's search and the app's warm-up) both failed to trace. One lock keeps traces
# and model runs from overlapping at all. A process has one embedder in practice, so this
# costs nothing there.
_MODEL_LOCK = threading.Lock()


class Embedder:
    """Embeds text with a local sentence-transformers folder; never touches a model hub."""

    def __init__(self, folder: Path, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder must never trigger a download
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # keeps the CLI's stderr to one line

        try:
            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"Could not load the embedding model from {folder}: {exc}") from exc
        self.folder = folder
        self.batch_size = batch_size
        self.model_id = folder.name
        # The short path for one text does what encode() does only for a model without a
        # default prompt or a truncated dimension (an office's own model may have either).
        model = self._model
        self._direct = not model.default_prompt_name and model.truncate_dim is None
        self._trace: _Traced | None = None  # traced on the first single text
        self._tried_trace = False

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Normalised embeddings, one per text."""
        if len(texts) == 1 and self._direct:
            return [self._embed_one(texts[0])]
        with _MODEL_LOCK:
            vectors = self._model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        return [vector.tolist() for vector in vectors]

    def _embed_one(self, text: str) -> list[float]:
        """One text through the model's own modules, the same vector encode() gives.

        A search embeds one query; encode()'s batching and conversions cost 2–5 ms of that
        call's 20 or so on a 2-core CPU, and the transformer's Python code (hooks, mask
        building, output wrappers) about 5 ms more, which the traced graph skips (see
        docs/benchmarks.md, P3).
        """
        import torch

        with _MODEL_LOCK, torch.inference_mode():
            features = self._model.preprocess([text])
            traced = self._traced(features)
            if traced is None:
                features = self._model(features)
            else:
                inputs = [features[name] for name in traced.inputs]
                features["token_embeddings"] = traced.graph(*inputs)
                for module in list(self._model)[1:]:  # pooling, normalisation: as encode() does
                    features = module(features)
            vector = torch.nn.functional.normalize(features["sentence_embedding"], dim=1)
        return [float(x) for x in vector[0].tolist()]

    def _traced(self, features: dict[str, Any]) -> _Traced | None:
        """The transformer traced once into a graph, if this model and input allow it."""
        if not self._tried_trace:
            self._trace, self._tried_trace = _trace(self._model, features), True
        if self._trace is None or _tensor_names(features) != self._trace.inputs:
            return None
        return self._trace


@dataclass(frozen=True)
class _Traced:
    """A traced transformer and the feature names it takes, in order."""

    graph: Any
    inputs: tuple[str, ...]


def _tensor_names(features: dict[str, Any]) -> tuple[str, ...]:
    import torch

    return tuple(sorted(k for k, v in features.items() if isinstance(v, torch.Tensor)))


def _trace(model: Any, features: dict[str, Any]) -> _Traced | None:
    """Trace a plain text transformer (the first module) with TorchScript; None if unsuited.

    TorchScript is deprecated in favour of torch.compile and torch.export, but on this CPU
    torch.export's graph runs no faster than the eager model and torch.compile needs a C
    compiler and minutes: the trace is what removes the Python overhead. torch is pinned;
    if a later torch cannot trace, the eager path runs and only speed is lost.
    """
    import torch
    from sentence_transformers.base.modules.transformer import Transformer
    from transformers.utils import logging as transformers_logging

    first = model[0]
    if not isinstance(first, Transformer) or first.module_output_name != "token_embeddings":
        return None
    if first.modality_config.get("text", {}).get("method") != "forward":
        return None
    names = _tensor_names(features)

    class Encoder(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            named = dict(zip(names, inputs, strict=True))
            return self.inner(**named, return_dict=True).last_hidden_state

    example = tuple(features[name] for name in names)
    level = transformers_logging.get_verbosity()
    # The tracer reads every attribute of the model, and transformers logs about some of them.
    transformers_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the deprecation notice and the tracer's own
            graph = torch.jit.trace(Encoder(first.auto_model).eval(), example, strict=False)
    except Exception:  # any failure to trace only costs speed
        return None
    finally:
        transformers_logging.set_verbosity(level)
    return _Traced(graph, names)


class ChromaEmbeddingFunction:
    """Adapter so Chroma uses our embedder, never its own downloading default."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder

    def __call__(self, input: list[str]) -> list[list[float]]:
        return self._embedder.embed(list(input))

    def embed_query(self, input: list[str]) -> list[list[float]]:
        return self._embedder.embed(list(input))

    @staticmethod
    def name() -> str:
        return "clarion-sentence-transformers"

    def is_legacy(self) -> bool:
        return False

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        raise ConfigError("Clarion passes its embedding function explicitly.")
