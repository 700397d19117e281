"""zkgate.fileio.atomic_write: whole content, exact mode, no temporary file left behind."""

from __future__ import annotations

import os
import stat

import pytest

from zkgate.fileio import PUBLIC_FILE_MODE, SECRET_FILE_MODE, atomic_write


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_secret_by_default_and_the_umask_cannot_widen_or_narrow_the_mode(tmp_path):
    old = os.umask(0o077)
    try:
        atomic_write(tmp_path / "public.txt", b"hello", mode=PUBLIC_FILE_MODE)
    finally:
        os.umask(old)
    old = os.umask(0)
    try:
        atomic_write(tmp_path / "key.pem", b"secret")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "public.txt") == 0o644
    assert mode_of(tmp_path / "key.pem") == SECRET_FILE_MODE == 0o600
    assert (tmp_path / "key.pem").read_bytes() == b"secret"


def test_replaces_the_old_content_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "state.json"
    target.write_bytes(b"old content that is longer")
    atomic_write(target, b"new", mode=PUBLIC_FILE_MODE)
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        atomic_write(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_missing_folder_is_an_error_not_a_silent_creation(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "absent" / "file", b"x")
