"""Chunk roots, flagged dummy padding, data set roots and the catalog."""

from __future__ import annotations

import numpy as np
import pytest

from zkgate._native import BACKEND
from zkgate.circuits.field import R
from zkgate.circuits.poseidon import poseidon_sponge
from zkgate.study import Catalog, Dataset, DatasetCommitment, Registration, Schema, SigningKey
from zkgate.study.commitment import Packing, chunk_root, chunk_root_reference, dataset_root
from zkgate.study.errors import BadSignatureError, MessageFormatError, SpecError

SCHEMA = Schema.of(("a", 0, 100), ("b", -5, 5), ("c", 0, 1))


def table(n, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, 101, n), rng.integers(-5, 6, n), rng.integers(0, 2, n)], axis=1)


def test_packing_layout():
    p = Packing(SCHEMA.bits, 10)
    assert p.record_bits == 1 + 7 + 4 + 1 and p.per_element == 253 // 13
    elems = p.pack_chunk(np.array([[3, 2, 1]]))
    assert elems == [1 | 3 << 1 | 2 << 8 | 1 << 12]  # flag, then the columns; dummies are zero
    assert all(e < 2**253 for e in p.pack_chunk(np.array([[100, 10, 1]] * 10)))


def test_chunk_roots_equal_reference_and_padding_is_flagged():
    com = DatasetCommitment(Dataset.from_array(SCHEMA, table(11)), 4, seed=12345)
    assert com.n_chunks == 3
    for k in range(3):
        assert com.chunk_roots[k] == chunk_root_reference(com.chunk_elements[k], com.chunk_salts[k])
    # a real record of all zeros differs from a dummy record
    zero = DatasetCommitment(Dataset.from_array(SCHEMA, np.array([[0, -5, 0]])), 2, seed=1)
    empty = DatasetCommitment(Dataset.from_array(SCHEMA, np.zeros((0, 3), dtype=np.int64)), 2, seed=1)
    assert zero.chunk_elements[0] != empty.chunk_elements[0]
    assert zero.root != empty.root


def test_roots_depend_on_salt_order_and_schema():
    ds = Dataset.from_array(SCHEMA, table(8))
    a, b = DatasetCommitment(ds, 4, seed=1), DatasetCommitment(ds, 4, seed=2)
    assert a.root != b.root and a.chunk_roots[0] != b.chunk_roots[0]
    assert 0 <= a.root < R
    assert dataset_root(SCHEMA, 4, a.chunk_roots, a.root_salt) == a.root
    assert dataset_root(SCHEMA, 4, a.chunk_roots[::-1], a.root_salt) != a.root
    other = Schema.of(("a", 0, 100), ("b", -5, 6), ("c", 0, 1))
    assert dataset_root(other, 4, a.chunk_roots, a.root_salt) != a.root
    assert chunk_root([1, 2], 3) == chunk_root_reference([1, 2], 3)


def test_registration_and_catalog():
    com = DatasetCommitment(Dataset.from_array(SCHEMA, table(5)), 4)
    key = SigningKey.generate()
    reg = Registration.create("clinic", com, key)
    assert Registration.from_bytes(reg.to_bytes()) == reg
    cat = Catalog([reg])
    assert Catalog.from_bytes(cat.to_bytes())["clinic"] == reg
    forged = Registration(reg.participant, reg.schema, reg.capacity, reg.n_chunks, reg.root + 1, reg.verify_key,
                          reg.signature)
    with pytest.raises(BadSignatureError):
        Catalog([forged])
    other = Registration.create("clinic", DatasetCommitment(Dataset.from_array(SCHEMA, table(5, 1)), 4), key)
    with pytest.raises(SpecError, match="already registered"):
        cat.register(other)
    with pytest.raises(MessageFormatError):
        Registration.from_bytes(reg.to_bytes()[:-3])


@pytest.mark.skipif(BACKEND != "native", reason="the native solver's sponge (the pure backend uses the reference)")
def test_dataset_root_on_the_native_solver_equals_the_reference():
    """The gateway's per-submission data set root (one compiled permutation per width, chained as
    the sponge) is the pure-Python sponge's, across block boundaries (16 inputs, then 15 more each)."""
    import random

    from zkgate.study.commitment import dataset_root_reference, native_sponge

    rng = random.Random(5)
    schema = Schema.of(("age", 0, 15), ("sex", 0, 1))
    for n in (1, 11, 12, 26, 27):
        roots = [rng.randrange(R) for _ in range(n)]
        salt = rng.randrange(R)
        assert dataset_root(schema, 4, roots, salt) == dataset_root_reference(schema, 4, roots, salt)
        other = list(roots)
        other[-1] = (other[-1] + 1) % R
        assert dataset_root(schema, 4, other, salt) != dataset_root(schema, 4, roots, salt)
    assert native_sponge([7]) == poseidon_sponge([7])
