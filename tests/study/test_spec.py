"""Study specification: validation, canonical encoding, study id, HE layout, dev keys."""

from __future__ import annotations

import dataclasses

import pytest

from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.circuits.field import R
from zkgate.study import DevKeyError, EqualsCondition, Filter, RangeCondition, Schema, Statistic, StudySpec
from zkgate.study.errors import MessageFormatError, SpecError
from zkgate.study.legacy import legacy_question
from zkgate.study.question import Aggregate, And, Between, Compare, InSet, Not, Or, Question
from zkgate.study.spec import Participant

# As in this folder's conftest.py: `from conftest import` picks whichever folder's conftest.py
# loaded first when several folders are collected together (e.g. tests/study tests/he).
SCHEMA = Schema.of(("age", 0, 15), ("sex", 0, 1), ("temp", -8, 7))
FILTER = Filter((RangeCondition("age", 3, 12),), (EqualsCondition("sex", 1),))
STATS = (Statistic("sum", "temp"), Statistic("sum_sq", "temp"), Statistic("histogram", "age", (0, 5, 10, 16)))
QUESTION = legacy_question(FILTER, STATS)

Z = b"\x00" * 32


def spec(**kw):
    args = dict(title="t", schema=SCHEMA, capacity=4, question=QUESTION,
                participants=(Participant("a", 5, 2, b"\x01" * 32), Participant("b", 6, 1, b"\x02" * 32)),
                quorum=2, deadline=10**10, he_preset="bfv-4096", he_key_id=Z, he_context_digest=Z, vk_hash=Z,
                transcript_hash=Z, gateway_key=Z, key_holder_key=Z, nonce=b"\x00" * 16)
    args.update(kw)
    return StudySpec(**args)


def q(predicate=None, *aggs, group_by=()):
    return Question(predicate, tuple(group_by), tuple(aggs) or (Aggregate("n", "COUNT", ()),))


def test_canonical_round_trip_and_id():
    s = spec()
    data = s.to_bytes()
    back = StudySpec.from_bytes(data)
    assert back == s and back.to_bytes() == data and back.study_id == s.study_id
    assert 0 <= s.study_id < R
    with pytest.raises(MessageFormatError):
        StudySpec.from_bytes(data + b"\x00")
    with pytest.raises(MessageFormatError):
        StudySpec.from_bytes(data.replace(b"bfv-4096", b"bfv-9999"))
    # a GROUP BY question with every predicate node, and k, round-trip too
    rich = spec(question=q(Or((Not(InSet("age", (1, 4, 9))), And((Compare("temp", "<>", -3), Between("age", 2, 7))))),
                           Aggregate("n", "COUNT", ()), Aggregate("r", "CORR", ("age", "temp")),
                           Aggregate("h", "HISTOGRAM", ("temp",), (-8, 0, 8)), group_by=("sex",)),
                min_cell_size=5)
    back = StudySpec.from_bytes(rich.to_bytes())
    assert back == rich and back.study_id == rich.study_id and back.min_cell_size == 5


def test_a_version_2_body_labelled_version_1_is_refused():
    data = spec().to_bytes()
    at = data.index(b"\xaastudy-spec") + 11
    assert data[at] == 2  # kind, then version 2
    with pytest.raises(MessageFormatError, match="version 1 has 18 items"):
        StudySpec.from_bytes(data[:at] + b"\x01" + data[at + 1 :])


def test_version_1_specs_are_read_verified_and_derived_in_their_order():
    from fractions import Fraction

    from zkgate.circuits.poseidon import poseidon_sponge
    from zkgate.study.spec import V1Form

    stats = (Statistic("sum", "temp"), Statistic("sum_sq", "temp"), Statistic("sum", "age"),
             Statistic("histogram", "age", (0, 5, 10, 16)))
    old = spec(question=legacy_question(FILTER, stats), v1=V1Form(FILTER, stats))
    data = old.to_bytes()
    at = data.index(b"\xaastudy-spec") + 11
    assert data[at] == 1
    back = StudySpec.from_bytes(data)
    assert back == old and back.to_bytes() == data
    tag = int.from_bytes(b"zkgate/study/id/v1", "big")
    assert old.constants() == [3, 12, 1, 0, 5, 10, 16]  # lo..., hi..., eq..., edges (stored units)
    assert old.study_id == poseidon_sponge([tag, *old.constants(), old.rest_element()])
    assert old.value_names() == ["count", "sum_temp", "sum_sq_temp", "sum_age", "hist_age[0]", "hist_age[1]",
                                 "hist_age[2]"]
    assert old.per_record_bounds() == [1, 15, 225, 15, 1, 1, 1]
    assert [f.name for f in old.layout().fields] == ["count", "sum_temp", "sum_sq_temp", "sum_age", "hist_age", "rho"]
    # temp stored +8: two records temp -1 and 3 (stored 7, 11), ages 4 and 9
    values = [2, 18, 7 * 7 + 11 * 11, 13, 1, 1, 0]
    assert old.join_values(old.split_values(values)) == values
    out = old.derive(values)
    assert out["sum_temp"].value == 2 and out["mean_temp"].value == 1 and out["variance_temp"].value == Fraction(4)
    assert out["hist_age"][0].value == 1 and out["count"].value == 2
    with pytest.raises(SpecError, match="version-1 study"):
        old.shape()
    with pytest.raises(SpecError, match="conversion"):
        spec(v1=V1Form(FILTER, stats))


