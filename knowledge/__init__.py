"""Clarion's knowledge: the evidence store, ingestion and retrieval. Import-light."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.settings import Settings
    from knowledge.retrieval.store import Store


def open_store(settings: Settings) -> Store:
    """The Chroma store with the configured embedder."""
    from knowledge.retrieval.embedder import Embedder
    from knowledge.retrieval.store import Store

    return Store(settings, Embedder(settings.resolved_embedder_path()))
