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


# ---------------------------------------------------------------- fixed-base multiplication
#
# Plan: the scalar's bits are cut into 3-bit windows.  Window i with digit d_i adds the
# constant point (d_i + c_i)·2^{p_i}·base, looked up linearly in the selector bits (3
# constraints per window: s0·s1, then the top bit times a linear form for each coordinate).
# Within a *segment* the additions run on the birationally equivalent Montgomery curve
# v² = u³ + A_M u² + u (B_M = 1 for Baby Jubjub), where adding two points costs 3
# constraints instead of 6; Montgomery addition is incomplete (it fails, and leaves λ free,
# when both points share u or one is the identity), so the offsets c_i are chosen to make
# that impossible: as multiples of the base (of prime order l), every partial sum lies in
# an integer range strictly below the next window's smallest multiple, and the sum stays
# below l.  `_segment_windows` checks those inequalities exactly and cuts a new segment
# where they would fail (about 249 bits per segment).  Each segment's sum is converted to
# Edwards form (2 constraints) and the segments are joined with complete Edwards additions.
# The accumulated offset Σ c_i 2^{p_i}·base is removed either by one constant Edwards
# addition (3 constraints) or, cheaper, by folding it into a short Edwards-form lookup of
# the scalar's top ≤ 4 bits (its table entries are j·2^p·base − offset).

MONT_A = 2 * (bjj.A + bjj.D) * pow(bjj.A - bjj.D, -1, R) % R
MONT_B = 4 * pow(bjj.A - bjj.D, -1, R) % R  # 1 for Baby Jubjub


def to_montgomery(p: bjj.Point) -> tuple[int, int]:
    """Edwards (x, y) -> Montgomery (u, v) = ((1+y)/(1-y), u/x); not for x = 0."""
    x, y = p
    u = (1 + y) * pow(1 - y, -1, R) % R
    return u, u * pow(x, -1, R) % R


def _lookup_cost(k: int) -> int:
    return (0, 0, 1, 3, 6)[k]


def _lookup_point(api, bits, table) -> tuple[LC, LC]:
    """``table[Σ bits_i 2^i]`` for constant points (≤ 4 selector bits): the low bits' products
    (selector_monomials), then the top bit times a linear form per coordinate
    (k = 1, 2, 3, 4 bits: 0, 1, 3, 6 constraints).  Bits are asserted boolean."""
    k = len(bits)
    if k <= 2:
        mons = selector_monomials(api, bits)
        return (combine_monomials(mons, [t[0] for t in table]), combine_monomials(mons, [t[1] for t in table]))
    top = bits[-1]
    api.assert_boolean(top)
    mons = selector_monomials(api, bits[:-1])
    half = 1 << (k - 1)
    out = []
    for c in range(2):
        lo = [t[c] for t in table[:half]]
        diff = [(h[c] - t) % R for h, t in zip(table[half:], lo)]
        out.append(combine_monomials(mons, lo) + api.mul(top, combine_monomials(mons, diff)))
    return out[0], out[1]


def _mont_add(api, p, q):
    """Montgomery addition (3 constraints); the caller guarantees u_p != u_q and that
    neither point is the identity, so λ is determined."""
    u1, v1 = p
    u2, v2 = q
    lam = api.div(v2 - v1, u2 - u1)
    u3 = api.mul_add(lam.scaled(MONT_B), lam, -MONT_A - u1 - u2)
    v3 = api.mul_add(lam, u1 - u3, -v1)
    return u3, v3


def _mont_to_edwards(api, p):
    """(x, y) = (u/v, (u-1)/(u+1)) (2 constraints)."""
    u, v = p
    return api.div(u, v), api.div(u - 1, u + 1)


def _segment_windows(start: int, stop: int) -> tuple[list[tuple[int, int, int]], int]:
    """Windows ``(position, width, offset c)`` of the Montgomery segment that starts at bit
    ``start`` (at most ``stop``), as long as the completeness inequalities hold; returns
    them and the segment's end.  Multiples are relative to 2^start·base."""
    wins: list[tuple[int, int, int]] = []
    lo_acc = hi_acc = 0
    pos = start
    while pos < stop:
        w = min(WINDOW, stop - pos)
        rel = pos - start
        if not wins:
            c = 1  # digits + 1 >= 1: never the identity
            lo, hi = c << rel, ((1 << w) - 1 + c) << rel
        else:
            c = (hi_acc >> rel) + 1  # smallest offset putting the window above the sum
            lo, hi = c << rel, ((1 << w) - 1 + c) << rel
            if hi_acc + hi >= bjj.SUBORDER:
                break
        wins.append((pos, w, c))
        lo_acc, hi_acc = lo_acc + lo, hi_acc + hi
        pos += w
    return wins, pos


