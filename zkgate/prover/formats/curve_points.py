"""Conversions between the ``.zkey`` point layout and the plain Python shapes.

A ``.zkey`` (and ``.ptau``) stores affine points as Montgomery-form field elements, 32 bytes
little endian each: G1 as x, y; G2 as x0, x1, y0, y1 (x = x0 + x1*u).  All-zero bytes are the
point at infinity.  These helpers handle the few points of headers and verifying keys; bulk
sections stay packed arrays and go to the MSM kernels as they are.
"""

from __future__ import annotations

import numpy as np

from zkgate.bn254 import Q_MOD, R_MOD, G1Point, G2Point, check_g1, check_g2
from zkgate.errors import FormatError, InvalidInputError

FIELD_BYTES = 32
MONT_R = 1 << 256
Q_R_INV = pow(MONT_R, -1, Q_MOD)
R_R_INV = pow(MONT_R, -1, R_MOD)


def _limbs_to_int(words) -> int:
    return int(words[0]) | (int(words[1]) << 64) | (int(words[2]) << 128) | (int(words[3]) << 192)


def fq_from_mont_words(words) -> int:
    value = _limbs_to_int(words)
    if value >= Q_MOD:
        raise InvalidInputError(f"coordinate {value} is not below q")
    return value * Q_R_INV % Q_MOD


def fq_to_mont_bytes(value: int) -> bytes:
    return (value * MONT_R % Q_MOD).to_bytes(FIELD_BYTES, "little")


def g1_from_words(words: np.ndarray, what: str, check: bool = True) -> G1Point:
    """A G1 point from 8 uint64 words (Montgomery affine, zero = infinity)."""
    if not words.any():
        return None
    try:
        point = (fq_from_mont_words(words[0:4]), fq_from_mont_words(words[4:8]))
        return check_g1(point, what) if check else point
    except InvalidInputError as exc:
        raise FormatError(f"{what}: {exc}") from exc


def g2_from_words(words: np.ndarray, what: str, check: bool = True) -> G2Point:
    """A G2 point from 16 uint64 words (Montgomery affine x0, x1, y0, y1; zero = infinity)."""
    if not words.any():
        return None
    try:
        c = [fq_from_mont_words(words[4 * i : 4 * i + 4]) for i in range(4)]
        point = ((c[0], c[1]), (c[2], c[3]))
        return check_g2(point, what) if check else point
    except InvalidInputError as exc:
        raise FormatError(f"{what}: {exc}") from exc


def g1_to_bytes(point: G1Point) -> bytes:
    if point is None:
        return bytes(2 * FIELD_BYTES)
    return fq_to_mont_bytes(point[0]) + fq_to_mont_bytes(point[1])


def g2_to_bytes(point: G2Point) -> bytes:
    if point is None:
        return bytes(4 * FIELD_BYTES)
    (x0, x1), (y0, y1) = point
    return b"".join(fq_to_mont_bytes(v) for v in (x0, x1, y0, y1))


def g1_array_to_points(array: np.ndarray, what: str) -> list[G1Point]:
    """Unpack a (n, 8) Montgomery array into plain points (reference backend only)."""
    return [g1_from_words(row, f"{what}[{i}]", check=False) for i, row in enumerate(array)]


def g2_array_to_points(array: np.ndarray, what: str) -> list[G2Point]:
    return [g2_from_words(row, f"{what}[{i}]", check=False) for i, row in enumerate(array)]


def fr_from_r2_words(words) -> int:
    """A ``.zkey`` coefficient (stored as c * R^2 mod r) back to c."""
    return _limbs_to_int(words) * R_R_INV * R_R_INV % R_MOD
