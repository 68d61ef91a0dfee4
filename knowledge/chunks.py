"""Structure-aware chunking: headings stay with their text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

CHUNK_CHARS = 900
CHUNK_OVERLAP = 120
HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]


@dataclass
class Chunk:
    """One retrievable passage with the metadata Chroma stores beside it."""

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def content_hash(text: str) -> str:
    """Stable hash used for de-duplication and change detection."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_markdown(text: str, source_id: str, metadata: dict[str, Any]) -> list[Chunk]:
    """Split Markdown by headings, then by size; each chunk starts with its section heading."""
    # Imported here: LangChain takes a quarter of a second to import, and the app's first
    # page (which imports the store for the Chunk type) must not wait for it.
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    sections = MarkdownHeaderTextSplitter(HEADERS, strip_headers=True).split_text(text)
    sizer = RecursiveCharacterTextSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP)
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in sections:
        heading = " / ".join(section.metadata[key] for _, key in HEADERS if key in section.metadata)
        for piece in sizer.split_text(section.page_content):
            body = f"{heading}\n{piece}" if heading else piece
            digest = content_hash(body)
            if digest in seen:  # repeated boilerplate (footers, disclaimers) is stored once
                continue
            seen.add(digest)
            meta = {**metadata, "section": heading, "hash": digest}
            chunks.append(Chunk(f"{source_id}#{len(chunks)}", body, meta))
    return chunks
