"""Kernels of the trusted-setup ceremony (:mod:`zkgate.prover.ceremony`): GLV/GLS batch
scalar multiplication, sparse sums and the group FFT on packed points, and the BLAKE2b
block loop of the transcript hash.

The backend is chosen once, when this module is imported (``zkgate._native.BACKEND``;
``ZKGATE_PUREPYTHON=1`` selects the twins): the functions below are the compiled kernels
(``zkgate._native._ceremony``) or their pure-Python twins, with the same signatures and
results.  Callers never test the backend.  The twins work point by point on
:mod:`zkgate.bn254`'s group law (small inputs only: tests) and the BLAKE2b twin on
:func:`compress`, the compression function also used by :mod:`zkgate.prover.ceremony.blake2b`.
Points are ``(n, 8)`` (G1) / ``(n, 16)`` (G2) uint64 Montgomery rows (zeros = infinity),
scalars plain ``(n, 4)`` rows.  Not constant-time.
"""

from __future__ import annotations

import struct

import numpy as np

from zkgate import _native
from zkgate.bn254 import R_MOD, g1_add, g1_mul, g2_add, g2_mul
from zkgate.bn254.arrays import G1Affine, G2Affine, ints_to_rows, rows_to_ints

BACKEND: str = _native.BACKEND
"""``"native"`` or ``"python"``."""

COMPILED: bool = BACKEND == "native"
"""True when the kernels below are the compiled ones (for reports; callers need not look)."""

WIDTH = {1: 8, 2: 16}
"""uint64 limbs per packed point of G1 / G2."""

_ARRAY = {1: G1Affine, 2: G2Affine}
_ADD = {1: g1_add, 2: g2_add}
_MUL = {1: g1_mul, 2: g2_mul}

BLOCK = 128
"""Bytes per BLAKE2b block."""

_M = 0xFFFFFFFFFFFFFFFF
IV = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)
SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
)
_WORDS = struct.Struct("<16Q")


def compress(h: list[int], block: bytes, counter: int, last: bool) -> list[int]:
    """The BLAKE2b compression function F (12 rounds) on one 128-byte block."""
    m = _WORDS.unpack(block)
    M = _M
    v0, v1, v2, v3, v4, v5, v6, v7 = h
    v8, v9, v10, v11 = IV[0], IV[1], IV[2], IV[3]
    v12 = IV[4] ^ (counter & M)
    v13 = IV[5] ^ (counter >> 64)
    v14 = IV[6] ^ M if last else IV[6]
    v15 = IV[7]
    for s in SIGMA:
        # columns
        v0 = (v0 + v4 + m[s[0]]) & M; v12 ^= v0; v12 = (v12 >> 32) | ((v12 << 32) & M)
        v8 = (v8 + v12) & M; v4 ^= v8; v4 = (v4 >> 24) | ((v4 << 40) & M)
        v0 = (v0 + v4 + m[s[1]]) & M; v12 ^= v0; v12 = (v12 >> 16) | ((v12 << 48) & M)
        v8 = (v8 + v12) & M; v4 ^= v8; v4 = (v4 >> 63) | ((v4 << 1) & M)
        v1 = (v1 + v5 + m[s[2]]) & M; v13 ^= v1; v13 = (v13 >> 32) | ((v13 << 32) & M)
        v9 = (v9 + v13) & M; v5 ^= v9; v5 = (v5 >> 24) | ((v5 << 40) & M)
        v1 = (v1 + v5 + m[s[3]]) & M; v13 ^= v1; v13 = (v13 >> 16) | ((v13 << 48) & M)
        v9 = (v9 + v13) & M; v5 ^= v9; v5 = (v5 >> 63) | ((v5 << 1) & M)
        v2 = (v2 + v6 + m[s[4]]) & M; v14 ^= v2; v14 = (v14 >> 32) | ((v14 << 32) & M)
        v10 = (v10 + v14) & M; v6 ^= v10; v6 = (v6 >> 24) | ((v6 << 40) & M)
        v2 = (v2 + v6 + m[s[5]]) & M; v14 ^= v2; v14 = (v14 >> 16) | ((v14 << 48) & M)
        v10 = (v10 + v14) & M; v6 ^= v10; v6 = (v6 >> 63) | ((v6 << 1) & M)
        v3 = (v3 + v7 + m[s[6]]) & M; v15 ^= v3; v15 = (v15 >> 32) | ((v15 << 32) & M)
        v11 = (v11 + v15) & M; v7 ^= v11; v7 = (v7 >> 24) | ((v7 << 40) & M)
        v3 = (v3 + v7 + m[s[7]]) & M; v15 ^= v3; v15 = (v15 >> 16) | ((v15 << 48) & M)
        v11 = (v11 + v15) & M; v7 ^= v11; v7 = (v7 >> 63) | ((v7 << 1) & M)
        # diagonals
        v0 = (v0 + v5 + m[s[8]]) & M; v15 ^= v0; v15 = (v15 >> 32) | ((v15 << 32) & M)
        v10 = (v10 + v15) & M; v5 ^= v10; v5 = (v5 >> 24) | ((v5 << 40) & M)
        v0 = (v0 + v5 + m[s[9]]) & M; v15 ^= v0; v15 = (v15 >> 16) | ((v15 << 48) & M)
        v10 = (v10 + v15) & M; v5 ^= v10; v5 = (v5 >> 63) | ((v5 << 1) & M)
        v1 = (v1 + v6 + m[s[10]]) & M; v12 ^= v1; v12 = (v12 >> 32) | ((v12 << 32) & M)
        v11 = (v11 + v12) & M; v6 ^= v11; v6 = (v6 >> 24) | ((v6 << 40) & M)
        v1 = (v1 + v6 + m[s[11]]) & M; v12 ^= v1; v12 = (v12 >> 16) | ((v12 << 48) & M)
        v11 = (v11 + v12) & M; v6 ^= v11; v6 = (v6 >> 63) | ((v6 << 1) & M)
        v2 = (v2 + v7 + m[s[12]]) & M; v13 ^= v2; v13 = (v13 >> 32) | ((v13 << 32) & M)
        v8 = (v8 + v13) & M; v7 ^= v8; v7 = (v7 >> 24) | ((v7 << 40) & M)
        v2 = (v2 + v7 + m[s[13]]) & M; v13 ^= v2; v13 = (v13 >> 16) | ((v13 << 48) & M)
        v8 = (v8 + v13) & M; v7 ^= v8; v7 = (v7 >> 63) | ((v7 << 1) & M)
        v3 = (v3 + v4 + m[s[14]]) & M; v14 ^= v3; v14 = (v14 >> 32) | ((v14 << 32) & M)
        v9 = (v9 + v14) & M; v4 ^= v9; v4 = (v4 >> 24) | ((v4 << 40) & M)
        v3 = (v3 + v4 + m[s[15]]) & M; v14 ^= v3; v14 = (v14 >> 16) | ((v14 << 48) & M)
        v9 = (v9 + v14) & M; v4 ^= v9; v4 = (v4 >> 63) | ((v4 << 1) & M)
    return [h[0] ^ v0 ^ v8, h[1] ^ v1 ^ v9, h[2] ^ v2 ^ v10, h[3] ^ v3 ^ v11,
            h[4] ^ v4 ^ v12, h[5] ^ v5 ^ v13, h[6] ^ v6 ^ v14, h[7] ^ v7 ^ v15]


