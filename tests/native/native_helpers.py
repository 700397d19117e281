"""Shared helpers for the native-kernel tests (issue 3).

Differential tests compare the compiled kernels with independent implementations (py_ecc,
plain Python integers, an O(n^2) DFT); they only make sense when the native backend is
active, so they are skipped under ZKGATE_PUREPYTHON=1.
"""

from __future__ import annotations

import pytest

from zkgate import _native

R_MOD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
Q_MOD = 21888242871839275222246405745257275088696311157297823662689037894645226208583
MONT = 1 << 256

native_only = pytest.mark.skipif(
    _native.BACKEND != "native",
    reason=f"differential test of the native kernels; backend is {_native.BACKEND} ({_native.IMPORT_ERROR})",
)


def to_mont_int(v: int, p: int) -> int:
    return v * MONT % p


def from_mont_int(v: int, p: int) -> int:
    return v * pow(MONT, -1, p) % p
