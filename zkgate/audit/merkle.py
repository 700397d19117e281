"""RFC 6962 Merkle trees (as RFC 9162 restates them): hashes, proofs and their verification.

leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), the empty tree hashes to
SHA-256("").  A tree of n leaves splits at k, the largest power of two below n.

:class:`MerkleLog` keeps, for every *complete* aligned subtree (2^level leaves starting at a
multiple of 2^level), its hash in a node store; an append adds one node per level it completes.
Every subtree the RFC's recursion visits is either complete or a right-hand remainder, so roots
and proofs for any tree size cost O(log n) node reads: fast at 10^6 leaves and more.  The node
store is an interface (memory here; the gateway keeps nodes in its database).
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from zkgate.errors import InvalidInputError

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(InvalidInputError):
    """An inclusion or consistency proof that does not verify."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class NodeStore(Protocol):
    def get(self, level: int, index: int) -> bytes: ...
    def put(self, level: int, index: int, value: bytes) -> None: ...
    def size(self) -> int: ...


class MemoryNodeStore:
    """Complete-subtree hashes kept in lists, one per level."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = []

    def get(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def put(self, level: int, index: int, value: bytes) -> None:
        while len(self.levels) <= level:
            self.levels.append([])
        row = self.levels[level]
        if index != len(row):
            raise RuntimeError(f"node ({level}, {index}) written out of order")
        row.append(value)

    def size(self) -> int:
        return len(self.levels[0]) if self.levels else 0


class MerkleLog:
    """An append-only RFC 6962 tree over a node store."""

    def __init__(self, nodes: NodeStore | None = None) -> None:
        self.nodes = nodes if nodes is not None else MemoryNodeStore()

    @property
    def size(self) -> int:
        return self.nodes.size()

    def append_hash(self, leaf: bytes) -> int:
        """Append a leaf hash; returns its index.  Completes one node per finished level."""
        index = self.size
        self.nodes.put(0, index, leaf)
        level, position, value = 0, index, leaf
        while position & 1:
            value = node_hash(self.nodes.get(level, position - 1), value)
            level, position = level + 1, position >> 1
            self.nodes.put(level, position, value)
        return index

    def append(self, data: bytes) -> int:
        return self.append_hash(leaf_hash(data))

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise InvalidInputError(f"tree size {size} is outside [0, {self.size}]")

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end) where start is a multiple of the RFC's split sizes."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            return self.nodes.get(level, start >> level)
        k = _split(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise InvalidInputError(f"leaf index {index} is outside a tree of {size} leaves")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                path.append(self._subtree(start + k, end))
                end = start + k
            else:
                path.append(self._subtree(start, start + k))
                start += k
        return list(reversed(path))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self.size if new_size is None else new_size
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise InvalidInputError(f"old size {old_size} is outside [0, {new_size}]")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []
        start, end, m, complete = 0, new_size, old_size, True
        while True:
            n = end - start
            if m == n:
                if not complete:
                    proof.append(self._subtree(start, end))
                break
            k = _split(n)
            if m <= k:
                proof.append(self._subtree(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree(start, start + k))
                start, m, complete = start + k, m - k, False
        return list(reversed(proof))


def inclusion_root(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    """The root that ``proof`` leads to from leaf hash ``leaf`` at ``index`` in a tree of ``size``
    leaves (RFC 9162 2.1.3.2); raises ProofError for a proof of the wrong length."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn, value = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            value = node_hash(value, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return value


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    """Raise ProofError unless ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree."""
    if inclusion_root(leaf, index, size, proof) != root:
        raise ProofError("inclusion proof does not lead to the signed root")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> None:
    """Raise ProofError unless ``proof`` shows the old tree is a prefix of the new one."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("equal tree sizes with different roots: the log forked")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(node, fr), node_hash(node, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than needed")
    if fr != old_root:
        raise ProofError("consistency proof does not reproduce the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not reproduce the new root")
