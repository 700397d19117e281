"""tests/vectors/audit_leaf.json: audit leaves hash exactly as docs/gateway.md and audit.proto say
(leaf_bytes = UTF-8(kind) || 0x00 || data, leaf = SHA-256(0x00 || leaf_bytes)), and the small tree's
root and proofs are what the implementation produces and verifies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from zkgate.audit import MerkleLog, ProofError, leaf_hash, verify_consistency, verify_inclusion
from zkgate.services.gateway.servicers.audit import audit_entry
from zkgate.services.gateway.store import AuditEntry

VECTOR = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "audit_leaf.json").read_text())


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@pytest.mark.parametrize("leaf", VECTOR["leaves"], ids=lambda leaf: leaf["kind"])
def test_leaf_bytes_and_hash_match_the_documented_layout(leaf):
    data = leaf["data_utf8"].encode()
    entry = AuditEntry(leaf["kind"], data)
    # independently of the implementation: kind, one zero byte, the data; then the RFC 6962 leaf hash
    assert leaf["kind"].encode() + b"\x00" + data == bytes.fromhex(leaf["leaf_bytes_hex"])
    assert _sha256(b"\x00" + bytes.fromhex(leaf["leaf_bytes_hex"])).hex() == leaf["leaf_hash_hex"]
    # the implementation
    assert entry.leaf_bytes().hex() == leaf["leaf_bytes_hex"]
    assert leaf_hash(entry.leaf_bytes()).hex() == leaf["leaf_hash_hex"]
    # the data is the gateway's canonical JSON (sorted keys, no spaces) of its fields
    assert audit_entry(leaf["kind"], **json.loads(data)).data == data


def test_small_tree_root_and_proofs():
    tree = VECTOR["tree"]
    leaves = [bytes.fromhex(leaf["leaf_hash_hex"]) for leaf in VECTOR["leaves"]]
    node = lambda left, right: _sha256(b"\x01" + left + right)  # noqa: E731
    assert node(node(leaves[0], leaves[1]), leaves[2]).hex() == tree["root_hex"]  # the RFC 6962 split at 2
    log = MerkleLog()
    for leaf in VECTOR["leaves"]:
        log.append(bytes.fromhex(leaf["leaf_bytes_hex"]))
    assert log.root().hex() == tree["root_hex"]
    for size, root in tree["roots_hex"].items():
        assert log.root(int(size)).hex() == root
    root = bytes.fromhex(tree["root_hex"])
    for name in ("inclusion", "inclusion_leaf0"):
        proof = tree[name]
        path = [bytes.fromhex(p) for p in proof["path_hex"]]
        assert log.inclusion_proof(proof["leaf_index"], proof["tree_size"]) == path
        verify_inclusion(leaves[proof["leaf_index"]], proof["leaf_index"], proof["tree_size"], path, root)
        with pytest.raises(ProofError):  # a leaf hashed the way the docs once said (no kind) does not verify
            data = VECTOR["leaves"][proof["leaf_index"]]["data_utf8"].encode()
            verify_inclusion(_sha256(b"\x00" + data), proof["leaf_index"], proof["tree_size"], path, root)
    consistency = tree["consistency"]
    path = [bytes.fromhex(p) for p in consistency["path_hex"]]
    assert log.consistency_proof(consistency["first_size"], consistency["second_size"]) == path
    verify_consistency(consistency["first_size"], consistency["second_size"],
                       bytes.fromhex(tree["roots_hex"][str(consistency["first_size"])]), root, path)