def rows_to_points(rows: np.ndarray, group: int) -> list:
    """Plain Python points of packed rows (``None`` = infinity)."""
    return _ARRAY[group](np.asarray(rows, dtype=np.uint64).reshape(-1, WIDTH[group]), check=False).to_ints()


def points_to_rows(points: list, group: int) -> np.ndarray:
    """Packed rows of plain Python points (an empty ``(0, width)`` array for no points)."""
    if not points:
        return np.zeros((0, WIDTH[group]), np.uint64)
    return _ARRAY[group].from_ints(points).limbs


def _sparse_sums_twin(bases, offsets, indices, scalars, group: int) -> np.ndarray:
    pts = rows_to_points(bases, group)
    ks = rows_to_ints(scalars)
    idx = np.asarray(indices).tolist()
    off = np.asarray(offsets).tolist()
    add, mul = _ADD[group], _MUL[group]
    out = []
    for j in range(len(off) - 1):
        acc = None
        for e in range(off[j], off[j + 1]):
            acc = add(acc, mul(pts[idx[e]], ks[e]))
        out.append(acc)
    return points_to_rows(out, group)


def _scale_twin(points, scalars, group: int) -> np.ndarray:
    mul = _MUL[group]
    return points_to_rows([mul(p, s) for p, s in zip(rows_to_points(points, group), rows_to_ints(scalars))], group)


def _geometric_twin(first: int, inc: int, n: int) -> np.ndarray:
    out, cur = [], first % R_MOD
    for _ in range(n):
        out.append(cur)
        cur = cur * inc % R_MOD
    return ints_to_rows(out).reshape(-1, 4) if out else np.zeros((0, 4), np.uint64)


def _lagrange_twin(points, half_powers, n_inv: int, group: int) -> np.ndarray:
    """``L_i = n_inv * sum_j w^(ij) points[j]`` where ``half_powers`` holds w^k for k < max(n/2, 1)
    (w^(n/2) = -1 gives the rest)."""
    pts = rows_to_points(points, group)
    n = len(pts)
    powers = rows_to_ints(half_powers)
    half = len(powers)

    def power(k: int) -> int:
        k %= n
        return powers[k] if k < half else (R_MOD - powers[k - half]) % R_MOD

    add, mul = _ADD[group], _MUL[group]
    out = []
    for i in range(n):
        acc = None
        for j, p in enumerate(pts):
            acc = add(acc, mul(p, power(i * j) * n_inv % R_MOD))
        out.append(acc)
    return points_to_rows(out, group)


def _blake2b_blocks_twin(h, data, length: int) -> tuple[list[int], int]:
    data = memoryview(data).cast("B")
    h = list(h)
    for p in range(0, len(data) - len(data) % BLOCK, BLOCK):
        length += BLOCK
        h = compress(h, data[p : p + BLOCK], length, False)
    return h, length


if COMPILED:
    from zkgate._native import _ceremony as native_ceremony

    sparse_sums = native_ceremony.sparse_sums
    scale = native_ceremony.scale
    geometric = native_ceremony.geometric
    lagrange = native_ceremony.lagrange
    blake2b_blocks = native_ceremony.blake2b_blocks
else:
    sparse_sums = _sparse_sums_twin
    scale = _scale_twin
    geometric = _geometric_twin
    lagrange = _lagrange_twin
    blake2b_blocks = _blake2b_blocks_twin


__all__ = [
    "BACKEND", "BLOCK", "COMPILED", "IV", "SIGMA", "WIDTH", "blake2b_blocks", "compress", "geometric", "lagrange",
    "points_to_rows", "rows_to_points", "scale", "sparse_sums",
]
