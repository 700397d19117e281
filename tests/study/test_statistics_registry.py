"""The statistics registry against independent implementations (numpy, statsmodels), exactly where
the result is rational, within 1e-9 relative / 1e-12 absolute where it is irrational."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from zkgate.study.dataset import Schema
from zkgate.study.errors import SpecError
from zkgate.study.question import Aggregate, And, Between, Compare, InSet, Not, Or, Question, evaluate
from zkgate.study.statistics import moments as M
from zkgate.study.statistics import registry
from zkgate.study.statistics.numbers import Approx, Exact, Null, to_json

SCHEMA = Schema.of(("age", 18, 95), ("sex", 0, 1), ("diagnosis", 1, 4), ("bmi", 15, 50), ("sbp", 80, 220),
                   ("chol", 100, 350), ("delta", -20, 20))


def _rows(n: int, seed: int = 7) -> list[dict[str, int]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        age = int(rng.integers(18, 96))
        bmi = int(rng.integers(15, 51))
        chol = int(np.clip(120 + age + 2 * bmi + rng.normal(0, 20), 100, 350))
        out.append({"age": age, "sex": int(rng.integers(0, 2)), "diagnosis": int(rng.integers(1, 5)), "bmi": bmi,
                    "sbp": int(rng.integers(80, 221)), "chol": chol, "delta": int(rng.integers(-20, 21))})
    return out


def _stored(rows):
    return np.array([[r[c] - SCHEMA.column(c).offset for c in SCHEMA.names] for r in rows], dtype=np.int64)


def _close(a, b):
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


PRED = And((Between("age", 40, 75), Or((Compare("sex", "=", 1), InSet("diagnosis", (2, 3)))), Not(Compare("bmi", "<", 18))))


def test_twin_equals_truth_and_numpy():
    q = Question(PRED, (), (
        Aggregate("n", "COUNT", ()), Aggregate("s", "SUM", ("delta",)), Aggregate("m", "AVG", ("delta",)),
        Aggregate("vp", "VAR_POP", ("chol",)), Aggregate("vs", "VAR_SAMP", ("chol",)),
        Aggregate("sd", "STDDEV_SAMP", ("chol",)), Aggregate("cp", "COVAR_POP", ("age", "delta")),
        Aggregate("cs", "COVAR_SAMP", ("age", "chol")), Aggregate("r", "CORR", ("age", "chol")),
        Aggregate("slope", "REGR_SLOPE", ("chol", "age")), Aggregate("icpt", "REGR_INTERCEPT", ("chol", "age")),
        Aggregate("r2", "REGR_R2", ("chol", "age")), Aggregate("rc", "REGR_COUNT", ("chol", "age")),
        Aggregate("h", "HISTOGRAM", ("delta",), (-20, -5, 0, 5, 21)),
    ))
    q.check(SCHEMA)
    rows = _rows(700)
    derived = M.derive(q, SCHEMA, M.chunk_values(q, SCHEMA, _stored(rows)))
    assert to_json(derived) == to_json(M.truth(q, SCHEMA, rows))
    sel = [r for r in rows if evaluate(PRED, r)]
    chol = np.array([r["chol"] for r in sel], float)
    age = np.array([r["age"] for r in sel], float)
    delta = np.array([r["delta"] for r in sel])
    assert derived["n"] == Exact(Fraction(len(sel)))
    assert derived["s"] == Exact(Fraction(int(delta.sum())))
    assert derived["m"] == Exact(Fraction(int(delta.sum()), len(sel)))
    _close(to_json(derived["vp"]), np.var(chol))
    _close(to_json(derived["vs"]), np.var(chol, ddof=1))
    assert isinstance(derived["sd"], Approx)
    _close(to_json(derived["sd"]), np.std(chol, ddof=1))
    _close(to_json(derived["cp"]), np.cov(age, delta, ddof=0)[0, 1])
    _close(to_json(derived["cs"]), np.cov(age, chol, ddof=1)[0, 1])
    _close(to_json(derived["r"]), np.corrcoef(age, chol)[0, 1])
    slope, icpt = np.polyfit(age, chol, 1)
    _close(to_json(derived["slope"]), slope)
    _close(to_json(derived["icpt"]), icpt)
    _close(to_json(derived["r2"]), np.corrcoef(age, chol)[0, 1] ** 2)
    assert to_json(derived["rc"]) == len(sel)
    assert to_json(derived["h"]) == list(np.histogram(delta, bins=[-20, -5, 0, 5, 21])[0])


def test_ols_matches_statsmodels_per_group():
    sm = pytest.importorskip("statsmodels.api")
    q = Question(Between("age", 30, 90), ("diagnosis",), (Aggregate("fit", "OLS", ("chol", "age", "bmi", "sex", "delta")),))
    q.check(SCHEMA)
    rows = _rows(900, seed=3)
    derived = M.derive(q, SCHEMA, M.chunk_values(q, SCHEMA, _stored(rows)))
    assert to_json(derived) == to_json(M.truth(q, SCHEMA, rows))
    for d in range(1, 5):
        sel = [r for r in rows if 30 <= r["age"] <= 90 and r["diagnosis"] == d]
        X = sm.add_constant(np.array([[r["age"], r["bmi"], r["sex"], r["delta"]] for r in sel], float))
        fit = sm.OLS(np.array([r["chol"] for r in sel], float), X).fit()
        got = to_json(derived["fit"][str(d)])
        for a, b in zip(got["coef"], fit.params):
            _close(a, b)
        for a, b in zip(got["se"], fit.bse):
            _close(a, b)
        _close(got["r2"], fit.rsquared)
        assert got["n"] == len(sel)


def test_nulls_never_raise():
    q = Question(Compare("age", "=", 18), ("sex",), (
        Aggregate("m", "AVG", ("chol",)), Aggregate("v", "VAR_SAMP", ("chol",)), Aggregate("r", "CORR", ("age", "chol")),
        Aggregate("fit", "OLS", ("chol", "age")), Aggregate("slope", "REGR_SLOPE", ("chol", "age")),
    ))
    rows = [{**r, "age": 18, "sex": 0} for r in _rows(5)]
    derived = M.derive(q, SCHEMA, M.chunk_values(q, SCHEMA, _stored(rows)))
    empty, constant_age = derived["m"]["1"], derived["r"]["0"]
    assert isinstance(empty, Null) and "empty" in empty.reason
    assert isinstance(constant_age, Null) and "age" in constant_age.reason
    assert isinstance(derived["fit"]["0"], Null) and isinstance(derived["slope"]["0"], Null)
    assert isinstance(derived["v"]["1"], Null)


def test_declared_units_with_negative_offsets():
    q = Question(None, (), (Aggregate("s", "SUM", ("delta",)), Aggregate("cp", "COVAR_POP", ("delta", "delta")),
                            Aggregate("h", "HISTOGRAM", ("delta",), (-20, 0, 21))))
    rows = _rows(50)
    derived = M.derive(q, SCHEMA, M.chunk_values(q, SCHEMA, _stored(rows)))
    d = np.array([r["delta"] for r in rows])
    assert to_json(derived["s"]) == int(d.sum())
    _close(to_json(derived["cp"]), np.var(d))
    assert to_json(derived["h"]) == [int((d < 0).sum()), int((d >= 0).sum())]


@pytest.mark.parametrize("question, words", [
    (Question(Compare("age", "=", 200), (), (Aggregate("n", "COUNT", ()),)), ["200", "age", "declared range"]),
    (Question(None, ("age",), (Aggregate("n", "COUNT", ()),)), ["age", "64"]),
    (Question(None, (), (Aggregate("n", "MEDIANISH", ()),)), ["MEDIANISH", "supported"]),
    (Question(None, (), (Aggregate("n", "COUNT", ()), Aggregate("n", "SUM", ("age",)))), ["distinct"]),
    (Question(InSet("sbp", tuple(range(80, 97))), (), (Aggregate("n", "COUNT", ()),)), ["IN", "16"]),
    (Question(None, (), (Aggregate("f", "OLS", ("chol", *["age"] * 2)),)), ["distinct"]),
    (Question(None, (), (Aggregate("x", "AVG", ("weight",)),)), ["weight", "unknown column"]),
    (Question(None, (), (Aggregate("h", "HISTOGRAM", ("age",), (10, 50)),)), ["edges", "age"]),
])
def test_refusals_name_the_problem(question, words):
    with pytest.raises(SpecError) as err:
        question.check(SCHEMA)
    for w in words:
        assert w in str(err.value)


def test_coordinate_limit_names_the_product():
    wide = Schema.of(*[(f"c{i}", 0, 15) for i in range(12)], ("g1", 0, 15), ("g2", 0, 15))
    q = Question(None, ("g1", "g2"), (Aggregate("f", "OLS", tuple(f"c{i}" for i in range(9))),))
    with pytest.raises(SpecError, match="cells × .* coordinates"):
        q.check(wide)


def test_round_trip_canonical_form():
    q = Question(PRED, ("diagnosis", "sex"), (Aggregate("h", "HISTOGRAM", ("sbp",), (80, 120, 221)),), sql="SELECT ...")
    assert Question.from_obj(q.to_obj()) == q
    assert registry.kind("OLS").functions == ("OLS",)
    assert q.constants(SCHEMA)[:2] == [40, 75]


def test_he_slot_limit_counts_limbs():
    """cells × statistics fit 2,048, but large sums split into limbs exceed it: refused naming the product."""
    from zkgate.study.spec import Participant, StudySpec

    big = Schema.of(("g1", 0, 15), ("g2", 0, 15), ("x", 0, (1 << 20) - 1), ("y", 0, (1 << 20) - 1))
    q = Question(None, ("g1", "g2"), (Aggregate("c", "CORR", ("x", "y")),))
    q.check(big)
    assert q.n_coordinates(big) == 1536
    z = b"\x00" * 32
    spec = StudySpec(title="q", schema=big, capacity=1024, question=q,
                     participants=tuple(Participant(f"p{i}", 5, 100, b"\x01" * 32) for i in range(50)), quorum=1,
                     deadline=10**10, he_preset="bfv-4096", he_key_id=z, he_context_digest=z, vk_hash=z,
                     transcript_hash=z, gateway_key=z, key_holder_key=z, nonce=b"\x00" * 16)
    with pytest.raises(SpecError, match=r"256 cell\(s\) × 6 statistic\(s\) × limbs = 2816"):
        spec.layout()
