"""The benchmark suite's plumbing: modules import, the table and the report are well formed.

Benchmarks are scripts (`make bench`), not timed tests: nothing here measures speed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench import __main__ as entry
from bench import (
    evidence,
    ingestion,
    load,
    memory,
    message,
    pack,
    pack_fanout,
    pretest_stats,
    retrieval,
    startup,
    threads,
    vectors,
)
from bench.report import END, START, Row, format_table, machine, skipped, write_report
from bench.rig import RecordingChat, Rig, closed, percentile
from tests.conftest import FakeEmbedder

ROWS = [
    Row("P1", "one message, s", "4.10", "4.00", 1.025, "≤ 1.15×", True, "120 tokens"),
    Row("P2", "pack | 24 messages, s", "40.0", "90.0", 0.444, "≤ 0.40×", False),
    skipped("P5", "first paint, s", "/usr/bin/chromium is absent", "≤ 3 s"),
]


def test_every_benchmark_module_has_a_run_function() -> None:
    for module in (
        message,
        pack,
        retrieval,
        ingestion,
        startup,
        memory,
        evidence,
        pretest_stats,
        pack_fanout,
        threads,
        vectors,
        load,
    ):
        assert callable(module.run), module.__name__
    assert set(entry.BENCHMARKS) == {
        *("P1", "P2", "P3", "P4", "P5", "P6", "P8", "P10", "P11", "P12", "P13", "T")
    }


def test_the_table_has_one_line_per_row_and_the_same_columns() -> None:
    lines = format_table(ROWS).splitlines()
    assert len(lines) == 2 + len(ROWS)
    assert {line.count("|") for line in lines} == {9}  # a "|" inside a cell is escaped away
    assert "| 1.02× | ≤ 1.15× | yes |" in lines[2]
    assert "| **no** |" in lines[3]
    assert "| skipped | skipped | – | ≤ 3 s | – | /usr/bin/chromium is absent |" in lines[4]


def test_the_report_replaces_only_the_generated_part(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    write_report(doc, "| old |", "- old machine")
    doc.write_text(
        "# Benchmarks\n\nIntro.\n\n" + doc.read_text().split("\n\n", 1)[1] + "\nMethod.\n"
    )
    write_report(doc, format_table(ROWS), machine("0.10 / 0.20 / 0.30", "0.40 / 0.50 / 0.60"))
    text = doc.read_text()
    assert text.count(START) == text.count(END) == 1
    assert "| old |" not in text and "Intro." in text and "Method." in text
    assert "0.10 / 0.20 / 0.30 before" in text and "CPU:" in text and "llama-cpp-python" in text


def test_a_cut_off_answer_is_closed_and_a_complete_one_kept() -> None:
    complete = '{"text": "Flu vaccination is free for you.", "citations": [2]}'
    assert closed(complete) == complete
    answer = json.loads(closed('{"text": "Get your flu jab at the health office this autu'))
    assert answer == {"text": "Get your flu jab at the health office this autu", "citations": [1]}


def test_recording_chat_caps_the_tokens_and_records_the_call() -> None:
    from comms.model.backends import Completion, ModelInfo

    asked: list[int] = []

    class Backend:
        info = ModelInfo("fake", "fake")

        def complete(self, messages, schema, *, seed, max_tokens, temperature, on_token=None):  # type: ignore[no-untyped-def]
            asked.append(max_tokens)
            return Completion('{"text": "Impfen schützt Sie und Ihre Famil')

    chat = RecordingChat(Backend(), cap=48)  # type: ignore[arg-type]
    done = chat.complete([{"role": "user", "content": "x"}], {}, seed=1, max_tokens=200,
                         temperature=0.3)  # fmt: skip
    assert asked == [48] and chat.calls[0].max_tokens == 48
    assert json.loads(done.text)["citations"] == [1]


@pytest.mark.parametrize(("share", "expected"), [(0.0, 1.0), (0.5, 5.5), (0.95, 9.55), (1.0, 10.0)])
def test_percentile_interpolates(share: float, expected: float) -> None:
    assert percentile([float(n) for n in range(10, 0, -1)], share) == pytest.approx(expected)


def test_the_large_store_is_built_from_the_start_and_stopped_while_rows_are_timed(
    monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Scheduling only: stand-ins record the order and whether the child was stopped."""
    from bench.rig import Rig

    log: list[str] = []

    class Child:
        def __init__(self, rig) -> None:  # type: ignore[no-untyped-def]
            self.stopped = False
            log.append("child starts")

        def running(self) -> bool:
            return not self.stopped

        def pause(self) -> None:
            log.append("pause")

        def resume(self) -> None:
            log.append("resume")

        def finish(self, rig) -> Row:  # type: ignore[no-untyped-def]
            log.append("P3 100k")
            return Row("P3", "100k", "1", "1", 1.0, "", None)

        def stop(self) -> None:
            log.append("child stopped")

    def timed(key: str):  # type: ignore[no-untyped-def]
        def run(rig):  # type: ignore[no-untyped-def]
            with rig.measuring(), rig.measuring():  # nested: one pause, one resume
                log.append(key)
            return [Row(key, key, "1", "1", 1.0, "", None)]

        return run

    for key in ("P1", "P2", "P4", "P5", "P8", "P10", "P11", "P12", "P13"):
        monkeypatch.setitem(entry.BENCHMARKS, key, (key, timed(key)))
    untimed = lambda rig: log.append("P6") or [Row("P6", "P6", "1", "1", 1.0, "", None)]  # noqa: E731
    monkeypatch.setitem(entry.BENCHMARKS, "P6", ("P6", untimed))
    small = [Row("P3", "1k and 10k", "1", "1", 1.0, "", None)]
    monkeypatch.setattr(retrieval, "run", lambda rig, sizes: timed("P3 small")(rig) and small)
    monkeypatch.setattr(retrieval, "Builder", Child)
    monkeypatch.setattr(threads, "quiet", lambda rig: timed("T quiet")(rig) and {})
    busy = lambda rig, load: log.append(f"T busy, child running: {load()}") or {}  # noqa: E731
    monkeypatch.setattr(threads, "busy", busy)
    monkeypatch.setattr(threads, "rows", lambda rig, quiet, busy: [Row("T", "t", "", "", None, "")])
    rows = entry.run_all(list(entry.BENCHMARKS), Rig(tmp_path))
    assert [row.id for row in rows] == [
        "P1",
        "P2",
        "P3",
        "P3",
        "P4",
        "P5",
        "P6",
        "P8",
        "P10",
        "P11",
        "P12",
        "P13",
        "T",
    ]
    stopped = [
        step for key in ("P1", "P2", "P4", "P5", "P8", "P10", "P11", "P12", "P13", "T quiet",
                         "P3 small")
        for step in ("pause", key, "resume")
    ]  # fmt: skip
    assert log == [
        "child starts",
        *stopped,
        *("P6", "T busy, child running: True", "P3 100k", "resume", "child stopped"),
    ]


