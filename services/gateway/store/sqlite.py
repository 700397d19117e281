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

from zkgate.audit import MerkleLog
from zkgate.audit.tree_head import SignedTreeHead
from zkgate.services.errors import AlreadyExistsError
from zkgate.services.gateway.store.base import (
    AuditEntry,
    CircuitRecord,
    DatasetRecord,
    SchemaRecord,
    Store,
    StudyProvingKeyRecord,
    StudyRecord,
    SubmissionRecord,
)
from zkgate.services.gateway.store.integrity import (
    VerifiedFiles,
    check_blob_bytes,
    data_loss,
    file_sha256,
    log_head_problem,
    missing_blob_error,
)

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
    # 1 -> 2: the audit log (RFC 6962 leaves and complete-subtree nodes) and signed heads
    """
    CREATE TABLE audit_leaves (
        leaf_index INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        data BLOB NOT NULL
    );
    CREATE TABLE audit_nodes (
        level INTEGER NOT NULL,
        node_index INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, node_index)
    ) WITHOUT ROWID;
    CREATE TABLE tree_heads (
        tree_size INTEGER NOT NULL,
        root BLOB NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        signature BLOB NOT NULL,
        PRIMARY KEY (tree_size, timestamp_ms)
    );
    """,
    # 2 -> 3: studies, accepted submissions, aggregates and releases
    """
    CREATE TABLE studies (
        study_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        spec BLOB NOT NULL,
        circuit_keys BLOB NOT NULL,
        context_blob TEXT NOT NULL,
        state TEXT NOT NULL,
        aggregate_blob TEXT,
        release BLOB,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE submissions (
        study_id TEXT NOT NULL REFERENCES studies(study_id),
        participant TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        submission_blob TEXT NOT NULL,
        receipt BLOB NOT NULL,
        audit_leaf INTEGER NOT NULL,
        PRIMARY KEY (study_id, participant),
        UNIQUE (study_id, sequence)
    );
    """,
    # 3 -> 4: the organisation (from its certificate or token) that opened each study
    """
    ALTER TABLE studies ADD COLUMN requester TEXT NOT NULL DEFAULT ''
    """,
    # published schemas (by name) and each study's public proving key (.zkey blob)
    """
    CREATE TABLE schemas (
        name TEXT PRIMARY KEY,
        schema_json TEXT NOT NULL,
        schema_sha256 TEXT NOT NULL,
        publisher TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE study_proving_keys (
        study_id TEXT PRIMARY KEY,
        zkey_blob TEXT NOT NULL
    )
    """,
]

DATABASE_NAME = "zkgate.sqlite3"


