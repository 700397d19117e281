"""Quick built-in benchmarks behind ``zkgate bench`` (the full suites live in benchmarks/)."""

from __future__ import annotations

import secrets
import sys
import time
from dataclasses import dataclass

import click

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
    return MsmTiming(size=n, backend=bn254.BACKEND, seconds=seconds, checked=result == expected)


@click.group()
def bench() -> None:
    """Quick benchmarks of the active backend (full suites: benchmarks/ in the repository)."""


@bench.command("msm")
@click.option("-n", "--size", default=4096, show_default=True, help="Number of G1 terms.")
def bench_msm(size: int) -> None:
    """Time one G1 multi-scalar multiplication and check its result."""
    if size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--size")
    timing = time_msm_g1(size)
    status = "result checked" if timing.checked else "RESULT WRONG"
    click.echo(f"G1 MSM n={timing.size} backend={timing.backend}: {timing.seconds * 1000:.1f} ms ({status})")
    if not timing.checked:
        sys.exit(1)


COMMANDS = [bench]

__all__ = ["COMMANDS", "MsmTiming", "bench", "time_msm_g1"]
