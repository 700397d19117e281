"""PostgreSQL store (psycopg 3): the same interface as the SQLite store, for deployments that
outgrow one machine.  Several gateway processes can share one database.

* Every record and its audit leaf commit in one transaction, as with SQLite.
* Log appends are serialised across processes by a transaction-level advisory lock
  (``pg_advisory_xact_lock``) taken before the log's size is read; it is released at commit or
  rollback, so two leaves never share an index (the primary key would refuse it anyway) and a
  rolled-back append leaves no gap: the next one takes the same index.
* Blobs live in the database (``bytea``, content-addressed), so every process sees them; a local
  cache folder serves ``blob_path`` (large keys are memory-mapped from a file).
* The schema is versioned in ``zkgate_schema``; migrations run under their own advisory lock, so
  processes starting together do not race.

What several processes do not share is each process's in-memory study aggregator: route the
submissions of one study to one gateway process (reads, the catalog and the log are shared).
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from contextlib import contextmanager
from dataclasses import astuple, fields
from pathlib import Path

from zkgate.audit import MerkleLog
from zkgate.audit.tree_head import SignedTreeHead
from zkgate.services.errors import AlreadyExistsError, StoredDataError
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
from zkgate.services.gateway.store.integrity import VerifiedFiles, check_blob_bytes, log, missing_blob_error

AUDIT_LOCK = 0x7A6B_6761_7465_0001  # advisory lock keys ("zkgate" ...)
MIGRATION_LOCK = 0x7A6B_6761_7465_0002

MIGRATIONS: list[str] = [
    # 0 -> 1: everything the SQLite store has at its version 4
    """
    CREATE TABLE blobs (
        blob_id TEXT PRIMARY KEY,
        data BYTEA NOT NULL
    );
    CREATE TABLE circuits (
        circuit_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        n_public INTEGER NOT NULL,
        n_vars BIGINT NOT NULL,
        domain_size BIGINT NOT NULL,
        dev_only BOOLEAN NOT NULL,
        zkey_blob TEXT NOT NULL,
        r1cs_blob TEXT,
        verification_key_json TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    );
    CREATE TABLE datasets (
        dataset_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        root TEXT NOT NULL,
        signing_public_key BYTEA NOT NULL,
        schema_json TEXT NOT NULL,
        registration BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    );
    CREATE INDEX datasets_by_owner ON datasets(owner);
    CREATE TABLE audit_leaves (
        leaf_index BIGINT PRIMARY KEY,
        kind TEXT NOT NULL,
        data BYTEA NOT NULL
    );
    CREATE TABLE audit_nodes (
        level INTEGER NOT NULL,
        node_index BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        PRIMARY KEY (level, node_index)
    );
    CREATE TABLE tree_heads (
        tree_size BIGINT NOT NULL,
        root BYTEA NOT NULL,
        timestamp_ms BIGINT NOT NULL,
        signature BYTEA NOT NULL,
        PRIMARY KEY (tree_size, timestamp_ms)
    );
    CREATE TABLE studies (
        study_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        spec BYTEA NOT NULL,
        circuit_keys BYTEA NOT NULL,
        context_blob TEXT NOT NULL,
        state TEXT NOT NULL,
        aggregate_blob TEXT,
        release BYTEA,
        requester TEXT NOT NULL DEFAULT '',
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    );
    CREATE TABLE submissions (
        study_id TEXT NOT NULL REFERENCES studies(study_id),
        participant TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        submission_blob TEXT NOT NULL,
        receipt BYTEA NOT NULL,
        audit_leaf BIGINT NOT NULL,
        PRIMARY KEY (study_id, participant),
        UNIQUE (study_id, sequence)
    )
    """,
    # published schemas (by name) and each study's public proving key (.zkey blob)
    """
    CREATE TABLE schemas (
        name TEXT PRIMARY KEY,
        schema_json TEXT NOT NULL,
        schema_sha256 TEXT NOT NULL,
        publisher TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    );
    CREATE TABLE study_proving_keys (
        study_id TEXT PRIMARY KEY,
        zkey_blob TEXT NOT NULL
    )
    """,
]


def is_postgres_url(text: str | None) -> bool:
    return bool(text) and text.split(":", 1)[0] in ("postgres", "postgresql")


def redacted_url(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class _PgNodes:
    """The audit tree's node store, inside the caller's transaction (cursor)."""

    def __init__(self, cur) -> None:
        self.cur = cur

    def get(self, level: int, index: int) -> bytes:
        row = self.cur.execute(
            "SELECT hash FROM audit_nodes WHERE level = %s AND node_index = %s", (level, index)
        ).fetchone()
        if row is None:
            raise KeyError(f"audit node ({level}, {index}) is missing")
        return bytes(row[0])

    def put(self, level: int, index: int, value: bytes) -> None:
        self.cur.execute("INSERT INTO audit_nodes (level, node_index, hash) VALUES (%s, %s, %s)", (level, index, value))

    def size(self) -> int:
        row = self.cur.execute("SELECT MAX(node_index) FROM audit_nodes WHERE level = 0").fetchone()
        return 0 if row[0] is None else row[0] + 1


class PostgresStore(Store):
    def __init__(self, url: str, cache_dir: str | os.PathLike, pool_size: int = 8) -> None:
        try:
            import psycopg
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
    def _transaction(self, isolation: str | None = None):
        """A cursor in one transaction: committed on success, rolled back on any error."""
        with self._conn() as conn:
            try:
                with conn.cursor() as cur:
                    if isolation:
                        cur.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                    yield cur
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    def _migrate(self) -> None:
        with self._transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            cur.execute("CREATE TABLE IF NOT EXISTS zkgate_schema (version INTEGER NOT NULL)")
            row = cur.execute("SELECT version FROM zkgate_schema").fetchone()
            if row is None:
                cur.execute("INSERT INTO zkgate_schema (version) VALUES (0)")
                version = 0
            else:
                version = row[0]
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"the database has zkgate schema version {version}, newer than this zkgate understands "
                    f"({len(MIGRATIONS)}); upgrade zkgate"
                )
            for target in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        cur.execute(statement)
                cur.execute("UPDATE zkgate_schema SET version = %s", (target + 1,))

    @property
    def schema_version(self) -> int:
        with self._transaction() as cur:
            return cur.execute("SELECT version FROM zkgate_schema").fetchone()[0]

    # -- blobs -------------------------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        blob_id = hashlib.sha256(data).hexdigest()
        with self._transaction() as cur:
            cur.execute("INSERT INTO blobs (blob_id, data) VALUES (%s, %s) ON CONFLICT (blob_id) DO NOTHING",
                        (blob_id, data))
        return blob_id

    def read_blob(self, blob_id: str) -> bytes:
        """The blob's bytes, re-hashed: a damaged or missing blob raises StoredDataError (DATA_LOSS)."""
        self._check_blob_id(blob_id)
        with self._transaction() as cur:
            row = cur.execute("SELECT data FROM blobs WHERE blob_id = %s", (blob_id,)).fetchone()
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
        data = self.read_blob(blob_id)
        tmp = self.cache_dir / f".{blob_id}.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return self._verified.check(blob_id, str(path))

    @staticmethod
    def _check_blob_id(blob_id: str) -> None:
        if len(blob_id) != 64 or not all(c in "0123456789abcdef" for c in blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _record(cls, row):
        values = []
        for f, value in zip(fields(cls), row):
            if f.type in ("bytes", bytes, "bytes | None") and value is not None:
                value = bytes(value)
            values.append(value)
        return cls(*values)

    def _select(self, cls, table: str, where: str = "", params: tuple = ()):
        names = ", ".join(f.name for f in fields(cls))
        with self._transaction() as cur:
            rows = cur.execute(f"SELECT {names} FROM {table} {where}", params).fetchall()
        return [self._record(cls, row) for row in rows]

    def _insert_idempotent(self, table: str, key: str, record, cls, audit: AuditEntry | None = None):
        names = [f.name for f in fields(cls)]
        with self._transaction() as cur:
            if audit is not None:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
            inserted = cur.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
                f"ON CONFLICT ({key}) DO NOTHING RETURNING {key}",
                astuple(record),
            ).fetchone()
            if inserted is not None:
                if audit is not None:
                    self._append_locked(cur, audit)
                return record
            row = cur.execute(f"SELECT {', '.join(names)} FROM {table} WHERE {key} = %s",
                              (getattr(record, key),)).fetchone()
        existing = self._record(cls, row)
        if existing != record:
            raise AlreadyExistsError(f"{table[:-1]} {getattr(record, key)} is already registered with different content")
        return existing

    # -- circuits, data sets, studies --------------------------------------------------------
    def add_circuit(self, record: CircuitRecord, audit: AuditEntry | None = None) -> CircuitRecord:
        return self._insert_idempotent("circuits", "circuit_id", record, CircuitRecord, audit)

    def get_circuit(self, circuit_id: str) -> CircuitRecord | None:
        found = self._select(CircuitRecord, "circuits", "WHERE circuit_id = %s", (circuit_id,))
        return found[0] if found else None

    def list_circuits(self) -> list[CircuitRecord]:
        return self._select(CircuitRecord, "circuits", "ORDER BY created_at, circuit_id")

    def add_dataset(self, record: DatasetRecord, audit: AuditEntry | None = None) -> DatasetRecord:
        return self._insert_idempotent("datasets", "dataset_id", record, DatasetRecord, audit)

    def get_dataset(self, dataset_id: str) -> DatasetRecord | None:
        found = self._select(DatasetRecord, "datasets", "WHERE dataset_id = %s", (dataset_id,))
        return found[0] if found else None

    def list_datasets(self, owner: str = "") -> list[DatasetRecord]:
        if owner:
            return self._select(DatasetRecord, "datasets", "WHERE owner = %s ORDER BY created_at, dataset_id", (owner,))
        return self._select(DatasetRecord, "datasets", "ORDER BY created_at, dataset_id")

    def add_schema(self, record: SchemaRecord, audit: AuditEntry | None = None) -> SchemaRecord:
        return self._insert_idempotent("schemas", "name", record, SchemaRecord, audit)

    def get_schema(self, name: str) -> SchemaRecord | None:
        found = self._select(SchemaRecord, "schemas", "WHERE name = %s", (name,))
        return found[0] if found else None

    def list_schemas(self) -> list[SchemaRecord]:
        return self._select(SchemaRecord, "schemas", "ORDER BY name")

    def add_study_proving_key(self, record: StudyProvingKeyRecord) -> StudyProvingKeyRecord:
        return self._insert_idempotent("study_proving_keys", "study_id", record, StudyProvingKeyRecord)

    def get_study_proving_key(self, study_id: str) -> StudyProvingKeyRecord | None:
        found = self._select(StudyProvingKeyRecord, "study_proving_keys", "WHERE study_id = %s", (study_id,))
        return found[0] if found else None

    def add_study(self, record: StudyRecord, audit: AuditEntry | None = None) -> StudyRecord:
        return self._insert_idempotent("studies", "study_id", record, StudyRecord, audit)

    def get_study(self, study_id: str) -> StudyRecord | None:
        found = self._select(StudyRecord, "studies", "WHERE study_id = %s", (study_id,))
        return found[0] if found else None

    def list_studies(self) -> list[StudyRecord]:
        return self._select(StudyRecord, "studies", "ORDER BY created_at, study_id")

    def add_submission(self, record: SubmissionRecord, audit: AuditEntry) -> SubmissionRecord:
        with self._transaction() as cur:
            # the audit lock also serialises the check-then-insert of submissions
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
            row = cur.execute(
                "SELECT submission_blob, receipt, sequence, audit_leaf FROM submissions "
                "WHERE study_id = %s AND participant = %s",
                (record.study_id, record.participant),
            ).fetchone()
            if row is not None:
                if row[0] != record.submission_blob:
                    raise AlreadyExistsError(f"{record.participant!r} already submitted to study {record.study_id}")
                return SubmissionRecord(record.study_id, record.participant, row[2], row[0], bytes(row[1]), row[3])
            leaf = self._append_locked(cur, audit)
            cur.execute(
                "INSERT INTO submissions (study_id, participant, sequence, submission_blob, receipt, audit_leaf) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (record.study_id, record.participant, record.sequence, record.submission_blob, record.receipt, leaf),
            )
        return SubmissionRecord(record.study_id, record.participant, record.sequence, record.submission_blob,
                                record.receipt, leaf)

    def list_submissions(self, study_id: str) -> list[SubmissionRecord]:
        return self._select(SubmissionRecord, "submissions", "WHERE study_id = %s ORDER BY sequence", (study_id,))

    def set_study_state(self, study_id: str, state: str, audit: AuditEntry, *, aggregate_blob: str | None = None,
                        release: bytes | None = None) -> None:
        with self._transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
            cur.execute(
                "UPDATE studies SET state = %s, aggregate_blob = COALESCE(%s, aggregate_blob), "
                "release = COALESCE(%s, release) WHERE study_id = %s",
                (state, aggregate_blob, release, study_id),
            )
            self._append_locked(cur, audit)

    # -- audit log -----------------------------------------------------------------------------
    def _append_locked(self, cur, entry: AuditEntry) -> int:
        """Append inside the caller's transaction, which holds the audit advisory lock."""
        log = MerkleLog(_PgNodes(cur))
        index = log.size
        cur.execute("INSERT INTO audit_leaves (leaf_index, kind, data) VALUES (%s, %s, %s)",
                    (index, entry.kind, entry.data))
        log.append(entry.leaf_bytes())
        return index

    def append_audit(self, entry: AuditEntry) -> int:
        with self._transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
            return self._append_locked(cur, entry)

    def audit_entries(self, start: int, end: int) -> list[tuple[int, AuditEntry]]:
        with self._transaction() as cur:
            rows = cur.execute(
                "SELECT leaf_index, kind, data FROM audit_leaves WHERE leaf_index >= %s AND leaf_index < %s "
                "ORDER BY leaf_index",
                (start, end),
            ).fetchall()
        return [(row[0], AuditEntry(kind=row[1], data=bytes(row[2]))) for row in rows]

    def audit_read(self, fn):
        """Run ``fn(log)`` on one snapshot of the tree (a REPEATABLE READ transaction)."""
        with self._transaction("REPEATABLE READ") as cur:
            return fn(MerkleLog(_PgNodes(cur)))

    def save_tree_head(self, head: SignedTreeHead) -> None:
        with self._transaction() as cur:
            cur.execute(
                "INSERT INTO tree_heads (tree_size, root, timestamp_ms, signature) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (head.tree_size, head.root, head.timestamp_ms, head.signature),
            )

    def latest_tree_head(self) -> SignedTreeHead | None:
        with self._transaction() as cur:
            r = cur.execute(
                "SELECT tree_size, root, timestamp_ms, signature FROM tree_heads "
                "ORDER BY tree_size DESC, timestamp_ms DESC LIMIT 1"
            ).fetchone()
        return None if r is None else SignedTreeHead(tree_size=r[0], root=bytes(r[1]), timestamp_ms=r[2], signature=bytes(r[3]))

    def tree_heads(self) -> list[SignedTreeHead]:
        with self._transaction() as cur:
            rows = cur.execute(
                "SELECT tree_size, root, timestamp_ms, signature FROM tree_heads ORDER BY tree_size, timestamp_ms"
            ).fetchall()
        return [SignedTreeHead(tree_size=r[0], root=bytes(r[1]), timestamp_ms=r[2], signature=bytes(r[3])) for r in rows]

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                break
            conn.close()
