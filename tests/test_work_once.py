"""Each piece of work is done once: a click resolves its request once, retrieves its evidence
once whatever the number of variants, and screens each passage once; messages and packs
retrieve through one function. Rules the pages enforce are the libraries' rules too."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import comms.drafting.draft as draft
from comms.drafting.draft import Request, draft_variants, find_evidence, resolve
from comms.packs.archive import MAX_ZIP_BYTES, PackFileError, read_manifest
from comms.templates.validation import MAX_TEMPLATE_BYTES, read_template_file
from core.errors import TemplateError
from tests.conftest import ROOT, ScriptedChat

REQUEST = Request("measles", "parents-infants", "sms", "de", "Ist das sicher?")
ANSWER = {"text": "Die MMR-Impfung schützt Ihr Kind. Termin: {booking}", "citations": [1]}


def counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count the calls of draft.<name>."""
    calls: list[int] = []
    original = getattr(draft, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(draft, name, counted)
    return calls


def test_three_variants_resolve_retrieve_and_screen_once(
    monkeypatch: pytest.MonkeyPatch, settings: Any, fake_store: Any
) -> None:
    settings = settings.model_copy(update={"repair_tries": 0})
    resolves = counting(monkeypatch, "load_catalog")  # resolve reads the catalog once a call
    screens = counting(monkeypatch, "screen")
    embeds_before = fake_store.embedder.calls
    chat = ScriptedChat([ANSWER, ANSWER, ANSWER])
    messages = draft_variants(REQUEST, 3, settings=settings, chat=chat, store=fake_store)
    assert len(messages) == 3 and len({m.seed for m in messages}) == 3
    assert len(resolves) == 1, "one resolve per click"
    assert fake_store.embedder.calls - embeds_before == 1, "one retrieval for three variants"
    passages = len(messages[0].evidence)
    assert len(screens) == 3 * passages, "each variant screens its passages once, not twice"
    assert all(m.evidence == messages[0].evidence for m in messages), "the same evidence"


def test_a_resolved_request_is_not_resolved_again(
    monkeypatch: pytest.MonkeyPatch, settings: Any, fake_store: Any
) -> None:
    settings = settings.model_copy(update={"repair_tries": 0})
    resolved = resolve(REQUEST)
    resolves = counting(monkeypatch, "load_catalog")
    draft_variants(resolved, 1, settings=settings, chat=ScriptedChat([ANSWER]), store=fake_store)
    assert resolves == []


def test_messages_and_packs_retrieve_through_one_function(
    monkeypatch: pytest.MonkeyPatch, settings: Any, fake_store: Any
) -> None:
    from comms.packs import generation
    from tests.pack_helpers import small_campaign

    found = find_evidence(fake_store, "measles vaccine", "measles", 5)
    assert found and all(p.chunk_id for p in found)
    seen: list[str] = []
    monkeypatch.setattr(generation, "find_evidence", lambda *a: seen.append(a[2]) or found)
    assert generation.pack_evidence(fake_store, small_campaign(), settings) == found
    assert seen == ["flu"]


def test_the_template_file_rule_is_the_librarys(tmp_path: Path) -> None:
    assert read_template_file(b"id: x\n") == "id: x\n"
    for bad in (b"\xff\xfe not utf-8", b"x" * (MAX_TEMPLATE_BYTES + 1)):
        with pytest.raises(TemplateError, match="not a UTF-8 text file"):
            read_template_file(bad)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_TEMPLATE_BYTES)
    done = subprocess.run(
        [sys.executable, "-m", "comms", "templates", "import", str(big), "--author", "A"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "not a UTF-8 text file under 200000 bytes" in done.stderr, done.stderr


def test_the_pack_zip_size_rule_is_the_librarys() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.txt", "x")
    oversize = buffer.getvalue() + b"\0" * MAX_ZIP_BYTES
    with pytest.raises(PackFileError, match="larger than 50 MB"):
        read_manifest(oversize)
