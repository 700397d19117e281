"""The contribution circuit's binned moments (issue 20): ``bins`` (MEDIAN / PERCENTILE_CONT, the bin read
from the value's bits) and ``surv`` (KAPLAN_MEIER: events and censorings per time bin, the bin pinned by
two range checks), with and without GROUP BY.

Completeness: the committed coordinates equal the numpy twin and, derived, the plain truth.
Soundness: each released coordinate shifted by ±1 fails; a record's hinted bin or event kind moved
fails."""

from __future__ import annotations

import numpy as np
import pytest

from testsupport import chunk_inputs, draft_spec
from zkgate.circuits import UnsatisfiedConstraintError, compile_circuit
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.study import circuit as circuit_module
from zkgate.study import gadgets
from zkgate.study.circuit import compile_contribution
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.question import Aggregate, Between, Question
from zkgate.study.spec import StudySpec
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json

SCHEMA = Schema.of(("age", 0, 15), ("dx", 1, 2), ("days", 0, 99), ("died", 0, 1), ("temp", -8, 7))
CAPACITY = 6
Z = b"\x00" * 32
A = Aggregate

QUESTIONS = {
    "median": Question(None, (), (A("m", "MEDIAN", ("temp",), (4,)), A("p", "PERCENTILE_CONT", ("age",), (9, 10, 8)))),
    "km": Question(Between("age", 1, 14), (), (A("km", "KAPLAN_MEIER", ("days", "died"), (7,)),)),  # width 15
    "km-groups": Question(None, ("dx",), (A("n", "COUNT", ()), A("km", "KAPLAN_MEIER", ("days", "died"), (4,)),
                                          A("m", "MEDIAN", ("age",), (4,)))),  # width 25, 4 age bins of 4
}


def make_rows(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, 16, n), rng.integers(1, 3, n), rng.integers(0, 100, n), rng.integers(0, 2, n),
                     rng.integers(-8, 8, n)], axis=1)


@pytest.fixture(scope="module")
def data() -> DatasetCommitment:
    return DatasetCommitment(Dataset.from_array(SCHEMA, make_rows(11, 9)), CAPACITY)  # 2 chunks; the last padded


def spec_of(question: Question) -> StudySpec:
    return draft_spec(question, SCHEMA, CAPACITY)


def inputs(spec, com, k, values=None, rho=None):
    return chunk_inputs(spec, com, k, values, rho)


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_circuit_equals_the_twin_and_the_truth(name, data):
    spec = spec_of(QUESTIONS[name])
    c = compile_contribution(spec.shape())
    total = None
    for k in range(data.n_chunks):
        s, _, inp = inputs(spec, data, k)
        c.solve(inp)
        total = s if total is None else [a + b for a, b in zip(total, s)]
    rows = [dict(zip(SCHEMA.names, map(int, r))) for r in make_rows(11, 9).tolist()]
    assert to_json(spec.derive(total)) == to_json(moments.truth(spec.question, SCHEMA, rows))


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_each_binned_coordinate_shifted_by_one_fails(name, data):
    spec = spec_of(QUESTIONS[name])
    c = compile_contribution(spec.shape())
    s, rho, _ = inputs(spec, data, 0)
    names = spec.value_names()
    picked = [j for j, label in enumerate(names) if any(t in label for t in ("bins(", "events(", "censored("))]
    assert picked
    for j in picked[:: max(1, len(picked) // 6)]:
        for delta in (1, -1):
            bad = list(s)
            bad[j] = (bad[j] + delta) % L
            _, _, inp = inputs(spec, data, 0, values=bad, rho=rho)
            with pytest.raises(UnsatisfiedConstraintError):
                c.solve(inp)


_HONEST = moments._bucket_counts


def _moving_first_lookup():
    """A hint that, in the circuit's first lookup only, claims one record in the next bucket."""
    calls = []

    def fake(*args, n):
        honest = _HONEST(*args, n=n)
        calls.append(1)
        if len(calls) > 1:
            return honest
        j = next(i for i, h in enumerate(honest) if h)
        moved = list(honest)
        moved[j] -= 1
        moved[(j + 1) % len(moved)] += 1
        return moved

    return fake


def test_a_record_claimed_in_another_bucket_fails(monkeypatch, data):
    """A prover that hints other bucket counts and commits to exactly those (so the commitment opens)
    fails the lookup identity."""
    for name in ("median", "km", "km-groups"):
        spec = spec_of(QUESTIONS[name])
        s, rho, _ = inputs(spec, data, 0)
        first = next(m for m in spec.moments() if m.kind in ("bins", "surv"))
        col = first.columns[0]
        tokens = (f"events({col})", f"censored({col})") if first.kind == "surv" else (f"bins({col})",)
        positions = [j for j, label in enumerate(spec.value_names()) if any(t in label for t in tokens)]
        j = next(i for i, pos in enumerate(positions) if s[pos])
        bad = list(s)  # the coordinates the moved hint makes the circuit commit to
        bad[positions[j]] -= 1
        bad[positions[(j + 1) % len(positions)]] += 1
        monkeypatch.setattr(moments, "_bucket_counts", _moving_first_lookup())
        c = compile_circuit(circuit_module.contribution_circuit, cache=False, src=gadgets.source_digest() + "/moved",
                            **spec.shape().params())
        with pytest.raises(UnsatisfiedConstraintError):
            c.solve(inputs(spec, data, 0, values=bad, rho=rho)[2])
        monkeypatch.setattr(moments, "_bucket_counts", _HONEST)


def test_lookup_costs_one_constraint_per_record_and_bucket():
    """Marginal cost of a MEDIAN over 64 bins under a 2-cell GROUP BY: one division per record (the
    one-hot alternative costs cells × bins = 128 booleans per record)."""
    def n(question, capacity):
        spec = StudySpec(**{**spec_of(question).__dict__, "capacity": capacity, "_cache": {}})
        return compile_contribution(spec.shape()).r1cs.n_constraints

    base = Question(None, ("dx",), (A("n", "COUNT", ()),))
    med = Question(None, ("dx",), (A("n", "COUNT", ()), A("m", "MEDIAN", ("days",), (64,))))
    # capacities 8 and 15: the same coordinate widths (4 bits), so only the per-record work differs
    per_record = ((n(med, 15) - n(base, 15)) - (n(med, 8) - n(base, 8))) / 7
    assert per_record <= 1.5
