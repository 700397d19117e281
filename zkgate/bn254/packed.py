"""BN254 batch kernels on packed Montgomery rows (Groth16 verification and batch
verification, the ceremony's point subtraction), on both backends.

G1 points are ``(n, 8)`` and G2 points ``(n, 16)`` uint64 rows (affine, Montgomery form,
zeros = infinity), scalars plain ``(n, 4)`` rows.  The backend is chosen once, when this
module is imported (:mod:`zkgate.bn254.compiled`): the functions below are the compiled
kernels on the native backend and pure-Python twins over the same row format otherwise
(they decode the rows and use :mod:`zkgate.bn254`'s group law and reference pairing), so
callers never test the backend.  *Prepared* G2 rows (:func:`prepare_g2_rows`) are opaque:
the compiled Miller-loop line coefficients on the native backend, the point rows
themselves on the twin; only :func:`product_equals` and :func:`batch_check` read them.
Not constant-time.
"""

from __future__ import annotations

import numpy as np

from zkgate.bn254.arrays import G1Affine, G2Affine, rows_to_ints
from zkgate.bn254.compiled import BACKEND, native_curve, native_pairing
from zkgate.bn254.curve import G1, G2, g1_add, g1_mul, g1_neg, g2_add, g2_neg
from zkgate.bn254.msm import msm_g1_reference, msm_g2_reference
from zkgate.bn254.pairing import final_exponentiation, fq12_from_limbs, miller_loop
from zkgate.bn254.tower import FQ12_ONE, fq12_mul
from zkgate.bn254.twist import g2_in_subgroup_reference

_ARRAY = {1: G1Affine, 2: G2Affine}
_CURVE = {1: G1, 2: G2}
_ADD = {1: g1_add, 2: g2_add}
_NEG = {1: g1_neg, 2: g2_neg}
_MSM = {1: msm_g1_reference, 2: msm_g2_reference}


def _points(rows: np.ndarray, group: int) -> list:
    """Plain points of packed rows (``None`` = infinity)."""
    width = 8 if group == 1 else 16
    return _ARRAY[group](np.asarray(rows, dtype=np.uint64).reshape(-1, width), check=False).to_ints()


def _rows(points: list, group: int) -> np.ndarray:
    if not points:
        return np.zeros((0, 8 if group == 1 else 16), np.uint64)
    return _ARRAY[group].from_ints(points).limbs


def _default_threads_twin() -> int:
    return 1


def _msm_rows_twin(bases: np.ndarray, scalars: np.ndarray, group: int, threads: int) -> np.ndarray:
    total = _MSM[group](_points(bases, group), rows_to_ints(np.asarray(scalars, dtype=np.uint64).reshape(-1, 4)))
    return _rows([total], group)[0]


def _on_curve_rows_twin(rows: np.ndarray, group: int) -> np.ndarray:
    curve = _CURVE[group]
    return np.array([p is None or curve.is_on_curve(p) for p in _points(rows, group)], dtype=bool)


def _subtract_rows_twin(p: np.ndarray, q: np.ndarray, group: int) -> np.ndarray:
    add, neg = _ADD[group], _NEG[group]
    return _rows([add(x, neg(y)) for x, y in zip(_points(p, group), _points(q, group))], group)


def _g2_in_subgroup_rows_twin(rows: np.ndarray, threads: int) -> np.ndarray:
    return np.array([g2_in_subgroup_reference(p) for p in _points(rows, 2)], dtype=bool)


def _prepare_g2_rows_twin(rows: np.ndarray) -> np.ndarray:
    return np.array(rows, dtype=np.uint64).reshape(-1, 16)


def _product_equals_twin(g1_rows: np.ndarray, prepared_g2: np.ndarray, target: np.ndarray | None) -> bool:
    f = FQ12_ONE
    for p, q in zip(_points(g1_rows, 1), _points(prepared_g2, 2)):
        f = fq12_mul(f, miller_loop(p, q))
    return final_exponentiation(f) == (FQ12_ONE if target is None else fq12_from_limbs(target))


def _batch_check_twin(a: np.ndarray, b: np.ndarray, weights: np.ndarray, extra: np.ndarray,
                      prepared: np.ndarray, threads: int) -> bool:
    f = FQ12_ONE
    ws = rows_to_ints(np.asarray(weights, dtype=np.uint64).reshape(-1, 4))
    for p, q, w in zip(_points(a, 1), _points(b, 2), ws):
        f = fq12_mul(f, miller_loop(g1_neg(g1_mul(p, w)), q))
    for p, q in zip(_points(extra, 1), _points(prepared, 2)):
        f = fq12_mul(f, miller_loop(p, q))
    return final_exponentiation(f) == FQ12_ONE


if native_curve is not None and native_pairing is not None:

    def default_threads() -> int:
        """The number of threads the batch kernels use by default (1 on the twin)."""
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
        """Per-row booleans: is each packed G2 point on the twist and in the order-r subgroup."""
        return native_pairing.g2_in_subgroup(rows, threads)

    def prepare_g2_rows(rows: np.ndarray) -> np.ndarray:
        """Prepared (opaque) rows of packed G2 points, one per point, for the pairing checks below."""
        return native_pairing.prepare_g2(rows)

    def product_equals(g1_rows: np.ndarray, prepared_g2: np.ndarray, target: np.ndarray | None) -> bool:
        """``prod e(P_i, Q_i) == target`` (limbs of an Fq12; None: one) on prepared G2 points."""
        return native_pairing.product_equals(g1_rows, prepared_g2, target)

    def batch_check(a: np.ndarray, b: np.ndarray, weights: np.ndarray, extra: np.ndarray,
                    prepared: np.ndarray, threads: int) -> bool:
        """``prod e(-w_i A_i, B_i) * prod_k e(extra[k], prepared[k]) == 1`` (the randomized
        Groth16 batch equation, see :mod:`zkgate.prover.groth16.batch`)."""
        return native_pairing.batch_check(a, b, weights, extra, prepared, threads)

else:
    default_threads = _default_threads_twin
    msm_rows = _msm_rows_twin
    on_curve_rows = _on_curve_rows_twin
    subtract_rows = _subtract_rows_twin
    g2_in_subgroup_rows = _g2_in_subgroup_rows_twin
    prepare_g2_rows = _prepare_g2_rows_twin
    product_equals = _product_equals_twin
    batch_check = _batch_check_twin


__all__ = [
    "BACKEND", "batch_check", "default_threads", "g2_in_subgroup_rows", "msm_rows", "on_curve_rows",
    "prepare_g2_rows", "product_equals", "subtract_rows",
]
