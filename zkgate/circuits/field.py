"""Scalar-field helpers for circuits: BN254's r, inverses, square roots, input checks.

Circuits are arithmetic over Fr, the scalar field of BN254 (snarkjs ``bn128``).  Values
are plain Python ints in [0, r).
"""

from __future__ import annotations

import re

import numpy as np

from zkgate.circuits.errors import CircuitInputError
from zkgate.errors import FormatError
from zkgate.safejson import parse_integer

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""The BN254 scalar field modulus (the circuits' field)."""

R_BITS = R.bit_length()  # 254


def inv(a: int) -> int:
    """Multiplicative inverse mod r; the inverse of zero is zero (circom's convention)."""
    return pow(a % R, R - 2, R)


_HEX = re.compile(r"0[xX][0-9a-fA-F]{1,64}", re.ASCII)


def _parse_text(text: str, what: str) -> int:
    """An input written as text: ASCII decimal (``-?[0-9]+``) or ``0x`` hex as snarkjs's
    ``BigInt`` reads it -- never Unicode digits, underscores or other bases (``int(s, 0)`` takes them)."""
    if _HEX.fullmatch(text):
        return int(text, 16)
    try:
        return parse_integer(text, what)
    except FormatError as exc:
        raise CircuitInputError(str(exc)) from None


def to_field(value, what: str = "value") -> int:
    """Check an input value and return it as an int in [0, r).

    Negative ints are accepted and mapped to r - |v| (as circom does for ``-1``); values
    >= r are refused rather than silently reduced.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, np.integer):
                value = int(value)
            elif isinstance(value, str):
                value = _parse_text(value, what)
            else:
                raise TypeError
        except (TypeError, ValueError):
            raise CircuitInputError(f"{what}: expected an integer, got {value!r}") from None
    if value >= R or value <= -R:
        raise CircuitInputError(f"{what}: {value} is not below the field modulus r")
    return value % R


def sqrt(a: int) -> int | None:
    """A square root of ``a`` mod r (Tonelli-Shanks), or None when ``a`` is a non-residue."""
    a %= R
    if a == 0:
        return 0
    if pow(a, (R - 1) // 2, R) != 1:
        return None
    q, s = R - 1, 0
    while q % 2 == 0:
        q //= 2
        s += 1
    z = 5  # 5 is a quadratic non-residue mod r
    while pow(z, (R - 1) // 2, R) != R - 1:
        z += 1
    m, c, t, x = s, pow(z, q, R), pow(a, q, R), pow(a, (q + 1) // 2, R)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2 = t2 * t2 % R
            i += 1
        b = pow(c, 1 << (m - i - 1), R)
        m, c, t, x = i, b * b % R, t * b * b % R, x * b % R
    return x
