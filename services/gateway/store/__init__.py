"""Durable storage behind the gateway: the Store interface, its SQLite and PostgreSQL backends
(one schema, one migration list: schema.py) and the factory that opens one (factory.open_store)."""

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
from .factory import open_store
from .postgres import PostgresStore
from .sqlite import SqliteStore

__all__ = ["AuditEntry", "CircuitRecord", "CommitteeMessage", "DatasetRecord", "NewSubmission", "PostgresStore", "SchemaRecord", "SqliteStore", "Store",
           "StudyProvingKeyRecord", "StudyRecord", "SubmissionRecord", "open_store"]
