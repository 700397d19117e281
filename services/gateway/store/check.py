"""``zkgate store check``: a full, read-only examination of a gateway's store.

It runs without the gateway (or beside it: it only reads) and reports every problem it finds:

* SQLite: ``PRAGMA integrity_check`` (every B-tree page, index and constraint);
* blobs: every stored blob re-hashed against its id, every blob a record names present;
* records: every stored spec, key bundle, registration, receipt (and its gateway signature) and
  release decoded as the gateway will decode it;
* the audit log: every leaf hash recomputed from its entry (``SHA-256(0x00 || kind || 0x00 ||
  data)``), every stored node recomputed from its children, every signed tree head's root
  recomputed and its signature checked with the log key (``log_signing_key.pem``).

The verdict is an exit status: 0 clean, 1 damage found, 2 the store cannot be checked (no such
folder, a database file SQLite cannot open, a schema newer than this zkgate).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from zkgate.audit import TreeHeadSigner
from zkgate.audit.merkle import MerkleLog
from zkgate.audit.tree_head import SignedTreeHead, verify_tree_head
from zkgate.errors import ZkgateError
from zkgate.study.catalog import Registration
from zkgate.study.keys import CircuitKeys
from zkgate.study.messages import Receipt, Release
from zkgate.study.spec import StudySpec

from ..servicers.audit import LOG_KEY_FILE
from .base import AuditEntry
from .integrity import file_sha256
from .postgres import redacted_url
from .schema import SCHEMA_VERSION
from .sqlite import DATABASE_NAME

CLEAN, DAMAGED, CANNOT_CHECK = 0, 1, 2
BLOB_ID = re.compile(r"[0-9a-f]{64}")


class CannotCheckError(ZkgateError):
    """The store cannot be examined at all (exit 2): the message says which file and why."""


@dataclass(frozen=True)
class Problem:
    where: str  # a file, a table row, a blob or an audit node
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class StoreReport:
    location: str
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return DAMAGED if self.problems else CLEAN

    def add(self, where: str, what: str) -> None:
        self.problems.append(Problem(where, what))

    def lines(self) -> list[str]:
        checked = ", ".join(f"{count} {name}" for name, count in self.counts.items())
        head = [f"store {self.location}: checked {checked}"]
        if not self.problems:
            return head + ["OK: no damage found"]
        return head + [f"DAMAGED: {p}" for p in self.problems] + [
            f"{len(self.problems)} problem(s) found: restore the damaged data from a backup; "
            "the gateway refuses to serve damaged blobs and records (gRPC DATA_LOSS)"
        ]


# -- the database, through one small reader for SQLite and PostgreSQL ---------------------------
class _Rows:
    """Runs the check's read-only queries (parameterless, identical SQL on both databases)."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def all(self, sql: str) -> Iterator[tuple]:
        cursor = self.connection.execute(sql)
        while batch := cursor.fetchmany(1000):
            yield from batch

    def one(self, sql: str):
        return self.connection.execute(sql).fetchone()


