"""Disclosure-control policy (zkgate.study.policy): each rule refuses by name, overlap is exact."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from zkgate import safejson
from zkgate.study.dataset import Schema
from zkgate.study.policy import (
    DAY,
    AnsweredStudy,
    DisclosurePolicy,
    PolicyError,
    difference_records,
    evaluate_policy,
    overlap,
    predicate_mask,
    question_columns,
)
from zkgate.study.question import Aggregate, And, Between, Compare, InSet, Not, Or, Question, evaluate

SCHEMA = Schema.of(("age", 0, 120), ("sex", 0, 1), ("diagnosis", 0, 3), ("bmi", 10, 60))
NOW = 1_800_000_000


def q(pred=None, group_by=(), aggs=None):
    return Question(pred, tuple(group_by), tuple(aggs or (Aggregate("n", "COUNT", ()),)))


def test_permissive_default_accepts():
    v = evaluate_policy(DisclosurePolicy(), q(Between("age", 40, 65)), SCHEMA, min_cell_size=0, now=NOW)
    assert v.accepted and v.violations == ()


def test_each_rule_refuses_by_name():
    policy = DisclosurePolicy(forbidden_columns=("bmi",), max_cells=4, max_bins=3, min_cell_size=5)
    question = q(Compare("bmi", ">=", 30), ("diagnosis", "sex"),
                 [Aggregate("n", "COUNT", ()), Aggregate("h", "HISTOGRAM", ("age",), (0, 20, 40, 60, 121))])
    v = evaluate_policy(policy, question, SCHEMA, min_cell_size=3, now=NOW)
    assert [x.rule for x in v.violations] == ["forbidden_columns", "max_cells", "max_bins", "min_cell_size"]
    assert "'bmi'" in str(v.violations[0]) and "8 cells" in str(v.violations[1]) and "4 bins" in str(v.violations[2])
    assert "k >= 5" in v.refusal()
    # the same question within every limit
    ok = DisclosurePolicy(max_cells=8, max_bins=4, min_cell_size=3)
    assert evaluate_policy(ok, question, SCHEMA, min_cell_size=3, now=NOW).accepted
    assert question_columns(question) == {"bmi", "diagnosis", "sex", "age"}


def test_studies_per_period():
    policy = DisclosurePolicy(max_studies_per_period=2, period_days=7)
    hist = [AnsweredStudy("a" * 64, NOW - 8 * DAY, SCHEMA.digest().hex(), q(Compare("sex", "=", 1))),
            AnsweredStudy("b" * 64, NOW - 2 * DAY, SCHEMA.digest().hex(), q(Compare("sex", "=", 0)))]
    assert evaluate_policy(policy, q(), SCHEMA, min_cell_size=0, history=hist, now=NOW).accepted  # one in the window
    hist.append(AnsweredStudy("c" * 64, NOW - DAY, SCHEMA.digest().hex(), q(Compare("diagnosis", "=", 1))))
    v = evaluate_policy(policy, q(), SCHEMA, min_cell_size=0, history=hist, now=NOW)
    assert [x.rule for x in v.violations] == ["max_studies_per_period"]
    # reviewing a study already recorded is not a further study
    assert evaluate_policy(policy, q(), SCHEMA, min_cell_size=0, history=hist, now=NOW, study_id="c" * 64).accepted


def test_overlap_is_exact_jaccard_over_the_declared_domain():
    assert overlap(Between("age", 40, 65), Between("age", 40, 66), SCHEMA) == Fraction(26, 27)
    assert overlap(Between("age", 40, 65), Between("age", 40, 65), SCHEMA) == 1
    assert overlap(None, Compare("age", "<>", 66), SCHEMA) == Fraction(120, 121)
    assert overlap(Compare("sex", "=", 1), Compare("sex", "=", 0), SCHEMA) == 0
    # two columns: (age 40..65) vs (age 40..65 AND sex = 1) -> half
    assert overlap(Between("age", 40, 65), And((Between("age", 40, 65), Compare("sex", "=", 1))), SCHEMA) == Fraction(1, 2)
    # IN / NOT / OR agree with a brute-force count over the whole domain of age x diagnosis
    a = Or((InSet("diagnosis", (1, 2)), Not(Compare("age", "<", 50))))
    b = And((Compare("age", ">", 30), Not(InSet("diagnosis", (2,)))))
    inter = union = 0
    for age in range(121):
        for d in range(4):
            ia, ib = evaluate(a, {"age": age, "diagnosis": d}), evaluate(b, {"age": age, "diagnosis": d})
            inter += ia and ib
            union += ia or ib
    assert overlap(a, b, SCHEMA) == Fraction(inter, union)


def test_overlap_rule_refuses_a_thin_slice_and_allows_the_same_filter():
    policy = DisclosurePolicy(max_overlap=Fraction(9, 10))
    earlier = [AnsweredStudy("a" * 64, NOW - DAY, SCHEMA.digest().hex(), q(Between("age", 40, 65)))]
    v = evaluate_policy(policy, q(Between("age", 40, 66)), SCHEMA, min_cell_size=0, history=earlier, now=NOW)
    assert [x.rule for x in v.violations] == ["max_overlap"] and "96.3%" in v.violations[0].detail
    assert evaluate_policy(policy, q(Between("age", 40, 65), ("sex",)), SCHEMA, min_cell_size=0, history=earlier,
                           now=NOW).accepted  # the same population
    assert evaluate_policy(policy, q(Between("age", 20, 39)), SCHEMA, min_cell_size=0, history=earlier, now=NOW).accepted
    other_schema = [AnsweredStudy("a" * 64, NOW - DAY, "00" * 32, q(Between("age", 40, 65)))]
    assert evaluate_policy(policy, q(Between("age", 40, 66)), SCHEMA, min_cell_size=0, history=other_schema,
                           now=NOW).accepted


def test_difference_records_counts_the_holders_own_records():
    rng = np.random.default_rng(7)
    records = {"age": rng.integers(0, 121, 500), "sex": rng.integers(0, 2, 500), "diagnosis": rng.integers(0, 4, 500),
               "bmi": rng.integers(10, 61, 500)}
    records["age"][:3] = 110  # exactly three records aged 110
    records["age"][3:] = np.minimum(records["age"][3:], 100)
    a, b = Compare("age", "<=", 109), None
    assert difference_records(a, b, records) == 3
    for p in (a, Or((InSet("diagnosis", (1, 3)), Not(Compare("sex", "=", 1)))), And((Between("bmi", 20, 30), a))):
        rows = [{k: int(v[i]) for k, v in records.items()} for i in range(500)]
        assert predicate_mask(p, records).tolist() == [evaluate(p, r) for r in rows]
    policy = DisclosurePolicy(min_difference_records=5)
    earlier = [AnsweredStudy("a" * 64, NOW - DAY, SCHEMA.digest().hex(), q(b))]
    v = evaluate_policy(policy, q(a), SCHEMA, min_cell_size=0, history=earlier, now=NOW, records=records)
    assert [x.rule for x in v.violations] == ["min_difference_records"] and "only 3" in v.violations[0].detail
    # a key holder has no records: the rule cannot run there
    assert evaluate_policy(policy, q(a), SCHEMA, min_cell_size=0, history=earlier, now=NOW).accepted


def test_policy_file_parsing():
    text = '{"forbidden_columns": ["bmi"], "min_cell_size": 5, "max_overlap": 0.9, "max_studies_per_period": 3}'
    p = DisclosurePolicy.from_json(safejson.loads(text, "policy.json"), "policy.json")
    assert p.forbidden_columns == ("bmi",) and p.max_overlap == Fraction(9, 10) and p.max_studies_per_period == 3
    assert DisclosurePolicy.from_json(p.to_json()) == p
    for bad, match in [('{"min_cel_size": 5}', "unknown field"), ('{"min_cell_size": -1}', "min_cell_size"),
                       ('{"max_overlap": 1}', "max_overlap"), ('{"max_cells": 2.5}', "max_cells"),
                       ('{"forbidden_columns": "bmi"}', "forbidden_columns"), ("[]", "JSON object"),
                       ('{"max_studies_per_period": 0}', "max_studies_per_period")]:
        with pytest.raises(PolicyError, match=match):
            DisclosurePolicy.from_json(safejson.loads(bad, "policy.json"), "policy.json")
