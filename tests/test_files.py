"""The package's one atomic writer (cnnmath.files.write_atomically): whole or not at all."""

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from cnnmath.files import write_atomically


def leftovers(directory: Path, name: str) -> list[str]:
    """Temporary files the writer left beside ``name`` (it names them ``.<name>.*.tmp``)."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(f".{name}."))


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_bytes_are_written_as_given(tmp_path):
    blob = bytes(range(256)) * 3
    out = write_atomically(tmp_path / "a.bin", blob)
    assert out == tmp_path / "a.bin" and isinstance(out, Path)
    assert out.read_bytes() == blob
    assert leftovers(tmp_path, "a.bin") == []


def test_text_is_written_as_utf8_without_newline_translation(tmp_path):
    text = "σ(z) = 1 / (1 + e^{-z})\r\nline two\n"
    path = write_atomically(str(tmp_path / "a.txt"), text)  # a str path is accepted too
    assert path.read_bytes() == text.encode("utf-8")


def test_a_function_writes_to_a_binary_file(tmp_path):
    arrays = {"w": np.arange(6.0).reshape(2, 3)}

    def write(f) -> None:
        assert "b" in f.mode and f.writable()
        np.savez(f, allow_pickle=False, **arrays)

    path = write_atomically(tmp_path / "w.npz", write)
    with np.load(path, allow_pickle=False) as z:
        np.testing.assert_array_equal(z["w"], arrays["w"])


def test_an_existing_file_is_replaced_whole(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old content, longer than the new one\n")
    write_atomically(path, "new\n")
    assert path.read_text() == "new\n"


def test_missing_directories_are_created(tmp_path):
    path = write_atomically(tmp_path / "x" / "y" / "z.txt", "deep")
    assert path.read_text() == "deep"


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failing_writer_leaves_the_old_file_and_no_temporary_file(tmp_path, error):
    path = tmp_path / "keep.txt"
    path.write_text("the old content")

    def half_then_fail(f) -> None:
        f.write(b"half of the new")
        raise error("stopped mid-write")

    with pytest.raises(error, match="stopped mid-write"):
        write_atomically(path, half_then_fail)
    assert path.read_text() == "the old content"
    assert leftovers(tmp_path, "keep.txt") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_a_failing_writer_creates_no_file_where_there_was_none(tmp_path):
    def fail(f) -> None:
        raise ValueError("no content")

    with pytest.raises(ValueError, match="no content"):
        write_atomically(tmp_path / "new.txt", fail)
    assert list(tmp_path.iterdir()) == []


def test_the_file_is_readable_as_any_new_file_by_default(tmp_path):
    # a temporary file is created 0600; the written file gets a new file's mode under the umask
    path = write_atomically(tmp_path / "a.txt", "x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask()


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o755])
def test_mode_sets_the_permission_bits(tmp_path, mode):
    path = write_atomically(tmp_path / "a.sh", "#!/bin/sh\n", mode=mode)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    path = write_atomically(path, "#!/bin/sh\ntrue\n")  # rewritten without mode: the default
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask()


@pytest.mark.parametrize("path", [None, 3, b"a.txt", ["a.txt"]])
def test_a_bad_path_is_refused_naming_it(tmp_path, path):
    with pytest.raises(TypeError, match="path must be"):
        write_atomically(path, "x")


@pytest.mark.parametrize("content", [None, 3, ["x"], bytearray(b"x"), np.zeros(2)])
def test_bad_content_is_refused_naming_it_and_nothing_is_written(tmp_path, content):
    with pytest.raises(TypeError, match="write must be bytes, a str or a function"):
        write_atomically(tmp_path / "a.txt", content)
    assert list(tmp_path.iterdir()) == []


def test_a_directory_in_the_way_is_refused_and_left_as_it_is(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(ValueError, match="path must be a file's path; .* is a directory"):
        write_atomically(tmp_path / "taken", "x")
    assert (tmp_path / "taken").is_dir()
    assert leftovers(tmp_path, "taken") == []


@pytest.mark.parametrize("mode", ["0644", 0o10000, -1, True, 6.0])
def test_a_bad_mode_is_refused_before_anything_is_written(tmp_path, mode):
    with pytest.raises(ValueError, match="mode must be permission bits"):
        write_atomically(tmp_path / "a.txt", "x", mode=mode)
    assert list(tmp_path.iterdir()) == []
