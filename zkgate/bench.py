"""Quick built-in benchmarks behind ``zkgate bench`` (the full suites live in benchmarks/)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from zkgate import bn254


@dataclass(frozen=True)
class MsmTiming:
    size: int
    backend: str
    seconds: float
    checked: bool


def time_msm_g1(n: int) -> MsmTiming:
    """Time one G1 MSM of size n on the active backend; check it against a smaller identity.

    The check uses bases k*P (k = 1..n): the MSM must equal (sum k*s_k) * P.
    """
    from zkgate import _native

    base = bn254.g1_mul(bn254.G1_GENERATOR, secrets.randbelow(bn254.R_MOD - 1) + 1)
    step = bn254.G1.to_jacobian(base)
    bases, current = [], step
    for _ in range(n):
        bases.append(bn254.G1.to_affine(current))
        current = bn254.G1.add(current, step)
    scalars = [secrets.randbelow(bn254.R_MOD) for _ in range(n)]
    start = time.perf_counter()
    result = bn254.msm_g1(bases, scalars)
    seconds = time.perf_counter() - start
    expected = bn254.g1_mul(base, sum((k + 1) * s for k, s in enumerate(scalars)) % bn254.R_MOD)
    return MsmTiming(size=n, backend=_native.BACKEND, seconds=seconds, checked=result == expected)
