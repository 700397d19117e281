"""Reference optimal-ate pairing on BN254 (the pure-Python twin of the native pairing).

``pairing(P, Q)`` takes a G1 point ``(x, y)`` and a G2 point ``((x0, x1), (y0, y1))`` and
returns the reduced pairing e(P, Q) = f_{6x+2,Q}(P)^((q^12 - 1)/r) as an Fq12 tower element
(see :mod:`zkgate.bn254.tower`); it equals py_ecc's ``pairing(Q, P)``.
``pairing_check([(P1, Q1), ...])`` says whether the product of the pairings is one, with one
shared final exponentiation.  Inputs are trusted here: validate points with
:func:`zkgate.bn254.check_g1` / :func:`check_g2` at trust boundaries.
"""

from __future__ import annotations

from collections.abc import Iterable

from zkgate.bn254.constants import Q_MOD, R_MOD
from zkgate.bn254.curve import G1Point, G2Point
from zkgate.bn254.fields import Fq2, fq2_add, fq2_inv, fq2_mul, fq2_neg, fq2_pow, fq2_sqr, fq2_sub
from zkgate.bn254.tower import (
    FQ12_ONE,
    XI,
    Fq12,
    fq2_conj,
    fq12_conj,
    fq12_inv,
    fq12_mul,
    fq12_pow,
    fq12_sqr,
)

BN_X = 4965661367192848881
ATE_LOOP_COUNT = 6 * BN_X + 2

# Frobenius constants on the twist: pi(x, y) = (conj(x) * GAMMA_X, conj(y) * GAMMA_Y)
FROBENIUS_GAMMA_X = fq2_pow(XI, (Q_MOD - 1) // 3)
FROBENIUS_GAMMA_Y = fq2_pow(XI, (Q_MOD - 1) // 2)

FINAL_EXPONENT_HARD = (Q_MOD**6 + 1) // R_MOD
"""After the easy part f^(q^6 - 1), the rest of (q^12 - 1)/r."""


def twist_frobenius(point: tuple[Fq2, Fq2]) -> tuple[Fq2, Fq2]:
    x, y = point
    return (fq2_mul(fq2_conj(x), FROBENIUS_GAMMA_X), fq2_mul(fq2_conj(y), FROBENIUS_GAMMA_Y))


def _line(slope: Fq2, xt: Fq2, yt: Fq2, p: tuple[int, int]) -> Fq12:
    """The line through the untwisted T with the given twist slope, evaluated at P.

    l(P) = yP - slope*xP*w + (slope*xT - yT)*w^3, a sparse Fq12 element.
    """
    xp, yp = p
    c1_0 = ((-slope[0] * xp) % Q_MOD, (-slope[1] * xp) % Q_MOD)
    c1_1 = fq2_sub(fq2_mul(slope, xt), yt)
    return (((yp, 0), (0, 0), (0, 0)), (c1_0, c1_1, (0, 0)))


def _double_step(t: tuple[Fq2, Fq2], p: tuple[int, int]) -> tuple[tuple[Fq2, Fq2], Fq12]:
    xt, yt = t
    slope = fq2_mul(fq2_mul(fq2_sqr(xt), (3, 0)), fq2_inv(fq2_add(yt, yt)))
    x3 = fq2_sub(fq2_sqr(slope), fq2_add(xt, xt))
    y3 = fq2_sub(fq2_mul(slope, fq2_sub(xt, x3)), yt)
    return (x3, y3), _line(slope, xt, yt, p)


def _add_step(t, q, p) -> tuple[tuple[Fq2, Fq2] | None, Fq12]:
    (xt, yt), (xq, yq) = t, q
    if xt == xq:
        if yt == yq:
            return _double_step(t, p)
        return None, FQ12_ONE  # vertical line: lies in Fq6, killed by the final exponentiation
    slope = fq2_mul(fq2_sub(yq, yt), fq2_inv(fq2_sub(xq, xt)))
    x3 = fq2_sub(fq2_sub(fq2_sqr(slope), xt), xq)
    y3 = fq2_sub(fq2_mul(slope, fq2_sub(xt, x3)), yt)
    return (x3, y3), _line(slope, xt, yt, p)


def miller_loop(p: G1Point, q: G2Point) -> Fq12:
    """f_{6x+2,Q}(P) times the two Frobenius lines of the optimal ate pairing."""
    if p is None or q is None:
        return FQ12_ONE
    f = FQ12_ONE
    t = q
    for bit in bin(ATE_LOOP_COUNT)[3:]:
        t, line = _double_step(t, p)
        f = fq12_mul(fq12_sqr(f), line)
        if bit == "1":
            t, line = _add_step(t, q, p)
            f = fq12_mul(f, line)
    q1 = twist_frobenius(q)
    q2 = twist_frobenius(q1)
    t, line = _add_step(t, q1, p)
    f = fq12_mul(f, line)
    _, line = _add_step(t, (q2[0], fq2_neg(q2[1])), p)
    return fq12_mul(f, line)


def final_exponentiation(f: Fq12) -> Fq12:
    easy = fq12_mul(fq12_conj(f), fq12_inv(f))  # f^(q^6 - 1)
    return fq12_pow(easy, FINAL_EXPONENT_HARD)


def pairing(p: G1Point, q: G2Point) -> Fq12:
    """The reduced optimal-ate pairing e(P, Q)."""
    return final_exponentiation(miller_loop(p, q))


def pairing_product(pairs: Iterable[tuple[G1Point, G2Point]]) -> Fq12:
    f = FQ12_ONE
    for p, q in pairs:
        f = fq12_mul(f, miller_loop(p, q))
    return final_exponentiation(f)


def pairing_check(pairs: Iterable[tuple[G1Point, G2Point]]) -> bool:
    """Whether the product of e(P_i, Q_i) is one (one shared final exponentiation)."""
    return pairing_product(pairs) == FQ12_ONE
