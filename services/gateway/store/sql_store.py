"""What the SQLite and PostgreSQL stores share: every record and audit-log query, written once.

The queries use ``?`` placeholders and SQL both databases accept (``INSERT ... ON CONFLICT ...
DO NOTHING``); a backend supplies connections through three hooks:

* ``_writing(lock_audit)``: a cursor in one write transaction, committed when the block ends and
  rolled back on any error; with ``lock_audit`` the transaction also holds the lock that
  serialises audit-log appends (and the check-then-insert of submissions) across writers;
* ``_reading(snapshot)``: a cursor for reads; with ``snapshot`` every read in the block sees one
  consistent state of the audit tree;
* a cursor's ``execute(sql, params)`` returns an object with ``fetchone``, ``fetchall`` and
  ``rowcount`` (the PostgreSQL store translates ``?`` to its own placeholder).

Values come back as each database stores them (SQLite: 0/1 for booleans); :func:`record_from_row`
turns a row into the record dataclass by the types its fields declare.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import astuple, fields, replace
from typing import Any, Protocol

from zkgate.audit import MerkleLog
from zkgate.audit.tree_head import SignedTreeHead
from zkgate.study.errors import DuplicateSubmissionError, LateSubmissionError

from ...errors import AlreadyExistsError, NotFoundError, PreconditionError, TooLargeError
from .base import (
    AuditEntry,
    CircuitRecord,
    CommitteeMessage,
    DatasetRecord,
    NewSubmission,
    SchemaRecord,
    Store,
    StudyProvingKeyRecord,
    StudyRecord,
    SubmissionRecord,
)

TREE_HEAD_COLUMNS = "tree_size, root, timestamp_ms, signature"


class Cursor(Protocol):
    def execute(self, sql: str, params: tuple | list = ()) -> Any: ...


def record_from_row(cls, row):
    """The record ``cls`` from a row holding its fields in order (booleans and byte strings
    normalised: SQLite returns 0/1 for booleans, drivers may return memoryviews for bytes)."""
    values = []
    for f, value in zip(fields(cls), row, strict=True):
        if f.type in ("bool", bool):
            value = bool(value)
        elif f.type in ("bytes", bytes, "bytes | None") and value is not None:
            value = bytes(value)
        values.append(value)
    return cls(*values)


def tree_head_from_row(row) -> SignedTreeHead:
    return SignedTreeHead(tree_size=row[0], root=bytes(row[1]), timestamp_ms=row[2], signature=bytes(row[3]))


class AuditNodes:
    """The audit tree's node store in the ``audit_nodes`` table, through the caller's cursor (so
    that nodes commit, or roll back, with the transaction that appends their leaf)."""

    def __init__(self, cursor: Cursor) -> None:
        self.cursor = cursor

    def get(self, level: int, index: int) -> bytes:
        row = self.cursor.execute(
            "SELECT hash FROM audit_nodes WHERE level = ? AND node_index = ?", (level, index)
        ).fetchone()
        if row is None:
            raise KeyError(f"audit node ({level}, {index}) is missing")
        return bytes(row[0])

    def put(self, level: int, index: int, value: bytes) -> None:
        self.cursor.execute("INSERT INTO audit_nodes (level, node_index, hash) VALUES (?, ?, ?)", (level, index, value))

    def size(self) -> int:
        # leaves are written densely from 0, so the largest index + 1 is the size (an O(log n) lookup)
        row = self.cursor.execute("SELECT MAX(node_index) FROM audit_nodes WHERE level = 0").fetchone()
        return 0 if row[0] is None else row[0] + 1


class SqlStore(Store):
    """The record, study and audit-log part of :class:`Store` over a SQL database."""

    # -- what a backend provides ------------------------------------------------------------------
    @abc.abstractmethod
    def _writing(self, lock_audit: bool = False) -> AbstractContextManager[Cursor]: ...

    @abc.abstractmethod
    def _reading(self, snapshot: bool = False) -> AbstractContextManager[Cursor]: ...

    @property
    @abc.abstractmethod
    def schema_version(self) -> int:
        """The number of migrations (schema.MIGRATIONS) this database has run."""

    row_lock = ""
    """What a SELECT appends to lock the rows it reads until commit: nothing on SQLite (BEGIN
    IMMEDIATE serialises every writer already), `` FOR UPDATE`` on PostgreSQL."""

    def _lock_committees(self, cursor: Cursor) -> None:
        """Serialise committee registrations across writers (the bound on their number); SQLite
        serialises every writer already."""

    def _insert_blob(self, cursor: Cursor, blob_id: str, data: bytes) -> None:
        """Write a blob inside the caller's transaction (stores with ``blobs_in_transaction``)."""
        raise NotImplementedError(f"{type(self).__name__} keeps blobs outside its transactions: put_blob first")

    # -- helpers ----------------------------------------------------------------------------------
    def _select(self, cls, table: str, where: str = "", params: tuple = ()) -> list:
        names = ", ".join(f.name for f in fields(cls))
        with self._reading() as cursor:
            rows = cursor.execute(f"SELECT {names} FROM {table} {where}", params).fetchall()
        return [record_from_row(cls, row) for row in rows]

    def _select_one(self, cls, table: str, key: str, value: str):
        found = self._select(cls, table, f"WHERE {key} = ?", (value,))
        return found[0] if found else None

    def _insert_idempotent(self, table: str, key: str, record, audit: AuditEntry | None = None):
        """Insert ``record`` (and append ``audit`` in the same transaction); an identical stored
        record is returned as is, a different one under the same key raises AlreadyExistsError."""
        cls = type(record)
        names = [f.name for f in fields(cls)]
        with self._writing(lock_audit=audit is not None) as cursor:
            inserted = cursor.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON CONFLICT ({key}) DO NOTHING",
                astuple(record),
            ).rowcount
            if inserted == 1:
                if audit is not None:
                    self._append_audit(cursor, audit)
                return record
            row = cursor.execute(f"SELECT {', '.join(names)} FROM {table} WHERE {key} = ?",
                                 (getattr(record, key),)).fetchone()
        existing = record_from_row(cls, row)
        if existing != record:
            raise AlreadyExistsError(f"{table[:-1]} {getattr(record, key)} is already registered with different content")
        return existing

    # -- circuits ---------------------------------------------------------------------------------
    def add_circuit(self, record: CircuitRecord, audit: AuditEntry | None = None) -> CircuitRecord:
        return self._insert_idempotent("circuits", "circuit_id", record, audit)

    def get_circuit(self, circuit_id: str) -> CircuitRecord | None:
        return self._select_one(CircuitRecord, "circuits", "circuit_id", circuit_id)

    def list_circuits(self) -> list[CircuitRecord]:
        return self._select(CircuitRecord, "circuits", "ORDER BY created_at, circuit_id")

    # -- data sets --------------------------------------------------------------------------------
    def add_dataset(self, record: DatasetRecord, audit: AuditEntry | None = None) -> DatasetRecord:
        return self._insert_idempotent("datasets", "dataset_id", record, audit)

    def get_dataset(self, dataset_id: str) -> DatasetRecord | None:
        return self._select_one(DatasetRecord, "datasets", "dataset_id", dataset_id)

    def list_datasets(self, owner: str = "") -> list[DatasetRecord]:
        if owner:
            return self._select(DatasetRecord, "datasets", "WHERE owner = ? ORDER BY created_at, dataset_id", (owner,))
        return self._select(DatasetRecord, "datasets", "ORDER BY created_at, dataset_id")

    # -- published schemas ------------------------------------------------------------------------
    def add_schema(self, record: SchemaRecord, audit: AuditEntry | None = None) -> SchemaRecord:
        return self._insert_idempotent("schemas", "name", record, audit)

    def get_schema(self, name: str) -> SchemaRecord | None:
        return self._select_one(SchemaRecord, "schemas", "name", name)

    def list_schemas(self) -> list[SchemaRecord]:
        return self._select(SchemaRecord, "schemas", "ORDER BY name")

    # -- studies ----------------------------------------------------------------------------------
    def add_study_proving_key(self, record: StudyProvingKeyRecord) -> StudyProvingKeyRecord:
        return self._insert_idempotent("study_proving_keys", "study_id", record)

    def get_study_proving_key(self, study_id: str) -> StudyProvingKeyRecord | None:
        return self._select_one(StudyProvingKeyRecord, "study_proving_keys", "study_id", study_id)

    def add_study(self, record: StudyRecord, audit: AuditEntry | None = None) -> StudyRecord:
        return self._insert_idempotent("studies", "study_id", record, audit)

    def get_study(self, study_id: str) -> StudyRecord | None:
        return self._select_one(StudyRecord, "studies", "study_id", study_id)

    def list_studies(self) -> list[StudyRecord]:
        return self._select(StudyRecord, "studies", "ORDER BY created_at, study_id")

    def add_submission(self, record: SubmissionRecord, audit: AuditEntry) -> SubmissionRecord:
        # the audit lock also serialises the check-then-insert of submissions
        with self._writing(lock_audit=True) as cursor:
            row = cursor.execute(
                "SELECT submission_blob, receipt, sequence, audit_leaf FROM submissions "
                "WHERE study_id = ? AND participant = ?",
                (record.study_id, record.participant),
            ).fetchone()
            if row is not None:
                if row[0] != record.submission_blob:
                    raise AlreadyExistsError(f"{record.participant!r} already submitted to study {record.study_id}")
                return SubmissionRecord(record.study_id, record.participant, row[2], row[0], bytes(row[1]), row[3])
            leaf = self._append_audit(cursor, audit)
            cursor.execute(
                "INSERT INTO submissions (study_id, participant, sequence, submission_blob, receipt, audit_leaf) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (record.study_id, record.participant, record.sequence, record.submission_blob, record.receipt, leaf),
            )
        return SubmissionRecord(record.study_id, record.participant, record.sequence, record.submission_blob,
                                record.receipt, leaf)

    def accept_submissions(self, items: list[NewSubmission],
                           sign: Callable[[list], list[bytes]] | None = None) -> list[SubmissionRecord | Exception]:
        """Decide and write a group of submissions in one transaction (one durable commit for
        all: group commit).  The audit lock, taken first, serialises this against every other
        writer of every gateway process sharing the database, so the duplicate check, the study's
        state, the sequence number and the leaf index are read and written with nothing between.
        ``sign`` turns the accepted items' sealed receipts, in order, into the receipts stored (the
        gateway signs them as one batch); without it ``seal`` returns the receipt's bytes."""
        results: list[SubmissionRecord | Exception] = []
        self._blobs_durable()  # the group's blobs (put_blob_for_commit) before any row naming them
        with self._writing(lock_audit=True) as cursor:
            states: dict[str, str | None] = {}
            sequences: dict[str, int] = {}  # the next sequence number of each study in this group
            accepted: dict[tuple[str, str], int] = {}  # (study, participant) -> index into ``sealed``
            sealed: list[tuple[SubmissionRecord, Any]] = []  # the accepted ones, their receipts not yet signed
            for item in items:
                if item.study_id not in states:
                    row = cursor.execute("SELECT state FROM studies WHERE study_id = ?", (item.study_id,)).fetchone()
                    states[item.study_id] = None if row is None else row[0]
                try:
                    results.append(self._accept_one(cursor, item, states[item.study_id], sequences, accepted, sealed))
                except Exception as exc:  # noqa: BLE001 - refused before anything of it was written
                    results.append(exc)
            if sealed:
                receipts = [receipt for _, receipt in sealed]
                signed = receipts if sign is None else sign(receipts)
                if len(signed) != len(sealed):
                    raise RuntimeError("the receipt signer returned another number of receipts")
                records = [replace(record, receipt=bytes(receipt)) for (record, _), receipt in zip(sealed, signed)]
                for record in records:
                    cursor.execute(
                        "INSERT INTO submissions (study_id, participant, sequence, submission_blob, receipt, audit_leaf) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        astuple(record),
                    )
                results = [records[r] if isinstance(r, int) else r for r in results]
        return results

    def _blobs_durable(self) -> None:
        """Complete the durability of every blob written with ``put_blob_for_commit`` so far."""

    def _accept_one(self, cursor: Cursor, item: NewSubmission, state: str | None, sequences: dict[str, int],
                    accepted: dict[tuple[str, str], int], sealed: list) -> SubmissionRecord | int:
        """An earlier submission's stored record, or the index in ``sealed`` of this item's record
        (written, with its signed receipt, once the group's receipts are signed)."""
        earlier = accepted.get((item.study_id, item.participant))
        if earlier is not None:  # the same participant earlier in this very group
            if sealed[earlier][0].submission_blob != item.submission_blob:
                raise DuplicateSubmissionError(
                    f"{item.participant!r} already submitted to study {item.study_id} (another submission, "
                    f"sequence {sealed[earlier][0].sequence}); one submission per participant per study"
                )
            return earlier  # an identical retry: the same record as the original
        row = cursor.execute(
            f"SELECT {', '.join(f.name for f in fields(SubmissionRecord))} FROM submissions "
            "WHERE study_id = ? AND participant = ?",
            (item.study_id, item.participant),
        ).fetchone()
        if row is not None:
            stored = record_from_row(SubmissionRecord, row)
            if stored.submission_blob != item.submission_blob:
                raise DuplicateSubmissionError(
                    f"{item.participant!r} already submitted to study {item.study_id} (another submission, "
                    f"sequence {stored.sequence}); one submission per participant per study"
                )
            return stored  # an identical retry: the original receipt, whichever process took it
        if state is None:
            raise NotFoundError(f"no study {item.study_id} on this gateway")
        if state == "CANCELLED":
            raise PreconditionError(f"study {item.study_id} was cancelled; a cancelled study accepts nothing more")
        if state != "OPEN":
            raise LateSubmissionError(f"the study is closed; the submission of {item.participant!r} came too late")
        sequence = sequences.get(item.study_id)
        if sequence is None:
            last = cursor.execute("SELECT MAX(sequence) FROM submissions WHERE study_id = ?", (item.study_id,)).fetchone()
            sequence = 0 if last[0] is None else last[0] + 1
        receipt, audit = item.seal(sequence)  # may refuse (the deadline): nothing written yet
        sequences[item.study_id] = sequence + 1
        if item.data is not None:
            self._insert_blob(cursor, item.submission_blob, item.data)
        leaf = self._append_audit(cursor, audit)
        accepted[(item.study_id, item.participant)] = len(sealed)
        sealed.append((SubmissionRecord(item.study_id, item.participant, sequence, item.submission_blob, b"", leaf),
                       receipt))
        return len(sealed) - 1

    def list_submissions(self, study_id: str) -> list[SubmissionRecord]:
        return self._select(SubmissionRecord, "submissions", "WHERE study_id = ? ORDER BY sequence", (study_id,))

    def get_submission(self, study_id: str, participant: str) -> SubmissionRecord | None:
        found = self._select(SubmissionRecord, "submissions", "WHERE study_id = ? AND participant = ?",
                             (study_id, participant))
        return found[0] if found else None

    def close_study(self, study_id: str, participants: frozenset[str], audit: AuditEntry, aggregate_blob: str) -> bool:
        with self._writing(lock_audit=True) as cursor:
            row = cursor.execute("SELECT state FROM studies WHERE study_id = ?", (study_id,)).fetchone()
            if row is None or row[0] != "OPEN":
                raise PreconditionError(f"study {study_id} is {'unknown' if row is None else row[0]}, not OPEN: "
                                        "only an open study closes")
            stored = {r[0] for r in cursor.execute("SELECT participant FROM submissions WHERE study_id = ?",
                                                   (study_id,)).fetchall()}
            if stored != set(participants):
                return False
            cursor.execute("UPDATE studies SET state = 'CLOSED', aggregate_blob = ? WHERE study_id = ?",
                           (aggregate_blob, study_id))
            self._append_audit(cursor, audit)
        return True

    def set_study_state(self, study_id: str, state: str, audit: AuditEntry, *, aggregate_blob: str | None = None,
                        release: bytes | None = None, expect_state: str | None = None) -> None:
        with self._writing(lock_audit=True) as cursor:
            if expect_state is not None:
                row = cursor.execute("SELECT state FROM studies WHERE study_id = ?", (study_id,)).fetchone()
                if row is None or row[0] != expect_state:
                    raise PreconditionError(
                        f"study {study_id} is {'unknown' if row is None else row[0]}, no longer {expect_state}: "
                        "another gateway process changed it meanwhile; read the study again"
                    )
            cursor.execute(
                "UPDATE studies SET state = ?, aggregate_blob = COALESCE(?, aggregate_blob), "
                "release = COALESCE(?, release) WHERE study_id = ?",
                (state, aggregate_blob, release, study_id),
            )
            self._append_audit(cursor, audit)

    # -- key committees' relay --------------------------------------------------------------------
    def add_committee(self, committee_id: bytes, roster: bytes, max_committees: int) -> bool:
        with self._writing() as cursor:
            self._lock_committees(cursor)
            if cursor.execute("SELECT 1 FROM committees WHERE committee_id = ?", (committee_id,)).fetchone():
                return False  # the id is the roster's hash: the same committee
            count = cursor.execute("SELECT COUNT(*) FROM committees").fetchone()[0]
            if count >= max_committees:
                raise TooLargeError(f"this gateway relays at most {max_committees} committees (all its processes "
                                    "together)")
            cursor.execute("INSERT INTO committees (committee_id, roster) VALUES (?, ?)", (committee_id, roster))
        return True

    def get_committee(self, committee_id: bytes) -> bytes | None:
        with self._reading() as cursor:
            row = cursor.execute("SELECT roster FROM committees WHERE committee_id = ?", (committee_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def add_committee_message(self, message: CommitteeMessage, max_messages: int) -> CommitteeMessage:
        m = message
        with self._writing() as cursor:
            # the committee's row, locked until commit: one post to a committee is decided at a time,
            # whichever gateway process takes it (the slot check, the bound and the next sequence)
            if cursor.execute(f"SELECT 1 FROM committees WHERE committee_id = ?{self.row_lock}",
                              (m.committee_id,)).fetchone() is None:
                raise NotFoundError(f"no committee {m.committee_id.hex()[:16]}... on this gateway (RegisterCommittee "
                                    "first)")
            row = cursor.execute(
                "SELECT seq, message FROM committee_messages WHERE committee_id = ? AND kind = ? AND sender = ? "
                "AND recipient = ? AND context = ?",
                (m.committee_id, m.kind, m.sender, m.recipient, m.context),
            ).fetchone()
            if row is not None:
                if bytes(row[1]) != m.message:
                    to = "everyone" if m.recipient == 0 else f"member {m.recipient}"
                    raise AlreadyExistsError(f"member {m.sender} already posted another {m.kind} message to {to} "
                                             "(equivocation is not relayed)")
                return replace(m, sequence=row[0])  # an identical repost: its original sequence
            last = cursor.execute("SELECT MAX(seq) FROM committee_messages WHERE committee_id = ?",
                                  (m.committee_id,)).fetchone()[0] or 0
            if last >= max_messages:
                raise TooLargeError(f"the committee's relay holds at most {max_messages} messages")
            cursor.execute(
                "INSERT INTO committee_messages (committee_id, seq, kind, sender, recipient, context, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (m.committee_id, last + 1, m.kind, m.sender, m.recipient, m.context, m.message),
            )
        return replace(m, sequence=last + 1)

    def committee_messages(self, committee_id: bytes, kind: str, recipient: int, context: bytes) -> list[bytes]:
        with self._reading() as cursor:
            rows = cursor.execute(
                "SELECT message FROM committee_messages WHERE committee_id = ? AND kind = ? AND recipient = ? "
                "AND context = ? ORDER BY seq",
                (committee_id, kind, recipient, context),
            ).fetchall()
        return [bytes(row[0]) for row in rows]

    # -- audit log --------------------------------------------------------------------------------
    @staticmethod
    def _entries_of_kinds(cursor: Cursor, kinds: tuple[str, ...]) -> list[tuple[int, AuditEntry]]:
        if not kinds:
            return []
        rows = cursor.execute(
            f"SELECT leaf_index, kind, data FROM audit_leaves WHERE kind IN ({', '.join('?' * len(kinds))}) "
            "ORDER BY leaf_index",
            tuple(kinds),
        ).fetchall()
        return [(row[0], AuditEntry(kind=row[1], data=bytes(row[2]))) for row in rows]

    def audit_entries_of_kinds(self, kinds: tuple[str, ...]) -> list[tuple[int, AuditEntry]]:
        with self._reading() as cursor:
            return self._entries_of_kinds(cursor, kinds)

    def append_audit_decided(self, kinds: tuple[str, ...],
                             decide: Callable[[list[AuditEntry]], AuditEntry | None]) -> int | None:
        with self._writing(lock_audit=True) as cursor:  # every append waits for this one's decision
            entry = decide([e for _, e in self._entries_of_kinds(cursor, kinds)])
            if entry is None:
                return None
            return self._append_audit(cursor, entry)

    @staticmethod
    def _append_audit(cursor: Cursor, entry: AuditEntry) -> int:
        """Append inside the caller's transaction, which holds the audit lock (the record and its
        leaf commit together; a rollback leaves no gap: the next append takes the same index)."""
        log = MerkleLog(AuditNodes(cursor))
        index = log.size
        cursor.execute("INSERT INTO audit_leaves (leaf_index, kind, data) VALUES (?, ?, ?)",
                       (index, entry.kind, entry.data))
        log.append(entry.leaf_bytes())
        return index

    def append_audit(self, entry: AuditEntry) -> int:
        with self._writing(lock_audit=True) as cursor:
            return self._append_audit(cursor, entry)

    def audit_entries(self, start: int, end: int) -> list[tuple[int, AuditEntry]]:
        with self._reading() as cursor:
            rows = cursor.execute(
                "SELECT leaf_index, kind, data FROM audit_leaves WHERE leaf_index >= ? AND leaf_index < ? "
                "ORDER BY leaf_index",
                (start, end),
            ).fetchall()
        return [(row[0], AuditEntry(kind=row[1], data=bytes(row[2]))) for row in rows]

    def audit_read(self, fn):
        """Run ``fn(log)`` on one consistent view of the audit tree."""
        with self._reading(snapshot=True) as cursor:
            return fn(MerkleLog(AuditNodes(cursor)))

    def save_tree_head(self, head: SignedTreeHead) -> None:
        with self._writing() as cursor:
            cursor.execute(
                f"INSERT INTO tree_heads ({TREE_HEAD_COLUMNS}) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (tree_size, timestamp_ms) DO NOTHING",
                (head.tree_size, head.root, head.timestamp_ms, head.signature),
            )

    def latest_tree_head(self) -> SignedTreeHead | None:
        with self._reading() as cursor:
            row = cursor.execute(
                f"SELECT {TREE_HEAD_COLUMNS} FROM tree_heads ORDER BY tree_size DESC, timestamp_ms DESC LIMIT 1"
            ).fetchone()
        return None if row is None else tree_head_from_row(row)


__all__ = ["AuditNodes", "Cursor", "SqlStore", "record_from_row", "tree_head_from_row"]
