"""The pairing on both backends against py_ecc and the pure-Python reference twin.

Differential tests: the native tower arithmetic, Miller loop and final exponentiation against
zkgate.bn254.pairing's reference functions; the dispatched ``pairing`` against py_ecc;
bilinearity, non-degeneracy, multi-pairing = product of pairings; the fast G2 subgroup test
against the definition [r]Q = O, on subgroup points, random twist points and subgroup points
shifted by cofactor torsion.
"""

from __future__ import annotations

import importlib
import random

import pytest
from py_ecc import bn128 as ecc

from zkgate import _native, bn254
from zkgate.bn254 import fields
from zkgate.bn254.curve import G2
from zkgate.bn254.tower import FQ12_ONE, fq12_inv, fq12_mul, fq12_pow, fq12_sqr, fq12_to_py_ecc_coeffs
from zkgate.bn254.twist import g2_in_subgroup_reference

P = importlib.import_module("zkgate.bn254.pairing")
R, Q = bn254.R_MOD, bn254.Q_MOD
native_only = pytest.mark.skipif(_native.BACKEND != "native", reason="native backend not active")


def g1(s):
    return bn254.g1_mul(bn254.G1_GENERATOR, s)


def g2(s):
    return bn254.g2_mul(bn254.G2_GENERATOR, s)


def random_fq12(rng):
    return tuple(tuple((rng.randrange(Q), rng.randrange(Q)) for _ in range(3)) for _ in range(2))


def random_twist_point(rng):
    while True:
        x = (rng.randrange(Q), rng.randrange(Q))
        y = fields.fq2_sqrt(fields.fq2_add(fields.fq2_mul(fields.fq2_sqr(x), x), bn254.G2_B))
        if y is not None:
            return (x, y)


@pytest.mark.parametrize("seed", range(3))
def test_pairing_equals_py_ecc(seed):
    rng = random.Random(seed)
    a, b = rng.randrange(1, R), rng.randrange(1, R)
    ours = bn254.pairing(g1(a), g2(b))
    theirs = ecc.pairing(ecc.multiply(ecc.G2, b), ecc.multiply(ecc.G1, a))
    assert fq12_to_py_ecc_coeffs(ours) == [int(c) for c in theirs.coeffs]


def test_dispatched_pairing_equals_reference():
    rng = random.Random(11)
    p, q = g1(rng.randrange(1, R)), g2(rng.randrange(1, R))
    assert bn254.pairing(p, q) == P.pairing_reference(p, q)


def test_bilinearity_and_non_degeneracy():
    rng = random.Random(7)
    a, b = rng.randrange(1, R), rng.randrange(1, R)
    base = bn254.pairing(bn254.G1_GENERATOR, bn254.G2_GENERATOR)
    assert base != FQ12_ONE
    assert bn254.pairing(g1(a), g2(b)) == fq12_pow(base, a * b % R)
    assert bn254.pairing(g1(a), bn254.G2_GENERATOR) == bn254.pairing(bn254.G1_GENERATOR, g2(a))
    # additivity in each argument
    p1, p2, q = g1(rng.randrange(1, R)), g1(rng.randrange(1, R)), g2(rng.randrange(1, R))
    assert bn254.pairing(bn254.g1_add(p1, p2), q) == fq12_mul(bn254.pairing(p1, q), bn254.pairing(p2, q))
    q2 = g2(rng.randrange(1, R))
    assert bn254.pairing(p1, bn254.g2_add(q, q2)) == fq12_mul(bn254.pairing(p1, q), bn254.pairing(p1, q2))
    assert fq12_pow(base, R) == FQ12_ONE
    assert bn254.pairing(None, q) == FQ12_ONE and bn254.pairing(p1, None) == FQ12_ONE