@pytest.mark.parametrize("change", [
    dict(title="u"), dict(quorum=1), dict(deadline=10**10 + 1), dict(nonce=b"\x01" * 16), dict(vk_hash=b"\x01" * 32),
    dict(question=legacy_question(Filter((RangeCondition("age", 3, 11),), FILTER.equals), STATS)),
    dict(question=legacy_question(Filter(FILTER.ranges, (EqualsCondition("sex", 0),)), STATS)),
    dict(question=legacy_question(FILTER, STATS[:2] + (Statistic("histogram", "age", (0, 5, 9, 16)),))),
    dict(question=Question(QUESTION.predicate, (), QUESTION.aggregates, "SELECT ...")),  # the SQL text too
    dict(question=Question(QUESTION.predicate, (), (Aggregate("m", "COUNT", ()),) + QUESTION.aggregates[1:])),
    dict(participants=(Participant("a", 5, 2, b"\x01" * 32), Participant("b", 7, 1, b"\x02" * 32))),
    dict(dev_keys=True), dict(min_cell_size=3),
])
def test_every_field_changes_the_id(change):
    assert spec(**change).study_id != spec().study_id


def test_constants_are_in_stored_units():
    s = spec(question=legacy_question(Filter((RangeCondition("temp", -2, 3),), ()), ()))
    assert s.constants()[:2] == [6, 11]  # offset by the declared minimum -8
    assert s.shape().predicate == ("between", "temp")
    assert spec().constants() == [3, 12, 1, 0, 5, 10, 16]  # BETWEEN, =, then the histogram edges


def test_legacy_requests_convert_to_the_old_names():
    assert [a.alias for a in QUESTION.aggregates] == ["count", "sum_temp", "mean_temp", "variance_temp", "hist_age"]
    assert QUESTION.predicate == And((Between("age", 3, 12), Compare("sex", "=", 1)))
    assert spec().value_names() == ["count", "sum(temp)", "prod(temp,temp)", "hist(age)[0]", "hist(age)[1]",
                                    "hist(age)[2]"]


def test_group_by_layout_and_bounds():
    s = spec(question=q(None, Aggregate("n", "COUNT", ()), Aggregate("t", "SUM", ("temp",)), group_by=("sex",)))
    assert s.value_names() == ["[0]count", "[0]sum(temp)", "[1]count", "[1]sum(temp)"]
    assert s.per_record_bounds() == [1, 15, 1, 15]
    split = s.split_values([1, 2, 3, 4])
    assert split == {"count": [1, 3], "sum_temp": [2, 4]}
    assert s.join_values(split) == [1, 2, 3, 4]
    assert [f.name for f in s.layout().fields] == ["count", "sum_temp", "rho"]
    assert s.shape().groups == (("sex", 0, 2),)


@pytest.mark.parametrize("change,match", [
    (dict(question=legacy_question(Filter((RangeCondition("age", 3, 16),), ()), ())), "outside its declared range"),
    (dict(question=legacy_question(Filter((RangeCondition("nope", 3, 4),), ()), ())), "unknown column"),
    (dict(question=legacy_question(Filter((), (EqualsCondition("sex", 2),)), ())), "outside its declared range"),
    (dict(question=legacy_question(None, (Statistic("histogram", "age", (5, 5, 9)),))), "increase"),
    (dict(question=legacy_question(None, (Statistic("histogram", "age", (0, 17)),))), "edges must lie"),
    (dict(question=q(InSet("age", (1, 1)))), "distinct"),
    (dict(question=q(None, group_by=("age", "sex", "temp"))), "GROUP BY takes at most 2"),
    (dict(question=q(None, Aggregate("x", "NOPE", ("age",)))), "unsupported statistic"),
    (dict(question="SELECT 1"), "question must be a Question"),
    (dict(min_cell_size=-1), "min_cell_size"),
    (dict(quorum=3), "quorum"),
    (dict(he_preset="nope"), "preset"),
    (dict(nonce=b"x"), "nonce"),
    (dict(participants=(Participant("a", 5, 2, b"\x01" * 32),) * 2), "distinct"),
])
def test_invalid_specs_are_refused(change, match):
    with pytest.raises(SpecError, match=match):
        spec(**change)


@pytest.mark.parametrize("stats,match", [
    ((Statistic("sum_sq", "age"),), "needs its sum"),
    ((Statistic("sum", "age"), Statistic("sum", "age")), "twice"),
    ((Statistic("max", "age"),), "kinds"),
])
def test_invalid_legacy_requests_are_refused(stats, match):
    with pytest.raises(SpecError, match=match):
        legacy_question(None, stats)


def test_layout_has_rho_limbs_and_passes_the_guard():
    s = spec()
    lay = s.layout()
    names = [f.name for f in lay.fields]
    assert names == ["count", "sum_temp", "sum_sq_temp", "hist_age", "rho"]
    rho = lay.fields[-1]
    assert rho.limb_bits > 0 and rho.maximum == 2 * (L - 1)  # alpha has 2 chunks
    assert s.value_bounds()[0] == 3 * 4  # 3 chunks of 4 records


def test_dev_study_refused_outside_dev_mode(world):
    from zkgate.study.keys import check_dev

    assert world.ckeys.is_dev and world.spec.dev_keys
    with pytest.raises(DevKeyError, match="DEVELOPMENT-ONLY"):
        check_dev(world.spec, True, dev_mode=False)
    with pytest.raises(DevKeyError):
        world.open(dev_mode=False)
    with pytest.raises(DevKeyError):
        world.aggregator(dev_mode=False)
    with pytest.raises(DevKeyError):
        world.contributor(0).__class__("alpha", world.commitments[0], world.keys[0]).check_study(world.spec, world.ckeys)
    # a dev key smuggled into a study that does not declare it
    undeclared = dataclasses.replace(world.spec, dev_keys=False, _cache={})
    with pytest.raises(DevKeyError, match="does not declare"):
        world.ckeys.check(undeclared, dev_mode=True)
