"""`python -m comms maps …`: exit codes and output, with the store on real SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from comms.cli.main import main
from comms.maps.library import shipped_map_ids, shipped_map_text
from comms.maps.schema import map_hash
from comms.maps.validation import parse_map
from core.database import location
from core.settings import load_settings
from knowledge.history.pins import fact_owner, pins_of
from tests.conftest import ROOT

MEASLES = shipped_map_text("measles")
FIRM = MEASLES.replace("schützen zuverlässig vor Masern.", "schützen sehr zuverlässig vor Masern.")
BAD = MEASLES.replace("source: rec-measles-stiko-de", "source: no-such-document", 1)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["maps", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def firm_file(tmp_path: Path) -> Path:
    path = tmp_path / "firm.yaml"
    path.write_text(FIRM, encoding="utf-8")
    return path


def test_list_shows_version_hash_concerns_and_no_proposal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    [row] = [line.split("\t") for line in out.splitlines() if line.startswith("measles")]
    assert row[1] == "v0" and len(row[2]) == 12 and row[3] == "9 concerns" and row[4] == "-"


def test_show_lists_key_messages_with_word_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "measles")
    assert code == 0
    assert "  - [6 words] Zwei MMR-Impfungen schützen zuverlässig vor Masern." in out
    assert "  together: 24 words (a map aims at about 27)" in out
    assert "== autism-myth: " in out


def test_show_json_is_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "measles", "--json", "--language", "en")
    payload = json.loads(out)
    assert code == 0 and payload["id"] == "measles" and payload["language"] == "en"
    overview = payload["concerns"][0]
    assert overview["concern_id"] == "" and len(overview["key_messages"]) == 3
    assert overview["key_messages"][0]["words"] == 7
    assert overview["key_messages"][0]["formula"] == "Flesch-Kincaid grade"


def test_check_a_valid_map_by_id_and_by_file(
    capsys: pytest.CaptureFixture[str], firm_file: Path
) -> None:
    ok = f"measles.yaml: ok ({map_hash(MEASLES)})\n"
    assert run(capsys, "check", "measles")[:2] == (0, ok)
    code, out, _ = run(capsys, "check", str(firm_file))
    assert code == 0 and out.startswith(f"{firm_file}: ok")


def test_check_an_invalid_file_prints_every_problem_with_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    code, out, err = run(capsys, "check", str(path))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{path}:26: key_messages.0.facts.0.source: 'no-such-document' is not a document of "
        "the curated corpus (knowledge/corpus) nor a source ingested into the knowledge store"
    ]


def test_check_names_an_unknown_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "mumps-nothing")
    known = ", ".join(shipped_map_ids())
    assert code == 2 and err == (
        f"error: mumps-nothing is neither a map file nor a map id ({known}).\n"
    )


def test_import_proposes_and_a_second_person_approves(
    capsys: pytest.CaptureFixture[str], firm_file: Path
) -> None:
    code, out, _ = run(capsys, "import", str(firm_file), "--author", "Ann")
    assert code == 0 and out.startswith("measles: version 1 proposed by Ann")
    listed = run(capsys, "list")[1].splitlines()
    assert next(row for row in listed if row.startswith("measles\t")).endswith("\tv1 by Ann")
    code, _, err = run(capsys, "approve", "measles", "--author", "Ann")
    assert code == 2 and "a second admin must approve it" in err
    code, out, _ = run(capsys, "approve", "measles", "--author", "Bob")
    assert out.splitlines()[0] == "measles: version 1 approved by Bob; in effect"
    firm = parse_map(FIRM, "firm.yaml")
    keys = [*firm.key_messages, *(k for c in firm.concerns for k in c.key_messages)]
    facts = [f for k in keys for f in k.facts]
    assert code == 0 and out.splitlines()[1] == (
        f"{len(facts)} supporting facts pinned to the passages they cite."
    )
    pinned = pins_of(location(load_settings()), fact_owner("measles", facts[0].id))
    assert [p.source_id for p in pinned] == [facts[0].source]
    assert run(capsys, "export", "measles")[1] == FIRM
    history = run(capsys, "history", "measles")[1].splitlines()
    assert [line.split("\t")[0] for line in history] == ["v1", "v0"]
    assert "approved by Bob" in history[0] and history[0].endswith("imported from firm.yaml")


def test_revert_proposes_and_export_writes_a_file(
    capsys: pytest.CaptureFixture[str], firm_file: Path, tmp_path: Path
) -> None:
    run(capsys, "import", str(firm_file), "--author", "Ann")
    run(capsys, "approve", "measles", "--author", "Bob")
    code, out, _ = run(capsys, "revert", "measles", "0", "--author", "Bob")
    assert code == 0 and "version 2 proposed by Bob" in out
    exported = tmp_path / "out.yaml"
    assert run(capsys, "export", "measles", "-o", str(exported))[0] == 0
    assert exported.read_text(encoding="utf-8") == FIRM  # the revert is not in effect yet
    assert run(capsys, "approve", "measles", "--author", "Ann", "--version", "2")[0] == 0
    assert run(capsys, "export", "measles")[1] == MEASLES


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["approve", "measles", "--author", "Bob"], "has no proposal waiting for approval"),
        (["revert", "measles", "5", "--author", "Bob"], "has no version 5; versions are 0 to 0"),
        (["show", "mumps"], "No message map 'mumps'"),
        (["import", "/no/such/file.yaml", "--author", "Bob"], "Cannot read /no/such/file.yaml"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and len(err.splitlines()) == 1


def test_an_invalid_import_is_refused_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "comms", "maps", "import", str(path), "--author", "Ann"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "error: The message map measles.yaml is invalid: measles.yaml:26:"
    )
