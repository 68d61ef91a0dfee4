"""Stored messages on changed evidence from a shell: `comms stale`, the pack export's warning
and `--strict` (fake embedder; the change is what ingestion would record)."""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

import pytest
import yaml

from comms.cli.main import main
from comms.cli.packs import pack
from comms.packs.evidence_flags import changed_cells, message_pins
from comms.packs.review import approve
from comms.packs.store import PackStore
from core.database import location, transaction
from core.settings import Settings
from knowledge.history.pins import flag_impact
from knowledge.history.versions import ChunkChange, Passage, record
from knowledge.retrieval.store import Store
from tests.pack_helpers import generated, small_campaign

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def change_cited_passage(settings: Settings, packs: PackStore) -> tuple[str, list[str]]:
    """Record two more versions of the first cell's first cited source, the second changing
    the passage that cell cites; the source id and the keys of the cells citing it."""
    first = sorted(packs.messages("flu-test"), key=lambda m: m.cell.key)[0]
    pin = message_pins(first.message)[0]
    old = Passage(0, pin.chunk_id, "Section", pin.content_hash, "old text")
    new = Passage(0, pin.chunk_id, "Section", "new-hash", "new text")
    with transaction(location(settings), write=True, what="test") as db:
        record(db, pin.source_id, "Source", "corpus", "h1", [old], "")
        version, _ = record(db, pin.source_id, "Source", "corpus", "h2", [new], "ben")
        flag_impact(db, pin.source_id, version.number, [ChunkChange("changed", old, new, 0.9)])
    citing = [
        m.cell.key
        for m in packs.messages("flu-test")
        if pin.content_hash in {p.content_hash for p in message_pins(m.message)}
    ]
    return pin.source_id, sorted(citing)


def test_comms_stale_lists_the_flagged_messages(
    settings: Settings, fake_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    packs, _ = generated(settings, fake_store)
    assert main(["stale"]) == 0
    assert capsys.readouterr().out == (
        "No stored message or map fact cites evidence that changed.\n"
    )
    source, citing = change_cited_passage(settings, packs)
    assert citing and len(citing) < 8
    assert main(["stale", "--campaign", "flu-test"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split()[1].rstrip(":") for line in lines) == citing
    assert all(f"{source} v3: passage changed (Section)" in line for line in lines), lines
    assert main(["stale", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["messages"]) == len(citing)
    facts = data["facts"]  # the flu map's facts pinned to the same passage when the pack ran
    assert facts and all(f["fact"].startswith("flu/") for f in facts)
    assert {flag["source_id"] for f in facts for flag in f["flags"]} == {source}
    assert data["messages"][0]["flags"][0]["old_text"] == "old text"
    assert data["messages"][0]["flags"][0]["new_text"] == "new text"
    assert main(["stale", "--campaign", "no-such"]) == 2
    assert "No campaign 'no-such'" in capsys.readouterr().err


def test_export_warns_and_strict_refuses_an_approved_message_on_changed_evidence(
    settings: Settings,
    fake_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    packs, _ = generated(settings, fake_store)
    _, citing = change_cited_passage(settings, packs)
    flagged = changed_cells(settings, "flu-test")[0].cell
    assert flagged.key in citing
    approve(packs, "flu-test", flagged, user="Rita", revision=None)
    file = tmp_path / "campaign.yaml"
    data = small_campaign().model_dump(mode="json", exclude_none=True)
    file.write_text(yaml.safe_dump(data), "utf-8")
    monkeypatch.setattr("knowledge.open_store", lambda settings: fake_store)

    def run(out: Path, strict: bool) -> int:
        args = argparse.Namespace(
            campaign=file, out=out, resume=True, draft=False, user="cli",
            ask_model=False, strict=strict, queue=False,
        )  # fmt: skip
        return pack(args)

    assert run(tmp_path / "pack.zip", strict=False) == 0
    err = capsys.readouterr().err
    assert f"warning: approved, but flu-test {flagged.key}: evidence changed" in err
    with zipfile.ZipFile(tmp_path / "pack.zip") as archive:
        overview = archive.read("index.html").decode("utf-8")
    assert "cite evidence that changed after they were made" in overview
    assert flagged.key in overview
    with pytest.raises(Exception, match="cite evidence that changed since") as refused:
        run(tmp_path / "strict.zip", strict=True)
    assert type(refused.value).__name__ == "InputError"
    assert not (tmp_path / "strict.zip").exists()
