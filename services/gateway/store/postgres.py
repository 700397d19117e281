"""PostgreSQL store (psycopg 3): the same interface as the SQLite store, for deployments that
outgrow one machine.  Several gateway processes can share one database.

* Every record and its audit leaf commit in one transaction, as with SQLite.
* Log appends are serialised across processes by a transaction-level advisory lock
  (``pg_advisory_xact_lock``) taken before the log's size is read; it is released at commit or
  rollback, so two leaves never share an index (the primary key would refuse it anyway) and a
  rolled-back append leaves no gap: the next one takes the same index.
* Blobs live in the database (``bytea``, content-addressed), so every process sees them; a local
  cache folder serves ``blob_path`` (large keys are memory-mapped from a file).  A submission's
  blob is written in the transaction that accepts it (``blobs_in_transaction``).
* The schema is versioned in ``zkgate_schema``; the migrations are the SQLite store's
  (:mod:`~zkgate.services.gateway.store.schema`), run in one transaction under their own advisory
  lock, so processes starting together do not race.  A database written before the list was shared
  counted its own migrations (``shared_numbering`` false): its version is translated once.
* The record and audit-log queries are :class:`~zkgate.services.gateway.store.sql_store.SqlStore`'s,
  with ``?`` translated to psycopg's ``%s``.

Any number of gateway processes serve the same studies: a submission's duplicate check, the
study's state, its sequence number and its audit leaf are decided in the transaction that stores
it (:meth:`SqlStore.accept_submissions`, under the audit lock), closing checks that the stored
submissions are exactly those its aggregate adds, and no process keeps study state another cannot
see (docs/gateway.md, "Several gateway processes").  A key committee's relay is in the database
too: a message's slot check, the bound and its sequence are decided holding the committee's row
lock (``SELECT ... FOR UPDATE``), a registration under its own advisory lock, and a committee
study's commit and commit-phase close under the audit lock (``append_audit_decided``).
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from zkgate.fileio import SECRET_FILE_MODE, atomic_write

from ...errors import StoredDataError
from .integrity import VerifiedFiles, check_blob_bytes, log, missing_blob_error
from .schema import (
    MIGRATIONS,
    POSTGRESQL,
    POSTGRESQL_OWN_NUMBERING,
    SchemaTooNewError,
    pending_migrations,
)
from .sql_store import SqlStore

AUDIT_LOCK = 0x7A6B_6761_7465_0001  # advisory lock keys ("zkgate" ...)
MIGRATION_LOCK = 0x7A6B_6761_7465_0002
COMMITTEE_LOCK = 0x7A6B_6761_7465_0003  # committee registrations (their bound)
BLOB_FILE_MODE = SECRET_FILE_MODE  # the gateway's own state (ciphertexts, keys): only its user reads it


def redacted_url(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class _QmarkCursor:
    """A psycopg cursor taking the shared queries' ``?`` placeholders (none of them holds a
    literal ``?`` or ``%``)."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: tuple | list = ()):
        return self.cursor.execute(sql.replace("?", "%s"), params or None)


