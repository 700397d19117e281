"""The pure-Python reference BN254 layer against py_ecc (an independent implementation)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import bn128 as ecc

from zkgate import bn254
from zkgate.bn254 import fields
from zkgate.errors import InvalidInputError, NotOnCurveError

R, Q = bn254.R_MOD, bn254.Q_MOD


def g1_from_ecc(p):
    return None if p is None else (p[0].n, p[1].n)


def g2_from_ecc(p):
    if p is None:
        return None
    return (fq2_from_ecc(p[0]), fq2_from_ecc(p[1]))


def fq2_from_ecc(value):
    return (int(value.coeffs[0]), int(value.coeffs[1]))


def g2_to_ecc(p):
    return (ecc.FQ2([p[0][0], p[0][1]]), ecc.FQ2([p[1][0], p[1][1]]))


def test_constants_match_py_ecc():
    assert R == ecc.curve_order and Q == ecc.field_modulus
    assert bn254.G1_GENERATOR == g1_from_ecc(ecc.G1)
    assert bn254.G2_GENERATOR == g2_from_ecc(ecc.G2)
    assert bn254.G2_B == fq2_from_ecc(ecc.b2)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 12345, R - 1, R, R + 5])
def test_g1_scalar_multiplication(k):
    assert bn254.g1_mul(bn254.G1_GENERATOR, k) == g1_from_ecc(ecc.multiply(ecc.G1, k % R))


def test_g1_add_double_neg():
    rng = random.Random(1)
    a, b = rng.randrange(1, R), rng.randrange(1, R)
    pa, pb = bn254.g1_mul(bn254.G1_GENERATOR, a), bn254.g1_mul(bn254.G1_GENERATOR, b)
    ea, eb = ecc.multiply(ecc.G1, a), ecc.multiply(ecc.G1, b)
    assert bn254.g1_add(pa, pb) == g1_from_ecc(ecc.add(ea, eb))
    assert bn254.g1_double(pa) == g1_from_ecc(ecc.double(ea))
    assert bn254.g1_add(pa, pa) == bn254.g1_double(pa)
    assert bn254.g1_add(pa, bn254.g1_neg(pa)) is None
    assert bn254.g1_add(None, pa) == pa and bn254.g1_add(pa, None) == pa


@pytest.mark.parametrize("k", [0, 1, 2, 987654321, R - 1])
def test_g2_scalar_multiplication(k):
    assert bn254.g2_mul(bn254.G2_GENERATOR, k) == g2_from_ecc(ecc.multiply(ecc.G2, k))


def test_g2_add_double():
    pa = bn254.g2_mul(bn254.G2_GENERATOR, 5)
    pb = bn254.g2_mul(bn254.G2_GENERATOR, 7)
    assert bn254.g2_add(pa, pb) == bn254.g2_mul(bn254.G2_GENERATOR, 12)
    assert bn254.g2_double(pa) == g2_from_ecc(ecc.double(ecc.multiply(ecc.G2, 5)))
    assert bn254.g2_add(pa, bn254.g2_neg(pa)) is None


def twist_point_outside_subgroup():
    """A point on the twist E'(Fq2) that is not in G2 (the twist has a large cofactor)."""
    x = (1, 0)
    while True:
        rhs = fields.fq2_add(fields.fq2_mul(fields.fq2_sqr(x), x), bn254.G2_B)
        y = fields.fq2_sqrt(rhs)
        if y is not None:
            return (x, y)
        x = (x[0] + 1, x[1])


def test_g2_subgroup_check_rejects_twist_point_outside_subgroup():
    point = twist_point_outside_subgroup()
    assert bn254.g2_is_on_curve(point)
    assert not bn254.g2_in_subgroup(point)
    # py_ecc agrees: r * P is not infinity for this point.
    assert ecc.multiply(g2_to_ecc(point), R) is not None and not ecc.is_inf(ecc.multiply(g2_to_ecc(point), R))
    with pytest.raises(NotOnCurveError, match="subgroup"):
        bn254.check_g2(point)
    assert bn254.g2_in_subgroup(bn254.G2_GENERATOR)
    # the fast endomorphism test agrees with the definition r * P == infinity
    from zkgate.bn254.curve import g2_in_subgroup_by_order

    for candidate in (point, bn254.G2_GENERATOR, bn254.g2_mul(bn254.G2_GENERATOR, 12345)):
        assert bn254.g2_in_subgroup(candidate) == g2_in_subgroup_by_order(candidate)


