"""Comparators with circomlib's semantics (``LessThan(n)`` and friends, ``IsZero``,
``IsEqual``).

As in circomlib, ``less_than(api, n, a, b)`` assumes ``a, b < 2^n`` and does not check it
(n + 1 constraints); use ``api.less_than`` (range-checks its operands) when the operands
are not bounded elsewhere.
"""

from __future__ import annotations

from zkgate.circuits.errors import CircuitError


def _check_n(n: int) -> None:
    if not 1 <= n <= 252:
        raise CircuitError(f"comparators need 1 <= n <= 252, got {n}")


def is_zero(api, x):
    return api.is_zero(x)


def is_equal(api, a, b):
    return api.is_equal(a, b)


def less_than(api, n: int, a, b):
    """1 if a < b (circomlib LessThan(n))."""
    _check_n(n)
    return api.less_than(a, b, n, checked=False)


def less_eq_than(api, n: int, a, b):
    """1 if a <= b (circomlib LessEqThan(n) = LessThan(n) of (a, b + 1))."""
    return less_than(api, n, a, api.add(b, 1))


def greater_than(api, n: int, a, b):
    """1 if a > b (circomlib GreaterThan(n) = LessThan(n) of (b, a))."""
    return less_than(api, n, b, a)


def greater_eq_than(api, n: int, a, b):
    """1 if a >= b (circomlib GreaterEqThan(n) = LessThan(n) of (b, a + 1))."""
    return less_than(api, n, b, api.add(a, 1))


def in_range(api, n: int, x, lo, hi):
    """1 if lo <= x <= hi, for x, lo, hi < 2^n - 1 (two comparators, one product)."""
    return api.mul(greater_eq_than(api, n, x, lo), less_eq_than(api, n, x, hi))


__all__ = ["greater_eq_than", "greater_than", "in_range", "is_equal", "is_zero", "less_eq_than", "less_than"]
