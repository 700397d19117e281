"""Kernels of the trusted-setup ceremony (:mod:`zkgate.prover.ceremony`): GLV/GLS batch
scalar multiplication, sparse sums and the group FFT on packed points, and the BLAKE2b
block loop of the transcript hash.

The compiled kernels (``zkgate._native._ceremony``) are bound once, when this module is
imported (``zkgate._native.BACKEND``; ``ZKGATE_PUREPYTHON=1`` leaves them unbound).
:data:`COMPILED` says whether they are; their pure-Python twins work point by point on
:mod:`zkgate.bn254`'s group law and live beside their callers
(:mod:`zkgate.prover.ceremony.group_ops`, :mod:`zkgate.prover.ceremony.blake2b`), which this
layer may not import.  Points are ``(n, 8)`` (G1) / ``(n, 16)`` (G2) uint64 Montgomery rows,
scalars plain ``(n, 4)`` rows.  Not constant-time.
"""

from __future__ import annotations

from zkgate import _native

BACKEND: str = _native.BACKEND
"""``"native"`` or ``"python"``."""

COMPILED: bool = BACKEND == "native"
"""True when the functions below are bound to the compiled kernels."""

if COMPILED:
    from zkgate._native import _ceremony as native_ceremony

    sparse_sums = native_ceremony.sparse_sums
    scale = native_ceremony.scale
    geometric = native_ceremony.geometric
    lagrange = native_ceremony.lagrange
    blake2b_blocks = native_ceremony.blake2b_blocks
else:
    sparse_sums = scale = geometric = lagrange = blake2b_blocks = None

__all__ = ["BACKEND", "COMPILED", "blake2b_blocks", "geometric", "lagrange", "scale", "sparse_sums"]