def test_the_impact_bench_flags_the_messages_pinned_to_the_changed_passage(tmp_path: Path) -> None:
    """P8 at a small size with the fake embedder: its own check of the flags passes."""
    rig = Rig(tmp_path, quick=True)
    rig.embedder = FakeEmbedder()  # type: ignore[misc]
    [row] = evidence.run(rig, chunks=300, messages=200)
    assert row.id == "P8" and row.met is not None and row.ratio is not None
    assert "2 of 200 messages flagged per run" in row.note  # every 10th, on 1 of 10 passages


def test_the_impact_bench_refuses_to_time_a_path_that_flags_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from knowledge import ingest
    from knowledge.history.pins import Impact

    monkeypatch.setattr(
        ingest, "flag_impact", lambda db, source, version, changes: Impact(source, version, 1)
    )
    rig = Rig(tmp_path, quick=True)
    rig.embedder = FakeEmbedder()  # type: ignore[misc]
    with pytest.raises(RuntimeError, match="0 messages flagged where 2 cite the changed passage"):
        evidence.run(rig, chunks=300, messages=200)


def test_the_pretest_simulation_at_a_small_size() -> None:
    """P10 with 100 runs instead of 500: the same checks, with bounds wide enough for 100."""
    found, calibration = pretest_stats.checks(runs=100, seed=7)
    shares = {check.name[:3]: check.share for check in found}
    assert calibration["dz"] == pytest.approx(0.5, abs=0.02)
    assert 0.88 <= shares["(a)"] <= 1.0  # CI coverage, ± 2 SE of 95 % at 100 runs is ± 4.4
    assert shares["(b)"] <= 0.11  # false positives
    assert 0.65 <= shares["(c)"] <= 0.93  # power for dz = 0.5 with 34 respondents
    assert shares["(d)"] <= 0.11  # family-wise false positives with Holm
    table = pretest_stats.format_checks(found, {"analyse, 2 versions": 20.0, "ttest_rel": 0.2,
                                                "analyse, 3 versions": 40.0, "AnovaRM": 5.0})  # fmt: skip
    assert table.count("| 100 |") == 4 and "| 2 versions, 34 respondents | 20.0 |" in table


