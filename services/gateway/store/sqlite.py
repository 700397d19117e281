"""SQLite store: one database file under the data directory, WAL journal, synchronous=FULL.

The schema is versioned in ``PRAGMA user_version``: opening a store runs whatever migrations of
:mod:`~zkgate.services.gateway.store.schema` are missing, each in its own transaction.  Blobs are
files named by their SHA-256 under ``blobs/``, written with :func:`zkgate.fileio.atomic_write` (a
temporary file, fsynced, renamed, the folder fsynced) before the referencing row commits, so
nothing acknowledged is lost in a crash (a submission's blob: the folder fsynced once for its
whole group commit, before that commit: :meth:`SqliteStore.put_blob_for_commit`).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zkgate.fileio import SECRET_FILE_MODE, atomic_write, fsync_folder

from .integrity import (
    VerifiedFiles,
    check_blob_bytes,
    data_loss,
    file_sha256,
    log_head_problem,
    missing_blob_error,
)
from .schema import MIGRATIONS, SQLITE, pending_migrations
from .sql_store import SqlStore

DATABASE_NAME = "zkgate.sqlite3"
BLOB_FILE_MODE = SECRET_FILE_MODE  # the gateway's own state (ciphertexts, keys): only its user reads it


def _first(rows: list[str], count: int = 3) -> str:
    """The first few lines of a check's report, and how many more there are."""
    lines = [line for row in rows for line in row.splitlines() if line.strip()]
    more = f"; {len(lines) - count} more" if len(lines) > count else ""
    return "; ".join(lines[:count]) + more


class SqliteStore(SqlStore):
    def __init__(self, data_dir: str | os.PathLike) -> None:
        self.data_dir = Path(data_dir)
        self.blob_dir = self.data_dir / "blobs"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        for partial in self.blob_dir.glob(".*.tmp"):  # a blob write cut short by a crash: never referenced
            partial.unlink(missing_ok=True)
        self._lock = threading.RLock()
        self._local = threading.local()  # each thread's read connection (WAL: readers never wait for the writer)
        self._readers: list[sqlite3.Connection] = []
        self._verified = VerifiedFiles()
        self._blob_folder_unsynced = False  # a blob renamed into blobs/ whose folder fsync is still due
        self.database_path = self.data_dir / DATABASE_NAME
        try:
            self._db = sqlite3.connect(self.database_path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:  # e.g. a damaged header: "file is not a database"
            raise data_loss(
                f"{self.database_path}: the gateway's SQLite database cannot be read ({exc}); the gateway "
                f"does not start on a damaged store: run `zkgate store check --data-dir {self.data_dir}`"
            ) from exc

    @property
    def location(self) -> str:
        return str(self.database_path)

    def quick_check(self) -> None:
        """The start-up check (bounded: one pass over the database file, O(log n) log reads):
        SQLite's ``PRAGMA quick_check`` and the latest signed tree head against the stored log.
        Raises StoredDataError naming the database file and what is wrong."""
        where = str(self.database_path)
        try:
            with self._lock:
                rows = [row[0] for row in self._db.execute("PRAGMA quick_check(20)").fetchall()]
        except sqlite3.DatabaseError as exc:
            rows = [str(exc)]
        if rows != ["ok"]:
            raise data_loss(
                f"{where}: SQLite quick_check found damage ({_first(rows)}); the gateway does not start "
                f"on a damaged store: run `zkgate store check --data-dir {self.data_dir}`"
            )
        try:
            problem = log_head_problem(self)
        except sqlite3.DatabaseError as exc:
            problem = str(exc)
        if problem:
            raise data_loss(
                f"{where}: {problem}; the gateway does not start on a damaged store: "
                f"run `zkgate store check --data-dir {self.data_dir}`"
            )

    # -- connections: one writer, serialised by the store's lock; one reader per thread -------------
    @contextmanager
    def _writing(self, lock_audit: bool = False) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE serialises every writer (the audit lock is implied)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @contextmanager
    def _reading(self, snapshot: bool = False) -> Iterator[sqlite3.Connection]:
        """Reads on the calling thread's own connection: in WAL mode they see the last commit and
        never wait for a write in progress (a group commit's fsync), so submissions keep being
        checked while one commits.  A snapshot is one read transaction (one state of the tree)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.database_path, check_same_thread=False, isolation_level=None)
            self._local.db = db
            with self._lock:
                self._readers.append(db)
        if not snapshot:
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    # -- schema ------------------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self._lock:
            for target in pending_migrations(self.schema_version, str(self.database_path)):
                with self._writing() as db:
                    for statement in SQLITE.statements(MIGRATIONS[target]):
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version = {target + 1}")

    # -- blobs -------------------------------------------------------------------------------------
    def put_blob(self, data: bytes, *, sync_folder: bool = True) -> str:
        blob_id = hashlib.sha256(data).hexdigest()
        path = Path(self._blob_file(blob_id))
        if path.exists() and path.stat().st_size == len(data) and file_sha256(path) == blob_id:
            return blob_id
        # absent, or damaged at rest: (re)write it, so that storing the same bytes again repairs it
        atomic_write(path, data, mode=BLOB_FILE_MODE, sync_folder=sync_folder)
        if not sync_folder:
            self._blob_folder_unsynced = True  # set after the rename: the next _blobs_durable covers it
        self._verified.forget(blob_id)
        return blob_id

    def put_blob_for_commit(self, data: bytes) -> str:
        """The blob file written and fsynced, the ``blobs/`` folder's fsync (which makes its name
        durable) left to the next group commit (:meth:`_blobs_durable`): one per group, not one
        per submission."""
        return self.put_blob(data, sync_folder=False)

    def _blobs_durable(self) -> None:
        if self._blob_folder_unsynced:
            self._blob_folder_unsynced = False  # cleared first: a rename after this sets it again
            try:
                fsync_folder(self.blob_dir)
            except BaseException:
                self._blob_folder_unsynced = True
                raise

    def read_blob(self, blob_id: str) -> bytes:
        """The blob's bytes, re-hashed: a damaged or deleted blob raises StoredDataError (DATA_LOSS)."""
        path = self._blob_file(blob_id)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise missing_blob_error(blob_id, str(self.blob_dir)) from None
        return check_blob_bytes(blob_id, data, path)

    def blob_path(self, blob_id: str) -> str:
        """The blob's file, its content hashed once per change on disk (StoredDataError if damaged)."""
        return self._verified.check(blob_id, self._blob_file(blob_id))

    def _blob_file(self, blob_id: str) -> str:
        if len(blob_id) != 64 or not all(c in "0123456789abcdef" for c in blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return str(self.blob_dir / blob_id)

    def close(self) -> None:
        with self._lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._db.close()
