"""SQLite store: one database file under the data directory, WAL journal, synchronous=FULL.

The schema is versioned: ``MIGRATIONS[i]`` takes the database from version i to i + 1, and
opening a store applies whatever is missing inside one transaction.  Blobs are files named by
their SHA-256 under ``blobs/``, written to a temporary name, fsynced, renamed and the folder
fsynced before the referencing row commits, so nothing acknowledged is lost in a crash.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from dataclasses import astuple, fields
from pathlib import Path

from zkgate.services.errors import AlreadyExistsError
from zkgate.services.store.base import CircuitRecord, DatasetRecord, Store

MIGRATIONS: list[str] = [
    # 0 -> 1: circuits and data sets
    """
    CREATE TABLE circuits (
        circuit_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        n_public INTEGER NOT NULL,
        n_vars INTEGER NOT NULL,
        domain_size INTEGER NOT NULL,
        dev_only INTEGER NOT NULL,
        zkey_blob TEXT NOT NULL,
        r1cs_blob TEXT,
        verification_key_json TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE datasets (
        dataset_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        root TEXT NOT NULL,
        signing_public_key BLOB NOT NULL,
        schema_json TEXT NOT NULL,
        registration BLOB NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX datasets_by_owner ON datasets(owner);
    """,
]

DATABASE_NAME = "zkgate.sqlite3"


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SqliteStore(Store):
    def __init__(self, data_dir: str | os.PathLike) -> None:
        self.data_dir = Path(data_dir)
        self.blob_dir = self.data_dir / "blobs"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.data_dir / DATABASE_NAME, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    # -- schema ----------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self._lock:
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.data_dir / DATABASE_NAME} has schema version {version}, newer than this "
                    f"zkgate understands ({len(MIGRATIONS)}); upgrade zkgate"
                )
            for target in range(version, len(MIGRATIONS)):
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in MIGRATIONS[target].split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {target + 1}")
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise

    # -- blobs -----------------------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        blob_id = hashlib.sha256(data).hexdigest()
        path = self.blob_dir / blob_id
        if path.exists() and path.stat().st_size == len(data):
            return blob_id
        tmp = self.blob_dir / f".{blob_id}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_directory(self.blob_dir)
        return blob_id

    def blob_path(self, blob_id: str) -> str:
        if len(blob_id) != 64 or not all(c in "0123456789abcdef" for c in blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return str(self.blob_dir / blob_id)

    # -- helpers ---------------------------------------------------------------------------
    def _insert_idempotent(self, table: str, key: str, record, cls):
        names = [f.name for f in fields(cls)]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    f"SELECT {', '.join(names)} FROM {table} WHERE {key} = ?", (getattr(record, key),)
                ).fetchone()
                if row is not None:
                    existing = self._record(cls, row)
                    self._db.execute("COMMIT")
                    if existing != record:
                        raise AlreadyExistsError(
                            f"{table[:-1]} {getattr(record, key)} is already registered with different content"
                        )
                    return existing
                values = [int(v) if isinstance(v, bool) else v for v in astuple(record)]
                self._db.execute(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values
                )
                self._db.execute("COMMIT")
                return record
            except AlreadyExistsError:
                raise
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @staticmethod
    def _record(cls, row):
        values = []
        for f, value in zip(fields(cls), row):
            if f.type in ("bool", bool):
                value = bool(value)
            elif f.type in ("bytes", bytes) and value is not None:
                value = bytes(value)
            values.append(value)
        return cls(*values)

    def _select(self, cls, table: str, where: str = "", params: tuple = ()):
        names = ", ".join(f.name for f in fields(cls))
        with self._lock:
            rows = self._db.execute(f"SELECT {names} FROM {table} {where}", params).fetchall()
        return [self._record(cls, row) for row in rows]

    # -- circuits --------------------------------------------------------------------------
    def add_circuit(self, record: CircuitRecord) -> CircuitRecord:
        return self._insert_idempotent("circuits", "circuit_id", record, CircuitRecord)

    def get_circuit(self, circuit_id: str) -> CircuitRecord | None:
        found = self._select(CircuitRecord, "circuits", "WHERE circuit_id = ?", (circuit_id,))
        return found[0] if found else None

    def list_circuits(self) -> list[CircuitRecord]:
        return self._select(CircuitRecord, "circuits", "ORDER BY created_at, circuit_id")

    # -- data sets -------------------------------------------------------------------------
    def add_dataset(self, record: DatasetRecord) -> DatasetRecord:
        return self._insert_idempotent("datasets", "dataset_id", record, DatasetRecord)

    def get_dataset(self, dataset_id: str) -> DatasetRecord | None:
        found = self._select(DatasetRecord, "datasets", "WHERE dataset_id = ?", (dataset_id,))
        return found[0] if found else None

    def list_datasets(self, owner: str = "") -> list[DatasetRecord]:
        if owner:
            return self._select(DatasetRecord, "datasets", "WHERE owner = ? ORDER BY created_at, dataset_id", (owner,))
        return self._select(DatasetRecord, "datasets", "ORDER BY created_at, dataset_id")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(data_dir: str | os.PathLike) -> Store:
    """Open (creating and migrating as needed) the store under ``data_dir``."""
    return SqliteStore(data_dir)
