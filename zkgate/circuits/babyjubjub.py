"""Baby Jubjub, circomlib's embedded curve over BN254's scalar field (out of circuit).

Twisted Edwards ``a x² + y² = 1 + d x² y²`` with a = 168700, d = 168696; group order
8·l with l prime (≈ 2^250.6).  ``GENERATOR`` and ``BASE8`` (= 8·GENERATOR, the generator
of the prime-order subgroup) are circomlib's.  Points are ``(x, y)`` int tuples; the
identity is ``(0, 1)``.  The addition law is complete (a is a square, d is not), so no
case needs special handling.  Not constant-time.
"""

from __future__ import annotations

from zkgate.circuits.errors import CircuitInputError
from zkgate.circuits.field import R, inv, sqrt

A = 168700
D = 168696
ORDER = 21888242871839275222246405745257275088614511777268538073601725287587578984328
SUBORDER = ORDER >> 3  # l
IDENTITY = (0, 1)
GENERATOR = (
    995203441582195749578291179787384436505546430278305826713579947235728471134,
    5472060717959818805561601436314318772137091100104008585924551046643952123905,
)
BASE8 = (
    5299619240641551281634865583518297030282874472190772894086521144482721001553,
    16950150798460657717958625567821834550301663161624707787222815936182638968203,
)

Point = tuple[int, int]


def is_on_curve(p: Point) -> bool:
    x, y = p
    if not (0 <= x < R and 0 <= y < R):
        return False
    x2, y2 = x * x % R, y * y % R
    return (A * x2 + y2 - 1 - D * x2 * y2) % R == 0


def add(p: Point, q: Point) -> Point:
    """Point addition (circomlib's formula; complete)."""
    x1, y1 = p
    x2, y2 = q
    beta = x1 * y2 % R
    gamma = y1 * x2 % R
    delta = (y1 - A * x1) * (x2 + y2) % R
    tau = beta * gamma % R
    x3 = (beta + gamma) * inv(1 + D * tau) % R
    y3 = (delta + A * beta - gamma) * inv(1 - D * tau) % R
    return x3, y3


def neg(p: Point) -> Point:
    return (-p[0]) % R, p[1]


def double(p: Point) -> Point:
    return add(p, p)


def _add_projective(p: tuple[int, int, int], q: tuple[int, int, int]) -> tuple[int, int, int]:
    """(X : Y : Z) addition without inversions (add-2008-bbjlp; complete like :func:`add`)."""
    x1, y1, z1 = p
    x2, y2, z2 = q
    a = z1 * z2 % R
    b = a * a % R
    c = x1 * x2 % R
    d = y1 * y2 % R
    e = D * c % R * d % R
    f = (b - e) % R
    g = (b + e) % R
    x3 = a * f % R * (((x1 + y1) * (x2 + y2) - c - d) % R) % R
    y3 = a * g % R * ((d - A * c) % R) % R
    return x3, y3, f * g % R


def mul(p: Point, k: int) -> Point:
    """``k · p`` for an integer ``k >= 0`` (double-and-add in projective coordinates, one
    inversion at the end)."""
    if k < 0:
        raise CircuitInputError("scalar must be non-negative")
    acc, base = (0, 1, 1), (p[0], p[1], 1)
    while k:
        if k & 1:
            acc = _add_projective(acc, base)
        base = _add_projective(base, base)
        k >>= 1
    z_inv = inv(acc[2])
    return acc[0] * z_inv % R, acc[1] * z_inv % R


def multi_mul(points, scalars) -> Point:
    """``Σ scalars[i] · points[i]`` for integers ``>= 0`` (Straus: 4-bit windows over shared
    doublings in projective coordinates, one inversion at the end; about 5x faster than one
    :func:`mul` per point for full-size scalars)."""
    points, scalars = list(points), [int(k) for k in scalars]
    if len(points) != len(scalars):
        raise CircuitInputError(f"multi_mul: {len(points)} points but {len(scalars)} scalars")
    if any(k < 0 for k in scalars):
        raise CircuitInputError("scalar must be non-negative")
    tables = []
    for x, y in points:
        row = [(0, 1, 1), (x, y, 1)]
        for _ in range(14):
            row.append(_add_projective(row[-1], row[1]))
        tables.append(row)
    acc = (0, 1, 1)
    for w in reversed(range((max(scalars, default=0).bit_length() + 3) // 4)):
        for _ in range(4):
            acc = _add_projective(acc, acc)
        shift = 4 * w
        for row, k in zip(tables, scalars):
            digit = (k >> shift) & 15
            if digit:
                acc = _add_projective(acc, row[digit])
    z_inv = inv(acc[2])
    return acc[0] * z_inv % R, acc[1] * z_inv % R


def in_subgroup(p: Point) -> bool:
    """On the curve and of order dividing l (circomlibjs's inSubgroup)."""
    return is_on_curve(p) and mul(p, SUBORDER) == IDENTITY


def pack(p: Point) -> bytes:
    """circomlib's 32-byte encoding: y little-endian, top bit set when x > (r-1)/2."""
    buf = bytearray(p[1].to_bytes(32, "little"))
    if p[0] > (R - 1) // 2:
        buf[31] |= 0x80
    return bytes(buf)


def unpack(data: bytes) -> Point:
    """Inverse of :func:`pack`; raises :class:`CircuitInputError` for a non-point."""
    if len(data) != 32:
        raise CircuitInputError(f"a packed Baby Jubjub point has 32 bytes, got {len(data)}")
    buf = bytearray(data)
    sign = bool(buf[31] & 0x80)
    buf[31] &= 0x7F
    y = int.from_bytes(buf, "little")
    if y >= R:
        raise CircuitInputError("packed point: y is not below r")
    x = x_from_y(y)
    if x is None:
        raise CircuitInputError("packed point: no curve point has this y")
    if sign != (x > (R - 1) // 2):
        x = (-x) % R
    return x, y


def x_from_y(y: int) -> int | None:
    """The curve's x for this y with x <= (r-1)/2, or None."""
    y2 = y * y % R
    den = (A - D * y2) % R
    if den == 0:
        return None
    x = sqrt((1 - y2) * inv(den) % R)
    if x is None:
        return None
    return min(x, R - x) if x else 0


__all__ = [
    "A", "BASE8", "D", "GENERATOR", "IDENTITY", "ORDER", "SUBORDER", "add", "double",
    "in_subgroup", "is_on_curve", "mul", "multi_mul", "neg", "pack", "unpack", "x_from_y",
]
