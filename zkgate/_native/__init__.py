"""Compute backend selection for zkgate's kernels.

The compiled kernels (Cython + C, built by ``pip install``) are used when they import;
otherwise, or when the environment variable ``ZKGATE_PUREPYTHON=1`` is set, zkgate falls
back to the pure-Python reference twins (as msgpack does).  ``BACKEND`` says which one is
active: ``"native"`` or ``"python"``.  ``IMPORT_ERROR`` keeps the reason the native
kernels could not be loaded, for diagnostics (``zkgate --version`` prints it).

The native kernels are not constant-time.  Provers handle secrets (witnesses, toxic waste)
on the data holder's own machine; do not run them where an attacker can time them.
"""

from __future__ import annotations

import os

from zkgate.errors import BackendError

PUREPYTHON_REQUESTED = os.environ.get("ZKGATE_PUREPYTHON", "").strip() not in ("", "0", "false", "no")

IMPORT_ERROR: str | None = None
field = None  # the compiled field module, when the native backend is active

if PUREPYTHON_REQUESTED:
    BACKEND = "python"
    IMPORT_ERROR = "ZKGATE_PUREPYTHON is set"
else:
    try:
        # every compiled module must load, or none is used (a half-built backend fails loudly in CI)
        from zkgate._native import _ceremony, _curve, _ntt, _pairing, _qap, _rns, _witness  # noqa: F401
        from zkgate._native import _field as field  # noqa: F811
    except ImportError as exc:  # the extension did not build or cannot load
        BACKEND = "python"
        IMPORT_ERROR = f"{type(exc).__name__}: {exc}"
    else:
        BACKEND = "native"


def require_native() -> None:
    """Raise :class:`BackendError` unless the compiled kernels are active."""
    if BACKEND != "native":
        raise BackendError(f"native kernels unavailable ({IMPORT_ERROR})")


def compiled(name: str):
    """The compiled module ``zkgate._native.<name>`` on the native backend, else None."""
    if BACKEND != "native":
        return None
    import importlib

    return importlib.import_module(f"zkgate._native.{name}")


__all__ = ["BACKEND", "IMPORT_ERROR", "PUREPYTHON_REQUESTED", "compiled", "field", "require_native"]
