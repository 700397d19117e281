"""Batch group operations of the trusted setup, on packed affine arrays.

Points are ``(n, 8)`` (G1) / ``(n, 16)`` (G2) uint64 rows in the ``.zkey`` / ``.ptau``
layout (Montgomery form, zeros = infinity); scalars are ints or plain ``(n, 4)`` rows.
Each function runs the kernel of :mod:`zkgate.kernels.ceremony` (compiled, or its pure-Python
twin on the pure-Python backend: small inputs only) or of :mod:`zkgate.bn254.packed`.
"""

from __future__ import annotations

import numpy as np

from zkgate.bn254 import R_MOD, fr_root_of_unity, packed
from zkgate.bn254.arrays import ints_to_rows
from zkgate.kernels import ceremony as ceremony_kernels

to_points = ceremony_kernels.rows_to_points
"""Plain Python points of packed rows (reference path)."""

from_points = ceremony_kernels.points_to_rows


def scalar_rows(values) -> np.ndarray:
    """Plain ``(n, 4)`` rows from ints (reduced mod r)."""
    if isinstance(values, np.ndarray):
        return np.ascontiguousarray(values, dtype=np.uint64).reshape(-1, 4)
    return ints_to_rows([int(v) % R_MOD for v in values]).reshape(-1, 4)


def sparse_sums(bases: np.ndarray, offsets: np.ndarray, indices: np.ndarray, scalars, group: int) -> np.ndarray:
    """``out[j] = sum(scalars[e] * bases[indices[e]])`` over ``e`` in ``offsets[j]:offsets[j+1]``."""
    return ceremony_kernels.sparse_sums(bases, offsets, indices, scalar_rows(scalars), group)


def scale(points: np.ndarray, scalars, group: int) -> np.ndarray:
    """Row-wise ``[scalars[i]] points[i]``."""
    return ceremony_kernels.scale(points, scalar_rows(scalars), group)


def geometric(first: int, inc: int, n: int) -> np.ndarray:
    """Plain rows of ``first * inc**i mod r`` for i < n."""
    return ceremony_kernels.geometric(first % R_MOD, inc % R_MOD, n)


def scale_geometric(points: np.ndarray, first: int, inc: int, group: int) -> np.ndarray:
    """``[first * inc**i] points[i]`` (a snarkjs "apply key")."""
    return scale(points, geometric(first, inc, len(points)), group)


def subtract(p: np.ndarray, q: np.ndarray, group: int) -> np.ndarray:
    """Row-wise ``p - q``."""
    return packed.subtract_rows(np.array(p, dtype=np.uint64, order="C"), np.array(q, dtype=np.uint64, order="C"), group)


def lagrange(points: np.ndarray, group: int) -> np.ndarray:
    """``L_i = (1/n) sum_j w_n^(-ij) points[j]``: powers of tau to the Lagrange basis."""
    n = len(points)
    log_n = n.bit_length() - 1
    w_inv = pow(fr_root_of_unity(log_n), -1, R_MOD)
    n_inv = pow(n, -1, R_MOD)
    return ceremony_kernels.lagrange(points, geometric(1, w_inv, max(n // 2, 1)), n_inv, group)
