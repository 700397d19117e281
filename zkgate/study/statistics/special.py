"""Special functions in :mod:`decimal` (every operation through an explicit context: a unary minus
would round to the thread's default 28 digits) (the normal quantile, erfc, the chi-squared tail), so that every
verifier computes the same digits of a p-value or a confidence bound.

Precision: :data:`zkgate.study.statistics.numbers.PRECISION` significant digits, with guard digits
where a series cancels; results are shown to 15 significant digits, far below the error.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from functools import lru_cache

from zkgate.study.statistics.numbers import PRECISION

GUARD = 20


def _ctx(extra: int = GUARD) -> decimal.Context:
    return decimal.Context(prec=PRECISION + extra, rounding=decimal.ROUND_HALF_EVEN, Emax=10**9, Emin=-10**9)


@lru_cache(maxsize=16)
def pi(extra: int = GUARD) -> Decimal:
    """π by Machin's formula, to PRECISION + extra digits."""
    ctx = _ctx(extra)

    def arctan_inv(n: int) -> Decimal:
        x = ctx.divide(Decimal(1), Decimal(n))
        x2 = ctx.multiply(x, x)
        term, total, k = x, x, 1
        while True:
            term = ctx.multiply(term, ctx.minus(x2))
            add = ctx.divide(term, Decimal(2 * k + 1))
            if add == 0 or abs(add) < Decimal(10) ** -(PRECISION + extra):
                return total
            total = ctx.add(total, add)
            k += 1

    return ctx.multiply(Decimal(4), ctx.subtract(ctx.multiply(Decimal(4), arctan_inv(5)), arctan_inv(239)))


def erf(x: Decimal, extra: int | None = None) -> Decimal:
    """erf(x) by its Maclaurin series, with enough guard digits for the cancellation (about x²/ln 10)."""
    if extra is None:
        extra = GUARD + int(float(x) ** 2 / 2.302585) + 5
    ctx = _ctx(extra)
    x = ctx.plus(x)
    x2 = ctx.multiply(x, x)
    term, total, n = x, x, 0
    eps = Decimal(10) ** -(PRECISION + extra)
    while True:
        n += 1
        term = ctx.divide(ctx.multiply(term, ctx.minus(x2)), Decimal(n))
        add = ctx.divide(term, Decimal(2 * n + 1))
        total = ctx.add(total, add)
        if abs(add) < eps:
            break
    return ctx.multiply(ctx.divide(Decimal(2), ctx.sqrt(pi(extra))), total)


def erfc(x: Decimal) -> Decimal:
    """1 − erf(x), with guard digits for both the series and the subtraction (erfc(x) ≈ e^{−x²})."""
    extra = GUARD + 2 * int(float(x) ** 2 / 2.302585) + 10 if x > 0 else GUARD
    ctx = _ctx(extra)
    return _ctx(0).plus(ctx.subtract(Decimal(1), erf(x, extra)))


def normal_cdf(z: Decimal) -> Decimal:
    ctx = _ctx()
    return ctx.multiply(Decimal("0.5"), erfc(ctx.divide(ctx.minus(z), ctx.sqrt(Decimal(2)))))


@lru_cache(maxsize=8)
def normal_quantile(p: str) -> Decimal:
    """Φ⁻¹(p) for a probability given as a decimal string (Newton's method from a float start)."""
    from statistics import NormalDist

    ctx = _ctx()
    target = Decimal(p)
    z = Decimal(repr(NormalDist().inv_cdf(float(p))))
    sqrt2pi = ctx.sqrt(ctx.multiply(Decimal(2), pi()))
    for _ in range(100):
        density = ctx.divide(ctx.exp(ctx.divide(ctx.minus(ctx.multiply(z, z)), Decimal(2))), sqrt2pi)
        step = ctx.divide(ctx.subtract(normal_cdf(z), target), density)
        z = ctx.subtract(z, step)
        if abs(step) < Decimal(10) ** -(PRECISION + 5):
            break
    return _ctx(0).plus(z)


def chi2_sf(x: Decimal, df: int) -> Decimal:
    """P(χ²_df > x) for an integer df ≥ 1 (closed forms of the regularised upper incomplete gamma)."""
    if df < 1:
        raise ValueError("df must be a positive integer")
    if x <= 0:
        return Decimal(1)
    ctx = _ctx(GUARD + 10)
    half = ctx.divide(x, Decimal(2))
    e = ctx.exp(ctx.minus(half))
    if df % 2 == 0:
        term, total = Decimal(1), Decimal(1)
        for i in range(1, df // 2):
            term = ctx.divide(ctx.multiply(term, half), Decimal(i))
            total = ctx.add(total, term)
        return ctx.multiply(e, total)
    out = erfc(ctx.sqrt(half))
    # + e^{-x/2} Σ_{i=1}^{(df-1)/2} (x/2)^{i-1/2} / Γ(i+1/2),   Γ(i+1/2) = Γ(i-1/2)·(i-1/2)
    term = ctx.divide(ctx.sqrt(half), ctx.divide(ctx.sqrt(pi()), Decimal(2)))  # (x/2)^{1/2} / Γ(3/2)
    total = Decimal(0)
    for i in range(1, (df - 1) // 2 + 1):
        if i > 1:
            term = ctx.divide(ctx.multiply(term, half), Decimal(i) - Decimal("0.5"))
        total = ctx.add(total, term)
    return ctx.add(out, ctx.multiply(e, total))


__all__ = ["chi2_sf", "erf", "erfc", "normal_cdf", "normal_quantile", "pi"]
