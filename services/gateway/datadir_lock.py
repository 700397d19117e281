"""One gateway per SQLite data folder: an exclusive ``flock`` on ``DATA_DIR/gateway.lock``.

Like PostgreSQL's ``postmaster.pid``, the lock file holds the pid of the gateway that owns the
folder; a second gateway on the same folder is refused with that pid.  The kernel releases the
lock when the process ends (also on SIGKILL), so a stale file never blocks a restart.  Several
gateways may share one PostgreSQL store (the database orders their writes); they take no lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..errors import PreconditionError

LOCK_FILE = "gateway.lock"


class DataDirLock:
    """Held while a gateway serves ``data_dir``; :meth:`release` (or process exit) frees it."""

    def __init__(self, data_dir: str | os.PathLike) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> DataDirLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"pid {holder}" if holder else "another process"
            raise PreconditionError(
                f"{self.path.parent}: this data folder is in use by another zkgate gateway ({who}, lock file "
                f"{self.path}); stop that gateway first, or give this one another --data-dir "
                "(gateways share data only through one PostgreSQL store, --store)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)
            finally:
                os.close(fd)  # closing the descriptor drops the flock


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isascii() and text.isdigit() else None
