"""Pedersen vector commitments on Baby Jubjub (out of circuit).

``commit(values, rho) = Σ values[j]·G_j + rho·H``.  Generators are nothing-up-my-sleeve:
``hash_to_point(tag)`` tries counters c = 0, 1, 2, ...: y = SHA-256("zkgate/pedersen/v1"
‖ 0x00 ‖ tag ‖ c as 4 bytes big-endian) read big-endian, mod r; when some curve point has
this y, take the one with x <= (r-1)/2, multiply it by the cofactor 8 and accept it if the
result is not the identity.  ``G_j`` uses tag ``b"G" ‖ j`` (4 bytes big-endian), ``H``
uses tag ``b"H"``.  Every generator lies in the prime-order subgroup (order l), and nobody
knows discrete logarithms between them.
"""

from __future__ import annotations

import hashlib
from functools import cache

from zkgate.circuits import babyjubjub as bjj
from zkgate.circuits.errors import CircuitInputError
from zkgate.circuits.field import R

DOMAIN = b"zkgate/pedersen/v1"


def hash_to_point(tag: bytes) -> bjj.Point:
    ctr = 0
    while True:
        digest = hashlib.sha256(DOMAIN + b"\x00" + tag + ctr.to_bytes(4, "big")).digest()
        ctr += 1
        y = int.from_bytes(digest, "big") % R
        x = bjj.x_from_y(y)
        if x is None:
            continue
        p = bjj.mul((x, y), 8)
        if p != bjj.IDENTITY:
            return p


@cache
def generator_g(j: int) -> bjj.Point:
    return hash_to_point(b"G" + j.to_bytes(4, "big"))


@cache
def generator_h() -> bjj.Point:
    return hash_to_point(b"H")


def generators(n: int) -> tuple[list[bjj.Point], bjj.Point]:
    """``([G_0 .. G_{n-1}], H)``."""
    return [generator_g(j) for j in range(n)], generator_h()


def commit(values, rho: int) -> bjj.Point:
    """``Σ values[j]·G_j + rho·H``; values and rho are non-negative integers (taken mod l)."""
    gs, h = generators(len(values))
    acc = bjj.IDENTITY
    for v, g in zip(values, gs):
        if v < 0:
            raise CircuitInputError("Pedersen commitment values must be non-negative")
        acc = bjj.add(acc, bjj.mul(g, v % bjj.SUBORDER))
    if rho < 0:
        raise CircuitInputError("the blinding factor rho must be non-negative")
    return bjj.add(acc, bjj.mul(h, rho % bjj.SUBORDER))


def verify_opening(commitment: bjj.Point, values, rho: int) -> bool:
    return commit(values, rho) == tuple(commitment)


__all__ = ["DOMAIN", "commit", "generator_g", "generator_h", "generators", "hash_to_point", "verify_opening"]
