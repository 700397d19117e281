"""RFC 6962 tree hashes and proofs: published vectors, a naive twin, and every tampering."""

from __future__ import annotations

import hashlib

import pytest

from zkgate.audit import (
    EMPTY_ROOT,
    MerkleLog,
    ProofError,
    TreeHeadSigner,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
    verify_tree_head,
)

# RFC 6962 test data as used by Certificate Transparency implementations.
LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


def naive_root(hashes: list[bytes]) -> bytes:
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(naive_root(hashes[:k]), naive_root(hashes[k:]))


def build(n: int) -> tuple[MerkleLog, list[bytes]]:
    log = MerkleLog()
    hashes = []
    for i in range(n):
        data = i.to_bytes(4, "big")
        hashes.append(leaf_hash(data))
        assert log.append(data) == i
    return log, hashes


def test_rfc6962_roots_and_inclusion_vectors():
    log = MerkleLog()
    assert log.root() == EMPTY_ROOT
    for i, data in enumerate(LEAVES):
        log.append(data)
        assert log.root().hex() == ROOTS[i + 1]
    for size in range(9):
        assert log.root(size).hex() == ROOTS[size]
    for index, size, path in INCLUSION:
        assert [p.hex() for p in log.inclusion_proof(index, size)] == path
        verify_inclusion(leaf_hash(LEAVES[index]), index, size, [bytes.fromhex(p) for p in path], log.root(size))


def test_roots_match_a_naive_twin_for_every_size():
    log, hashes = build(70)
    for size in range(71):
        assert log.root(size) == naive_root(hashes[:size])


def test_every_inclusion_and_consistency_proof_verifies():
    log, hashes = build(37)
    for size in range(1, 38):
        root = log.root(size)
        for index in range(size):
            verify_inclusion(hashes[index], index, size, log.inclusion_proof(index, size), root)
        for old in range(0, size + 1):
            verify_consistency(old, size, log.root(old), root, log.consistency_proof(old, size))


def _flip(node: bytes) -> bytes:
    return bytes([node[0] ^ 1]) + node[1:]


@pytest.mark.parametrize("index,size", [(0, 1), (2, 7), (5, 8), (12, 13), (20, 37)])
def test_corrupted_inclusion_proofs_are_refused(index, size):
    log, hashes = build(40)
    root, proof = log.root(size), log.inclusion_proof(index, size)
    # A size changed comes with the genuine root of that size (as a signed head would give).
    cases = [
        (hashes[index], index + 1, size, proof, root),
        (hashes[index], index - 1, size, proof, root),
        (hashes[index], index, size + 1, proof, log.root(size + 1)),
        (hashes[index], index, size - 1, proof, log.root(size - 1)),
        (hashes[index], index, size, proof + [hashes[0]], root),
        (_flip(hashes[index]), index, size, proof, root),
    ]
    if proof:
        cases += [
            (hashes[index], index, size, proof[:-1], root),
            (hashes[index], index, size, [_flip(proof[0])] + proof[1:], root),
            (hashes[index], index, size, proof[:-1] + [_flip(proof[-1])], root),
        ]
    for args in cases:
        with pytest.raises(ProofError):
            verify_inclusion(*args)


@pytest.mark.parametrize("old,new", [(1, 2), (3, 7), (4, 8), (6, 13), (16, 37)])
def test_corrupted_consistency_proofs_are_refused(old, new):
    log, _ = build(40)
    old_root, new_root, proof = log.root(old), log.root(new), log.consistency_proof(old, new)
    verify_consistency(old, new, old_root, new_root, proof)
    # A size changed comes with the genuine root of that size (as a signed head would give).
    cases = [
        (old + 1, new, log.root(old + 1), new_root, proof),
        (old - 1, new, log.root(old - 1), new_root, proof),
        (old, new + 1, old_root, log.root(new + 1), proof),
        (old, new - 1, old_root, log.root(new - 1), proof),
        (new, old, new_root, old_root, proof),  # older size larger than newer
        (old, new, _flip(old_root), new_root, proof),
        (old, new, old_root, _flip(new_root), proof),
        (old, new, old_root, new_root, proof + [old_root]),  # node added
        (old, new, old_root, new_root, proof[:-1]),  # node removed
        (old, new, old_root, new_root, [_flip(proof[0])] + proof[1:]),  # bit flipped
        (old, new, old_root, new_root, proof[:-1] + [_flip(proof[-1])]),
    ]
    for args in cases:
        with pytest.raises(ProofError):
            verify_consistency(*args)


def test_signed_tree_heads():
    signer = TreeHeadSigner.generate()
    log, _ = build(5)
    head = signer.sign(log.size, log.root(), timestamp_ms=1700000000000)
    verify_tree_head(head, signer.public_key_bytes)
    again = TreeHeadSigner.from_pem(signer.to_pem())
    assert again.public_key_bytes == signer.public_key_bytes
    forged = type(head)(tree_size=head.tree_size + 1, root=head.root, timestamp_ms=head.timestamp_ms, signature=head.signature)
    with pytest.raises(ProofError):
        verify_tree_head(forged, signer.public_key_bytes)
    with pytest.raises(ProofError):
        verify_tree_head(head, TreeHeadSigner.generate().public_key_bytes)
