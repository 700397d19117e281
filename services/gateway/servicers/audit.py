"""AuditService: signed tree heads, inclusion and consistency proofs, entries."""

from __future__ import annotations

import json
import os
from pathlib import Path

from zkgate.audit import TreeHeadSigner
from zkgate.errors import InvalidInputError
from zkgate.fileio import SECRET_FILE_MODE, atomic_write

from ...v1 import audit_pb2, audit_pb2_grpc
from ...wire import AuditEntry, audit_entry_to_message, tree_head_to_message
from ..store import Store
from .common import rpc

MAX_ENTRIES_PER_CALL = 1000
LOG_KEY_FILE = "log_signing_key.pem"


def audit_entry(kind: str, **fields) -> AuditEntry:
    """An audit leaf with canonical JSON data (sorted keys, no spaces)."""
    return AuditEntry(kind=kind, data=json.dumps(fields, sort_keys=True, separators=(",", ":")).encode())


def load_or_create_signer(data_dir: str | os.PathLike) -> TreeHeadSigner:
    """The gateway's log key, kept (mode 0600) in the data directory: a new one is hybrid
    (Ed25519 + ML-DSA-65); a classical Ed25519 key of an older data directory keeps signing."""
    path = Path(data_dir) / LOG_KEY_FILE
    if path.exists():
        return TreeHeadSigner.from_pem(path.read_bytes())
    signer = TreeHeadSigner.generate()
    atomic_write(path, signer.to_pem(), mode=SECRET_FILE_MODE)
    return signer


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, store: Store, signer: TreeHeadSigner) -> None:
        self.store = store
        self.signer = signer

    def _size(self, requested: int, what: str) -> int:
        size = self.store.audit_read(lambda log: log.size)
        if requested > size:
            raise InvalidInputError(f"{what} {requested} is larger than the log ({size} leaves)")
        return requested

    @rpc
    def GetTreeHead(self, request, context):
        size, root = self.store.audit_read(lambda log: (log.size, log.root()))
        head = self.signer.sign(size, root)
        self.store.save_tree_head(head)
        return tree_head_to_message(head, self.signer.public_key_bytes)

    @rpc
    def GetInclusionProof(self, request, context):
        size = self._size(request.tree_size, "tree_size")
        path = self.store.audit_read(lambda log: log.inclusion_proof(request.leaf_index, size))
        return audit_pb2.InclusionProof(leaf_index=request.leaf_index, tree_size=size, path=path)

    @rpc
    def GetConsistencyProof(self, request, context):
        second = self._size(request.second_size, "second_size")
        if request.first_size > second:
            raise InvalidInputError(f"first_size {request.first_size} is larger than second_size {second}")
        path = self.store.audit_read(lambda log: log.consistency_proof(request.first_size, second))
        return audit_pb2.ConsistencyProof(path=path)

    @rpc
    def GetEntries(self, request, context):
        if request.end < request.start:
            raise InvalidInputError(f"end {request.end} is before start {request.start}")
        if request.end - request.start > MAX_ENTRIES_PER_CALL:
            raise InvalidInputError(f"at most {MAX_ENTRIES_PER_CALL} entries per call (asked for {request.end - request.start})")
        self._size(request.end, "end")
        entries = self.store.audit_entries(request.start, request.end)
        return audit_pb2.GetEntriesResponse(
            entries=[audit_entry_to_message(i, e) for i, e in entries]
        )
