"""G1/G2 kernels and MSM against the reference layer and py_ecc."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from native_helpers import Q_MOD, R_MOD, native_only

import zkgate.bn254 as bn
from zkgate.bn254 import FrArray, G1Affine, G2Affine
from zkgate.errors import FormatError, InvalidInputError, NotOnCurveError

pytestmark = native_only

RNG = random.Random(2024)


def curve():
    from zkgate._native import _curve
    return _curve


def g1_points(k):
    return [bn.g1_mul(bn.G1_GENERATOR, RNG.randrange(1, R_MOD)) for _ in range(k)]


def g2_points(k):
    return [bn.g2_mul(bn.G2_GENERATOR, RNG.randrange(1, R_MOD)) for _ in range(k)]


def test_point_ops_match_reference_and_py_ecc():
    from py_ecc import optimized_bn128 as ob

    C = curve()
    for group, pts, add, dbl, neg, mul in (
        (1, g1_points(6), bn.g1_add, bn.g1_double, bn.g1_neg, bn.g1_mul),
        (2, g2_points(4), bn.g2_add, bn.g2_double, bn.g2_neg, bn.g2_mul),
    ):
        cls = G1Affine if group == 1 else G2Affine
        p = pts + [pts[0], pts[1], None, pts[2], None]
        q = pts[::-1] + [pts[0], neg(pts[1]), pts[3], None, None]
        P, Q = cls.from_ints(p), cls.from_ints(q)
        assert cls(C.add(P.limbs, Q.limbs, group)).to_ints() == [add(a, b) for a, b in zip(p, q)]
        assert cls(C.madd(P.limbs, Q.limbs, group)).to_ints() == [add(a, b) for a, b in zip(p, q)]
        assert cls(C.madd(P.limbs, Q.limbs, group, True)).to_ints() == [add(a, neg(b)) for a, b in zip(p, q)]
        assert cls(C.double(P.limbs, group)).to_ints() == [dbl(a) for a in p]
        ks = [RNG.randrange(R_MOD) for _ in p]
        ks[0], ks[1] = 0, R_MOD - 1
        got = cls(C.mul_scalar(P.limbs, FrArray.from_ints(ks).limbs, group)).to_ints()
        assert got == [mul(a, k) for a, k in zip(p, ks)]
    # independent check of one G1 product with py_ecc
    k = RNG.randrange(R_MOD)
    x, y = ob.normalize(ob.multiply(ob.G1, k))
    assert G1Affine(C.mul_scalar(G1Affine.from_ints([bn.G1_GENERATOR]).limbs,
                                 FrArray.from_ints([k]).limbs, 1)).to_ints() == [(int(x), int(y))]


def test_on_curve_and_subgroup():
    C = curve()
    good = G1Affine.from_ints(g1_points(3) + [None])
    assert C.on_curve(good.limbs, 1).all()
    bad = good.limbs.copy()
    bad[0, 0] ^= 1
    assert not C.on_curve(bad, 1)[0]
    with pytest.raises(NotOnCurveError):
        G1Affine(bad)
    with pytest.raises(NotOnCurveError):
        G1Affine.from_ints([(1, 3)])
    with pytest.raises(InvalidInputError):
        G1Affine.from_ints([(Q_MOD, 2)])
    # a twist point outside the order-r subgroup: x = small, y = sqrt(x^3 + b')
    x = 1
    while True:
        rhs = bn.fq2_add(bn.fq2_mul(bn.fq2_mul((x, 0), (x, 0)), (x, 0)), bn.G2_B)
        y = bn.fq2_sqrt(rhs)
        if y is not None:
            break
        x += 1
    outside = G2Affine.from_ints([((x, 0), y)])
    inside = G2Affine.from_ints(g2_points(2) + [None])
    assert C.on_curve(outside.limbs, 2).all()
    assert not outside.in_subgroup()[0]
    assert inside.in_subgroup().all()
    assert bn.g2_in_subgroup(((x, 0), y)) is False


def test_arrays_bytes_roundtrip():
    pts = g1_points(3) + [None]
    a = G1Affine.from_ints(pts)
    raw = a.to_bytes()
    assert len(raw) == 64 * 4
    assert G1Affine.from_bytes(raw).to_ints() == pts
    # plain little-endian layout (as in snarkjs's non-Montgomery sections)
    plain = b"".join((0).to_bytes(64, "little") if p is None else p[0].to_bytes(32, "little") + p[1].to_bytes(32, "little") for p in pts)
    assert G1Affine.from_bytes(plain, montgomery=False).to_ints() == pts
    with pytest.raises(FormatError):
        G1Affine.from_bytes(raw[:-1])
    g2 = g2_points(2) + [None]
    assert G2Affine.from_bytes(G2Affine.from_ints(g2).to_bytes()).to_ints() == g2
    ks = [0, 1, R_MOD - 1, 12345]
    fr = FrArray.from_ints(ks)
    assert FrArray.from_bytes(fr.to_bytes()).to_ints() == ks
    assert FrArray.from_bytes(fr.to_montgomery().to_bytes(), montgomery=True).to_ints() == ks
    with pytest.raises(InvalidInputError):
        FrArray.from_bytes(R_MOD.to_bytes(32, "little"))
    with pytest.raises(FormatError):
        FrArray.from_bytes(b"\0" * 33)
    assert FrArray.from_ints([-1]).to_ints() == [R_MOD - 1]


def _bases_with_logs(group, n, rng):
    """n bases with known discrete logs e_i (including infinity, repeats and negations)."""
    logs = [rng.randrange(1, R_MOD) for _ in range(n)]
    if n >= 3:
        logs[1] = logs[0]                 # repeated base
        logs[2] = (R_MOD - logs[0]) % R_MOD  # negated base
    if n >= 5:
        logs[4] = 0                       # point at infinity
    gen = bn.G1_GENERATOR if group == 1 else bn.G2_GENERATOR
    cls = G1Affine if group == 1 else G2Affine
    g = cls.from_ints([gen] * n)
    pts = cls(curve().mul_scalar(g.limbs, FrArray.from_ints(logs).limbs, group))
    return pts, logs


def _scalars(n, rng):
    ks = [rng.randrange(R_MOD) for _ in range(n)]
    for i, v in zip(range(0, n, 7), [0, R_MOD - 1, 1, 2, (R_MOD - 1) // 2, 1 << 253]):
        ks[i] = v % R_MOD
    return ks


@pytest.mark.parametrize("group", [1, 2])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 31, 257, 4097])
def test_msm_sizes_and_edges(group, n):
    if group == 2 and n == 4097:
        pytest.skip("covered by the slow test")
    rng = random.Random(n * 10 + group)
    C = curve()
    bases, logs = _bases_with_logs(group, n, rng)
    ks = _scalars(n, rng)
    gen = bn.G1_GENERATOR if group == 1 else bn.G2_GENERATOR
    mul = bn.g1_mul if group == 1 else bn.g2_mul
    expected = mul(gen, sum(k * e for k, e in zip(ks, logs)) % R_MOD) if n else None
    cls = type(bases)
    limbs = FrArray.from_ints(ks).limbs
    for mode in (1, 2):
        for window in (0, 2, 7):
            row = C.msm(bases.limbs, limbs, group, mode=mode, window=window, nthreads=2)
            assert cls(row.reshape(1, -1)).to_ints()[0] == expected, (mode, window)
    msm = bn.msm_g1 if group == 1 else bn.msm_g2
    assert msm(bases, FrArray.from_ints(ks)) == expected
    if n <= 31:
        plain = bases.to_ints()
        assert msm(plain, ks) == expected
        ref = bn.msm_g1_reference if group == 1 else bn.msm_g2_reference
        assert ref(plain, ks) == expected


@pytest.mark.slow
def test_msm_g2_4097_and_big_windows():
    rng = random.Random(99)
    C = curve()
    for group, n in ((2, 4097), (1, 20000)):
        bases, logs = _bases_with_logs(group, n, rng)
        ks = _scalars(n, rng)
        gen = bn.G1_GENERATOR if group == 1 else bn.G2_GENERATOR
        mul = bn.g1_mul if group == 1 else bn.g2_mul
        expected = mul(gen, sum(k * e for k, e in zip(ks, logs)) % R_MOD)
        for window in (0, 13, 16):
            row = C.msm(bases.limbs, FrArray.from_ints(ks).limbs, group, window=window)
            assert type(bases)(row.reshape(1, -1)).to_ints()[0] == expected


def test_msm_all_same_bucket_and_cancellation():
    """Every point lands in one bucket: exercises the in-batch collision path."""
    C = curve()
    p = g1_points(1)[0]
    n = 1500
    bases = G1Affine.from_ints([p, bn.g1_neg(p)] * (n // 2))
    ks = [5] * n
    assert bn.msm_g1(bases, ks) is None
    bases = G1Affine.from_ints([p] * n)
    row = C.msm(bases.limbs, FrArray.from_ints(ks).limbs, 1, mode=2)
    assert G1Affine(row.reshape(1, -1)).to_ints()[0] == bn.g1_mul(p, 5 * n)


def test_msm_rejects_bad_input():
    with pytest.raises(InvalidInputError):
        bn.msm_g1([bn.G1_GENERATOR], [1, 2])
    with pytest.raises(NotOnCurveError):
        bn.msm_g1([(1, 3)], [1])
    with pytest.raises(InvalidInputError):
        bn.msm_g2(G1Affine.from_ints([bn.G1_GENERATOR]), [1])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, R_MOD - 1), st.integers(-3, R_MOD)), min_size=0, max_size=12))
def test_msm_property(terms):
    logs = [e for e, _ in terms]
    ks = [k for _, k in terms]
    bases = [bn.g1_mul(bn.G1_GENERATOR, e) for e in logs]
    expected = bn.g1_mul(bn.G1_GENERATOR, sum(k * e for k, e in zip(ks, logs)) % R_MOD)
    assert bn.msm_g1(bases, ks) == expected


@pytest.mark.parametrize("group", [1, 2])
def test_msm_crowded_buckets_deferred_queue(group):
    """Scalars from a small set: most points collide with a bucket already in the batch and
    wait in the deferred queue (some overflow to Jacobian buckets); mixed with random ones."""
    rng = random.Random(7 + group)
    C = curve()
    n = 3000 if group == 1 else 1200
    bases, logs = _bases_with_logs(group, n, rng)
    small = [3, 5, R_MOD - 3, 7 << 200, 1]
    ks = [small[rng.randrange(len(small))] if i % 4 else rng.randrange(R_MOD) for i in range(n)]
    gen = bn.G1_GENERATOR if group == 1 else bn.G2_GENERATOR
    mul = bn.g1_mul if group == 1 else bn.g2_mul
    expected = mul(gen, sum(k * e for k, e in zip(ks, logs)) % R_MOD)
    limbs = FrArray.from_ints(ks).limbs
    for window in (0, 4, 9, 12):
        row = C.msm(bases.limbs, limbs, group, mode=2, window=window, nthreads=2)
        assert type(bases)(row.reshape(1, -1)).to_ints()[0] == expected, window


def test_msm_unreduced_wide_scalars_are_safe():
    """_curve.msm does not check scalars < r: 256-bit values must not overrun the spread
    top-window buckets (and with a 264-bit window span the result is still the sum)."""
    rng = random.Random(31)
    C = curve()
    n = 2000
    bases, logs = _bases_with_logs(1, n, rng)
    ks = [rng.randrange(1 << 254, 1 << 256) if i % 3 == 0 else rng.randrange(R_MOD) for i in range(n)]
    limbs = np.array([[(k >> (64 * j)) & (2**64 - 1) for j in range(4)] for k in ks], dtype=np.uint64)
    expected = bn.g1_mul(bn.G1_GENERATOR, sum(k * e for k, e in zip(ks, logs)) % R_MOD)
    row = C.msm(bases.limbs, limbs, 1, mode=2, window=12, nthreads=2)
    assert G1Affine(row.reshape(1, -1)).to_ints()[0] == expected