def test_multi_pairing_equals_product_of_pairings():
    rng = random.Random(9)
    pairs = [(g1(rng.randrange(1, R)), g2(rng.randrange(1, R))) for _ in range(3)]
    product = FQ12_ONE
    for p, q in pairs:
        product = fq12_mul(product, bn254.pairing(p, q))
    assert bn254.pairing_product(pairs) == product
    assert bn254.pairing_product(pairs + [(None, pairs[0][1])]) == product
    # prepared and raw G2 points mix; target comparison
    prepared = [(p, P.prepare_g2(q)) for p, q in pairs]
    assert P.multi_pairing_equals(prepared, product)
    assert P.multi_pairing_equals(prepared[:2] + [pairs[2]], product)
    assert not P.multi_pairing_equals(prepared[:2], product)


def test_pairing_check():
    rng = random.Random(5)
    a, b = rng.randrange(1, R), rng.randrange(1, R)
    ab = g1(a * b % R)
    assert bn254.pairing_check([(g1(a), g2(b)), (bn254.g1_neg(ab), bn254.G2_GENERATOR)])
    assert not bn254.pairing_check([(g1(a), g2(b)), (bn254.g1_neg(bn254.g1_add(ab, bn254.G1_GENERATOR)), bn254.G2_GENERATOR)])
    assert bn254.pairing_check([])
    assert bn254.pairing_check([(None, g2(b))])


def test_fast_subgroup_test_matches_the_definition():
    rng = random.Random(13)
    inside = [g2(rng.randrange(1, R)) for _ in range(3)] + [None]
    outside = [random_twist_point(rng) for _ in range(3)]
    # subgroup points shifted by a point of the cofactor part (order dividing 2q - r)
    torsion = [G2.multiply_unreduced(random_twist_point(rng), R) for _ in range(2)]
    outside += [bn254.g2_add(inside[i], t) for i, t in enumerate(torsion)]
    for point in inside:
        assert P.g2_in_subgroup(point) and g2_in_subgroup_reference(point)
    for point in outside:
        assert G2.multiply_unreduced(point, R) is not None  # really outside, by definition
        assert not P.g2_in_subgroup(point)
        assert not g2_in_subgroup_reference(point)


@native_only
def test_native_tower_and_final_exponentiation_equal_reference():
    from zkgate._native import _pairing as native

    rng = random.Random(17)
    f, g = random_fq12(rng), random_fq12(rng)
    fl, gl = P.fq12_to_limbs(f), P.fq12_to_limbs(g)
    assert P.fq12_from_limbs(fl) == f
    assert P.fq12_from_limbs(native.fq12_binary(fl, gl, "mul")) == fq12_mul(f, g)
    assert P.fq12_from_limbs(native.fq12_unary(fl, "sqr")) == fq12_sqr(f)
    assert P.fq12_from_limbs(native.fq12_unary(fl, "inv")) == fq12_inv(f)
    for j in (1, 2, 3):
        assert P.fq12_from_limbs(native.fq12_unary(fl, "frob", j)) == fq12_pow(f, Q**j)
    assert P.fq12_from_limbs(native.final_exponentiation(fl)) == P.final_exponentiation(f)
    # cyclotomic squaring and x-th power on an element of the cyclotomic subgroup
    u = P.final_exponentiation(f)
    ul = P.fq12_to_limbs(u)
    assert P.fq12_from_limbs(native.fq12_unary(ul, "cyclo_sqr")) == fq12_sqr(u)
    assert P.fq12_from_limbs(native.fq12_unary(ul, "exp_x")) == fq12_pow(u, bn254.BN_X)


@native_only
def test_native_miller_loop_agrees_after_final_exponentiation():
    from zkgate._native import _pairing as native
    from zkgate.bn254.arrays import G1Affine, G2Affine

    rng = random.Random(19)
    pairs = [(g1(rng.randrange(1, R)), g2(rng.randrange(1, R))) for _ in range(2)]
    coeffs = native.prepare_g2(G2Affine.from_ints([q for _, q in pairs]).limbs)
    f = native.miller_loop(G1Affine.from_ints([p for p, _ in pairs]).limbs, coeffs)
    ref = fq12_mul(P.miller_loop(*pairs[0]), P.miller_loop(*pairs[1]))
    assert P.fq12_from_limbs(native.final_exponentiation(f)) == P.final_exponentiation(ref)
    with pytest.raises(ValueError):
        native.prepare_g2(G2Affine.from_ints([None]).limbs)
