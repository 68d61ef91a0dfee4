"""The llama.cpp build and `comms doctor`: what runs on an office's CPU, checked before use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from comms.model.doctor import diagnose, read_model_facts, render, shard_paths, template_family
from comms.model.worker import build_uses_amx
from core.settings import bundled_model_path, load_settings
from tests.conftest import ROOT


def system_info() -> str:
    import llama_cpp

    return llama_cpp.llama_print_system_info().decode()


def test_the_build_is_portable_x86_64_without_amx_or_avx512() -> None:
    info = system_info()
    assert "AVX2 = 1" in info, info
    assert "AMX_INT8 = 1" not in info, "the AMX repacking path segfaults on the bundled model"
    assert "AVX512 = 1" not in info, "an AVX-512 build dies with SIGILL on CPUs without it"


@pytest.mark.parametrize(
    ("info", "amx"),
    [
        ("CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 1 | REPACK = 1 |", True),
        ("CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | REPACK = 1 |", False),
        ("CPU : SSE3 = 1 | AMX_INT8 = 0 |", False),
    ],
)
def test_an_amx_build_is_recognised(info: str, amx: bool) -> None:
    assert build_uses_amx(info) is amx


def test_the_bundled_model_loads_and_generates(real_chat) -> None:  # type: ignore[no-untyped-def]
    """Not skipped anywhere: if llama.cpp cannot run on this CPU, this fails loudly."""
    result = real_chat.smoke()
    assert 0 < result["completion_tokens"] <= 5
    assert result["text"].strip()
    assert template_family(result["prompt"]) == "chatml", result["prompt"]


def test_shard_names_follow_llama_cpp() -> None:
    first = Path("/m/Maverick-Q4-00001-of-00003.gguf")
    assert [p.name for p in shard_paths(first)] == [
        "Maverick-Q4-00001-of-00003.gguf",
        "Maverick-Q4-00002-of-00003.gguf",
        "Maverick-Q4-00003-of-00003.gguf",
    ]
    assert shard_paths(Path("/m/model.gguf")) == [Path("/m/model.gguf")]


@pytest.mark.parametrize(
    ("template", "family"),
    [
        ("{{ '<|header_start|>' + role + '<|header_end|>' }}", "llama4"),
        ("<|start_header_id|>{{ role }}<|end_header_id|>", "llama3"),
        ("<|im_start|>{{ role }}", "chatml"),
        ("{{ messages }}", "other"),
    ],
)
def test_template_family(template: str, family: str) -> None:
    assert template_family(template) == family


def test_bundled_model_facts_from_the_gguf_header() -> None:
    path = bundled_model_path()
    assert path is not None
    facts = read_model_facts(path)
    assert facts.architecture == "llama"
    assert 100e6 < facts.parameters < 200e6  # SmolLM2-135M
    assert facts.context_length >= 2048
    assert template_family(facts.chat_template) == "chatml"
    assert facts.shards_expected == 1 and facts.shards_found == [path.name]
    assert facts.license == "apache-2.0", facts.license


def test_doctor_reports_every_part_without_smoke(tmp_path: Path) -> None:
    report = diagnose(load_settings(data_dir=tmp_path), smoke=False)
    names = [f.name for f in report.findings]
    for expected in ("backend", "architecture", "parameters", "quantisation", "context length",
                     "shards", "chat template", "tokenizer", "fits in RAM", "llama.cpp build",
                     "embedder", "store"):  # fmt: skip
        assert expected in names, names
    assert report.ok, render(report)
    assert report.smoke is None


def test_doctor_fails_with_the_reason_for_a_missing_model(tmp_path: Path) -> None:
    report = diagnose(load_settings(data_dir=tmp_path, model_path=tmp_path / "gone.gguf"))
    assert not report.ok
    assert "Model file not found" in report.failures()[0].note
    assert report.smoke is None, "no smoke test when the model is unusable"


def _doctor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comms", "doctor", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.e2e
def test_cli_doctor_json_with_the_smoke_test(tmp_path: Path) -> None:
    done = _doctor("--json", env={"CLARION_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert report["model"]["architecture"] == "llama"
    assert 0 < report["smoke"]["completion_tokens"] <= 5 and report["smoke"]["seconds"] > 0
    found = {f["name"]: f for f in report["findings"]}
    assert "tok/s" in found["smoke test"]["value"]
    assert found["prompt format"]["value"] == "chatml"
    assert "AMX_INT8" not in found["llama.cpp build"]["value"]


def test_cli_doctor_exits_2_naming_what_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "notes.gguf"
    bad.write_text("not a model")
    done = _doctor(env={"CLARION_DATA_DIR": str(tmp_path), "CLARION_MODEL_PATH": str(bad)})
    assert done.returncode == 2
    assert "FAIL" in done.stdout
    assert done.stderr.startswith("error: model: ") and "is not a GGUF model" in done.stderr


def _make_build(*args: str) -> dict[str, str]:
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "llama-build", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return dict(line.split(": ", 1) for line in done.stdout.splitlines())


def test_changed_build_flags_build_a_new_wheel_not_a_stale_cached_one() -> None:
    default = _make_build()
    assert "-DGGML_NATIVE=OFF" in default["flags"] and "-DGGML_AMX_INT8=OFF" in default["flags"]
    native = _make_build("LLAMA_CMAKE_ARGS=-DGGML_NATIVE=ON")
    assert native["wheel"] != default["wheel"], "the wheel folder is keyed by the flags"
    assert Path(native["wheel"]).parent == Path(default["wheel"]).parent
    assert _make_build() == default, "the same flags map to the same wheel"


@pytest.mark.e2e
def test_the_system_page_shows_the_doctor_report_and_runs_the_smoke_test(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from streamlit.testing.v1 import AppTest

    from ui import resources

    for cached in (resources.settings, resources.chat_model, resources.model_licence):
        cached.clear()
    monkeypatch.setenv("CLARION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/system.py").run()
    assert not at.exception, at.exception
    lines = " ".join(m.value for m in at.markdown).replace("\\", "")
    for fact in ("architecture**: llama", "licence**: apache-2.0", "llama.cpp build**: SSE3",
                 "chat template**: chatml", "fits in RAM**"):  # fmt: skip
        assert fact in lines, lines
    assert "smoke test" not in lines, "the 5-token test runs only on request"
    next(b for b in at.button if b.key == "sys_smoke").click().run()
    lines = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "smoke test**: " in lines and "prompt format**: chatml" in lines, lines
    assert not at.error
    for cached in (resources.settings, resources.chat_model, resources.model_licence):
        cached.clear()
