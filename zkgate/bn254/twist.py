"""The sextic twist carrying G2: its Frobenius endomorphism and the reference subgroup test.

``psi`` (:func:`twist_frobenius`) is the untwist-Frobenius-twist map on points of the twist
``y^2 = x^3 + 3/(9 + u)`` over Fq2; the optimal-ate Miller loop of :mod:`zkgate.bn254.pairing`
and the fast G2 membership test below both use it.  ``BN_X`` is the BN254 curve parameter x
(r and q are polynomials in it).  Pure Python; the compiled twins live in ``zkgate._native``.
"""

from __future__ import annotations

from zkgate.bn254.constants import Q_MOD
from zkgate.bn254.curve import G2, G2Point
from zkgate.bn254.fields import Fq2, fq2_mul, fq2_pow
from zkgate.bn254.tower import XI, fq2_conj

BN_X = 4965661367192848881

# Frobenius constants on the twist: pi(x, y) = (conj(x) * GAMMA_X, conj(y) * GAMMA_Y)
FROBENIUS_GAMMA_X = fq2_pow(XI, (Q_MOD - 1) // 3)
FROBENIUS_GAMMA_Y = fq2_pow(XI, (Q_MOD - 1) // 2)


def twist_frobenius(point: tuple[Fq2, Fq2]) -> tuple[Fq2, Fq2]:
    x, y = point
    return (fq2_mul(fq2_conj(x), FROBENIUS_GAMMA_X), fq2_mul(fq2_conj(y), FROBENIUS_GAMMA_Y))


def g2_in_subgroup_reference(point: G2Point) -> bool:
    """Whether a point of the twist lies in G2, by the endomorphism test of El Housni,
    Guillevic and Piellard (2022): [x+1]Q + psi([x]Q) + psi^2([x]Q) == psi^3([2x]Q), with
    psi the untwist-Frobenius-twist map.  A 63-bit scalar multiplication instead of [r]Q."""
    if point is None:
        return True
    if not G2.is_on_curve(point):
        return False
    xq = G2.multiply_unreduced(point, BN_X)
    if xq is None:  # [x]Q = O: then Q = O since gcd(x, r) = 1 and Q would have to be in G2
        return False
    lhs = G2.add_affine(G2.add_affine(G2.add_affine(xq, point), twist_frobenius(xq)),
                        twist_frobenius(twist_frobenius(xq)))
    rhs = twist_frobenius(twist_frobenius(twist_frobenius(G2.double_affine(xq))))
    return lhs == rhs


__all__ = ["BN_X", "FROBENIUS_GAMMA_X", "FROBENIUS_GAMMA_Y", "g2_in_subgroup_reference", "twist_frobenius"]
