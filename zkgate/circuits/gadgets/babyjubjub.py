"""Baby Jubjub in-circuit (circomlib's BabyAdd, BabyDbl, EscalarMulFix/Any, subgroup check).

Points are ``(x, y)`` pairs of circuit values.  Adding two variable points costs 6
constraints (circomlib's BabyAdd); adding a constant point 3.
"""

from __future__ import annotations

from zkgate.circuits import babyjubjub as bjj
from zkgate.circuits.field import R
from zkgate.circuits.gadgets.mux import combine_monomials, selector_monomials
from zkgate.circuits.lc import LC, as_lc

WINDOW = 3


def point_add(api, p, q):
    """``p + q`` (twisted Edwards addition, complete)."""
    x1, y1 = as_lc(p[0]), as_lc(p[1])
    x2, y2 = as_lc(q[0]), as_lc(q[1])
    beta = api.mul(x1, y2)
    gamma = api.mul(y1, x2)
    delta = api.mul(y1 - x1.scaled(bjj.A), x2 + y2)
    tau = api.mul(beta, gamma)
    dtau = tau.scaled(bjj.D)
    x3 = api.div(beta + gamma, 1 + dtau)
    y3 = api.div(delta + beta.scaled(bjj.A) - gamma, 1 - dtau)
    return x3, y3


def point_double(api, p):
    return point_add(api, p, p)


def assert_on_curve(api, p) -> None:
    """``a x² + y² = 1 + d x² y²`` (3 constraints)."""
    x2 = api.mul(p[0], p[0])
    y2 = api.mul(p[1], p[1])
    api.assert_equal(x2.scaled(bjj.A) + y2, 1 + api.mul(x2, y2).scaled(bjj.D))


def assert_equal_points(api, p, q) -> None:
    api.assert_equal(p[0], q[0])
    api.assert_equal(p[1], q[1])


def scalar_mul_fixed(api, bits, base: bjj.Point):
    """``(Σ bits_i 2^i) · base`` for a constant point: 3-bit windows, each a constant
    lookup (4 constraints for the bit products) and one addition (6).  Bits are asserted
    boolean."""
    bits = list(bits)
    acc = None
    step = base  # 2^(3w) * base
    for w in range(0, len(bits), WINDOW):
        wb = bits[w : w + WINDOW]
        table = [bjj.mul(step, j) for j in range(1 << len(wb))]
        mons = selector_monomials(api, wb)
        pt = (combine_monomials(mons, [t[0] for t in table]), combine_monomials(mons, [t[1] for t in table]))
        acc = pt if acc is None else point_add(api, acc, pt)
        step = bjj.mul(step, 1 << len(wb))
    return acc if acc is not None else (LC.const(0), LC.const(1))


def scalar_mul(api, bits, p):
    """``(Σ bits_i 2^i) · p`` for a variable point (double-and-add, 14 constraints/bit)."""
    acc = (LC.const(0), LC.const(1))
    cur = (as_lc(p[0]), as_lc(p[1]))
    n = len(bits)
    for i, b in enumerate(bits):
        added = point_add(api, acc, cur)
        acc = (api.select(b, added[0], acc[0]), api.select(b, added[1], acc[1]))
        if i + 1 < n:
            cur = point_double(api, cur)
    return acc


_INV8 = pow(8, -1, bjj.SUBORDER)


def _div8_hint(x: int, y: int):
    """``(8^-1 mod l) · P``: the point Q with 8Q = P when P lies in the subgroup."""
    return list(bjj.mul((x, y), _INV8))


def assert_in_subgroup(api, p) -> None:
    """P lies in the prime-order subgroup: P = 8·Q for a curve point Q (a hint pinned by
    an on-curve check and three doublings; 24 constraints).  Since the group's 2-part
    is killed by 8 and 8 is invertible mod l, ``8·E`` is exactly the order-l subgroup."""
    qx, qy = api.hint(_div8_hint, p[0], p[1], n_out=2)
    assert_on_curve(api, (qx, qy))
    q = (qx, qy)
    for _ in range(3):
        q = point_double(api, q)
    assert_equal_points(api, q, p)


def point_to_ints(p) -> tuple[int, int]:  # helper for tests: constant points
    return p[0].constant_value() % R, p[1].constant_value() % R


__all__ = [
    "assert_equal_points", "assert_in_subgroup", "assert_on_curve", "point_add", "point_double",
    "scalar_mul", "scalar_mul_fixed",
]
