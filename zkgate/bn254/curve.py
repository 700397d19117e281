"""Reference G1 and G2 arithmetic on Python ints (the pure-Python twin).

Affine points use the plain shapes of zkgate's public API:

* G1: ``(x, y)`` with ints in ``[0, q)``;
* G2: ``((x0, x1), (y0, y1))`` with ``x = x0 + x1*u`` (py_ecc's coefficient order);
* ``None`` is the point at infinity in both groups.

Internally points are Jacobian ``(X, Y, Z)`` (x = X/Z^2, y = Y/Z^3), with ``Z == 0`` for
infinity.  The formulas are written once over a small field-operations table so that G1
(over Fq) and G2 (over Fq2) share them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zkgate.bn254 import fields
from zkgate.bn254.constants import G1_B, G2_B, Q_MOD, R_MOD

G1Point = tuple[int, int] | None
G2Point = tuple[tuple[int, int], tuple[int, int]] | None


@dataclass(frozen=True)
class FieldOps:
    """The handful of field operations the curve formulas need."""

    name: str
    zero: Any
    one: Any
    add: Callable[[Any, Any], Any]
    sub: Callable[[Any, Any], Any]
    mul: Callable[[Any, Any], Any]
    sqr: Callable[[Any], Any]
    inv: Callable[[Any], Any]
    small: Callable[[Any, int], Any]  # multiplication by a small int


FQ_OPS = FieldOps(
    name="Fq",
    zero=0,
    one=1,
    add=lambda a, b: (a + b) % Q_MOD,
    sub=lambda a, b: (a - b) % Q_MOD,
    mul=lambda a, b: a * b % Q_MOD,
    sqr=lambda a: a * a % Q_MOD,
    inv=lambda a: fields.inverse(a, Q_MOD),
    small=lambda a, k: a * k % Q_MOD,
)

FQ2_OPS = FieldOps(
    name="Fq2",
    zero=fields.FQ2_ZERO,
    one=fields.FQ2_ONE,
    add=fields.fq2_add,
    sub=fields.fq2_sub,
    mul=fields.fq2_mul,
    sqr=fields.fq2_sqr,
    inv=fields.fq2_inv,
    small=fields.fq2_mul_scalar,
)


@dataclass(frozen=True)
class Curve:
    """A short Weierstrass curve y^2 = x^3 + b over a field given by ``ops``."""

    name: str
    ops: FieldOps
    b: Any

    # -- affine <-> Jacobian -------------------------------------------------------------
    def to_jacobian(self, point):
        if point is None:
            return (self.ops.one, self.ops.one, self.ops.zero)
        return (point[0], point[1], self.ops.one)

    def to_affine(self, point):
        x, y, z = point
        if z == self.ops.zero:
            return None
        f = self.ops
        z_inv = f.inv(z)
        z_inv2 = f.sqr(z_inv)
        return (f.mul(x, z_inv2), f.mul(y, f.mul(z_inv2, z_inv)))

    def is_on_curve(self, point) -> bool:
        if point is None:
            return True
        f = self.ops
        x, y = point
        return f.sqr(y) == f.add(f.mul(f.sqr(x), x), self.b)

    # -- Jacobian group law --------------------------------------------------------------
    def double(self, p):
        f = self.ops
        x, y, z = p
        if z == f.zero or y == f.zero:
            return (f.one, f.one, f.zero)
        a = f.sqr(x)
        b = f.sqr(y)
        c = f.sqr(b)
        d = f.small(f.sub(f.sub(f.sqr(f.add(x, b)), a), c), 2)
        e = f.small(a, 3)
        x3 = f.sub(f.sqr(e), f.small(d, 2))
        y3 = f.sub(f.mul(e, f.sub(d, x3)), f.small(c, 8))
        z3 = f.small(f.mul(y, z), 2)
        return (x3, y3, z3)

    def add(self, p, q):
        f = self.ops
        x1, y1, z1 = p
        x2, y2, z2 = q
        if z1 == f.zero:
            return q
        if z2 == f.zero:
            return p
        z1z1 = f.sqr(z1)
        z2z2 = f.sqr(z2)
        u1 = f.mul(x1, z2z2)
        u2 = f.mul(x2, z1z1)
        s1 = f.mul(f.mul(y1, z2), z2z2)
        s2 = f.mul(f.mul(y2, z1), z1z1)
        if u1 == u2:
            if s1 == s2:
                return self.double(p)
            return (f.one, f.one, f.zero)
        h = f.sub(u2, u1)
        i = f.sqr(f.small(h, 2))
        j = f.mul(h, i)
        r = f.small(f.sub(s2, s1), 2)
        v = f.mul(u1, i)
        x3 = f.sub(f.sub(f.sqr(r), j), f.small(v, 2))
        y3 = f.sub(f.mul(r, f.sub(v, x3)), f.small(f.mul(s1, j), 2))
        z3 = f.mul(f.sub(f.sub(f.sqr(f.add(z1, z2)), z1z1), z2z2), h)
        return (x3, y3, z3)

    def neg_jacobian(self, p):
        x, y, z = p
        return (x, self.ops.sub(self.ops.zero, y), z)

    def mul_jacobian(self, p, scalar: int):
        """scalar * p by double-and-add (scalar reduced mod r)."""
        scalar %= R_MOD
        result = (self.ops.one, self.ops.one, self.ops.zero)
        addend = p
        while scalar:
            if scalar & 1:
                result = self.add(result, addend)
            addend = self.double(addend)
            scalar >>= 1
        return result

    # -- affine convenience API ----------------------------------------------------------
    def add_affine(self, p, q):
        return self.to_affine(self.add(self.to_jacobian(p), self.to_jacobian(q)))

    def double_affine(self, p):
        return self.to_affine(self.double(self.to_jacobian(p)))

    def neg(self, p):
        if p is None:
            return None
        return (p[0], self.ops.sub(self.ops.zero, p[1]))

    def multiply(self, p, scalar: int):
        return self.to_affine(self.mul_jacobian(self.to_jacobian(p), scalar))

    def multiply_unreduced(self, p, scalar: int):
        """scalar * p without reducing the scalar mod r (for subgroup checks)."""
        result = (self.ops.one, self.ops.one, self.ops.zero)
        addend = self.to_jacobian(p)
        while scalar:
            if scalar & 1:
                result = self.add(result, addend)
            addend = self.double(addend)
            scalar >>= 1
        return self.to_affine(result)


G1 = Curve(name="G1", ops=FQ_OPS, b=G1_B)
G2 = Curve(name="G2", ops=FQ2_OPS, b=G2_B)


def g1_is_on_curve(point: G1Point) -> bool:
    return G1.is_on_curve(point)


def g2_is_on_curve(point: G2Point) -> bool:
    return G2.is_on_curve(point)


def g2_in_subgroup_by_order(point: G2Point) -> bool:
    """The definition: a point of the twist lies in G2 when r * P is infinity (slow; a test oracle)."""
    if point is None:
        return True
    return G2.is_on_curve(point) and G2.multiply_unreduced(point, R_MOD) is None


def g1_add(p: G1Point, q: G1Point) -> G1Point:
    return G1.add_affine(p, q)


def g1_double(p: G1Point) -> G1Point:
    return G1.double_affine(p)


def g1_neg(p: G1Point) -> G1Point:
    return G1.neg(p)


def g1_mul(p: G1Point, scalar: int) -> G1Point:
    return G1.multiply(p, scalar)


def g2_add(p: G2Point, q: G2Point) -> G2Point:
    return G2.add_affine(p, q)


def g2_double(p: G2Point) -> G2Point:
    return G2.double_affine(p)


def g2_neg(p: G2Point) -> G2Point:
    return G2.neg(p)


def g2_mul(p: G2Point, scalar: int) -> G2Point:
    return G2.multiply(p, scalar)
