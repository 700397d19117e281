"""The storage interface the servicers use; the SQLite and PostgreSQL stores implement it.

Records are frozen dataclasses; large payloads (keys, ciphertexts) live in a content-addressed
blob store beside the database and are referenced by their SHA-256.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zkgate.audit.tree_head import SignedTreeHead

from ...wire import AuditEntry  # one leaf of the audit log, shared with the client
from .integrity import data_loss, log_head_problem


@dataclass(frozen=True)
class CircuitRecord:
    circuit_id: str  # hex SHA-256 of the .zkey
    name: str
    n_public: int
    n_vars: int
    domain_size: int
    dev_only: bool
    zkey_blob: str  # blob id (hex SHA-256)
    r1cs_blob: str | None
    verification_key_json: str


@dataclass(frozen=True)
class DatasetRecord:
    dataset_id: str
    owner: str
    name: str
    root: str
    signing_public_key: bytes
    schema_json: str
    registration: bytes


@dataclass(frozen=True)
class StudyRecord:
    study_id: str  # 64 hex digits
    title: str
    spec: bytes
    circuit_keys: bytes
    context_blob: str
    state: str  # OPEN, CLOSED, RELEASED
    aggregate_blob: str | None = None
    release: bytes | None = None
    requester: str = ""  # organisation that opened the study ('' when opened without authentication)


@dataclass(frozen=True)
class SchemaRecord:
    """A data set schema published once to the catalog under a name (holders register against it)."""

    name: str
    schema_json: str  # canonical JSON: {"columns": [{"name", "min", "max"}, ...]}
    schema_sha256: str  # hex SHA-256 of schema_json
    publisher: str = ""  # organisation that published it ('' without authentication)


@dataclass(frozen=True)
class StudyProvingKeyRecord:
    """The study's public proving key (.zkey) as the requester uploaded it with the study."""

    study_id: str
    zkey_blob: str  # blob id (hex SHA-256 of the .zkey)


@dataclass(frozen=True)
class SubmissionRecord:
    study_id: str
    participant: str
    sequence: int
    submission_blob: str
    receipt: bytes
    audit_leaf: int = -1


@dataclass(frozen=True)
class NewSubmission:
    """A checked submission for the store to accept or refuse in its own transaction.

    The store decides, under the lock that orders the audit log across every gateway process:
    an identical stored submission (same blob) is a retry (the stored record, original receipt);
    another one from the participant is refused (DuplicateSubmissionError); a study no longer
    OPEN refuses it; otherwise the next sequence number of the study is ``seal``ed into the
    receipt and audit leaf (``seal(sequence) -> (receipt, audit entry)``, which may refuse too,
    e.g. past the deadline: the receipt unsigned, signed with the rest of the group by
    ``accept_submissions``' ``sign``, or its bytes) and row and leaf are written."""

    study_id: str
    participant: str
    submission_blob: str  # stored with put_blob already, or ``data`` (when the store keeps blobs in transactions)
    seal: Callable[[int], tuple[Any, AuditEntry]]
    data: bytes | None = None  # the blob's bytes, written in the accepting transaction (blobs_in_transaction)


@dataclass(frozen=True)
class CommitteeMessage:
    """One signed message in a key committee's relay: its slot (kind, sender, recipient, context)
    holds one message; ``sequence`` is its position in the committee's posting order (from 1)."""

    committee_id: bytes
    kind: str
    sender: int
    recipient: int  # 0: to everyone
    context: bytes
    message: bytes  # the signed message's bytes (zkgate.he.committee.Message)
    sequence: int = 0  # 0 until stored


