"""Compiled BN254 kernels on packed Montgomery rows, for batch work (Groth16 verification
and batch verification, the ceremony's point subtraction).

G1 points are ``(n, 8)`` and G2 points ``(n, 16)`` uint64 rows (affine, Montgomery form,
zeros = infinity), scalars plain ``(n, 4)`` rows.  These kernels exist only on the native
backend: :data:`AVAILABLE` says whether they are bound (decided once, by
:mod:`zkgate.bn254.compiled`); without them callers use the point-by-point functions of
:mod:`zkgate.bn254`.  Not constant-time.
"""

from __future__ import annotations

import numpy as np

from zkgate.bn254.compiled import native_curve, native_pairing

AVAILABLE: bool = native_curve is not None and native_pairing is not None
"""True when the packed kernels below can be called (native backend)."""


def default_threads() -> int:
    """The number of threads the compiled kernels use by default."""
    return native_curve.default_threads()


def msm_rows(bases: np.ndarray, scalars: np.ndarray, group: int, threads: int) -> np.ndarray:
    """``sum scalars[i] * bases[i]`` as one packed row (``group`` 1 or 2)."""
    return native_curve.msm(bases, scalars, group, threads)


def on_curve_rows(rows: np.ndarray, group: int) -> np.ndarray:
    """Per-row booleans: is each packed point on the curve (infinity counts as on it)."""
    return native_curve.on_curve(rows, group)


def subtract_rows(p: np.ndarray, q: np.ndarray, group: int) -> np.ndarray:
    """Row-wise ``p - q`` of packed points."""
    return native_curve.madd(p, q, group, True)


def g2_in_subgroup_rows(rows: np.ndarray, threads: int) -> np.ndarray:
    """Per-row booleans: is each packed G2 point in the order-r subgroup."""
    return native_pairing.g2_in_subgroup(rows, threads)


def prepare_g2_rows(rows: np.ndarray) -> np.ndarray:
    """The Miller-loop line coefficients of packed G2 points (one row per point)."""
    return native_pairing.prepare_g2(rows)


def product_equals(g1_rows: np.ndarray, prepared_g2: np.ndarray, target: np.ndarray | None) -> bool:
    """``prod e(P_i, Q_i) == target`` (limbs of an Fq12; None: one) on prepared G2 points."""
    return native_pairing.product_equals(g1_rows, prepared_g2, target)


def batch_check(a: np.ndarray, b: np.ndarray, weights: np.ndarray, extra: np.ndarray,
                prepared: np.ndarray, threads: int) -> bool:
    """The randomized Groth16 batch equation (see :mod:`zkgate.prover.groth16.batch`)."""
    return native_pairing.batch_check(a, b, weights, extra, prepared, threads)


__all__ = [
    "AVAILABLE", "batch_check", "default_threads", "g2_in_subgroup_rows", "msm_rows", "on_curve_rows",
    "prepare_g2_rows", "product_equals", "subtract_rows",
]
