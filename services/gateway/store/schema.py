"""The gateway store's schema: one list of migrations that both databases run.

``MIGRATIONS[i]`` takes a database from schema version ``i`` to ``i + 1``.  A migration is written
once, in SQL both SQLite and PostgreSQL accept, with a few type words left as placeholders that
each :class:`Dialect` fills in (``{BYTES}`` is ``BLOB`` on SQLite and ``BYTEA`` on PostgreSQL, ...);
a statement only one database needs (PostgreSQL keeps blobs in a table, SQLite in files) is listed
under that dialect's name.

Migrations that have shipped never change (a store opened by an older zkgate already ran them): a
schema change is a new migration appended at the end.  The SQLite text of every migration is
exactly what earlier zkgate versions ran, so data folders of every earlier version open and migrate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from zkgate.errors import ZkgateError


@dataclass(frozen=True)
class Migration:
    """One schema step: SQL both databases run (statements separated by ';') and, per dialect
    name, SQL only that database runs first."""

    description: str
    shared_sql: str
    dialect_sql: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dialect:
    """How one database spells the placeholders of the shared migrations."""

    name: str
    words: Mapping[str, str]

    def statements(self, migration: Migration) -> list[str]:
        """The migration's statements in this dialect, in order (empty ones dropped)."""
        text = migration.dialect_sql.get(self.name, "") + ";" + migration.shared_sql.format_map(self.words)
        return [statement for statement in text.split(";") if statement.strip()]


SQLITE = Dialect("sqlite", {
    "BYTES": "BLOB",
    "INT64": "INTEGER",
    "BOOL": "INTEGER",
    "TIMESTAMP": "TEXT",
    "NOW": "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    "WITHOUT_ROWID": " WITHOUT ROWID",
})

POSTGRESQL = Dialect("postgresql", {
    "BYTES": "BYTEA",
    "INT64": "BIGINT",
    "BOOL": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMPTZ",
    "NOW": "clock_timestamp()",
    "WITHOUT_ROWID": "",
})

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0 -> 1: circuits and data sets",
        """
    CREATE TABLE circuits (
        circuit_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        n_public INTEGER NOT NULL,
        n_vars {INT64} NOT NULL,
        domain_size {INT64} NOT NULL,
        dev_only {BOOL} NOT NULL,
        zkey_blob TEXT NOT NULL,
        r1cs_blob TEXT,
        verification_key_json TEXT NOT NULL,
        created_at {TIMESTAMP} NOT NULL DEFAULT {NOW}
    );
    CREATE TABLE datasets (
        dataset_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        root TEXT NOT NULL,
        signing_public_key {BYTES} NOT NULL,
        schema_json TEXT NOT NULL,
        registration {BYTES} NOT NULL,
        created_at {TIMESTAMP} NOT NULL DEFAULT {NOW}
    );
    CREATE INDEX datasets_by_owner ON datasets(owner);
    """,
        {"postgresql": """
    CREATE TABLE blobs (
        blob_id TEXT PRIMARY KEY,
        data BYTEA NOT NULL
    )
    """},
    ),
    Migration(
        "1 -> 2: the audit log (RFC 6962 leaves and complete-subtree nodes) and signed heads",
        """
    CREATE TABLE audit_leaves (
        leaf_index {INT64} PRIMARY KEY,
        kind TEXT NOT NULL,
        data {BYTES} NOT NULL
    );
    CREATE TABLE audit_nodes (
        level INTEGER NOT NULL,
        node_index {INT64} NOT NULL,
        hash {BYTES} NOT NULL,
        PRIMARY KEY (level, node_index)
    ){WITHOUT_ROWID};
    CREATE TABLE tree_heads (
        tree_size {INT64} NOT NULL,
        root {BYTES} NOT NULL,
        timestamp_ms {INT64} NOT NULL,
        signature {BYTES} NOT NULL,
        PRIMARY KEY (tree_size, timestamp_ms)
    );
    """,
    ),
    Migration(
        "2 -> 3: studies, accepted submissions, aggregates and releases",
        """
    CREATE TABLE studies (
        study_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        spec {BYTES} NOT NULL,
        circuit_keys {BYTES} NOT NULL,
        context_blob TEXT NOT NULL,
        state TEXT NOT NULL,
        aggregate_blob TEXT,
        release {BYTES},
        created_at {TIMESTAMP} NOT NULL DEFAULT {NOW}
    );
    CREATE TABLE submissions (
        study_id TEXT NOT NULL REFERENCES studies(study_id),
        participant TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        submission_blob TEXT NOT NULL,
        receipt {BYTES} NOT NULL,
        audit_leaf {INT64} NOT NULL,
        PRIMARY KEY (study_id, participant),
        UNIQUE (study_id, sequence)
    );
    """,
    ),
    Migration(
        "3 -> 4: the organisation (from its certificate or token) that opened each study",
        """
    ALTER TABLE studies ADD COLUMN requester TEXT NOT NULL DEFAULT ''
    """,
    ),
    Migration(
        "4 -> 5: published schemas (by name) and each study's public proving key (.zkey blob)",
        """
    CREATE TABLE schemas (
        name TEXT PRIMARY KEY,
        schema_json TEXT NOT NULL,
        schema_sha256 TEXT NOT NULL,
        publisher TEXT NOT NULL,
        created_at {TIMESTAMP} NOT NULL DEFAULT {NOW}
    );
    CREATE TABLE study_proving_keys (
        study_id TEXT PRIMARY KEY,
        zkey_blob TEXT NOT NULL
    )
    """,
    ),
    Migration(
        "5 -> 6: the key committees' relay (rosters and their signed messages, in posting order) and the "
        "audit leaves by kind (the commit phase of committee studies)",
        """
    CREATE TABLE committees (
        committee_id {BYTES} PRIMARY KEY,
        roster {BYTES} NOT NULL,
        created_at {TIMESTAMP} NOT NULL DEFAULT {NOW}
    );
    CREATE TABLE committee_messages (
        committee_id {BYTES} NOT NULL REFERENCES committees(committee_id),
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        sender INTEGER NOT NULL,
        recipient INTEGER NOT NULL,
        context {BYTES} NOT NULL,
        message {BYTES} NOT NULL,
        PRIMARY KEY (committee_id, seq),
        UNIQUE (committee_id, kind, sender, recipient, context)
    );
    CREATE INDEX committee_messages_by_recipient ON committee_messages(committee_id, kind, recipient, context, seq);
    CREATE INDEX audit_leaves_by_kind ON audit_leaves(kind, leaf_index)
    """,
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

# PostgreSQL stores of zkgate versions before this list was shared counted their own two migrations:
# their version 1 is the shared version 4 (everything up to the study's requester), 2 is 5.
POSTGRESQL_OWN_NUMBERING = {0: 0, 1: 4, 2: 5}


class SchemaTooNewError(ZkgateError, RuntimeError):
    """The store was written by a newer zkgate (its schema version is beyond MIGRATIONS)."""


def pending_migrations(version: int, where: str) -> range:
    """The indices of the migrations a store at ``version`` still needs (SchemaTooNewError when it
    is newer than this zkgate)."""
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{where} has zkgate schema version {version}, newer than this zkgate understands "
            f"({SCHEMA_VERSION}); upgrade zkgate"
        )
    return range(version, SCHEMA_VERSION)


__all__ = ["MIGRATIONS", "POSTGRESQL", "POSTGRESQL_OWN_NUMBERING", "SCHEMA_VERSION", "SQLITE", "Dialect",
           "Migration", "SchemaTooNewError", "pending_migrations"]
