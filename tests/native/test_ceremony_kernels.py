"""The trusted-setup kernels (GLV/GLS scalar multiplication, group FFT) against the reference layer."""

from __future__ import annotations

import random

import numpy as np
import pytest
from native_helpers import R_MOD, native_only

import zkgate.bn254 as bn
from zkgate.bn254 import G1Affine, G2Affine
from zkgate.bn254.arrays import ints_to_rows
from zkgate.prover.ceremony import group_ops

pytestmark = native_only

RNG = random.Random(7)
G1_LAMBDA = 21888242871839275217838484774961031246154997185409878258781734729429964517155
G2_LAMBDA = 147946756881789318990833708069417712966  # q mod r = 6x^2


def kernels():
    from zkgate._native import _ceremony
    return _ceremony


def edge_scalars():
    """Scalars near the decomposition's corners: 0, 1, r-1, r/2, lambda and its neighbours, 2^k."""
    out = [0, 1, 2, R_MOD - 1, R_MOD - 2, R_MOD // 2, R_MOD // 2 + 1, R_MOD // 3]
    for lam in (G1_LAMBDA, G2_LAMBDA):
        out += [lam, lam - 1, lam + 1, (R_MOD - lam) % R_MOD, lam * lam % R_MOD]
    out += [1 << k for k in (63, 64, 127, 128, 129, 190, 253)]
    out += [(1 << 128) - 1, (1 << 192) - 1]
    return out + [RNG.randrange(R_MOD) for _ in range(40)]


@pytest.mark.parametrize("group", [1, 2])
def test_scale_matches_reference(group):
    scalars = edge_scalars()
    gen, mul, arr = ((bn.G1_GENERATOR, bn.g1_mul, G1Affine) if group == 1 else (bn.G2_GENERATOR, bn.g2_mul, G2Affine))
    points = [mul(gen, RNG.randrange(1, R_MOD)) for _ in scalars]
    points[3] = None  # infinity stays infinity
    rows = arr.from_ints(points).limbs
    got = arr(kernels().scale(rows, ints_to_rows(scalars).reshape(-1, 4), group), check=False).to_ints()
    assert got == [mul(p, k) if p is not None else None for p, k in zip(points, scalars)]


def test_decomposition_constants():
    """The eigenvalues the decomposition is built for: a cube root of unity (G1), q mod r (G2)."""
    assert (G1_LAMBDA * G1_LAMBDA + G1_LAMBDA + 1) % R_MOD == 0
    assert G2_LAMBDA == 21888242871839275222246405745257275088696311157297823662689037894645226208583 % R_MOD


@pytest.mark.parametrize("group,log_n", [(1, 3), (1, 5), (2, 4)])
def test_lagrange_matches_dft(group, log_n):
    n = 1 << log_n
    gen, mul, add, arr = ((bn.G1_GENERATOR, bn.g1_mul, bn.g1_add, G1Affine) if group == 1
                          else (bn.G2_GENERATOR, bn.g2_mul, bn.g2_add, G2Affine))
    tau = RNG.randrange(2, R_MOD)
    powers = [mul(gen, pow(tau, i, R_MOD)) for i in range(n)]
    got = arr(group_ops.lagrange(arr.from_ints(powers).limbs, group), check=False).to_ints()
    w = bn.fr_root_of_unity(log_n)
    # L_i(tau) = (w^i / n) (tau^n - 1) / (tau - w^i)
    expect = []
    for i in range(n):
        wi = pow(w, i, R_MOD)
        li = wi * (pow(tau, n, R_MOD) - 1) * pow(n * (tau - wi), -1, R_MOD) % R_MOD
        expect.append(mul(gen, li))
    assert got == expect


def test_sparse_sums_matches_reference():
    bases = [bn.g1_mul(bn.G1_GENERATOR, RNG.randrange(1, R_MOD)) for _ in range(6)]
    scal = [1, R_MOD - 1, 5, R_MOD - 7, RNG.randrange(R_MOD), RNG.randrange(R_MOD), 0, G1_LAMBDA]
    idx = [0, 1, 2, 3, 4, 5, 0, 1]
    off = [0, 3, 3, 8]
    got = G1Affine(kernels().sparse_sums(G1Affine.from_ints(bases).limbs, np.array(off), np.array(idx),
                                         ints_to_rows(scal).reshape(-1, 4), 1), check=False).to_ints()
    expect = []
    for j in range(3):
        acc = None
        for e in range(off[j], off[j + 1]):
            acc = bn.g1_add(acc, bn.g1_mul(bases[idx[e]], scal[e]))
        expect.append(acc)
    assert got == expect


@pytest.mark.parametrize("group", [1, 2])
def test_sparse_sums_batched_lanes(group):
    """Enough full-size terms to fill the eight-lane batches, spread over many outputs."""
    gen, mul, add, arr = ((bn.G1_GENERATOR, bn.g1_mul, bn.g1_add, G1Affine) if group == 1
                          else (bn.G2_GENERATOR, bn.g2_mul, bn.g2_add, G2Affine))
    bases = [mul(gen, RNG.randrange(1, R_MOD)) for _ in range(12)]
    n_out = 90
    counts = [RNG.randrange(0, 5) for _ in range(n_out)]
    off = [0]
    for c in counts:
        off.append(off[-1] + c)
    idx = [RNG.randrange(len(bases)) for _ in range(off[-1])]
    scal = [RNG.choice([1, R_MOD - 1, 3, RNG.randrange(R_MOD), RNG.randrange(R_MOD)]) for _ in idx]
    got = arr(kernels().sparse_sums(arr.from_ints(bases).limbs, np.array(off), np.array(idx),
                                    ints_to_rows(scal).reshape(-1, 4), group), check=False).to_ints()
    expect = []
    for j in range(n_out):
        acc = None
        for e in range(off[j], off[j + 1]):
            acc = add(acc, mul(bases[idx[e]], scal[e]))
        expect.append(acc)
    assert got == expect
