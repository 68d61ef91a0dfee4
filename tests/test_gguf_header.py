"""Clarion's GGUF header reader against the gguf package's GGUFReader on the same files."""

from __future__ import annotations

from pathlib import Path

import pytest

from comms.model.gguf_header import HeaderError, read_header
from core.settings import bundled_model_path
from tests.tiny_llama4 import shard_paths, write_tiny_llama4


def reference(path: Path) -> tuple[dict[str, object], dict[str, int], int]:
    from gguf import GGUFReader, GGUFValueType

    reader = GGUFReader(path)
    scalars, arrays = {}, {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        if field.types[0] == GGUFValueType.ARRAY:
            arrays[key] = len(field.data)
        else:
            scalars[key] = field.contents()
    return scalars, arrays, sum(int(t.n_elements) for t in reader.tensors)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    bundled = bundled_model_path()
    assert bundled is not None
    first = write_tiny_llama4(tmp_path_factory.mktemp("tiny"))
    return [bundled, *shard_paths(first.parent, 3)]


def test_the_same_metadata_and_parameters_as_gguf_reader(files: list[Path]) -> None:
    for path in files:
        header = read_header(path)
        scalars, arrays, parameters = reference(path)
        assert set(header.metadata) == set(scalars), path
        for key, value in scalars.items():
            if isinstance(value, float):
                assert header.metadata[key] == pytest.approx(value), key
            else:
                assert header.metadata[key] == value, key
        assert header.array_lengths == arrays, path
        assert header.parameters == parameters, path


def test_what_is_not_a_gguf_file_is_a_clear_error(tmp_path: Path, files: list[Path]) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    with pytest.raises(HeaderError, match="is not a GGUF file"):
        read_header(text)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(files[0].read_bytes()[:5000])
    with pytest.raises(HeaderError, match="is not a complete GGUF file"):
        read_header(cut)
