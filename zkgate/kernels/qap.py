"""Kernels of Groth16's QAP reduction (:mod:`zkgate.prover.groth16.qap`): the row evaluation
of the ``.zkey`` coefficient section and the element-wise products on the coset.

The compiled kernels (``zkgate._native._qap``) or their pure-Python twins are chosen once,
when this module is imported (``zkgate._native.BACKEND``; ``ZKGATE_PUREPYTHON=1`` forces the
twins).  Both have the same signatures and results, so callers never test the backend.
Field elements are ``(n, 4)`` uint64 little-endian limb rows of BN254's scalar field; the
results are in Montgomery form (a * 2^256 mod r), as the NTT kernels take them.
Not constant-time (the prover runs on the data holder's own machine).
"""

from __future__ import annotations

import numpy as np

from zkgate import _native

BACKEND: str = _native.BACKEND
"""``"native"`` or ``"python"``: which engine the functions below run."""

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""BN254's scalar field: the modulus the compiled kernels hard-code (``zkgate.bn254.R_MOD``)."""

_MONT = (1 << 256) % R
_MONT_INV = pow(1 << 256, -1, R)


def _ints(rows: np.ndarray) -> list[int]:
    raw = np.ascontiguousarray(rows, dtype="<u8").reshape(-1, 4).tobytes()
    return [int.from_bytes(raw[i : i + 32], "little") for i in range(0, len(raw), 32)]


def _rows(values: list[int]) -> np.ndarray:
    raw = b"".join(v.to_bytes(32, "little") for v in values)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(-1, 4)


def _evaluate_ab_twin(coefficients: np.ndarray, witness: np.ndarray, domain_size: int) -> tuple[np.ndarray, np.ndarray]:
    w = _ints(witness)
    a, b = [0] * domain_size, [0] * domain_size
    for entry in coefficients:
        # the .zkey stores each coefficient as c * R^2 mod r
        value = _ints(np.asarray(entry["value"]))[0] * _MONT_INV * _MONT_INV % R * w[int(entry["signal"])] % R
        target = a if entry["matrix"] == 0 else b
        row = int(entry["constraint"])
        target[row] = (target[row] + value) % R
    return _rows([v * _MONT % R for v in a]), _rows([v * _MONT % R for v in b])


def _mul_twin(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _rows([x * y * _MONT_INV % R for x, y in zip(_ints(a), _ints(b))])


def _mul_sub_twin(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return _rows([(x * y * _MONT_INV - z) % R for x, y, z in zip(_ints(a), _ints(b), _ints(c))])


if BACKEND == "native":
    from zkgate._native import _qap as native_qap

    evaluate_ab = native_qap.evaluate_ab
    mul = native_qap.mul
    mul_sub = native_qap.mul_sub
else:
    evaluate_ab = _evaluate_ab_twin
    mul = _mul_twin
    mul_sub = _mul_sub_twin

__all__ = ["BACKEND", "R", "evaluate_ab", "mul", "mul_sub"]
"""``evaluate_ab(coefficients, witness_rows, domain_size)``: A·w and B·w on every row
(Montgomery rows; ``witness_rows`` plain); ``mul(a, b)``: element-wise a·b; ``mul_sub(a, b, c)``:
element-wise a·b − c (all Montgomery rows)."""
