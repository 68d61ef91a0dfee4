"""The CI skip guard (tests/skipguard.py): with CI=true a skip fails unless the test allows it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SAMPLE = """
import pytest

def test_runs():
    pass

def test_skips_in_its_body():
    pytest.skip("no chromium here")

@pytest.mark.skipif(True, reason="../shared/corpus is missing")
def test_skips_by_mark():
    pass

@pytest.mark.allowed_skip(reason="the open-files limit cannot be raised")
def test_may_skip():
    pytest.skip("the open-files limit is below 1200")

@pytest.fixture
def needs_mount():
    pytest.skip("mount --bind is refused")

def test_skips_in_a_fixture(needs_mount):
    pass

@pytest.mark.xfail(strict=True, reason="a known bug")
def test_known_bug():
    assert False
"""
OUTCOME = re.compile(r"^\S+::(\w+) (PASSED|FAILED|SKIPPED|XFAIL|XPASS|ERROR)", re.MULTILINE)


def pytest_run(tmp_path: Path, source: str, *, ci: bool) -> subprocess.CompletedProcess[str]:
    """pytest -p tests.skipguard on one test file, in a folder of its own."""
    (tmp_path / "test_sample.py").write_text(source, encoding="utf-8")
    env = {**os.environ, "CI": "true" if ci else "", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.skipguard", "-p", "no:cacheprovider",
         "-v", "--rootdir", str(tmp_path), "test_sample.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        (True, {"test_runs": "PASSED", "test_skips_in_its_body": "FAILED",
                "test_skips_by_mark": "ERROR", "test_may_skip": "SKIPPED",  # a mark: in setup
                "test_skips_in_a_fixture": "ERROR", "test_known_bug": "XFAIL"}),
        (False, {"test_runs": "PASSED", "test_skips_in_its_body": "SKIPPED",
                 "test_skips_by_mark": "SKIPPED", "test_may_skip": "SKIPPED",
                 "test_skips_in_a_fixture": "SKIPPED", "test_known_bug": "XFAIL"}),
    ],
)  # fmt: skip
def test_in_ci_a_skip_fails_unless_the_test_allows_it(
    tmp_path: Path, ci: bool, expected: dict[str, str]
) -> None:
    run = pytest_run(tmp_path, SAMPLE, ci=ci)
    assert dict(OUTCOME.findall(run.stdout)) == expected, run.stdout
    assert run.returncode == (1 if ci else 0), run.stdout
    if ci:
        assert "Skipped in CI: ../shared/corpus is missing" in run.stdout
        assert "Skipped in CI: no chromium here" in run.stdout
        assert "Skipped in CI: the open-files limit" not in run.stdout


def test_in_ci_a_module_skipped_at_import_fails(tmp_path: Path) -> None:
    source = 'import pytest\n\npytest.importorskip("no_such_module")\n\ndef test_x():\n    pass\n'
    run = pytest_run(tmp_path, source, ci=True)
    assert run.returncode == 2 and "Skipped in CI: could not import 'no_such_module'" in run.stdout
    assert pytest_run(tmp_path, source, ci=False).returncode == 5  # nothing ran, nothing failed


def test_an_allowed_skip_without_a_reason_is_an_error(tmp_path: Path) -> None:
    source = "import pytest\n\n@pytest.mark.allowed_skip\ndef test_x():\n    pass\n"
    run = pytest_run(tmp_path, source, ci=False)
    assert run.returncode == 4 and 'needs reason="..."' in run.stderr + run.stdout
