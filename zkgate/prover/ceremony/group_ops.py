"""Batch group operations of the trusted setup, on packed affine arrays.

Points are ``(n, 8)`` (G1) / ``(n, 16)`` (G2) uint64 rows in the ``.zkey`` / ``.ptau``
layout (Montgomery form, zeros = infinity); scalars are ints or plain ``(n, 4)`` rows.
Each function runs the compiled kernel of :mod:`zkgate.kernels.ceremony` when the native
backend is active and a pure-Python twin otherwise (small inputs only: tests).
"""

from __future__ import annotations

import numpy as np

from zkgate.bn254 import R_MOD, fr_root_of_unity, g1_add, g1_mul, g1_neg, g2_add, g2_mul, g2_neg, packed
from zkgate.bn254.arrays import G1Affine, G2Affine, ints_to_rows, rows_to_ints
from zkgate.kernels import ceremony as ceremony_kernels

WIDTH = {1: 8, 2: 16}
_ARRAY = {1: G1Affine, 2: G2Affine}
_ADD = {1: g1_add, 2: g2_add}
_MUL = {1: g1_mul, 2: g2_mul}
_NEG = {1: g1_neg, 2: g2_neg}


def _kernels():
    """:mod:`zkgate.kernels.ceremony` when its compiled kernels are bound, else None (twins here)."""
    return ceremony_kernels if ceremony_kernels.COMPILED else None


def to_points(rows: np.ndarray, group: int) -> list:
    """Plain Python points (reference path)."""
    return _ARRAY[group](np.asarray(rows, dtype=np.uint64).reshape(-1, WIDTH[group]), check=False).to_ints()


def from_points(points: list, group: int) -> np.ndarray:
    return _ARRAY[group].from_ints(points).limbs


def scalar_rows(values) -> np.ndarray:
    """Plain ``(n, 4)`` rows from ints (reduced mod r)."""
    if isinstance(values, np.ndarray):
        return np.ascontiguousarray(values, dtype=np.uint64).reshape(-1, 4)
    return ints_to_rows([int(v) % R_MOD for v in values]).reshape(-1, 4)


def sparse_sums(bases: np.ndarray, offsets: np.ndarray, indices: np.ndarray, scalars, group: int) -> np.ndarray:
    """``out[j] = sum(scalars[e] * bases[indices[e]])`` over ``e`` in ``offsets[j]:offsets[j+1]``."""
    k = _kernels()
    rows = scalar_rows(scalars)
    if k is not None:
        return k.sparse_sums(bases, offsets, indices, rows, group)
    pts = to_points(bases, group)
    ks = rows_to_ints(rows)
    idx = np.asarray(indices).tolist()
    off = np.asarray(offsets).tolist()
    add, mul = _ADD[group], _MUL[group]
    out = []
    for j in range(len(off) - 1):
        acc = None
        for e in range(off[j], off[j + 1]):
            acc = add(acc, mul(pts[idx[e]], ks[e]))
        out.append(acc)
    return from_points(out, group) if out else np.zeros((0, WIDTH[group]), np.uint64)


def scale(points: np.ndarray, scalars, group: int) -> np.ndarray:
    """Row-wise ``[scalars[i]] points[i]``."""
    k = _kernels()
    rows = scalar_rows(scalars)
    if k is not None:
        return k.scale(points, rows, group)
    mul = _MUL[group]
    pts = to_points(points, group)
    return from_points([mul(p, s) for p, s in zip(pts, rows_to_ints(rows))], group) if pts else np.zeros((0, WIDTH[group]), np.uint64)


def geometric(first: int, inc: int, n: int) -> np.ndarray:
    """Plain rows of ``first * inc**i mod r`` for i < n."""
    k = _kernels()
    if k is not None:
        return k.geometric(first % R_MOD, inc % R_MOD, n)
    out, cur = [], first % R_MOD
    for _ in range(n):
        out.append(cur)
        cur = cur * inc % R_MOD
    return scalar_rows(out) if out else np.zeros((0, 4), np.uint64)


def scale_geometric(points: np.ndarray, first: int, inc: int, group: int) -> np.ndarray:
    """``[first * inc**i] points[i]`` (a snarkjs "apply key")."""
    return scale(points, geometric(first, inc, len(points)), group)


def subtract(p: np.ndarray, q: np.ndarray, group: int) -> np.ndarray:
    """Row-wise ``p - q``."""
    if packed.AVAILABLE:
        return packed.subtract_rows(np.array(p, dtype=np.uint64, order="C"), np.array(q, dtype=np.uint64, order="C"), group)
    add, neg = _ADD[group], _NEG[group]
    a, b = to_points(p, group), to_points(q, group)
    return from_points([add(x, neg(y)) for x, y in zip(a, b)], group) if a else np.zeros((0, WIDTH[group]), np.uint64)


def lagrange(points: np.ndarray, group: int) -> np.ndarray:
    """``L_i = (1/n) sum_j w_n^(-ij) points[j]``: powers of tau to the Lagrange basis."""
    n = len(points)
    log_n = n.bit_length() - 1
    w_inv = pow(fr_root_of_unity(log_n), -1, R_MOD)
    n_inv = pow(n, -1, R_MOD)
    k = _kernels()
    if k is not None:
        return k.lagrange(points, geometric(1, w_inv, max(n // 2, 1)), n_inv, group)
    pts = to_points(points, group)
    add, mul = _ADD[group], _MUL[group]
    out = []
    for i in range(n):
        acc = None
        for j, p in enumerate(pts):
            acc = add(acc, mul(p, pow(w_inv, i * j, R_MOD) * n_inv % R_MOD))
        out.append(acc)
    return from_points(out, group)
