"""Exact linear algebra over the rationals (normal equations, the log-rank variance)."""

from __future__ import annotations

from fractions import Fraction


def solve(a: list[list[Fraction]], b: list[Fraction]) -> tuple[list[Fraction], list[list[Fraction]]] | None:
    """Exact Gauss–Jordan: (a⁻¹b, a⁻¹), or None when a is singular."""
    n = len(a)
    m = [row[:] + [b[i]] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(a)]
    for col in range(n):
        piv = next((r for r in range(col, n) if m[r][col] != 0), None)
        if piv is None:
            return None
        m[col], m[piv] = m[piv], m[col]
        p = m[col][col]
        m[col] = [v / p for v in m[col]]
        for r in range(n):
            if r != col and m[r][col] != 0:
                f = m[r][col]
                m[r] = [v - f * w for v, w in zip(m[r], m[col])]
    return [m[i][n] for i in range(n)], [m[i][n + 1 :] for i in range(n)]


__all__ = ["solve"]