class PostgresStore(SqlStore):
    blobs_in_transaction = True  # a submission's blob commits with its row (one commit for a group)
    row_lock = " FOR UPDATE"  # a committee's row, locked while a message to it is decided

    def __init__(self, url: str, cache_dir: str | os.PathLike, pool_size: int = 8) -> None:
        try:
            import psycopg  # an optional dependency (the postgres extra): imported when used
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise RuntimeError("the PostgreSQL store needs psycopg 3: pip install 'zkgate[postgres]'") from exc
        self._psycopg = psycopg
        self.url = url
        self.cache_dir = Path(cache_dir) / "blob-cache"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._pool: queue.LifoQueue = queue.LifoQueue()
        self._pool_size = pool_size
        self._created = 0
        self._pool_lock = threading.Lock()
        self._closed = False
        self._verified = VerifiedFiles()
        self._migrate()

    @property
    def location(self) -> str:
        return redacted_url(self.url)

    # -- connections ---------------------------------------------------------------------------
    def _connect(self):
        return self._psycopg.connect(self.url, autocommit=False)

    @contextmanager
    def _conn(self):
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            with self._pool_lock:
                grow = self._created < self._pool_size
                if grow:
                    self._created += 1
            conn = self._connect() if grow else self._pool.get()
        try:
            if conn.closed:
                conn = self._connect()
            yield conn
        finally:
            if not conn.closed and conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
                conn.rollback()
            self._pool.put(conn)

    @contextmanager
    def _transaction(self, isolation: str | None = None) -> Iterator[_QmarkCursor]:
        """A cursor in one transaction: committed on success, rolled back on any error."""
        with self._conn() as conn:
            try:
                with conn.cursor() as cur:
                    if isolation:
                        cur.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                    yield _QmarkCursor(cur)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    @contextmanager
    def _writing(self, lock_audit: bool = False) -> Iterator[_QmarkCursor]:
        """A transaction; with ``lock_audit`` it first takes the transaction-level advisory lock
        that serialises log appends across processes (released at commit or rollback)."""
        with self._transaction() as cursor:
            if lock_audit:
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (AUDIT_LOCK,))
            yield cursor

    @contextmanager
    def _reading(self, snapshot: bool = False) -> Iterator[_QmarkCursor]:
        """A transaction for reads; a snapshot is a REPEATABLE READ one (one view of the tree)."""
        with self._transaction("REPEATABLE READ" if snapshot else None) as cursor:
            yield cursor

    def _lock_committees(self, cursor) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(?)", (COMMITTEE_LOCK,))

    # -- schema ------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._writing() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            cur.execute("CREATE TABLE IF NOT EXISTS zkgate_schema (version INTEGER NOT NULL)")
            cur.execute("ALTER TABLE zkgate_schema ADD COLUMN IF NOT EXISTS shared_numbering BOOLEAN NOT NULL DEFAULT FALSE")
            row = cur.execute("SELECT version, shared_numbering FROM zkgate_schema").fetchone()
            if row is None:
                cur.execute("INSERT INTO zkgate_schema (version, shared_numbering) VALUES (0, TRUE)")
                version = 0
            elif row[1]:
                version = row[0]
            elif row[0] in POSTGRESQL_OWN_NUMBERING:  # written before the list was shared: its own count
                version = POSTGRESQL_OWN_NUMBERING[row[0]]
            else:
                raise SchemaTooNewError(
                    f"the database {self.location} has zkgate schema version {row[0]} in a numbering this "
                    "zkgate does not know; upgrade zkgate"
                )
            for target in pending_migrations(version, f"the database {self.location}"):
                for statement in POSTGRESQL.statements(MIGRATIONS[target]):
                    cur.execute(statement)
                version = target + 1
            cur.execute("UPDATE zkgate_schema SET version = ?, shared_numbering = TRUE", (version,))

    @property
    def schema_version(self) -> int:
        with self._reading() as cur:
            return cur.execute("SELECT version FROM zkgate_schema").fetchone()[0]

    # -- blobs -------------------------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        blob_id = hashlib.sha256(data).hexdigest()
        with self._writing() as cur:
            cur.execute("INSERT INTO blobs (blob_id, data) VALUES (?, ?) ON CONFLICT (blob_id) DO NOTHING",
                        (blob_id, data))
        return blob_id

    def _insert_blob(self, cursor, blob_id: str, data: bytes) -> None:
        if hashlib.sha256(data).hexdigest() != blob_id:
            raise ValueError(f"blob {blob_id}: the bytes given hash to another id")
        cursor.execute("INSERT INTO blobs (blob_id, data) VALUES (?, ?) ON CONFLICT (blob_id) DO NOTHING",
                       (blob_id, data))

    def read_blob(self, blob_id: str) -> bytes:
        """The blob's bytes, re-hashed: a damaged or missing blob raises StoredDataError (DATA_LOSS)."""
        self._check_blob_id(blob_id)
        with self._reading() as cur:
            row = cur.execute("SELECT data FROM blobs WHERE blob_id = ?", (blob_id,)).fetchone()
        if row is None:
            raise missing_blob_error(blob_id, f"the blobs table of {self.location}")
        return check_blob_bytes(blob_id, bytes(row[0]), f"blobs table of {self.location}")

    def blob_path(self, blob_id: str) -> str:
        """A cached file of the blob; a cache file damaged on disk is rewritten from the database
        (whose copy is re-hashed too)."""
        self._check_blob_id(blob_id)
        path = self.cache_dir / blob_id
        if path.exists():
            try:
                return self._verified.check(blob_id, str(path))
            except StoredDataError:
                log.error("blob cache file %s was damaged; rewriting it from the database", path)
                self._verified.forget(blob_id)
        atomic_write(path, self.read_blob(blob_id), mode=BLOB_FILE_MODE)
        return self._verified.check(blob_id, str(path))

    @staticmethod
    def _check_blob_id(blob_id: str) -> None:
        if len(blob_id) != 64 or not all(c in "0123456789abcdef" for c in blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                break
            conn.close()
