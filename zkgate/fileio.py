"""Atomic file writes: a file is either its old content or its whole new content, even after a crash.

:func:`atomic_write` writes a temporary file in the destination's own folder (so that the rename
stays on one file system), fsyncs it, gives it its mode, renames it over the destination and
fsyncs the folder, so that the rename itself survives a power loss.  Secrets (keys, tokens) are
written with mode 0600, which the process's umask cannot widen; public files with 0644.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SECRET_FILE_MODE = 0o600
PUBLIC_FILE_MODE = 0o644


def fsync_folder(folder: str | os.PathLike) -> None:
    """Make a rename or creation inside ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, data: bytes, *, mode: int = SECRET_FILE_MODE,
                 sync_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically and durably, the file ending with exactly ``mode``.

    The folder must exist.  The temporary file (``.NAME.XXXX.tmp`` beside ``path``) has a unique
    name, so concurrent writers of the same path never share one; it is removed if anything fails.
    ``sync_folder=False`` leaves the folder's fsync (which makes the rename durable) to the
    caller, who must run :func:`fsync_folder` before relying on the file (one fsync for many files).
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)  # not masked by the umask: a 0600 secret stays 0600
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_folder:
        fsync_folder(path.parent)