def _first(rows: list[str], count: int = 3) -> str:
    """The first few lines of a check's report, and how many more there are."""
    lines = [line for row in rows for line in row.splitlines() if line.strip()]
    more = f"; {len(lines) - count} more" if len(lines) > count else ""
    return "; ".join(lines[:count]) + more


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _SqliteNodes:
    """The audit tree's node store in the database (used inside the store's transactions)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, level: int, index: int) -> bytes:
        row = self.db.execute(
            "SELECT hash FROM audit_nodes WHERE level = ? AND node_index = ?", (level, index)
        ).fetchone()
        if row is None:
            raise KeyError(f"audit node ({level}, {index}) is missing")
        return bytes(row[0])

    def put(self, level: int, index: int, value: bytes) -> None:
        self.db.execute("INSERT INTO audit_nodes (level, node_index, hash) VALUES (?, ?, ?)", (level, index, value))

    def size(self) -> int:
        # leaves are written densely from 0, so the largest index + 1 is the size (an O(log n) lookup)
        row = self.db.execute("SELECT MAX(node_index) FROM audit_nodes WHERE level = 0").fetchone()
        return 0 if row[0] is None else row[0] + 1


class SqliteStore(Store):
    def __init__(self, data_dir: str | os.PathLike) -> None:
        self.data_dir = Path(data_dir)
        self.blob_dir = self.data_dir / "blobs"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        for partial in self.blob_dir.glob(".*.tmp"):  # a blob write cut short by a crash: never referenced
            partial.unlink(missing_ok=True)
        self._lock = threading.RLock()
        self._verified = VerifiedFiles()
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
        self._log = MerkleLog(_SqliteNodes(self._db))

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
        path = Path(self._blob_file(blob_id))
        if path.exists() and path.stat().st_size == len(data) and file_sha256(path) == blob_id:
            return blob_id
        # absent, or damaged at rest: (re)write it, so that storing the same bytes again repairs it
        tmp = self.blob_dir / f".{blob_id}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_directory(self.blob_dir)
        self._verified.forget(blob_id)
        return blob_id

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

    # -- helpers ---------------------------------------------------------------------------
    def _insert_idempotent(self, table: str, key: str, record, cls, audit: AuditEntry | None = None):
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
                if audit is not None:
                    self._append_audit_locked(audit)
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
    def add_circuit(self, record: CircuitRecord, audit: AuditEntry | None = None) -> CircuitRecord:
        return self._insert_idempotent("circuits", "circuit_id", record, CircuitRecord, audit)

    def get_circuit(self, circuit_id: str) -> CircuitRecord | None:
        found = self._select(CircuitRecord, "circuits", "WHERE circuit_id = ?", (circuit_id,))
        return found[0] if found else None

    def list_circuits(self) -> list[CircuitRecord]:
        return self._select(CircuitRecord, "circuits", "ORDER BY created_at, circuit_id")

    # -- data sets -------------------------------------------------------------------------
    def add_dataset(self, record: DatasetRecord, audit: AuditEntry | None = None) -> DatasetRecord:
        return self._insert_idempotent("datasets", "dataset_id", record, DatasetRecord, audit)

    def get_dataset(self, dataset_id: str) -> DatasetRecord | None:
        found = self._select(DatasetRecord, "datasets", "WHERE dataset_id = ?", (dataset_id,))
        return found[0] if found else None

    def list_datasets(self, owner: str = "") -> list[DatasetRecord]:
        if owner:
            return self._select(DatasetRecord, "datasets", "WHERE owner = ? ORDER BY created_at, dataset_id", (owner,))
        return self._select(DatasetRecord, "datasets", "ORDER BY created_at, dataset_id")

    # -- studies ---------------------------------------------------------------------------
    def _transaction(self, work):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work()
                self._db.execute("COMMIT")
                return result
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def add_schema(self, record: SchemaRecord, audit: AuditEntry | None = None) -> SchemaRecord:
        return self._insert_idempotent("schemas", "name", record, SchemaRecord, audit)

    def get_schema(self, name: str) -> SchemaRecord | None:
        found = self._select(SchemaRecord, "schemas", "WHERE name = ?", (name,))
        return found[0] if found else None

    def list_schemas(self) -> list[SchemaRecord]:
        return self._select(SchemaRecord, "schemas", "ORDER BY name")

    def add_study_proving_key(self, record: StudyProvingKeyRecord) -> StudyProvingKeyRecord:
        return self._insert_idempotent("study_proving_keys", "study_id", record, StudyProvingKeyRecord)

    def get_study_proving_key(self, study_id: str) -> StudyProvingKeyRecord | None:
        found = self._select(StudyProvingKeyRecord, "study_proving_keys", "WHERE study_id = ?", (study_id,))
        return found[0] if found else None

    def add_study(self, record: StudyRecord, audit: AuditEntry | None = None) -> StudyRecord:
        return self._insert_idempotent("studies", "study_id", record, StudyRecord, audit)

    def get_study(self, study_id: str) -> StudyRecord | None:
        found = self._select(StudyRecord, "studies", "WHERE study_id = ?", (study_id,))
        return found[0] if found else None

    def list_studies(self) -> list[StudyRecord]:
        return self._select(StudyRecord, "studies", "ORDER BY created_at, study_id")

    def add_submission(self, record: SubmissionRecord, audit: AuditEntry) -> SubmissionRecord:
        def work():
            row = self._db.execute(
                "SELECT submission_blob, receipt, sequence, audit_leaf FROM submissions WHERE study_id = ? AND participant = ?",
                (record.study_id, record.participant),
            ).fetchone()
            if row is not None:
                if row[0] != record.submission_blob:
                    raise AlreadyExistsError(f"{record.participant!r} already submitted to study {record.study_id}")
                return SubmissionRecord(record.study_id, record.participant, row[2], row[0], bytes(row[1]), row[3])
            leaf = self._append_audit_locked(audit)
            self._db.execute(
                "INSERT INTO submissions (study_id, participant, sequence, submission_blob, receipt, audit_leaf) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (record.study_id, record.participant, record.sequence, record.submission_blob, record.receipt, leaf),
            )
            return SubmissionRecord(record.study_id, record.participant, record.sequence, record.submission_blob,
                                    record.receipt, leaf)

        return self._transaction(work)

    def list_submissions(self, study_id: str) -> list[SubmissionRecord]:
        return self._select(SubmissionRecord, "submissions", "WHERE study_id = ? ORDER BY sequence", (study_id,))

    def set_study_state(self, study_id: str, state: str, audit: AuditEntry, *, aggregate_blob: str | None = None,
                        release: bytes | None = None) -> None:
        def work():
            self._db.execute(
                "UPDATE studies SET state = ?, aggregate_blob = COALESCE(?, aggregate_blob), "
                "release = COALESCE(?, release) WHERE study_id = ?",
                (state, aggregate_blob, release, study_id),
            )
            self._append_audit_locked(audit)

        self._transaction(work)

    # -- audit log -------------------------------------------------------------------------
    def _append_audit_locked(self, entry: AuditEntry) -> int:
        """Append inside the caller's transaction (the record and its leaf commit together)."""
        index = self._log.size
        self._db.execute(
            "INSERT INTO audit_leaves (leaf_index, kind, data) VALUES (?, ?, ?)", (index, entry.kind, entry.data)
        )
        self._log.append(entry.leaf_bytes())
        return index

    def append_audit(self, entry: AuditEntry) -> int:
        return self._transaction(lambda: self._append_audit_locked(entry))

    def audit_log(self) -> MerkleLog:
        return self._log

    def audit_entries(self, start: int, end: int) -> list[tuple[int, AuditEntry]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT leaf_index, kind, data FROM audit_leaves WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
                (start, end),
            ).fetchall()
        return [(row[0], AuditEntry(kind=row[1], data=bytes(row[2]))) for row in rows]

    def audit_read(self, fn):
        """Run ``fn(log)`` under the store's lock (a consistent view of the tree)."""
        with self._lock:
            return fn(self._log)

    def save_tree_head(self, head: SignedTreeHead) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO tree_heads (tree_size, root, timestamp_ms, signature) VALUES (?, ?, ?, ?)",
                (head.tree_size, head.root, head.timestamp_ms, head.signature),
            )

    def latest_tree_head(self) -> SignedTreeHead | None:
        with self._lock:
            r = self._db.execute(
                "SELECT tree_size, root, timestamp_ms, signature FROM tree_heads "
                "ORDER BY tree_size DESC, timestamp_ms DESC LIMIT 1"
            ).fetchone()
        return None if r is None else SignedTreeHead(tree_size=r[0], root=bytes(r[1]), timestamp_ms=r[2], signature=bytes(r[3]))

    def tree_heads(self) -> list[SignedTreeHead]:
        with self._lock:
            rows = self._db.execute(
                "SELECT tree_size, root, timestamp_ms, signature FROM tree_heads ORDER BY tree_size, timestamp_ms"
            ).fetchall()
        return [SignedTreeHead(tree_size=r[0], root=bytes(r[1]), timestamp_ms=r[2], signature=bytes(r[3])) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(data_dir: str | os.PathLike, url: str | None = None, *, check: bool = True) -> Store:
    """Open (creating and migrating as needed) the store: SQLite under ``data_dir``, or the
    PostgreSQL database at ``url`` (``postgresql://...``; ``data_dir`` then holds a blob cache).

    With ``check`` (the default, and what the gateway does at start-up) the store's quick check
    runs first: StoredDataError, naming the database, when it finds damage."""
    if url:
        from zkgate.services.gateway.store.postgres import PostgresStore, is_postgres_url

        if not is_postgres_url(url):
            raise ValueError(f"unsupported store URL {url!r}: give postgresql://USER@HOST:PORT/DB")
        store: Store = PostgresStore(url, data_dir)
    else:
        store = SqliteStore(data_dir)
    if check:
        try:
            store.quick_check()
        except BaseException:
            store.close()
            raise
    return store
