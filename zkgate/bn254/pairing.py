"""Optimal-ate pairing on BN254: native dispatch and the pure-Python reference twin.

``pairing(P, Q)`` takes a G1 point ``(x, y)`` and a G2 point ``((x0, x1), (y0, y1))`` and
returns the reduced pairing e(P, Q) = f_{6x+2,Q}(P)^((q^12 - 1)/r) as an Fq12 tower element
(see :mod:`zkgate.bn254.tower`); it equals py_ecc's ``pairing(Q, P)``.
``pairing_check([(P1, Q1), ...])`` says whether the product of the pairings is one, with one
shared final exponentiation.  Inputs are trusted here: validate points with
:func:`zkgate.bn254.check_g1` / :func:`check_g2` at trust boundaries (the native backend
refuses coordinates >= q and points off the curve; neither backend checks subgroups).

On the native backend (:data:`zkgate.bn254.BACKEND` is ``"native"``) ``pairing``,
``pairing_product`` and ``pairing_check`` run the compiled pairing (``zkgate/_native/pairing.h``);
``miller_loop`` / ``final_exponentiation`` and the ``*_reference`` functions are always the
pure-Python twin.  Both give identical values (tested against each other and py_ecc).
:class:`PreparedG2` holds the Miller-loop line coefficients of a fixed G2 point (a prepared
verifying key); :func:`multi_pairing_equals` evaluates a product of pairings on prepared
points with one shared accumulator and one final exponentiation.  Not constant-time.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from zkgate.bn254.arrays import (
    G1Affine,
    G2Affine,
    from_montgomery,
    ints_to_rows,
    rows_to_ints,
    to_montgomery,
)
from zkgate.bn254.compiled import native_pairing
from zkgate.bn254.constants import Q_MOD, R_MOD
from zkgate.bn254.curve import G2, G1Point, G2Point
from zkgate.bn254.fields import (
    Fq2,
    fq2_add,
    fq2_inv,
    fq2_mul,
    fq2_neg,
    fq2_sqr,
    fq2_sub,
)
from zkgate.bn254.tower import (
    FQ12_ONE,
    Fq12,
    fq12_conj,
    fq12_inv,
    fq12_mul,
    fq12_pow,
    fq12_sqr,
)
from zkgate.bn254.twist import BN_X, g2_in_subgroup_reference, twist_frobenius

ATE_LOOP_COUNT = 6 * BN_X + 2

FINAL_EXPONENT_HARD = (Q_MOD**6 + 1) // R_MOD
"""After the easy part f^(q^6 - 1), the rest of (q^12 - 1)/r."""


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


def pairing_reference(p: G1Point, q: G2Point) -> Fq12:
    """The reduced optimal-ate pairing e(P, Q), pure Python."""
    return final_exponentiation(miller_loop(p, q))


def pairing_product_reference(pairs: Iterable[tuple[G1Point, G2Point]]) -> Fq12:
    f = FQ12_ONE
    for p, q in pairs:
        f = fq12_mul(f, miller_loop(p, q))
    return final_exponentiation(f)


def pairing_check_reference(pairs: Iterable[tuple[G1Point, G2Point]]) -> bool:
    return pairing_product_reference(pairs) == FQ12_ONE


# ---- native dispatch ------------------------------------------------------------------------


def fq12_to_limbs(a: Fq12) -> np.ndarray:
    """48 Montgomery limbs in the native layout (tower order)."""
    flat = [c for six in a for two in six for c in two]
    return to_montgomery(ints_to_rows(flat), Q_MOD).reshape(-1)


def fq12_from_limbs(limbs: np.ndarray) -> Fq12:
    v = rows_to_ints(from_montgomery(np.asarray(limbs, dtype=np.uint64).reshape(-1, 4), Q_MOD))
    two = [(v[i], v[i + 1]) for i in range(0, 12, 2)]
    return ((two[0], two[1], two[2]), (two[3], two[4], two[5]))


class PreparedG2:
    """A fixed G2 point with its Miller-loop line coefficients precomputed (native backend).

    ``point`` is the plain point (``None`` = infinity); ``coefficients`` the native rows
    (``None`` on the pure-Python backend or for infinity).  Prepare once, pair many times.
    """

    __slots__ = ("point", "coefficients")

    def __init__(self, point: G2Point) -> None:
        self.point = point
        self.coefficients = None
        if native_pairing is not None and point is not None:
            self.coefficients = native_pairing.prepare_g2(G2Affine.from_ints([point]).limbs)[0]

    def __repr__(self) -> str:
        return f"PreparedG2({self.point!r})"


def prepare_g2(point: G2Point) -> PreparedG2:
    return PreparedG2(point)


def _g1_rows(points) -> np.ndarray:
    return G1Affine.from_ints(points).limbs


def multi_pairing_equals(pairs, target: Fq12 | None = None) -> bool:
    """Whether prod e(P_i, Q_i) equals ``target`` (one when None): one multi-Miller loop
    with a shared accumulator and one final exponentiation.  ``pairs``: (G1 point,
    G2 point or :class:`PreparedG2`)."""
    pairs = [(p, q if isinstance(q, PreparedG2) else None, q.point if isinstance(q, PreparedG2) else q)
             for p, q in pairs]
    live = [(p, prep, q) for p, prep, q in pairs if p is not None and q is not None]
    if native_pairing is None:
        f = FQ12_ONE
        for p, _, q in live:
            f = fq12_mul(f, miller_loop(p, q))
        return final_exponentiation(f) == (FQ12_ONE if target is None else target)
    if not live:
        return target is None or target == FQ12_ONE
    raw = [i for i, (_, prep, _) in enumerate(live) if prep is None or prep.coefficients is None]
    coeffs = np.empty((len(live), native_pairing.PREPARED_LIMBS), dtype=np.uint64)
    if raw:
        coeffs[raw] = native_pairing.prepare_g2(G2Affine.from_ints([live[i][2] for i in raw]).limbs)
    for i, (_, prep, _) in enumerate(live):
        if prep is not None and prep.coefficients is not None:
            coeffs[i] = prep.coefficients
    rows = _g1_rows([p for p, _, _ in live])
    return native_pairing.product_equals(rows, coeffs, None if target is None else fq12_to_limbs(target))


def pairing_product(pairs: Iterable[tuple[G1Point, G2Point]]) -> Fq12:
    """prod e(P_i, Q_i) with one shared final exponentiation."""
    if native_pairing is None:
        return pairing_product_reference(pairs)
    live = [(p, q) for p, q in pairs if p is not None and q is not None]
    if not live:
        return FQ12_ONE
    coeffs = native_pairing.prepare_g2(G2Affine.from_ints([q for _, q in live]).limbs)
    f = native_pairing.miller_loop(_g1_rows([p for p, _ in live]), coeffs)
    return fq12_from_limbs(native_pairing.final_exponentiation(f))


def pairing(p: G1Point, q: G2Point) -> Fq12:
    """The reduced optimal-ate pairing e(P, Q) (equals py_ecc's ``pairing(Q, P)``)."""
    return pairing_product([(p, q)])


def pairing_check(pairs: Iterable[tuple[G1Point, G2Point]]) -> bool:
    """Whether the product of e(P_i, Q_i) is one (one shared final exponentiation)."""
    return multi_pairing_equals(list(pairs))


def g2_in_subgroup(point: G2Point) -> bool:
    """Whether ``point`` is on the twist and in the order-r subgroup G2 (fast test)."""
    if point is None:
        return True
    if native_pairing is None:
        return g2_in_subgroup_reference(point)
    if not G2.is_on_curve(point):
        return False
    return bool(native_pairing.g2_in_subgroup(G2Affine.from_ints([point]).limbs)[0])
