"""What the gateway and the client both put on the wire, converted in one place.

Protobuf messages <-> library dataclasses (Groth16 proofs and verifying keys as snarkjs JSON,
audit log entries, signed tree heads, a data set schema's columns JSON), the chunking of large payloads and the metadata key a
busy gateway uses to ask for a retry.  ``zkgate.services.gateway`` and ``zkgate.services.client``
both import this module; it imports neither of them (and no ``grpc``: only the generated
message classes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from zkgate import safejson
from zkgate.audit import SignedTreeHead
from zkgate.prover.formats.snarkjs_json import (
    proof_from_json,
    proof_to_json,
    public_from_json,
    public_to_json,
    verifying_key_from_json,
)
from zkgate.prover.groth16.keys import Proof, VerifyingKey
from zkgate.study.dataset import Column, Schema
from zkgate.study.errors import SchemaError

from .v1 import audit_pb2, common_pb2

RETRY_AFTER_KEY = "zkgate-retry-after-ms"  # trailing metadata of a RESOURCE_EXHAUSTED 'busy' status
DEFAULT_CHUNK_SIZE = 1 << 20  # what clients send and downloads return


@dataclass(frozen=True)
class AuditEntry:
    """One leaf of the audit log: a kind and canonical bytes (ids and digests, never ciphertexts)."""

    kind: str
    data: bytes

    def leaf_bytes(self) -> bytes:
        """What the RFC 6962 leaf hash covers: the kind, a zero byte, the data."""
        return self.kind.encode() + b"\x00" + self.data


def chunked(data: bytes, size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
    """``data`` in pieces of at most ``size`` bytes (nothing for empty data)."""
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


def json_field(text: str, what: str):
    """A JSON message field, parsed with bounded depth and number sizes (FormatError naming the field)."""
    return safejson.loads(text, what)


def verifying_key_from_message(text: str) -> VerifyingKey:
    return verifying_key_from_json(json_field(text, "verification_key_json"), "verification_key_json")


def proof_from_message(message: common_pb2.Groth16Proof) -> tuple[list[int], Proof]:
    proof = proof_from_json(json_field(message.proof_json, "proof_json"), "proof_json")
    public = public_from_json(list(message.public_inputs), "public_inputs")
    return public, proof


def proof_to_message(proof: Proof, public: list[int]) -> common_pb2.Groth16Proof:
    return common_pb2.Groth16Proof(proof_json=json.dumps(proof_to_json(proof)), public_inputs=public_to_json(public))


def audit_entry_to_message(index: int, entry: AuditEntry) -> audit_pb2.AuditEntry:
    return audit_pb2.AuditEntry(index=index, kind=entry.kind, data=entry.data)


def audit_entry_from_message(message: audit_pb2.AuditEntry) -> AuditEntry:
    return AuditEntry(kind=message.kind, data=message.data)


def tree_head_to_message(head: SignedTreeHead, log_public_key: bytes) -> audit_pb2.SignedTreeHead:
    return audit_pb2.SignedTreeHead(
        tree_size=head.tree_size,
        root=head.root,
        timestamp_ms=head.timestamp_ms,
        signature=head.signature,
        log_public_key=log_public_key,
    )


def tree_head_from_message(message: audit_pb2.SignedTreeHead) -> tuple[SignedTreeHead, bytes]:
    """The signed tree head and the log public key the gateway sent with it (not yet verified)."""
    head = SignedTreeHead(
        tree_size=message.tree_size, root=message.root, timestamp_ms=message.timestamp_ms, signature=message.signature
    )
    return head, message.log_public_key


def load_schema(obj, source: str) -> Schema:
    """A schema from JSON: ``{"columns": [{"name": "age", "min": 18, "max": 90}, ...]}`` (or the
    list alone); errors name ``source`` and the field."""
    columns = obj.get("columns") if isinstance(obj, dict) else obj
    if not isinstance(columns, list) or not columns:
        raise SchemaError(f"{source}: expected {{\"columns\": [{{\"name\": ..., \"min\": ..., \"max\": ...}}, ...]}}")
    out = []
    for i, c in enumerate(columns):
        where = f"{source}: columns[{i}]"
        if not isinstance(c, dict):
            raise SchemaError(f"{where}: expected an object with name, min and max")
        unknown = set(c) - {"name", "min", "max"}
        if unknown:
            raise SchemaError(f"{where}: unknown field(s) {sorted(unknown)}; a column has name, min and max")
        for key, kind in (("name", str), ("min", int), ("max", int)):
            if not isinstance(c.get(key), kind) or isinstance(c.get(key), bool):
                raise SchemaError(f"{where}.{key}: expected {'a string' if kind is str else 'an integer'}, got {c.get(key)!r}")
        try:
            out.append(Column(c["name"], c["min"], c["max"]))
        except SchemaError as exc:
            raise SchemaError(f"{where}: {exc}") from exc
    try:
        return Schema(tuple(out))
    except SchemaError as exc:
        raise SchemaError(f"{source}: {exc}") from exc
