"""The reference optimal-ate pairing against py_ecc, and its bilinearity."""

from __future__ import annotations

import random

from py_ecc import bn128 as ecc

from zkgate import bn254
from zkgate.bn254.tower import (
    FQ12_ONE,
    fq12_from_py_ecc_coeffs,
    fq12_inv,
    fq12_mul,
    fq12_pow,
    fq12_to_py_ecc_coeffs,
)


def test_pairing_equals_py_ecc():
    a, b = 7, 11
    ours = bn254.pairing(bn254.g1_mul(bn254.G1_GENERATOR, a), bn254.g2_mul(bn254.G2_GENERATOR, b))
    theirs = ecc.pairing(ecc.multiply(ecc.G2, b), ecc.multiply(ecc.G1, a))
    assert fq12_to_py_ecc_coeffs(ours) == [int(c) for c in theirs.coeffs]


def test_tower_conversion_round_trips_and_multiplies_like_py_ecc():
    rng = random.Random(3)
    x = [rng.randrange(bn254.Q_MOD) for _ in range(12)]
    y = [rng.randrange(bn254.Q_MOD) for _ in range(12)]
    tx, ty = fq12_from_py_ecc_coeffs(x), fq12_from_py_ecc_coeffs(y)
    assert fq12_to_py_ecc_coeffs(tx) == x
    product = ecc.FQ12(x) * ecc.FQ12(y)
    assert fq12_to_py_ecc_coeffs(fq12_mul(tx, ty)) == [int(c) for c in product.coeffs]
    assert fq12_mul(tx, fq12_inv(tx)) == FQ12_ONE


def test_bilinearity_and_pairing_check():
    rng = random.Random(5)
    a, b = rng.randrange(1, bn254.R_MOD), rng.randrange(1, bn254.R_MOD)
    p, q = bn254.g1_mul(bn254.G1_GENERATOR, a), bn254.g2_mul(bn254.G2_GENERATOR, b)
    base = bn254.pairing(bn254.G1_GENERATOR, bn254.G2_GENERATOR)
    assert bn254.pairing(p, q) == fq12_pow(base, a * b % bn254.R_MOD)
    assert fq12_pow(base, bn254.R_MOD) == FQ12_ONE and base != FQ12_ONE
    ab = bn254.g1_mul(bn254.G1_GENERATOR, a * b % bn254.R_MOD)
    assert bn254.pairing_check([(p, q), (bn254.g1_neg(ab), bn254.G2_GENERATOR)])
    assert not bn254.pairing_check([(p, q), (bn254.g1_neg(bn254.g1_add(ab, bn254.G1_GENERATOR)), bn254.G2_GENERATOR)])
    assert bn254.pairing(None, q) == FQ12_ONE and bn254.pairing(p, None) == FQ12_ONE
