"""Reference Fq6 and Fq12 arithmetic on Python ints (the tower used by the pairing).

Fq6 = Fq2[v] / (v^3 - xi) with xi = 9 + u, and Fq12 = Fq6[w] / (w^2 - v).  This is the
tower layout snarkjs/ffjavascript print (e.g. ``vk_alphabeta_12``): an Fq12 element is
``(c0, c1)`` with Fq6 coefficients, each ``(a0, a1, a2)`` of Fq2 pairs.  Because
w^6 = v^3 = xi, an element converts to py_ecc's representation Fq[w]/(w^12 - 18 w^6 + 82)
by expanding powers of w (:func:`fq12_to_py_ecc_coeffs`).
"""

from __future__ import annotations

from zkgate.bn254.constants import Q_MOD
from zkgate.bn254.fields import (
    FQ2_ONE,
    FQ2_ZERO,
    Fq2,
    fq2_add,
    fq2_inv,
    fq2_mul,
    fq2_neg,
    fq2_sqr,
    fq2_sub,
)

Fq6 = tuple[Fq2, Fq2, Fq2]
Fq12 = tuple[Fq6, Fq6]

XI: Fq2 = (9, 1)


def fq2_mul_xi(a: Fq2) -> Fq2:
    """a * (9 + u)."""
    return ((9 * a[0] - a[1]) % Q_MOD, (a[0] + 9 * a[1]) % Q_MOD)


def fq2_conj(a: Fq2) -> Fq2:
    """The Frobenius map of Fq2 (a^q): c0 - c1*u."""
    return (a[0], -a[1] % Q_MOD)


FQ6_ZERO: Fq6 = (FQ2_ZERO, FQ2_ZERO, FQ2_ZERO)
FQ6_ONE: Fq6 = (FQ2_ONE, FQ2_ZERO, FQ2_ZERO)
FQ12_ONE: Fq12 = (FQ6_ONE, FQ6_ZERO)


def fq6_add(a: Fq6, b: Fq6) -> Fq6:
    return (fq2_add(a[0], b[0]), fq2_add(a[1], b[1]), fq2_add(a[2], b[2]))


def fq6_sub(a: Fq6, b: Fq6) -> Fq6:
    return (fq2_sub(a[0], b[0]), fq2_sub(a[1], b[1]), fq2_sub(a[2], b[2]))


def fq6_neg(a: Fq6) -> Fq6:
    return (fq2_neg(a[0]), fq2_neg(a[1]), fq2_neg(a[2]))


def fq6_mul(a: Fq6, b: Fq6) -> Fq6:
    a0, a1, a2 = a
    b0, b1, b2 = b
    t0, t1, t2 = fq2_mul(a0, b0), fq2_mul(a1, b1), fq2_mul(a2, b2)
    c0 = fq2_add(t0, fq2_mul_xi(fq2_sub(fq2_sub(fq2_mul(fq2_add(a1, a2), fq2_add(b1, b2)), t1), t2)))
    c1 = fq2_add(fq2_sub(fq2_sub(fq2_mul(fq2_add(a0, a1), fq2_add(b0, b1)), t0), t1), fq2_mul_xi(t2))
    c2 = fq2_add(fq2_sub(fq2_sub(fq2_mul(fq2_add(a0, a2), fq2_add(b0, b2)), t0), t2), t1)
    return (c0, c1, c2)


def fq6_mul_v(a: Fq6) -> Fq6:
    """a * v (shifts coefficients; v^3 = xi)."""
    return (fq2_mul_xi(a[2]), a[0], a[1])


def fq6_inv(a: Fq6) -> Fq6:
    a0, a1, a2 = a
    c0 = fq2_sub(fq2_sqr(a0), fq2_mul_xi(fq2_mul(a1, a2)))
    c1 = fq2_sub(fq2_mul_xi(fq2_sqr(a2)), fq2_mul(a0, a1))
    c2 = fq2_sub(fq2_sqr(a1), fq2_mul(a0, a2))
    norm = fq2_add(fq2_mul(a0, c0), fq2_mul_xi(fq2_add(fq2_mul(a2, c1), fq2_mul(a1, c2))))
    n_inv = fq2_inv(norm)
    return (fq2_mul(c0, n_inv), fq2_mul(c1, n_inv), fq2_mul(c2, n_inv))


def fq12_mul(a: Fq12, b: Fq12) -> Fq12:
    t0 = fq6_mul(a[0], b[0])
    t1 = fq6_mul(a[1], b[1])
    c1 = fq6_sub(fq6_sub(fq6_mul(fq6_add(a[0], a[1]), fq6_add(b[0], b[1])), t0), t1)
    return (fq6_add(t0, fq6_mul_v(t1)), c1)


def fq12_sqr(a: Fq12) -> Fq12:
    return fq12_mul(a, a)


def fq12_conj(a: Fq12) -> Fq12:
    """a^(q^6): the inverse of a unitary element."""
    return (a[0], fq6_neg(a[1]))


def fq12_inv(a: Fq12) -> Fq12:
    norm = fq6_sub(fq6_mul(a[0], a[0]), fq6_mul_v(fq6_mul(a[1], a[1])))
    n_inv = fq6_inv(norm)
    return (fq6_mul(a[0], n_inv), fq6_neg(fq6_mul(a[1], n_inv)))


def fq12_pow(a: Fq12, e: int) -> Fq12:
    result, base = FQ12_ONE, a
    while e:
        if e & 1:
            result = fq12_mul(result, base)
        base = fq12_sqr(base)
        e >>= 1
    return result


def fq12_to_py_ecc_coeffs(a: Fq12) -> list[int]:
    """The 12 coefficients of ``a`` in py_ecc's basis 1, w, ..., w^11 (w^12 = 18 w^6 - 82).

    Coefficient (c_i, a_j) multiplies w^(i + 2j), and u = w^6 - 9.
    """
    coeffs = [0] * 12
    for i, c in enumerate(a):
        for j, (x, y) in enumerate(c):
            k = i + 2 * j  # power of w, 0..5
            # (x + y*u) * w^k = (x - 9y) w^k + y w^(k+6)
            coeffs[k] = (coeffs[k] + x - 9 * y) % Q_MOD
            coeffs[k + 6] = (coeffs[k + 6] + y) % Q_MOD
    return coeffs


def fq12_from_py_ecc_coeffs(coeffs: list[int]) -> Fq12:
    """Inverse of :func:`fq12_to_py_ecc_coeffs`."""
    cs: list[list[Fq2]] = [[FQ2_ZERO] * 3, [FQ2_ZERO] * 3]
    for k in range(6):
        y = coeffs[k + 6] % Q_MOD
        x = (coeffs[k] + 9 * y) % Q_MOD
        cs[k % 2][k // 2] = (x, y)
    return (tuple(cs[0]), tuple(cs[1]))  # type: ignore[return-value]
