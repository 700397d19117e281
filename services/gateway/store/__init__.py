"""Durable storage behind the gateway: an interface and its SQLite implementation."""

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
from zkgate.services.gateway.store.sqlite import SqliteStore, open_store

__all__ = ["StudyRecord", "SubmissionRecord", "AuditEntry", "CircuitRecord", "DatasetRecord", "SchemaRecord", "StudyProvingKeyRecord", "SqliteStore", "Store", "open_store"]
