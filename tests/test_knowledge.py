"""The store and ingestion over a real Chroma directory (fake embedder: fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from knowledge.ingest import ingest_paths, sync_corpus
from knowledge.retrieval.search import Filters, search
from knowledge.retrieval.store import Store
from knowledge.sources.chunks import CHUNK_CHARS, CHUNK_OVERLAP, split_markdown
from knowledge.sources.corpus import read_corpus
from tests.conftest import FakeEmbedder


def test_corpus_documents_are_valid_and_cited() -> None:
    docs = read_corpus()
    assert len(docs) >= 10
    assert {d.meta.language for d in docs} == {"de", "en"}
    for doc in docs:
        assert doc.meta.source_url.startswith("https://"), doc.meta.id
        assert len(doc.body.split()) >= 80, doc.meta.id
        assert "## " in doc.body, doc.meta.id


def test_sync_corpus_is_idempotent(fake_store: Store) -> None:
    before = fake_store.count()
    results = sync_corpus(fake_store)
    assert {r.status for r in results} == {"unchanged"}
    assert fake_store.count() == before > 0


def test_every_chunk_keeps_its_heading_and_metadata(fake_store: Store) -> None:
    got = fake_store.collection.get(include=["documents", "metadatas"])
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        assert (
            meta["source_id"]
            and meta["url"].startswith("https://")
            and meta["language"] in ("de", "en")
        )
        if meta["section"]:
            assert text.startswith(meta["section"])


def _sentences(chars: int) -> str:
    """Distinct numbered sentences, about `chars` characters in all."""
    out: list[str] = []
    while sum(len(x) + 1 for x in out) < chars:
        out.append(f"Satz {len(out)} sagt etwas Eigenes.")
    return " ".join(out)


def test_a_short_section_tail_is_folded_into_the_chunk_before() -> None:
    # A tail that adds about half an overlap of its own: without folding it would be a chunk
    # of mostly repeated words.
    body = _sentences(CHUNK_CHARS + CHUNK_OVERLAP // 2)
    chunks = split_markdown(f"## Termine\n{body}", "src", {})
    assert len(chunks) == 1
    assert chunks[0].text == f"Termine\n{body}"


def test_a_long_section_tail_stays_a_chunk_of_its_own() -> None:
    body = _sentences(CHUNK_CHARS + 3 * CHUNK_OVERLAP)
    chunks = split_markdown(f"## Termine\n{body}", "src", {})
    assert len(chunks) == 2
    last_sentence = body.rsplit("Satz", 1)[1]
    assert chunks[1].text.endswith(last_sentence)
    assert all(c.text.startswith("Termine\n") for c in chunks)
    assert all(len(c.text) <= len("Termine\n") + CHUNK_CHARS for c in chunks)


def test_new_chunking_rules_rechunk_a_store_made_under_old_ones(
    fake_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.sources.chunks

    before = fake_store.count()
    monkeypatch.setattr(knowledge.sources.chunks, "CHUNKING", knowledge.sources.chunks.CHUNKING + 1)
    results = sync_corpus(fake_store)
    assert results and {r.status for r in results} == {"replaced"}
    assert fake_store.count() == before
    assert {r.status for r in sync_corpus(fake_store)} == {"unchanged"}


def test_search_filters_by_language_and_vaccine(fake_store: Store) -> None:
    german = search(fake_store, "Impfung", k=5, filters=Filters(language="de"))
    assert german and all(p.language == "de" for p in german)
    flu = search(fake_store, "vaccine", k=8, filters=Filters(vaccine="flu"))
    assert flu
    assert all("flu" in p.source_id or p.kind in ("principle", "audience") for p in flu)


def test_one_source_does_not_fill_every_slot(fake_store: Store) -> None:
    passages = search(fake_store, "measles vaccine", k=6)
    per_source: dict[str, int] = {}
    for p in passages:
        per_source[p.source_id] = per_source.get(p.source_id, 0) + 1
    from knowledge.retrieval.search import PER_SOURCE

    assert max(per_source.values()) <= PER_SOURCE < 6 and len(per_source) > 1


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_is_refused(fake_store: Store, query: str) -> None:
    with pytest.raises(InputError, match="empty"):
        search(fake_store, query)


def test_ingest_replace_and_delete_a_file(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(settings, FakeEmbedder())
    note = tmp_path / "local-outbreak.md"
    note.write_text("# Masern im Landkreis\n\n## Lage\nIm Landkreis gibt es drei Masernfälle.\n")
    [first] = ingest_paths(store, [note])
    assert (first.status, first.title) == ("added", "Masern im Landkreis")
    assert ingest_paths(store, [note])[0].status == "unchanged"
    note.write_text(
        "# Masern im Landkreis\n\n## Lage\nEs gibt inzwischen fünf Fälle.\n\n## Impfung\nDas Amt impft.\n"
    )
    assert ingest_paths(store, [note])[0].status == "replaced"
    texts = store.collection.get(where={"source_id": "file-local-outbreak.md"})["documents"]
    assert any("fünf" in t for t in texts) and not any("drei" in t for t in texts)
    assert store.delete_source("file-local-outbreak.md") == len(texts)
    assert store.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "the file is empty"),
        ("virus.exe", b"MZ\x90", "unsupported file type '.exe'"),
        ("fake.pdf", b"%PDF-1.4 truncated", "not a readable PDF"),
        ("random.docx", b"\x00\x01garbage" * 20, "not a valid Word"),
        ("scripts.html", b"<html><script>alert(1)</script></html>", "no text could be read"),
    ],
)
def test_bad_files_are_refused_and_the_store_is_unchanged(
    settings, tmp_path: Path, name: str, content: bytes, message: str
) -> None:  # type: ignore[no-untyped-def]
    store = Store(settings, FakeEmbedder())
    good = tmp_path / "good.txt"
    good.write_text("Impfungen schützen. Das Gesundheitsamt berät kostenlos.")
    ingest_paths(store, [good])
    before = store.collection.get()["ids"]
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(InputError, match=message):
        ingest_paths(store, [bad])
    assert store.collection.get()["ids"] == before


def test_non_utf8_text_is_decoded(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(settings, FakeEmbedder())
    path = tmp_path / "latin1.txt"
    path.write_bytes("Grippeimpfung für ältere Menschen: kostenlos beim Hausarzt.".encode("cp1252"))
    ingest_paths(store, [path])
    [text] = store.collection.get()["documents"]
    assert "für ältere" in text
