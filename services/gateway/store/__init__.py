"""Durable storage behind the gateway: the Store interface, its SQLite and PostgreSQL backends
(one schema, one migration list: schema.py) and the factory that opens one (factory.open_store)."""

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
from zkgate.services.gateway.store.factory import open_store
from zkgate.services.gateway.store.postgres import PostgresStore
from zkgate.services.gateway.store.sqlite import SqliteStore

__all__ = ["AuditEntry", "CircuitRecord", "DatasetRecord", "PostgresStore", "SchemaRecord", "SqliteStore", "Store",
           "StudyProvingKeyRecord", "StudyRecord", "SubmissionRecord", "open_store"]
