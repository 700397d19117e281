"""The tamper-evident audit log: RFC 6962 Merkle trees, proofs and signed tree heads."""

from zkgate.audit.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    MerkleLog,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from zkgate.audit.tree_head import SignedTreeHead, TreeHeadSigner, verify_tree_head

__all__ = [
    "EMPTY_ROOT",
    "MemoryNodeStore",
    "MerkleLog",
    "ProofError",
    "SignedTreeHead",
    "TreeHeadSigner",
    "leaf_hash",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
    "verify_tree_head",
]