def test_the_pretest_rows_of_make_bench(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pretest_stats, "RUNS", 20)
    rows = pretest_stats.run(Rig(tmp_path, quick=True))
    assert [row.id for row in rows] == ["P10"] * 5
    assert all("10 runs" in row.note for row in rows[:4])
    timed = rows[4]
    assert timed.ratio is not None and timed.ratio > 1 and "ttest_rel" in timed.note


def test_the_shared_vectors_bench_measures_both_servers_at_a_tiny_size(tmp_path: Path) -> None:
    """P12 at 300 passages with random query vectors: a real `chroma run` and, where `make
    pgvector` installed it, a real PostgreSQL with pgvector; figures are not judged."""
    import numpy as np

    rng = np.random.default_rng(7)
    queries = rng.standard_normal((8, retrieval.DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    results = vectors.compare(tmp_path, 300, queries)
    chroma, pg = results
    assert isinstance(chroma, vectors.Result) and chroma.name == "Chroma server"
    assert len(chroma.filtered_ms) == len(chroma.unfiltered_ms) == 8
    assert chroma.recall_filtered >= 0.9 and chroma.recall_unfiltered >= 0.9
    assert chroma.memory_mb > 0 and chroma.disk_mb > 0
    if vectors.pg_binaries() is None:
        assert pg == vectors.NO_PGVECTOR
    else:
        assert isinstance(pg, vectors.Result) and "pgvector 0." in pg.detail
        assert pg.recall_filtered >= 0.9 and pg.recall_unfiltered >= 0.9
        assert pg.memory_mb > 0 and pg.disk_mb > 0
    table = format_table(vectors.rows(results))
    assert table.count("| P12 |") == (5 if isinstance(pg, vectors.Result) else 6)
    assert "300 passages, Chroma server vs pgvector: ingest" in table


def test_exact_search_respects_the_filter() -> None:
    import numpy as np

    unit = np.eye(4, dtype=np.float32)
    work = vectors.Workload(
        ["a", "b", "c", "d"], [""] * 4, [{}] * 4, unit, np.array([False, True, True, False]), unit
    )
    assert vectors.exact(work, unit[0], 1, filtered=False) == {"a"}
    assert vectors.exact(work, unit[0] + 0.5 * unit[2], 1, filtered=True) == {"c"}
    assert work.unfiltered_k == 4  # half pass: 20 / 0.5 × 2 = 80, at most the 4 there are


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="`make haproxy` installs HAProxy")
def test_the_load_bench_runs_the_whole_deployment_on_loopback() -> None:
    """P13 small: PostgreSQL, a Chroma server, two stand-ins, two replicas behind HAProxy; two
    people sign in, load pages and compose over the websocket while a 48-cell pack runs, is
    approved and exported. Every action answered, no 5xx, every cell stored."""
    from bench import load

    rows = load.rows(staff=2, rounds=1, think=False)
    assert [row.id for row in rows] == ["P13"] * 3
    compose, page, login = rows
    assert "(n = 2)" in compose.what and "(n = 6)" in page.what and "(n = 2)" in login.what
    assert "0 HTTP 5xx at the proxy; 0 errors" in compose.note, compose.note
    assert "48 stored, 0 failed" in compose.note, compose.note
    assert all(float(row.clarion) > 0 and float(row.raw) > 0 for row in rows)