def check_store(data_dir: str | os.PathLike, url: str | None = None) -> StoreReport:
    """Examine the store of the gateway whose data folder is ``data_dir`` (and whose PostgreSQL
    database is ``url``, if it uses one).  Raises CannotCheckError when it cannot."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise CannotCheckError(f"{data_dir}: no such data folder (give the gateway's --data-dir)")
    if url:
        return _check_postgres(data_dir, url)
    return _check_sqlite(data_dir)


def _check_sqlite(data_dir: Path) -> StoreReport:
    path = data_dir / DATABASE_NAME
    if not path.is_file():
        raise CannotCheckError(f"{path}: no gateway database here (give the gateway's --data-dir)")
    report = StoreReport(str(path))
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CannotCheckError(
            f"{path}: SQLite cannot open the database ({exc}): its header is damaged or it is not a "
            "zkgate database; restore it from a backup"
        ) from exc
    try:
        if version != SCHEMA_VERSION:
            raise CannotCheckError(
                f"{path}: schema version {version}, this zkgate checks version {SCHEMA_VERSION} "
                "(start the gateway once to migrate an older store; upgrade zkgate for a newer one)"
            )
        try:
            rows = [row[0] for row in db.execute("PRAGMA integrity_check(100)").fetchall()]
        except sqlite3.DatabaseError as exc:
            rows = [str(exc)]
        report.counts["database pages"] = db.execute("PRAGMA page_count").fetchone()[0]
        if rows != ["ok"]:
            for row in rows:
                report.add(DATABASE_NAME, f"integrity_check: {row}")
        try:
            _check_contents(_Rows(db), report, data_dir, _sqlite_blobs(data_dir / "blobs", report))
        except sqlite3.DatabaseError as exc:
            report.add(DATABASE_NAME, f"reading the tables failed ({exc}); the checks after it did not run")
    finally:
        db.close()
    return report


def _sqlite_blobs(blob_dir: Path, report: StoreReport) -> set[str]:
    """Re-hash every blob file; returns the ids present (damaged ones included)."""
    present: set[str] = set()
    if not blob_dir.is_dir():
        return present
    for path in sorted(blob_dir.iterdir()):
        name = path.name
        if name.startswith("."):  # a write cut short by a crash: removed at the next start
            continue
        if not BLOB_ID.fullmatch(name):
            report.add(f"blobs/{name}", "not a blob (a blob file is named by the SHA-256 of its content)")
            continue
        present.add(name)
        actual = file_sha256(path)
        if actual != name:
            report.add(f"blobs/{name}", f"damaged: its content hashes to {actual}")
    report.counts["blobs"] = len(present)
    return present


def _check_postgres(data_dir: Path, url: str) -> StoreReport:
    try:
        import psycopg  # an optional dependency (the postgres extra): imported when used
    except ImportError as exc:
        raise CannotCheckError("checking a PostgreSQL store needs psycopg 3: pip install 'zkgate[postgres]'") from exc
    report = StoreReport(redacted_url(url))
    try:
        conn = psycopg.connect(url, autocommit=False)
    except Exception as exc:  # noqa: BLE001 - any connection failure: cannot check, saying why
        raise CannotCheckError(f"{redacted_url(url)}: cannot connect ({exc})") from exc
    try:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute("SELECT to_regclass('zkgate_schema')").fetchone()
        version = conn.execute("SELECT version FROM zkgate_schema").fetchone()[0] if row[0] else 0
        # (a database not yet migrated by this zkgate holds at most version 2 in its own numbering)
        if version != SCHEMA_VERSION:
            raise CannotCheckError(
                f"{redacted_url(url)}: zkgate schema version {version}, this zkgate checks version {SCHEMA_VERSION} "
                "(start the gateway once to migrate an older store; upgrade zkgate for a newer one)"
            )
        rows = _Rows(conn)
        present: set[str] = set()
        for blob_id, data in rows.all("SELECT blob_id, data FROM blobs ORDER BY blob_id"):
            present.add(blob_id)
            actual = hashlib.sha256(bytes(data)).hexdigest()
            if actual != blob_id:
                report.add(f"blobs table, blob {blob_id}", f"damaged: its content hashes to {actual}")
        report.counts["blobs"] = len(present)
        cache = data_dir / "blob-cache"
        if cache.is_dir():  # the local cache is rewritten from the database when damaged: report only
            for path in sorted(cache.iterdir()):
                if BLOB_ID.fullmatch(path.name) and file_sha256(path) != path.name:
                    report.add(f"{path}", "damaged cache file (the gateway rewrites it from the database)")
        _check_contents(rows, report, data_dir, present)
    finally:
        conn.rollback()
        conn.close()
    return report


# -- what both databases hold ------------------------------------------------------------------
def _check_contents(rows: _Rows, report: StoreReport, data_dir: Path, blobs: set[str]) -> None:
    _check_references(rows, report, blobs)
    _check_records(rows, report)
    _check_audit_log(rows, report, data_dir)


def _check_references(rows: _Rows, report: StoreReport, blobs: set[str]) -> None:
    references: Iterable[tuple[str, str]] = [
        *((f"circuit {r[0]} (its .zkey)", r[1]) for r in rows.all("SELECT circuit_id, zkey_blob FROM circuits")),
        *((f"circuit {r[0]} (its .r1cs)", r[1]) for r in rows.all("SELECT circuit_id, r1cs_blob FROM circuits")),
        *((f"study {r[0]} (its HE context)", r[1]) for r in rows.all("SELECT study_id, context_blob FROM studies")),
        *((f"study {r[0]} (its aggregate)", r[1]) for r in rows.all("SELECT study_id, aggregate_blob FROM studies")),
        *((f"study {r[0]}, submission of {r[1]!r}", r[2])
          for r in rows.all("SELECT study_id, participant, submission_blob FROM submissions")),
    ]
    for owner, blob_id in references:
        if blob_id and blob_id not in blobs:
            report.add(f"blob {blob_id}", f"missing: {owner} names it")


def _decode(report: StoreReport, where: str, fn, *args):
    try:
        return fn(*args)
    except (ZkgateError, ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
        report.add(where, f"does not decode ({exc})")
        return None


def _check_records(rows: _Rows, report: StoreReport) -> None:
    count = 0
    for dataset_id, registration in rows.all("SELECT dataset_id, registration FROM datasets"):
        count += 1
        _decode(report, f"data set {dataset_id}, its registration", Registration.from_bytes, bytes(registration))
    gateway_keys: dict[str, bytes] = {}
    for study_id, spec, keys, release in rows.all("SELECT study_id, spec, circuit_keys, release FROM studies"):
        count += 1
        decoded = _decode(report, f"study {study_id}, its spec", StudySpec.from_bytes, bytes(spec))
        if decoded is not None:
            gateway_keys[study_id] = decoded.gateway_key
        _decode(report, f"study {study_id}, its circuit keys", CircuitKeys.from_bytes, bytes(keys))
        if release is not None:
            _decode(report, f"study {study_id}, its release", Release.from_bytes, bytes(release))
    for study_id, participant, receipt in rows.all("SELECT study_id, participant, receipt FROM submissions"):
        count += 1
        where = f"study {study_id}, the receipt of {participant!r}"
        decoded = _decode(report, where, Receipt.from_bytes, bytes(receipt))
        if decoded is not None and study_id in gateway_keys:
            _decode(report, where, decoded.verify_signature, gateway_keys[study_id])
    report.counts["records"] = count


def _log_public_key(data_dir: Path, report: StoreReport) -> bytes | None:
    path = data_dir / LOG_KEY_FILE
    if not path.exists():
        report.add(str(path), "missing: the signed tree heads cannot be checked without the log key")
        return None
    try:
        return TreeHeadSigner.from_pem(path.read_bytes()).public_key_bytes
    except (ZkgateError, ValueError, TypeError) as exc:
        report.add(str(path), f"not a readable log signing key, Ed25519+ML-DSA-65 or Ed25519 ({exc})")
        return None


def _check_audit_log(rows: _Rows, report: StoreReport, data_dir: Path) -> None:
    rebuilt = MerkleLog()
    for index, kind, data in rows.all("SELECT leaf_index, kind, data FROM audit_leaves ORDER BY leaf_index"):
        if index != rebuilt.size:
            report.add(f"audit_leaves row {index}", f"out of sequence: leaf {rebuilt.size} is missing")
            return  # the indices after a gap cannot be matched with nodes
        rebuilt.append(AuditEntry(kind, bytes(data)).leaf_bytes())
    size = rebuilt.size
    report.counts["audit leaves"] = size

    nodes = 0
    expected = {level: size >> level for level in range(size.bit_length())}
    seen = {level: 0 for level in expected}
    for level, index, stored in rows.all("SELECT level, node_index, hash FROM audit_nodes ORDER BY level, node_index"):
        nodes += 1
        where = f"audit_nodes (level {level}, index {index})"
        if level not in expected or index >= expected[level]:
            report.add(where, f"a node beyond the {size} logged entries (entries lost, or a stray node)")
            continue
        seen[level] += 1
        if bytes(stored) != rebuilt.nodes.get(level, index):
            what = "leaf hash" if level == 0 else "node hash"
            report.add(where, f"damaged: the stored {what} differs from the one recomputed from the entries")
    for level, count in expected.items():
        if seen[level] != count:
            report.add(f"audit_nodes (level {level})", f"{count - seen[level]} node(s) missing")
    report.counts["audit nodes"] = nodes

    key = _log_public_key(data_dir, report)
    heads = 0
    for tree_size, root, timestamp_ms, signature in rows.all(
        "SELECT tree_size, root, timestamp_ms, signature FROM tree_heads ORDER BY tree_size, timestamp_ms"
    ):
        heads += 1
        head = SignedTreeHead(tree_size, bytes(root), timestamp_ms, bytes(signature))
        where = f"tree head (size {tree_size}, time {timestamp_ms})"
        if key is not None:
            try:
                verify_tree_head(head, key)
            except ZkgateError:
                report.add(where, "its signature does not verify with the log key")
        if tree_size > size:
            report.add(where, f"signs {tree_size} leaves but the log holds {size}: entries were lost")
        elif rebuilt.root(tree_size) != head.root:
            report.add(where, "the root recomputed from the entries differs from the signed root")
    report.counts["signed tree heads"] = heads


__all__ = ["CANNOT_CHECK", "CLEAN", "DAMAGED", "CannotCheckError", "Problem", "StoreReport", "check_store"]