def _montgomery_plan(n: int) -> list[list[tuple[int, int, int]]]:
    segs, pos = [], 0
    while pos < n:
        wins, pos = _segment_windows(pos, n)
        segs.append(wins)
    return segs


def _montgomery_cost(segs) -> int:
    return sum(sum(_lookup_cost(w) for _, w, _ in s) + 3 * (len(s) - 1) + 2 for s in segs) + 6 * max(len(segs) - 1, 0)


def _edwards_cost(n: int) -> int:
    if n == 4:
        return _lookup_cost(4)
    wins = [min(WINDOW, n - p) for p in range(0, n, WINDOW)]
    return sum(_lookup_cost(w) for w in wins) + 6 * max(len(wins) - 1, 0)


def fixed_base_plan(n: int, base: bjj.Point):
    """Choose the cheapest layout for an ``n``-bit fixed-base multiplication: plain Edwards
    windows, or Montgomery segments with the offset removed by a constant addition (tail 0)
    or folded into an Edwards lookup of the top 1-4 bits.  Returns ``(cost, kind, tail)``."""
    best = (_edwards_cost(n), "edwards", 0)
    if n == 0 or base == bjj.IDENTITY or not bjj.in_subgroup(base):
        return best  # the completeness argument needs a base of prime order l
    for tail in range(0, min(4, n - 1) + 1):
        segs = _montgomery_plan(n - tail)
        cost = _montgomery_cost(segs) + (3 if tail == 0 else _lookup_cost(tail) + 6)
        if cost < best[0]:
            best = (cost, "montgomery", tail)
    return best


def _scalar_mul_fixed_edwards(api, bits, base):
    if len(bits) == 4:  # one 16-entry lookup (6) beats 3 + 1 bits and an addition (9)
        return _lookup_point(api, bits, [bjj.mul(base, j) for j in range(16)])
    acc = None
    step = base  # 2^(3w) * base
    for w in range(0, len(bits), WINDOW):
        wb = bits[w : w + WINDOW]
        pt = _lookup_point(api, wb, [bjj.mul(step, j) for j in range(1 << len(wb))])
        acc = pt if acc is None else point_add(api, acc, pt)
        step = bjj.mul(step, 1 << len(wb))
    return acc if acc is not None else (LC.const(0), LC.const(1))


def scalar_mul_fixed(api, bits, base: bjj.Point):
    """``(Σ bits_i 2^i) · base`` for a constant point; bits are asserted boolean.

    For a base in the prime-order subgroup: 3-bit windows accumulated on the Montgomery
    form in segments whose partial sums provably never hit an exceptional case, about
    2 constraints per bit (253 bits: 509); otherwise plain Edwards windows (about 3 per
    bit).  See the comment above :func:`to_montgomery`."""
    bits = list(bits)
    n = len(bits)
    _cost, kind, tail = fixed_base_plan(n, base)
    if kind == "edwards":
        return _scalar_mul_fixed_edwards(api, bits, base)
    m = n - tail
    offset = 0  # Σ c_i 2^{p_i}, the multiple of base added on top of the scalar
    result = None
    for wins in _montgomery_plan(m):
        acc = None
        for pos, w, c in wins:
            table = [to_montgomery(bjj.mul(base, (j + c) << pos)) for j in range(1 << w)]
            pt = _lookup_point(api, bits[pos : pos + w], table)
            acc = pt if acc is None else _mont_add(api, acc, pt)
            offset += c << pos
        ed = _mont_to_edwards(api, acc)
        result = ed if result is None else point_add(api, result, ed)
    neg_off = bjj.neg(bjj.mul(base, offset % bjj.SUBORDER))
    if tail == 0:
        return point_add(api, result, (LC.const(neg_off[0]), LC.const(neg_off[1])))
    table = [bjj.add(bjj.mul(base, j << m), neg_off) for j in range(1 << tail)]
    return point_add(api, result, _lookup_point(api, bits[m:], table))


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
    an on-curve check and three doublings; 21 constraints once the linear ones are
    eliminated).  Since the group's 2-part is killed by 8 and 8 is invertible mod l,
    ``8·E`` is exactly the order-l subgroup."""
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
