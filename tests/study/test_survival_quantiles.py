"""KAPLAN_MEIER (with Greenwood log(−log) bounds and the log-rank test) against lifelines, and
MEDIAN / PERCENTILE_CONT intervals against numpy, derived from the committed moments."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from zkgate.study.dataset import Schema
from zkgate.study.errors import SpecError
from zkgate.study.question import Aggregate, Between, Question
from zkgate.study.statistics import moments as M
from zkgate.study.statistics import registry
from zkgate.study.statistics.numbers import Null, to_json
from zkgate.study.statistics.special import chi2_sf, normal_quantile
from zkgate.study.statistics.survival import kaplan_meier

SCHEMA = Schema.of(("age", 18, 95), ("diagnosis", 1, 3), ("sbp", 80, 220), ("followup_days", 0, 3650),
                   ("died", 0, 1), ("delta", -300, 300))


def _rows(n: int, seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        age = int(rng.integers(18, 96))
        dx = int(rng.integers(1, 4))
        hazard = 1 / (4000 - 25 * age - 300 * dx)
        t = int(min(3650, rng.exponential(1 / hazard)))
        cens = int(rng.integers(200, 3651))
        out.append({"age": age, "diagnosis": dx, "sbp": int(rng.integers(80, 221)), "followup_days": min(t, cens),
                    "died": int(t <= cens), "delta": int(rng.integers(-300, 301))})
    return out


def _stored(rows):
    return np.array([[r[c] - SCHEMA.column(c).offset for c in SCHEMA.names] for r in rows], dtype=np.int64)


def _derive(q, rows):
    values = M.chunk_values(q, SCHEMA, _stored(rows))
    out = M.derive(q, SCHEMA, values)
    assert to_json(out) == to_json(M.truth(q, SCHEMA, rows))
    return out


def _coarsened(rows, bins):
    w, _ = registry.survival_bins(SCHEMA, "followup_days", bins)
    return np.array([(r["followup_days"] // w + 1) * w for r in rows]), np.array([r["died"] for r in rows])


@pytest.mark.parametrize("bins", [24, 7])
def test_kaplan_meier_matches_lifelines(bins):
    lifelines = pytest.importorskip("lifelines")
    rows = _rows(400, seed=bins)
    q = Question(Between("age", 30, 90), (), (Aggregate("km", "KAPLAN_MEIER", ("followup_days", "died"), (bins,)),))
    km = to_json(_derive(q, rows)["km"])
    sel = [r for r in rows if 30 <= r["age"] <= 90]
    t, e = _coarsened(sel, bins)
    kmf = lifelines.KaplanMeierFitter().fit(t, e)
    ci = kmf.confidence_interval_survival_function_
    checked = 0
    for edge, s, lo, hi in zip(km["time"], km["survival"], km["ci_low"], km["ci_high"]):
        assert s == pytest.approx(float(kmf.survival_function_at_times(edge).iloc[0]), rel=1e-9, abs=1e-12)
        if edge in ci.index and lo is not None:
            assert lo == pytest.approx(ci.loc[edge].iloc[0], rel=1e-9, abs=1e-12)
            assert hi == pytest.approx(ci.loc[edge].iloc[1], rel=1e-9, abs=1e-12)
            checked += 1
    assert checked >= 3


def test_logrank_matches_lifelines_and_groups():
    lifelines = pytest.importorskip("lifelines")
    from lifelines.statistics import multivariate_logrank_test

    rows = _rows(600, seed=5)
    q = Question(None, ("diagnosis",), (Aggregate("km", "KAPLAN_MEIER", ("followup_days", "died"), (24,)),))
    km = to_json(_derive(q, rows)["km"])
    t, e = _coarsened(rows, 24)
    groups = np.array([r["diagnosis"] for r in rows])
    ref = multivariate_logrank_test(t, groups, e)
    assert km["logrank"]["df"] == 2
    assert km["logrank"]["chi2"] == pytest.approx(ref.test_statistic, rel=1e-9)
    assert km["logrank"]["p"] == pytest.approx(ref.p_value, rel=1e-6, abs=1e-12)
    for g in ("1", "2", "3"):
        sel = groups == int(g)
        kmf = lifelines.KaplanMeierFitter().fit(t[sel], e[sel])
        assert km[g]["survival"][10] == pytest.approx(float(kmf.survival_function_at_times(km[g]["time"][10]).iloc[0]))


def test_survival_edges_give_nulls_not_exceptions():
    out = kaplan_meier([10, 20, 30, 40], [0, 2, 0, 0], [0, 0, 0, 0])
    assert isinstance(out["ci_low"][0], Null) and "no events" in out["ci_low"][0].reason
    assert isinstance(out["ci_low"][1], Null) and "S(t) = 0" in out["ci_low"][1].reason
    assert isinstance(out["ci_high"][2], Null) and "empty risk set" in out["ci_high"][2].reason
    assert to_json(out["survival"]) == [1, 0, 0, 0]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("function, params, p", [("MEDIAN", (), 0.5), ("PERCENTILE_CONT", (9, 10), 0.9),
                                                 ("PERCENTILE_CONT", (1, 4, 16), 0.25), ("MEDIAN", (256,), 0.5)])
def test_percentile_interval_contains_numpy(seed, function, params, p):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    rows = _rows(n, seed=100 + seed)
    q = Question(None, (), (Aggregate("q", function, ("delta",), params), Aggregate("s", function, ("sbp",), params)))
    got = to_json(_derive(q, rows))
    for column, alias in (("delta", "q"), ("sbp", "s")):
        x = np.array([r[column] for r in rows])
        true = np.percentile(x, 100 * p)  # numpy's default 'linear' = SQL's PERCENTILE_CONT
        assert got[alias]["low"] <= true <= got[alias]["high"], (column, got[alias], true)


def test_even_median_spanning_two_bins():
    rows = [{"age": 50, "diagnosis": 1, "sbp": 80, "followup_days": 1, "died": 0, "delta": d} for d in (-300, 299)]
    q = Question(None, (), (Aggregate("m", "MEDIAN", ("delta",), (4,)),))
    got = to_json(_derive(q, rows))["m"]
    assert got["low"] == -300 and got["high"] == 300  # the half-integer median -0.5 lies across both bins


def test_kinds_checked_by_name():
    Question(None, (), (Aggregate("m", "MEDIAN", ("sbp",)),)).check(SCHEMA)
    with pytest.raises(SpecError, match="event column 'age' must be declared"):
        Question(None, (), (Aggregate("km", "KAPLAN_MEIER", ("followup_days", "age"), (8,)),)).check(SCHEMA)
    with pytest.raises(SpecError, match="number of time bins"):
        Question(None, (), (Aggregate("km", "KAPLAN_MEIER", ("followup_days", "died"), (300,)),)).check(SCHEMA)
    with pytest.raises(SpecError, match="fraction must lie in"):
        Question(None, (), (Aggregate("p", "PERCENTILE_CONT", ("sbp",), (3, 2)),)).check(SCHEMA)


def test_special_functions():
    assert str(normal_quantile("0.975"))[:32] == "1.959963984540054235524594430520"
    # chi2 with 2 degrees of freedom: exp(-x/2)
    import decimal

    reference = decimal.Context(prec=60).exp(Decimal("-1.5"))
    assert abs(chi2_sf(Decimal(3), 2) - reference) < Decimal(10) ** -45
    scipy_stats = pytest.importorskip("scipy.stats")
    for x, k in ((0.5, 1), (7.7, 3), (12.5, 4), (200, 3), (40, 5)):
        assert float(chi2_sf(Decimal(str(x)), k)) == pytest.approx(scipy_stats.chi2.sf(x, k), rel=1e-9)


def test_quantile_bins_per_study_are_bounded():
    four = tuple(Aggregate(f"m{i}", "MEDIAN", (c,), (128,)) for i, c in enumerate(("sbp", "delta", "age")))
    with pytest.raises(SpecError, match=r"\d+ bins; at most 256 per study"):
        Question(None, (), four).check(SCHEMA)
    Question(None, (), four[:1]).check(SCHEMA)