class Store(abc.ABC):
    """What the gateway persists.  Every write is durable when the call returns."""

    blobs_in_transaction = False
    """True when blobs live in the database itself (PostgreSQL): a new submission's blob is then
    written in the transaction that accepts it (``NewSubmission.data``: one commit, not two)."""

    # -- blobs -----------------------------------------------------------------------------
    @abc.abstractmethod
    def put_blob(self, data: bytes) -> str:
        """Store bytes durably; return their id (hex SHA-256).  Idempotent."""

    def put_blob_for_commit(self, data: bytes) -> str:
        """:meth:`put_blob` for a blob that only rows of a later :meth:`accept_submissions` name: its
        durability may be completed by that call before it commits (SQLite: one folder fsync for
        the group's blob files instead of one per file).  Not durable on its own until then."""
        return self.put_blob(data)

    @abc.abstractmethod
    def read_blob(self, blob_id: str) -> bytes: ...

    @abc.abstractmethod
    def blob_path(self, blob_id: str) -> str:
        """A local file path holding the blob (for memory-mapping large keys)."""

    # -- circuits --------------------------------------------------------------------------
    @abc.abstractmethod
    def add_circuit(self, record: CircuitRecord, audit: AuditEntry | None = None) -> CircuitRecord:
        """Insert (and append ``audit`` to the log in the same transaction); an identical existing
        record is returned as is (idempotent retry, nothing logged twice)."""

    @abc.abstractmethod
    def get_circuit(self, circuit_id: str) -> CircuitRecord | None: ...

    @abc.abstractmethod
    def list_circuits(self) -> list[CircuitRecord]: ...

    # -- data sets -------------------------------------------------------------------------
    @abc.abstractmethod
    def add_dataset(self, record: DatasetRecord, audit: AuditEntry | None = None) -> DatasetRecord:
        """Insert; the same registration again returns the stored record; a different one
        under the same id raises AlreadyExistsError."""

    @abc.abstractmethod
    def get_dataset(self, dataset_id: str) -> DatasetRecord | None: ...

    @abc.abstractmethod
    def list_datasets(self, owner: str = "") -> list[DatasetRecord]: ...

    # -- published schemas -------------------------------------------------------------------
    @abc.abstractmethod
    def add_schema(self, record: SchemaRecord, audit: AuditEntry | None = None) -> SchemaRecord:
        """Insert and log; the same record again returns the stored one; another one under the
        same name raises AlreadyExistsError."""

    @abc.abstractmethod
    def get_schema(self, name: str) -> SchemaRecord | None: ...

    @abc.abstractmethod
    def list_schemas(self) -> list[SchemaRecord]: ...

    # -- studies -----------------------------------------------------------------------------
    @abc.abstractmethod
    def add_study_proving_key(self, record: StudyProvingKeyRecord) -> StudyProvingKeyRecord:
        """Name the blob holding a study's .zkey (idempotent; written before the study row)."""

    @abc.abstractmethod
    def get_study_proving_key(self, study_id: str) -> StudyProvingKeyRecord | None: ...

    @abc.abstractmethod
    def add_study(self, record: StudyRecord, audit: AuditEntry | None = None) -> StudyRecord: ...

    @abc.abstractmethod
    def get_study(self, study_id: str) -> StudyRecord | None: ...

    @abc.abstractmethod
    def list_studies(self) -> list[StudyRecord]: ...

    @abc.abstractmethod
    def add_submission(self, record: SubmissionRecord, audit: AuditEntry) -> SubmissionRecord:
        """Insert and log in one transaction; the same submission again returns the stored
        record (with the original receipt); another one for the same participant raises
        AlreadyExistsError."""

    @abc.abstractmethod
    def accept_submissions(self, items: list[NewSubmission],
                           sign: Callable[[list], list[bytes]] | None = None) -> list[SubmissionRecord | Exception]:
        """Group commit: decide every item (see :class:`NewSubmission`) and write the accepted ones
        with their audit leaves in ONE durable transaction; returns, in order, each item's stored
        record or the error refusing it.  Nothing is returned before the commit is durable.
        ``sign(sealed receipts of the accepted items, in order) -> receipt bytes`` signs them as
        one batch, in the transaction (without it ``seal`` returns each receipt's bytes)."""

    @abc.abstractmethod
    def list_submissions(self, study_id: str) -> list[SubmissionRecord]: ...

    def get_submission(self, study_id: str, participant: str) -> SubmissionRecord | None:
        """The stored submission of ``participant`` to the study, or None."""
        for record in self.list_submissions(study_id):
            if record.participant == participant:
                return record
        return None

    @abc.abstractmethod
    def close_study(self, study_id: str, participants: frozenset[str], audit: AuditEntry, aggregate_blob: str) -> bool:
        """OPEN -> CLOSED with its aggregate and audit leaf, if the study's stored submissions are
        exactly ``participants`` (those the aggregate adds); False, changing nothing, if another
        gateway process accepted one meanwhile (rebuild and try again).  A study no longer OPEN
        raises PreconditionError."""

    @abc.abstractmethod
    def set_study_state(self, study_id: str, state: str, audit: AuditEntry, *, aggregate_blob: str | None = None,
                        release: bytes | None = None, expect_state: str | None = None) -> None:
        """Change the study's state and log it in one transaction; with ``expect_state`` only if the
        stored state still is that one (else PreconditionError: another process changed it)."""

    # -- key committees' relay (issue 23) ---------------------------------------------------
    @abc.abstractmethod
    def add_committee(self, committee_id: bytes, roster: bytes, max_committees: int) -> bool:
        """Keep a committee's roster (``committee_id`` is the roster's hash): True when stored now,
        False when it was stored already.  TooLargeError when ``max_committees`` are stored: decided
        in the transaction that would insert, so processes sharing the database never exceed it."""

    @abc.abstractmethod
    def get_committee(self, committee_id: bytes) -> bytes | None:
        """The committee's roster bytes, or None."""

    @abc.abstractmethod
    def add_committee_message(self, message: CommitteeMessage, max_messages: int) -> CommitteeMessage:
        """Relay a message in its committee's next sequence number, in one transaction holding the
        committee's lock: the identical message again returns the stored one (its original
        sequence); another message in a taken slot raises AlreadyExistsError (equivocation);
        TooLargeError when the committee holds ``max_messages``; NotFoundError for an unknown
        committee."""

    @abc.abstractmethod
    def committee_messages(self, committee_id: bytes, kind: str, recipient: int, context: bytes) -> list[bytes]:
        """The committee's messages of ``kind`` to ``recipient`` in ``context``, in posting order."""

    # -- audit log ---------------------------------------------------------------------------
    @abc.abstractmethod
    def append_audit(self, entry: AuditEntry) -> int:
        """Append a leaf durably; returns its index."""

    @abc.abstractmethod
    def append_audit_decided(self, kinds: tuple[str, ...],
                             decide: Callable[[list[AuditEntry]], AuditEntry | None]) -> int | None:
        """Read the log's leaves of ``kinds`` (in log order), call ``decide`` on them and append the
        leaf it returns, all in one transaction holding the audit lock: no gateway process sharing
        the database appends between the read and the append.  None (nothing appended) when
        ``decide`` returns None; what ``decide`` raises refuses, nothing written."""

    @abc.abstractmethod
    def audit_entries_of_kinds(self, kinds: tuple[str, ...]) -> list[tuple[int, AuditEntry]]:
        """The log's leaves of ``kinds``, in log order (through an index on the kind)."""

    @abc.abstractmethod
    def audit_entries(self, start: int, end: int) -> list[tuple[int, AuditEntry]]: ...

    @abc.abstractmethod
    def audit_read(self, fn):
        """Run ``fn(merkle_log)`` on a consistent view of the audit tree."""

    @abc.abstractmethod
    def save_tree_head(self, head: SignedTreeHead) -> None:
        """Keep a signed tree head (the same head again is ignored)."""

    @abc.abstractmethod
    def latest_tree_head(self) -> SignedTreeHead | None:
        """The signed head of the largest tree (the latest of those), or None."""

    def quick_check(self) -> None:
        """The start-up check, bounded (O(log n) reads): the latest signed tree head against the
        stored log.  Raises StoredDataError (DATA_LOSS) on damage; SQLite adds ``PRAGMA quick_check``."""
        problem = log_head_problem(self)
        if problem:
            raise data_loss(f"{self.location}: {problem}; the gateway does not start on a damaged store: "
                            "run `zkgate store check` on it")

    @property
    def location(self) -> str:
        """Where the store lives, for messages (a file or a database URL without its password)."""
        return type(self).__name__

    @abc.abstractmethod
    def close(self) -> None: ...
