"""The sentence-transformers embedder, wrapped as a Chroma embedding function."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from comms.errors import ConfigError


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
        self._lock = threading.Lock()
        # The short path for one text does what encode() does only for a model without a
        # default prompt or a truncated dimension (an office's own model may have either).
        model = self._model
        self._direct = not model.default_prompt_name and model.truncate_dim is None

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Normalised embeddings, one per text."""
        if len(texts) == 1 and self._direct:
            return [self._embed_one(texts[0])]
        with self._lock:
            vectors = self._model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        return [vector.tolist() for vector in vectors]

    def _embed_one(self, text: str) -> list[float]:
        """One text through the model's own modules, the same vector encode() gives.

        A search embeds one query; encode()'s batching and conversions cost 2–5 ms of that
        call's 20 or so on a 2-core CPU (see docs/benchmarks.md, P3).
        """
        import torch

        with self._lock, torch.inference_mode():
            features = self._model.preprocess([text])
            vector = self._model(features)["sentence_embedding"]
            vector = torch.nn.functional.normalize(vector, dim=1)
        return [float(x) for x in vector[0].tolist()]


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
