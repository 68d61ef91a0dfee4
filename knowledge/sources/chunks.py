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
    sizer = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in sections:
        heading = " / ".join(section.metadata[key] for _, key in HEADERS if key in section.metadata)
        pieces = sizer.create_documents([section.page_content])
        for piece in _fold_tail(
            section.page_content, [(p.page_content, p.metadata["start_index"]) for p in pieces]
        ):
            body = f"{heading}\n{piece}" if heading else piece
            digest = content_hash(body)
            if digest in seen:  # repeated boilerplate (footers, disclaimers) is stored once
                continue
            seen.add(digest)
            meta = {**metadata, "section": heading, "hash": digest}
            chunks.append(Chunk(f"{source_id}#{len(chunks)}", body, meta))
    return chunks


def _fold_tail(text: str, pieces: list[tuple[str, int]]) -> list[str]:
    """A section's pieces (text, start): the last joins the one before if it adds under an overlap.

    The splitter repeats up to CHUNK_OVERLAP characters at the start of each piece. A last piece
    that adds little beyond that repetition becomes a short chunk of mostly repeated words: it
    competes with its neighbour in every ranking and crowds other passages out of the top five.
    The merged piece is cut from the section's text, so nothing is repeated inside it.
    """
    texts = [piece for piece, _ in pieces]
    if len(pieces) < 2 or any(start < 0 for _, start in pieces):  # -1: the splitter lost it
        return texts
    (prev, prev_start), (last, last_start) = pieces[-2:]
    if last_start + len(last) - (prev_start + len(prev)) >= CHUNK_OVERLAP:
        return texts
    return [*texts[:-2], text[prev_start : last_start + len(last)]]
