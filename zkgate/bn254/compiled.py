"""The compiled BN254 kernels of the active backend, bound once at import.

``zkgate._native`` decides the backend (``ZKGATE_PUREPYTHON=1`` forces the pure-Python
twin); this module binds the compiled field, curve/MSM, NTT and pairing modules when the
native backend is active and ``None`` otherwise.  It is the only place in
:mod:`zkgate.bn254` that imports ``zkgate._native``; the other modules dispatch on
whether a kernel here is ``None``.
"""

from __future__ import annotations

from zkgate import _native

BACKEND: str = _native.BACKEND
"""``"native"`` or ``"python"``: the backend every BN254 kernel below belongs to."""

if BACKEND == "native":
    from zkgate._native import _curve as native_curve
    from zkgate._native import _field as native_field
    from zkgate._native import _ntt as native_ntt
    from zkgate._native import _pairing as native_pairing
else:
    native_curve = native_field = native_ntt = native_pairing = None

__all__ = ["BACKEND", "native_curve", "native_field", "native_ntt", "native_pairing"]
