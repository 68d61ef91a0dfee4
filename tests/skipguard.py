"""With CI=true a skipped test fails the run, unless it is marked as allowed to skip.

A skip hides a test that did not run: a missing browser, data set or library turns a suite
green without testing anything. In CI (`.ci/run` exports CI=true) every such skip is reported
as a failure that names the skip's reason. A test that may legitimately not run on some CI
machine says so, with the reason, in its own code:

    @pytest.mark.allowed_skip(reason="as root without CAP_SYS_ADMIN nothing is read-only")

Expected failures (xfail) are not skips and are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

MARKER = "allowed_skip"


def in_ci() -> bool:
    """Whether this run is CI's: CI=true (or 1, yes), as CI services and .ci/run set it."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def skip_reason(longrepr: Any) -> str:
    """The reason pytest recorded for a skip: (file, line, "Skipped: why") or a text."""
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return str(text).removeprefix("Skipped: ")


def refusal(reason: str) -> str:
    """The failure text of a skip that CI does not allow."""
    return (
        f"Skipped in CI: {reason}\nWith CI=true a skip is a failure: make what the test needs "
        f'part of the run, or mark it @pytest.mark.{MARKER}(reason="...") saying why it may '
        "not run here."
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the mark (the suite runs with --strict-markers)."""
    config.addinivalue_line(
        "markers", f"{MARKER}(reason): may skip with CI=true, for the reason given"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """An allowed_skip mark must say why, in CI or not."""
    for item in items:
        marker = item.get_closest_marker(MARKER)
        if marker is not None and not str(marker.kwargs.get("reason") or "").strip():
            raise pytest.UsageError(f'{item.nodeid}: @pytest.mark.{MARKER} needs reason="...".')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A skip in setup, call or teardown becomes a failure in CI unless the test allows it."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not in_ci() or not report.skipped or hasattr(report, "wasxfail"):
        return
    if item.get_closest_marker(MARKER) is not None:
        return
    report.outcome = "failed"
    report.longrepr = refusal(skip_reason(report.longrepr))


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    """A whole module skipped at import (pytest.importorskip, pytest.skip) fails in CI."""
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if in_ci() and report.skipped:
        report.outcome = "failed"
        report.longrepr = refusal(skip_reason(report.longrepr))