def test_check_g1_rejects_bad_points():
    with pytest.raises(NotOnCurveError):
        bn254.check_g1((1, 3))
    with pytest.raises(InvalidInputError):
        bn254.check_g1((Q, 2))
    assert bn254.check_g1(bn254.G1_GENERATOR) == bn254.G1_GENERATOR


def naive_msm(mul, add, bases, scalars):
    total = None
    for base, scalar in zip(bases, scalars):
        total = add(total, mul(base, scalar) if base is not None else None)
    return total


EDGE_SCALARS = [0, 1, R - 1, 2, R - 2]


@pytest.mark.parametrize("n", [0, 1, 2, 17])
def test_msm_g1_against_naive_sum(n):
    rng = random.Random(n)
    bases = [bn254.g1_mul(bn254.G1_GENERATOR, rng.randrange(1, R)) for _ in range(n)]
    if n >= 4:
        bases[3] = bases[2]  # repeated base
        bases[4] = bn254.g1_neg(bases[1])  # negated base
        bases[5] = None  # infinity among the bases
    scalars = [EDGE_SCALARS[i] if i < len(EDGE_SCALARS) else rng.randrange(R) for i in range(n)]
    expected = naive_msm(bn254.g1_mul, bn254.g1_add, bases, scalars)
    assert bn254.msm_g1_reference(bases, scalars) == expected
    assert bn254.msm_g1(bases, scalars) == expected


@pytest.mark.parametrize("n", [0, 1, 2, 17])
def test_msm_g2_against_naive_sum(n):
    rng = random.Random(100 + n)
    bases = [bn254.g2_mul(bn254.G2_GENERATOR, rng.randrange(1, R)) for _ in range(n)]
    if n >= 4:
        bases[3] = bases[2]
    scalars = [EDGE_SCALARS[i] if i < len(EDGE_SCALARS) else rng.randrange(R) for i in range(n)]
    expected = naive_msm(bn254.g2_mul, bn254.g2_add, bases, scalars)
    assert bn254.msm_g2_reference(bases, scalars) == expected
    assert bn254.msm_g2(bases, scalars) == expected


def test_msm_all_zero_scalars_is_infinity_and_length_mismatch_is_refused():
    bases = [bn254.G1_GENERATOR, bn254.g1_double(bn254.G1_GENERATOR)]
    assert bn254.msm_g1(bases, [0, 0]) is None
    assert bn254.msm_g1(bases, [1, R - 1, ]) == bn254.g1_neg(bn254.G1_GENERATOR)
    with pytest.raises(InvalidInputError):
        bn254.msm_g1(bases, [1])


field_elements = st.integers(min_value=1, max_value=Q - 1)
scalar_elements = st.integers(min_value=1, max_value=R - 1)


@settings(max_examples=50, deadline=None)
@given(field_elements)
def test_fq_inverse_and_sqrt(a):
    assert a * bn254.inverse(a, Q) % Q == 1
    root = bn254.fq_sqrt(a)
    if fields.legendre(a, Q) == 1:
        assert root is not None and root * root % Q == a
    else:
        assert root is None


@settings(max_examples=50, deadline=None)
@given(scalar_elements)
def test_fr_inverse_and_sqrt(a):
    assert a * bn254.inverse(a, R) % R == 1
    root = bn254.fr_sqrt(a)
    if fields.legendre(a, R) == 1:
        assert root is not None and root * root % R == a
    else:
        assert root is None


@settings(max_examples=25, deadline=None)
@given(field_elements, field_elements)
def test_fq2_inverse_and_sqrt(a0, a1):
    a = (a0, a1)
    assert fields.fq2_mul(a, fields.fq2_inv(a)) == (1, 0)
    square = fields.fq2_sqr(a)
    root = fields.fq2_sqrt(square)
    assert root is not None and fields.fq2_sqr(root) == square
    assert fields.fq2_mul(a, (a1, a0)) == fq2_from_ecc(ecc.FQ2([a0, a1]) * ecc.FQ2([a1, a0]))


def test_inverse_of_zero_and_range_checks():
    with pytest.raises(InvalidInputError):
        bn254.inverse(0, R)
    with pytest.raises(InvalidInputError):
        bn254.check_element(R, R, "public input")
    with pytest.raises(InvalidInputError):
        bn254.check_element(-1, R)
    assert fields.legendre(5, R) == -1  # the non-residue used for roots of unity


def test_roots_of_unity():
    for log_n in (0, 1, 5, 28):
        w = bn254.fr_root_of_unity(log_n)
        assert pow(w, 1 << log_n, R) == 1
        if log_n:
            assert pow(w, 1 << (log_n - 1), R) != 1
    with pytest.raises(InvalidInputError):
        bn254.fr_root_of_unity(29)
