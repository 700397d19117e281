"""A party's policy.json and answered.json (services/parties/policy_home.py): the review a holder
sees, refusals naming the rule, the per-period history, damaged files named."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from zkgate.services.parties import policy_home
from zkgate.services.parties.role_home import CorruptStateError, RoleHome
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.policy import PolicyRefusal
from zkgate.study.question import Aggregate, Between, Question

SCHEMA = Schema.of(("age", 0, 120), ("sex", 0, 1), ("temp", -8, 7))


def spec_of(question: Question, k: int = 0, tag: int = 1):
    """What the review reads of a StudySpec."""
    return SimpleNamespace(question=question, schema=SCHEMA, min_cell_size=k, study_id_bytes=bytes([tag]) * 32,
                           value_names=lambda: ["count", "sum(temp)"])


@pytest.fixture
def home(tmp_path):
    return RoleHome.create(tmp_path / "h", "holder", {"org": "hospital-a"})


def test_default_policy_accepts_and_review_shows_the_question(home):
    q = Question(Between("age", 40, 65), ("sex",), (Aggregate("n", "COUNT", ()), Aggregate("t", "SUM", ("temp",))))
    rev = policy_home.review(home, spec_of(q), now=1000)
    assert rev.verdict.accepted and rev.policy_source.startswith("default")
    text = "\n".join(rev.lines())
    assert "WHERE age BETWEEN 40 AND 65 GROUP BY sex" in text and "cells: 2 (0, 1)" in text
    assert "verdict: ACCEPTED" in text and rev.to_json()["released_coordinates"] == ["count", "sum(temp)"]


def test_policy_file_refuses_naming_the_rule_and_history_counts(home):
    (home.path / "policy.json").write_text('{"forbidden_columns": ["temp"], "min_cell_size": 5, '
                                           '"max_studies_per_period": 1, "period_days": 7}')
    q = Question(None, (), (Aggregate("t", "AVG", ("temp",)),))
    rev = policy_home.review(home, spec_of(q, k=3), now=10_000)
    assert [v.rule for v in rev.verdict.violations] == ["forbidden_columns", "min_cell_size"]
    with pytest.raises(PolicyRefusal, match="forbidden_columns.*min_cell_size.*nothing was proved"):
        policy_home.require_accepted(rev, "hospital-a's", "nothing was proved")
    assert "verdict: REFUSED" in rev.lines()

    ok = Question(Between("age", 40, 65), (), (Aggregate("n", "COUNT", ()),))
    assert policy_home.review(home, spec_of(ok, k=5, tag=2), now=10_000).verdict.accepted
    policy_home.record_answered(home, spec_of(ok, k=5, tag=2), now=10_000)
    policy_home.record_answered(home, spec_of(ok, k=5, tag=2), now=20_000)  # once only
    assert [h.answered_at for h in policy_home.load_history(home)] == [10_000]
    again = policy_home.review(home, spec_of(ok, k=5, tag=3), now=10_001)
    assert [v.rule for v in again.verdict.violations] == ["max_studies_per_period"]
    assert policy_home.review(home, spec_of(ok, k=5, tag=2), now=10_001).verdict.accepted  # itself: not a second study


def test_holder_records_in_declared_units(home):
    ds = Dataset(SCHEMA, np.array([[50, 1, 0], [70, 0, 15]]))  # temp stored with offset -8
    recs = policy_home.declared_records(ds)
    assert recs["temp"].tolist() == [-8, 7] and recs["age"].tolist() == [50, 70]


def test_damaged_files_are_named(home):
    (home.path / "policy.json").write_text('{"min_cell_size": "five"}')
    with pytest.raises(CorruptStateError, match="policy.json"):
        policy_home.load_policy(home)
    (home.path / "answered.json").write_text('[{"study_id": 1}]')
    with pytest.raises(CorruptStateError, match="answered.json"):
        policy_home.load_history(home)
