"""A real pack with the bundled GGUF through the CLI: killed with SIGKILL mid-pack, resumed."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document

from comms.checks.sms import sms_info
from comms.model.backends import file_sha256
from core.settings import bundled_model_path
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

# Four SMS: small enough for 2 cores, several so that the kill falls between two of them (and
# the bundled 135M model, which now and then writes an answer that is not JSON, stores some).
AUDIENCES = ("older-adults", "health-workers", "chronic-illness", "hesitant")
CAMPAIGN = f"""\
id: real-flu
name: Real flu pack
topic: flu
facts: {{when: "02.11.–27.11.2026", booking: "https://impfen.example.org"}}
audiences: [{", ".join(AUDIENCES)}]
channels: [sms]
languages: [en]
"""


def _stored(db: Path) -> dict[str, str]:
    """Messages committed so far, by cell (empty while the tables do not exist yet)."""
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(db, timeout=10) as con:
            rows = con.execute("SELECT audience, text FROM pack_messages").fetchall()
    except sqlite3.OperationalError:  # no such table yet
        return {}
    return dict(rows)


def test_a_killed_pack_run_resumes_with_nothing_lost_or_doubled(
    real_store_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(real_store_dir, data)  # the indexed corpus; the pack tables go beside it
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(CAMPAIGN, encoding="utf-8")
    out = tmp_path / "real.zip"
    env = {**os.environ, "CLARION_DATA_DIR": str(data), "CLARION_REPAIR_TRIES": "0"}
    command = [
        sys.executable,
        "-m",
        "comms",
        "pack",
        "--campaign",
        str(campaign),
        "--out",
        str(out),
        "--draft",
        "--ask-model",  # the model writes its version of every cell, and can be killed doing it
    ]
    log = tmp_path / "first.log"
    with log.open("w") as stderr:
        first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stderr, stderr=stderr)
    db, deadline = data / "clarion.db", time.monotonic() + 900
    try:
        while not (before := _stored(db)) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert len(before) == 1, f"a message should be stored when the run is killed: {log.read_text()}"
    assert not out.exists()

    again = subprocess.run(
        [*command, "--resume"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200
    )
    assert "[1/4] 0:00 elapsed" in again.stderr and "[4/4] en__" in again.stderr
    after = _stored(db)
    assert all(after[cell] == text for cell, text in before.items())  # nothing lost or replaced
    with sqlite3.connect(db) as con:
        stored = con.execute("SELECT count(*) FROM pack_messages").fetchone()[0]
        events = con.execute("SELECT action, audience FROM audit_events ORDER BY id").fetchall()
    generated = [audience for action, audience in events if action == "generate"]
    assert stored == len(after) == len(generated) == len(set(generated))  # no duplicates
    resumed = events[events.index(("generate", generated[0])) + 1 :]  # the killed run ends there
    failed = {audience for action, audience in resumed if action == "generate_failed"}
    missing = set(AUDIENCES) - set(after)
    assert missing <= failed  # the resumed run wrote every other cell, or recorded why not
    assert again.returncode == (1 if missing else 0), again.stderr
    assert [action for action, _ in events].count("export") == len(after)

    with zipfile.ZipFile(out) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    assert manifest["draft"] is True and len(manifest["messages"]) == len(after)
    model = bundled_model_path()
    assert model is not None
    for entry in manifest["messages"]:
        generated = entry["generated"]
        assert generated["model_text"] or generated["rejected_model_version"]  # it was asked
        if generated["version"] == "model":  # the model's version passed the gate
            assert entry["model"]["backend"] == "llamacpp"
            assert entry["model"]["model_id"] == model.name
            assert entry["model"]["sha256"] == file_sha256(model)
        else:  # refused: the composed message, with the model's version and why
            assert entry["text"] == generated["composed_text"]
            assert generated["rejected_model_version"]["reasons"]
        assert entry["sources"] and set(entry["evidence_ids"]) >= {
            s["chunk_id"] for s in entry["sources"]
        }
        document = Document(io.BytesIO(files[entry["files"]["docx"]]))
        assert entry["text"].splitlines()[0] in "\n".join(p.text for p in document.paragraphs)
    rows = list(csv.DictReader(io.StringIO(files["DRAFT_sms.csv"].decode("utf-8"))))
    assert {r["recipient_group"] for r in rows} == set(after)
    for row in rows:
        assert int(row["segments"]) == sms_info(row["text"]).segments and row["draft"] == "DRAFT"
