"""zkgate.kernels.ceremony: the pure-Python twins (run on every backend) against plain reference
arithmetic, and against the kernels the facade bound (the compiled ones on the native backend)."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest

import zkgate.bn254 as bn
from zkgate.bn254 import G1Affine, G2Affine
from zkgate.bn254.arrays import ints_to_rows
from zkgate.kernels import ceremony

R_MOD = bn.R_MOD
RNG = random.Random(1819)


def _scalars(values) -> np.ndarray:
    return ints_to_rows([v % R_MOD for v in values]).reshape(-1, 4)


@pytest.mark.parametrize("log_n", [0, 1, 2, 3])
def test_lagrange_twin_is_the_inverse_dft(log_n):
    n = 1 << log_n
    points = [bn.g1_mul(bn.G1_GENERATOR, RNG.randrange(1, R_MOD)) for _ in range(n)]
    rows = G1Affine.from_ints(points).limbs
    w_inv = pow(bn.fr_root_of_unity(log_n), -1, R_MOD)
    n_inv = pow(n, -1, R_MOD)
    half = ceremony._geometric_twin(1, w_inv, max(n // 2, 1))
    got = ceremony._lagrange_twin(rows, half, n_inv, 1)
    expect = []
    for i in range(n):
        acc = None
        for j, p in enumerate(points):
            acc = bn.g1_add(acc, bn.g1_mul(p, pow(w_inv, i * j, R_MOD) * n_inv % R_MOD))
        expect.append(acc)
    assert G1Affine(got, check=False).to_ints() == expect
    assert np.array_equal(ceremony.lagrange(rows, ceremony.geometric(1, w_inv, max(n // 2, 1)), n_inv, 1), got)


@pytest.mark.parametrize("group", [1, 2])
def test_scale_and_sparse_sums_twins(group):
    gen, mul, add, arr = ((bn.G1_GENERATOR, bn.g1_mul, bn.g1_add, G1Affine) if group == 1
                          else (bn.G2_GENERATOR, bn.g2_mul, bn.g2_add, G2Affine))
    points = [mul(gen, RNG.randrange(1, R_MOD)) for _ in range(4)]
    points[1] = None
    ks = [0, 1, R_MOD - 1, RNG.randrange(R_MOD)]
    rows, scal = arr.from_ints(points).limbs, _scalars(ks)
    got = ceremony._scale_twin(rows, scal, group)
    assert arr(got, check=False).to_ints() == [mul(p, k) if p is not None else None for p, k in zip(points, ks)]
    assert np.array_equal(ceremony.scale(rows, scal, group), got)
    off, idx = np.array([0, 2, 2, 4]), np.array([0, 3, 2, 3])
    got = ceremony._sparse_sums_twin(rows, off, idx, scal, group)
    expect = [add(mul(points[0], ks[0]), mul(points[3], ks[1])), None, add(mul(points[2], ks[2]), mul(points[3], ks[3]))]
    assert arr(got, check=False).to_ints() == expect
    assert np.array_equal(ceremony.sparse_sums(rows, off, idx, scal, group), got)


def test_geometric_twin():
    first, inc = RNG.randrange(R_MOD), RNG.randrange(R_MOD)
    got = ceremony._geometric_twin(first, inc, 5)
    assert got.shape == (5, 4)
    assert [int.from_bytes(r.tobytes(), "little") for r in got] == [first * pow(inc, i, R_MOD) % R_MOD for i in range(5)]
    assert np.array_equal(ceremony.geometric(first, inc, 5), got)
    assert ceremony._geometric_twin(first, inc, 0).shape == (0, 4)


def test_blake2b_blocks_twin_matches_hashlib():
    data = bytes(RNG.getrandbits(8) for _ in range(3 * ceremony.BLOCK))
    h0 = list(ceremony.IV)
    h0[0] ^= 0x01010000 | 64
    h, length = ceremony._blake2b_blocks_twin(h0, data[: 2 * ceremony.BLOCK], 0)
    assert length == 2 * ceremony.BLOCK
    assert (h, length) == tuple(ceremony.blake2b_blocks(h0, data[: 2 * ceremony.BLOCK], 0))
    final = ceremony.compress(h, data[2 * ceremony.BLOCK :], 3 * ceremony.BLOCK, True)
    assert b"".join(x.to_bytes(8, "little") for x in final) == hashlib.blake2b(data).digest()
