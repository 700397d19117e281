"""Quantile refinement chains (issue 20): MEDIAN / PERCENTILE_CONT on a 12-bit column, refined round after
round (each follow-up = the parent's filter AND the window, PERCENTILE_REFINE with the parent's counts)
until the interval is one unit wide; numpy's percentile stays inside every interval; the windowed
histogram is proven by the contribution circuit (twin = circuit, ±1 fails)."""

from __future__ import annotations

import secrets

import numpy as np
import pytest

from zkgate.circuits import UnsatisfiedConstraintError
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.study.circuit import chunk_statistics, circuit_inputs, commit, compile_contribution
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.errors import SpecError
from zkgate.study.question import Aggregate, Between, Question
from zkgate.study.spec import Participant, StudySpec
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import Null, to_json
from zkgate.study.statistics.refine import refine, with_sql

SCHEMA = Schema.of(("age", 18, 95), ("dx", 1, 3), ("level", -1000, 3095))  # level: 12 bits stored
Z = b"\x00" * 32


def _rows(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return [{"age": int(rng.integers(18, 96)), "dx": int(rng.integers(1, 4)),
             "level": int(np.clip(rng.normal(900, 600), -1000, 3095))} for _ in range(n)]


def _values(q, rows):
    stored = np.array([[r[c] - SCHEMA.column(c).offset for c in SCHEMA.names] for r in rows], dtype=np.int64)
    return moments.chunk_values(q, SCHEMA, stored)


@pytest.mark.parametrize("max_bins", [64, 8])
@pytest.mark.parametrize("seed, alias_fn, p, group", [
    (1, ("MEDIAN", ()), 0.5, None),
    (2, ("PERCENTILE_CONT", (9, 10)), 0.9, None),
    (3, ("MEDIAN", ()), 0.5, "2"),
    (4, ("PERCENTILE_CONT", (1, 4)), 0.25, None),
])
def test_chains_reach_unit_width(seed, alias_fn, p, group, max_bins):
    rows = _rows(int(np.random.default_rng(seed).integers(40, 400)), seed)
    function, params = alias_fn
    groups = ("dx",) if group else ()
    q = Question(Between("age", 25, 90), groups, (Aggregate("q", function, ("level",), params),))
    q.check(SCHEMA)
    sel = [r for r in rows if 25 <= r["age"] <= 90 and (group is None or str(r["dx"]) == group)]
    true = np.percentile([r["level"] for r in sel], 100 * p)
    values = _values(q, rows)
    widths = []
    for _ in range(4):
        result = to_json(moments.derive(q, SCHEMA, values))["q"]
        result = result[group] if group and not q.aggregates[0].function == "PERCENTILE_REFINE" else result
        assert result["low"] <= true <= result["high"], (result, true)
        widths.append(result["high"] - result["low"] + 1)
        try:
            follow = refine(q, SCHEMA, values, "q", group=group if not widths[1:] else None, max_bins=max_bins)
        except SpecError as exc:
            assert "already exact" in str(exc)
            break
        follow = with_sql(follow, SCHEMA)
        assert follow.sql.startswith("SELECT PERCENTILE_REFINE(level")
        q, values = follow, _values(follow, rows)
        assert to_json(moments.derive(q, SCHEMA, values))["q"]["count"] == follow.aggregates[0].params[5]
    assert len(widths) == (2 if max_bins == 64 else 3), widths  # 64-wide bins, (8-wide,) then unit bins
    assert result["value"] == pytest.approx(true, rel=1e-12, abs=1e-12)  # exact once the bins are one unit wide


def test_a_follow_up_over_other_records_is_null():
    rows = _rows(200, 7)
    q = Question(None, (), (Aggregate("m", "MEDIAN", ("level",)),))
    follow = refine(q, SCHEMA, _values(q, rows), "m")
    other = _values(follow, rows[:150])  # records missing: the window's count differs from the parent's
    got = moments.derive(follow, SCHEMA, other)["m"]
    assert isinstance(got, Null) and "not the same records" in got.reason


def test_refusals():
    rows = _rows(50, 8)
    q = Question(None, ("dx",), (Aggregate("m", "MEDIAN", ("level",)), Aggregate("n", "COUNT", ())))
    v = _values(q, rows)
    with pytest.raises(SpecError, match="name the group"):
        refine(q, SCHEMA, v, "m")
    with pytest.raises(SpecError, match="not a quantile"):
        refine(q, SCHEMA, v, "n", group="1")
    with pytest.raises(SpecError, match="no result named"):
        refine(q, SCHEMA, v, "zz", group="1")
    bad = Question(None, (), (Aggregate("r", "PERCENTILE_REFINE", ("level",), (1, 2, 0, 63, 10, 5, 30)),))
    with pytest.raises(SpecError, match="BETWEEN"):
        bad.check(SCHEMA)


def test_windowed_histogram_in_the_circuit():
    rows = _rows(10, 9)
    q = Question(None, (), (Aggregate("m", "MEDIAN", ("level",), (8,)),))
    follow = refine(q, SCHEMA, _values(q, rows), "m", max_bins=16)
    spec = StudySpec(title="refine", schema=SCHEMA, capacity=12, question=follow,
                     participants=(Participant("a", 5, 1, b"\x01" * 32),), quorum=1, deadline=10**10,
                     he_preset="bfv-4096", he_key_id=Z, he_context_digest=Z, vk_hash=Z, transcript_hash=Z,
                     gateway_key=Z, key_holder_key=Z, nonce=b"\x00" * 16)
    com = DatasetCommitment(Dataset.from_rows(SCHEMA, [[r[c] for c in SCHEMA.names] for r in rows]), 12)
    c = compile_contribution(spec.shape())
    s = chunk_statistics(spec, com.chunk_rows(0))
    assert sum(s[1:]) == s[0] == follow.aggregates[0].params[5]
    rho = secrets.randbelow(L)

    def solve(values):
        return c.solve(circuit_inputs(spec, com.chunk_elements[0], com.chunk_salts[0], com.chunk_roots[0], rho,
                                      commit(values, rho)))

    solve(s)
    for j in (1, len(s) - 1):
        for d in (1, -1):
            bad = list(s)
            bad[j] = (bad[j] + d) % L
            with pytest.raises(UnsatisfiedConstraintError):
                solve(bad)
