"""zkgate.bn254.packed: the compiled batch kernels against their pure-Python twins (same rows in, same answer out)."""

from __future__ import annotations

import random

import numpy as np
from native_helpers import R_MOD, native_only

import zkgate.bn254 as bn
from zkgate.bn254 import G1Affine, G2Affine, packed
from zkgate.bn254.arrays import FrArray
from zkgate.bn254.pairing import fq12_to_limbs

pytestmark = native_only

RNG = random.Random(1818)


def _g1(k):
    return bn.g1_mul(bn.G1_GENERATOR, k)


def _g2(k):
    return bn.g2_mul(bn.G2_GENERATOR, k)


def test_msm_on_curve_and_subtract_match():
    ks = [RNG.randrange(1, R_MOD) for _ in range(5)]
    scalars = FrArray.from_ints([RNG.randrange(R_MOD) for _ in ks]).limbs
    for group, make, arr in ((1, _g1, G1Affine), (2, _g2, G2Affine)):
        points = [make(k) for k in ks]
        points[2] = None
        rows = arr.from_ints(points).limbs
        assert np.array_equal(packed.msm_rows(rows, scalars, group, 1), packed._msm_rows_twin(rows, scalars, group, 1))
        other = arr.from_ints([make(RNG.randrange(1, R_MOD)) for _ in ks]).limbs
        assert np.array_equal(packed.subtract_rows(rows, other, group), packed._subtract_rows_twin(rows, other, group))
        assert np.array_equal(packed.subtract_rows(rows, rows, group), np.zeros_like(rows))
        assert packed.on_curve_rows(rows, group).tolist() == packed._on_curve_rows_twin(rows, group).tolist() == [True] * 5
    off = G1Affine.from_ints([_g1(3)]).limbs.copy()
    off[0, 0] ^= 1  # a point off the curve
    assert packed.on_curve_rows(off, 1).tolist() == packed._on_curve_rows_twin(off, 1).tolist() == [False]
    g2rows = G2Affine.from_ints([_g2(5), None]).limbs
    assert packed.g2_in_subgroup_rows(g2rows, 1).tolist() == packed._g2_in_subgroup_rows_twin(g2rows, 1).tolist()


def test_pairing_checks_match():
    a, b = RNG.randrange(1, R_MOD), RNG.randrange(1, R_MOD)
    g1_rows = G1Affine.from_ints([_g1(a), bn.g1_neg(_g1(a * b % R_MOD))]).limbs
    g2_rows = G2Affine.from_ints([_g2(b), bn.G2_GENERATOR]).limbs
    native_prep, twin_prep = packed.prepare_g2_rows(g2_rows), packed._prepare_g2_rows_twin(g2_rows)
    for prep, check in ((native_prep, packed.product_equals), (twin_prep, packed._product_equals_twin)):
        assert check(g1_rows, prep, None)
        assert not check(g1_rows[:1], prep[:1], None)
        target = fq12_to_limbs(bn.pairing(_g1(a), _g2(b)))
        assert check(g1_rows[:1], prep[:1], target)
        assert not check(g1_rows[1:], prep[1:], target)


def test_batch_check_matches():
    k = 4
    xs = [RNG.randrange(1, R_MOD) for _ in range(k)]
    ys = [RNG.randrange(1, R_MOD) for _ in range(k)]
    ws = [RNG.getrandbits(128) | 1 for _ in range(k)]
    s = sum(w * x * y for w, x, y in zip(ws, xs, ys)) % R_MOD
    s1, s2 = RNG.randrange(R_MOD), RNG.randrange(R_MOD)
    a = G1Affine.from_ints([_g1(x) for x in xs]).limbs
    b = G2Affine.from_ints([_g2(y) for y in ys]).limbs
    weights = FrArray.from_ints(ws).limbs
    fixed = G2Affine.from_ints([bn.G2_GENERATOR] * 3).limbs
    good = G1Affine.from_ints([_g1(s1), _g1(s2), _g1((s - s1 - s2) % R_MOD)]).limbs
    wrong = G1Affine.from_ints([_g1(s1), _g1(s2), _g1((s - s1 - s2 + 1) % R_MOD)]).limbs
    for prep, check in ((packed.prepare_g2_rows(fixed), packed.batch_check), (fixed, packed._batch_check_twin)):
        assert check(a, b, weights, good, prep, 1)
        assert not check(a, b, weights, wrong, prep, 1)
