"""Structure-aware chunking: headings stay with their text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

CHUNK_CHARS = 900
CHUNK_OVERLAP = 120
HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]
# The version of the chunking rules. It is part of every document's hash, so a store made under
# older rules re-chunks each document the next time it is ingested (`make index` for the
# shipped corpus) instead of calling it unchanged. 2: a short section tail joins the piece before.
CHUNKING = 2


@dataclass
class Chunk:
    """One retrievable passage with the metadata Chroma stores beside it."""

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def content_hash(text: str) -> str:
    """Stable hash used for de-duplication and change detection."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_hash(text: str) -> str:
    """Hash of a whole document under the current chunking rules (change detection, twins)."""
    return content_hash(f"chunking {CHUNKING}\n{text}")


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
        for piece in _fold_tail(section.page_content, sizer.split_text(section.page_content)):
            body = f"{heading}\n{piece}" if heading else piece
            digest = content_hash(body)
            if digest in seen:  # repeated boilerplate (footers, disclaimers) is stored once
                continue
            seen.add(digest)
            meta = {**metadata, "section": heading, "hash": digest}
            chunks.append(Chunk(f"{source_id}#{len(chunks)}", body, meta))
    return chunks


def _fold_tail(text: str, pieces: list[str]) -> list[str]:
    """Merge a section's last piece into the one before when it adds under an overlap of its own.

    The splitter repeats up to CHUNK_OVERLAP characters at the start of each piece. A last piece
    that adds little beyond that repetition becomes a short chunk of mostly repeated words: it
    competes with its neighbour in every ranking and crowds other passages out of the top five.
    The merged piece is cut from the section's text, so nothing is repeated inside it.
    """
    if len(pieces) < 2:
        return pieces
    starts: list[int] = []
    cursor = 0
    for piece in pieces:
        start = text.find(piece, cursor)
        if start < 0:  # the splitter changed the text (it strips whitespace): leave it be
            return pieces
        starts.append(start)
        cursor = start + 1
    prev_end = starts[-2] + len(pieces[-2])
    last_end = starts[-1] + len(pieces[-1])
    if last_end - prev_end >= CHUNK_OVERLAP:
        return pieces
    return [*pieces[:-2], text[starts[-2] : last_end]]
