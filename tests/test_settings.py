"""Settings: environment names, defaults, and clear errors for bad paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from comms.model.backends import check_gguf
from core.errors import ConfigError
from core.settings import bundled_embedder_path, bundled_model_path, load_settings


def test_environment_variables_override_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLARION_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("CLARION_LLM_MODE", "openai")
    monkeypatch.setenv("CLARION_LLM_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("CLARION_MODEL_PATH", str(tmp_path / "m.gguf"))
    monkeypatch.setenv("CLARION_EMBEDDING_MODEL", str(tmp_path / "emb"))
    monkeypatch.setenv("CLARION_CHROMA_URL", "http://127.0.0.1:8000")
    settings = load_settings()
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.llm_mode == "openai"
    assert settings.llm_url == "http://127.0.0.1:9999"
    assert settings.model_path == tmp_path / "m.gguf"
    assert settings.embedding_model == tmp_path / "emb"
    assert settings.chroma_url == "http://127.0.0.1:8000"
    assert settings.chroma_dir == tmp_path / "elsewhere" / "chroma"


def test_unknown_llm_mode_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_LLM_MODE", "magic")
    with pytest.raises(ValueError, match="llamacpp"):
        load_settings()


def test_blank_urls_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_CHROMA_URL", "  ")
    assert load_settings().chroma_url is None


def test_bundled_model_and_embedder_are_found_without_importing_llm() -> None:
    import sys

    model, embedder = bundled_model_path(), bundled_embedder_path()
    assert model is not None and model.suffix == ".gguf" and model.stat().st_size > 50_000_000
    assert embedder is not None and (embedder / "config.json").is_file()
    assert "llm" not in sys.modules


def test_defaults_point_at_bundled_models() -> None:
    settings = load_settings()
    assert settings.resolved_model_path() == bundled_model_path()
    assert settings.resolved_embedder_path() == bundled_embedder_path()
    assert settings.llm_threads >= 1


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "not found"), (b"PK\x03\x04 not a model", "not a GGUF model")],
)
def test_bad_model_path_names_the_fix(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as info:
        check_gguf(path)
    assert "Set CLARION_MODEL_PATH to a" in str(info.value)  # the fix, named either way


def test_model_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        check_gguf(tmp_path)


def test_embedder_path_that_is_missing(tmp_path: Path) -> None:
    settings = load_settings(embedding_model=tmp_path / "nope")
    with pytest.raises(ConfigError, match="CLARION_EMBEDDING_MODEL"):
        settings.resolved_embedder_path()
