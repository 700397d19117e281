"""Catalog commitments: Poseidon over a data set's records, in chunks.

Records are packed into field elements: a record is the little-endian bit string
``flag ‖ x_0 ‖ x_1 ‖ ...`` (flag 1 for a real record, 0 for a dummy; ``x_j`` the stored
value in ``Column.bits`` bits), and ``records_per_element = 253 // record_bits`` records
go into one element (record k at bit ``k·record_bits``).  The packing is injective
because the circuit range-checks every field by decomposing the element into exactly
those bits.

* chunk ``c`` (``capacity`` records; the last chunk padded with dummy records, flag 0,
  all values 0) has the root ``poseidon_sponge([TAG_CHUNK, e_0, ..., e_{m-1}, salt_c])``;
* ``salt_c = Poseidon(seed, TAG_CHUNK_SALT, c)`` and
  ``root_salt = Poseidon(seed, TAG_ROOT_SALT)`` derive from the holder's secret ``seed``;
* the data set root is ``poseidon_sponge([TAG_DATASET, schema, capacity, n_chunks,
  root_0, ..., root_{n-1}, root_salt])`` (``schema``: the schema digest as a field element).

A contribution reveals the chunk roots and ``root_salt`` (so the aggregator can rebuild
the registered root, each chunk exactly once), never ``seed``: chunk salts stay secret,
so a chunk of a few low-entropy records cannot be brute-forced from its root.

Chunk roots are computed with a compiled hash circuit and the native witness solver
(the out-of-circuit Poseidon in Python is ~20x slower); it equals
:func:`zkgate.circuits.poseidon.poseidon_sponge` (tested).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from zkgate.circuits import compile_circuit
from zkgate.circuits.field import R
from zkgate.circuits.gadgets.poseidon import permute
from zkgate.circuits.poseidon import MAX_INPUTS, poseidon_hash, poseidon_sponge
from zkgate.kernels import BACKEND
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.errors import SchemaError
from zkgate.study.gadgets import source_digest, sponge

FIELD_BITS = 253


def _tag(s: bytes) -> int:
    return int.from_bytes(s, "big")


TAG_CHUNK = _tag(b"zkgate/study/chunk/v1")
TAG_CHUNK_SALT = _tag(b"zkgate/study/chunk-salt/v1")
TAG_ROOT_SALT = _tag(b"zkgate/study/root-salt/v1")
TAG_DATASET = _tag(b"zkgate/study/dataset/v1")
MAX_CAPACITY = 1 << 16


@dataclass(frozen=True)
class Packing:
    """How records of a schema pack into field elements."""

    col_bits: tuple[int, ...]
    capacity: int

    @property
    def record_bits(self) -> int:
        return 1 + sum(self.col_bits)

    @property
    def per_element(self) -> int:
        return FIELD_BITS // self.record_bits

    @property
    def n_elements(self) -> int:
        return -(-self.capacity // self.per_element)

    def element_records(self, e: int) -> int:
        """Records packed in element ``e`` (the last element may hold fewer)."""
        return min(self.per_element, self.capacity - e * self.per_element)

    def field_offsets(self) -> list[int]:
        """Bit offset of each column inside a record (the flag is bit 0)."""
        out, pos = [], 1
        for b in self.col_bits:
            out.append(pos)
            pos += b
        return out

    def pack_chunk(self, stored: np.ndarray) -> list[int]:
        """Elements of one chunk from its ``(k <= capacity, n_cols)`` stored values; rows
        beyond ``k`` are dummies."""
        k = stored.shape[0]
        if k > self.capacity:
            raise SchemaError(f"a chunk holds at most {self.capacity} records, got {k}")
        rb = self.record_bits
        offs = self.field_offsets()
        if rb <= 63:
            recs = np.zeros(self.capacity, dtype=np.uint64)
            if k:
                v = np.ones(k, dtype=np.uint64)
                for j, off in enumerate(offs):
                    v |= stored[:, j].astype(np.uint64) << np.uint64(off)
                recs[:k] = v
            recs = [int(x) for x in recs.tolist()]
        else:
            recs = [0] * self.capacity
            for r in range(k):
                v = 1
                for j, off in enumerate(offs):
                    v |= int(stored[r, j]) << off
                recs[r] = v
        out = []
        pe = self.per_element
        for e in range(self.n_elements):
            acc = 0
            for i, rec in enumerate(recs[e * pe : (e + 1) * pe]):
                acc |= rec << (i * rb)
            out.append(acc)
        return out


def _chunk_hash_circuit(api, n, src):
    xs = api.private_input("x", n)
    api.output("root", sponge(api, [TAG_CHUNK, *xs]))


@lru_cache(maxsize=16)
def _hasher(n: int):
    return compile_circuit(_chunk_hash_circuit, n=n, src=source_digest())


def chunk_root(elements: list[int], salt: int) -> int:
    """``poseidon_sponge([TAG_CHUNK, *elements, salt])`` on the native solver."""
    c = _hasher(len(elements) + 1)
    w = c.solve({"x": [*elements, salt]}, check=False)
    return int(c.outputs(w)["root"])


def chunk_root_reference(elements: list[int], salt: int) -> int:
    return poseidon_sponge([TAG_CHUNK, *elements, salt])


def chunk_salt(seed: int, index: int) -> int:
    return poseidon_hash([seed, TAG_CHUNK_SALT, index])


def root_salt(seed: int) -> int:
    return poseidon_hash([seed, TAG_ROOT_SALT])


def schema_element(schema: Schema) -> int:
    return int.from_bytes(schema.digest(), "big") >> 3


def _permutation_circuit(api, t, src):
    xs = api.private_input("x", t)
    api.output("h", permute(api, list(xs))[0])


@lru_cache(maxsize=MAX_INPUTS + 1)
def _permutation(t: int):
    """The Poseidon permutation of width ``t`` as a compiled circuit (one per width: at most 16)."""
    return compile_circuit(_permutation_circuit, t=t, src=source_digest())


def _native_hash(state: list[int]) -> int:
    c = _permutation(len(state))
    return int(c.outputs(c.solve({"x": state}, check=False))["h"])


def native_sponge(inputs: list[int]) -> int:
    """:func:`~zkgate.circuits.poseidon.poseidon_sponge` of field elements, each permutation on
    the native witness solver (~0.2 ms instead of ~1 ms of pure-Python big-integer Poseidon)."""
    n = len(inputs)
    acc = _native_hash([n, *inputs[:MAX_INPUTS]])
    for i in range(MAX_INPUTS, n, MAX_INPUTS - 1):
        acc = _native_hash([n, acc, *inputs[i:i + MAX_INPUTS - 1]])
    return acc


def dataset_root(schema: Schema, capacity: int, chunk_roots, salt: int) -> int:
    """The data set root over the chunk roots (in order) and the revealed root salt: on the
    native solver where the native backend is active (a gateway checks one per submission),
    else :func:`dataset_root_reference` (pure Python, the same hash)."""
    roots = [int(r) for r in chunk_roots]
    xs = [TAG_DATASET, schema_element(schema), capacity, len(roots), *roots, salt]
    if BACKEND != "native" or any(not 0 <= x < R for x in xs):  # the reference refuses those, naming them
        return dataset_root_reference(schema, capacity, roots, salt)
    return native_sponge(xs)


def dataset_root_reference(schema: Schema, capacity: int, chunk_roots, salt: int) -> int:
    roots = [int(r) for r in chunk_roots]
    return poseidon_sponge([TAG_DATASET, schema_element(schema), capacity, len(roots), *roots, salt])


def check_capacity(capacity: int) -> int:
    if type(capacity) is not int or not 1 <= capacity <= MAX_CAPACITY:
        raise SchemaError(f"chunk capacity must be an int in [1, {MAX_CAPACITY}], got {capacity!r}")
    return capacity


class DatasetCommitment:
    """A data holder's commitment to a data set (keeps the secret seed and the data).

    ``root`` and ``chunk_roots`` are public once registered / contributed; ``seed`` is secret.
    """

    def __init__(self, dataset: Dataset, capacity: int, seed: int | None = None) -> None:
        self.dataset = dataset
        self.schema = dataset.schema
        self.capacity = check_capacity(capacity)
        self.packing = Packing(self.schema.bits, capacity)
        if seed is None:
            seed = secrets.randbelow(R)
        if type(seed) is not int or not 0 <= seed < R:
            raise SchemaError("the commitment seed must be a field element")
        self.seed = seed
        n = len(dataset)
        self.n_chunks = max(1, -(-n // capacity))
        self.chunk_elements: list[list[int]] = []
        self.chunk_salts: list[int] = []
        self.chunk_roots: list[int] = []
        for c in range(self.n_chunks):
            block = dataset.stored[c * capacity : (c + 1) * capacity]
            elems = self.packing.pack_chunk(block)
            salt = chunk_salt(seed, c)
            self.chunk_elements.append(elems)
            self.chunk_salts.append(salt)
            self.chunk_roots.append(chunk_root(elems, salt))
        self.root_salt = root_salt(seed)
        self.root = dataset_root(self.schema, capacity, self.chunk_roots, self.root_salt)

    def chunk_rows(self, c: int) -> np.ndarray:
        return self.dataset.stored[c * self.capacity : (c + 1) * self.capacity]


__all__ = [
    "DatasetCommitment", "Packing", "TAG_CHUNK", "TAG_DATASET", "check_capacity", "chunk_root",
    "chunk_root_reference", "chunk_salt", "dataset_root", "root_salt", "schema_element",
]
