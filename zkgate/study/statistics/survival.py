"""Kaplan–Meier with the Greenwood confidence interval in log(−log) form, and the log-rank test, from
binned event and censoring counts (exact rationals where the result is rational, :mod:`decimal` at 50
digits otherwise — see :mod:`zkgate.study.statistics.numbers`).

Conventions (those of lifelines on times coarsened to the bin's upper edge): the risk set of bin b is
everyone not yet out before b; within a bin, events come before censorings; S(t_b) = Π_{j≤b} (1 − d_j/n_j);
Greenwood's sum c_b = Σ_{j≤b} d_j / (n_j (n_j − d_j)); with v = log S and z = Φ⁻¹(0.975), the bounds are
exp(−exp(log(−v) ± z·√c / v)).  S ∈ {0, 1} and an empty risk set give ``null`` bounds with a reason.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

from zkgate.study.statistics.linalg import solve
from zkgate.study.statistics.numbers import PRECISION, Approx, Exact, Null, display, exact
from zkgate.study.statistics.special import chi2_sf, normal_quantile

CONFIDENCE = "0.975"  # z = Φ⁻¹(0.975): the two-sided 95% interval


def _ctx() -> decimal.Context:
    return decimal.Context(prec=PRECISION + 10, rounding=decimal.ROUND_HALF_EVEN)


def _dec(f: Fraction, ctx: decimal.Context) -> Decimal:
    return ctx.divide(Decimal(f.numerator), Decimal(f.denominator))


def kaplan_meier(times: list[int], events: list[int], censored: list[int]) -> dict:
    n_total = sum(events) + sum(censored)
    ctx = _ctx()
    z = normal_quantile(CONFIDENCE)
    surv, low, high = [], [], []
    s = Fraction(1)
    greenwood = Fraction(0)
    at_risk = n_total
    for d, c in zip(events, censored):
        if at_risk == 0:
            surv.append(Exact(s))
            low.append(Null("empty risk set"))
            high.append(Null("empty risk set"))
            continue
        s *= Fraction(at_risk - d, at_risk)
        if at_risk > d:
            greenwood += Fraction(d, at_risk * (at_risk - d))
        surv.append(Exact(s))
        if s == 1 or s == 0:
            reason = "S(t) = 1: no events yet" if s == 1 else "S(t) = 0: everyone at risk had the event"
            low.append(Null(reason))
            high.append(Null(reason))
        else:
            v = ctx.ln(_dec(s, ctx))
            spread = ctx.divide(ctx.multiply(z, ctx.sqrt(_dec(greenwood, ctx))), v)  # negative
            base = ctx.ln(ctx.minus(v))
            lo = ctx.exp(ctx.minus(ctx.exp(ctx.subtract(base, spread))))
            hi = ctx.exp(ctx.minus(ctx.exp(ctx.add(base, spread))))
            lo, hi = min(lo, hi), max(lo, hi)
            low.append(Approx(display(lo)))
            high.append(Approx(display(hi)))
        at_risk -= d + c
    return {"time": [exact(t) for t in times], "survival": surv, "ci_low": low, "ci_high": high}


def logrank(groups: dict[str, tuple[list[int], list[int]]]) -> dict:
    """The log-rank test across groups with at least one record: (O − E)ᵀ V⁻¹ (O − E) over all but the
    last group, exact; df = groups − 1; p = P(χ²_df > statistic)."""
    live = {g: (e, c) for g, (e, c) in groups.items() if sum(e) + sum(c) > 0}
    if len(live) < 2:
        return {"chi2": Null("fewer than two groups with records"), "df": Null("fewer than two groups with records"),
                "p": Null("fewer than two groups with records")}
    names = list(live)
    k = len(names)
    nb = len(next(iter(live.values()))[0])
    at_risk = {g: sum(live[g][0]) + sum(live[g][1]) for g in names}
    observed = [Fraction(0)] * k
    expected = [Fraction(0)] * k
    cov = [[Fraction(0)] * k for _ in range(k)]
    for b in range(nb):
        n = sum(at_risk.values())
        d = sum(live[g][0][b] for g in names)
        if n > 0 and d > 0:
            for i, g in enumerate(names):
                observed[i] += live[g][0][b]
                expected[i] += Fraction(at_risk[g] * d, n)
            if n > 1:
                f = Fraction(d * (n - d), n - 1)
                for i, gi in enumerate(names):
                    for j, gj in enumerate(names):
                        share = Fraction(at_risk[gi], n)
                        cov[i][j] += f * share * ((1 if i == j else 0) - Fraction(at_risk[gj], n))
        for g in names:
            at_risk[g] -= live[g][0][b] + live[g][1][b]
    diff = [o - e for o, e in zip(observed, expected)][:-1]
    solved = solve([row[:-1] for row in cov[:-1]], diff)
    if solved is None:
        return {"chi2": Null("singular variance: no events at risk in several groups"), "df": exact(k - 1),
                "p": Null("singular variance")}
    stat = sum(a * b for a, b in zip(diff, solved[0]))
    ctx = _ctx()
    p = chi2_sf(_dec(stat, ctx), k - 1)
    return {"chi2": Exact(stat), "df": exact(k - 1), "p": Approx(display(p))}


__all__ = ["CONFIDENCE", "kaplan_meier", "logrank"]
