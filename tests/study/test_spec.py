"""Study specification: validation, canonical encoding, study id, HE layout, dev keys."""

from __future__ import annotations

import dataclasses

import pytest

from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.circuits.field import R
from zkgate.study import DevKeyError, EqualsCondition, Filter, RangeCondition, Schema, Statistic, StudySpec
from zkgate.study.errors import MessageFormatError, SpecError
from zkgate.study.spec import Participant

# As in this folder's conftest.py: `from conftest import` picks whichever folder's conftest.py
# loaded first when several folders are collected together (e.g. tests/study tests/he).
SCHEMA = Schema.of(("age", 0, 15), ("sex", 0, 1), ("temp", -8, 7))
FILTER = Filter((RangeCondition("age", 3, 12),), (EqualsCondition("sex", 1),))
STATS = (Statistic("sum", "temp"), Statistic("sum_sq", "temp"), Statistic("histogram", "age", (0, 5, 10, 16)))

Z = b"\x00" * 32


def spec(**kw):
    args = dict(title="t", schema=SCHEMA, capacity=4, filter=FILTER, statistics=STATS,
                participants=(Participant("a", 5, 2, b"\x01" * 32), Participant("b", 6, 1, b"\x02" * 32)),
                quorum=2, deadline=10**10, he_preset="bfv-4096", he_key_id=Z, he_context_digest=Z, vk_hash=Z,
                transcript_hash=Z, gateway_key=Z, key_holder_key=Z, nonce=b"\x00" * 16)
    args.update(kw)
    return StudySpec(**args)


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


@pytest.mark.parametrize("change", [
    dict(title="u"), dict(quorum=1), dict(deadline=10**10 + 1), dict(nonce=b"\x01" * 16), dict(vk_hash=b"\x01" * 32),
    dict(filter=Filter((RangeCondition("age", 3, 11),), FILTER.equals)),
    dict(filter=Filter(FILTER.ranges, (EqualsCondition("sex", 0),))),
    dict(statistics=STATS[:2] + (Statistic("histogram", "age", (0, 5, 9, 16)),)),
    dict(participants=(Participant("a", 5, 2, b"\x01" * 32), Participant("b", 7, 1, b"\x02" * 32))),
    dict(dev_keys=True),
])
def test_every_field_changes_the_id(change):
    assert spec(**change).study_id != spec().study_id


def test_filter_constants_are_in_stored_units():
    s = spec(filter=Filter((RangeCondition("temp", -2, 3),), ()))
    assert s.filter_constants()[:2] == [6, 11]  # offset by the declared minimum -8
    assert s.shape().range_cols == (2,)


@pytest.mark.parametrize("change,match", [
    (dict(filter=Filter((RangeCondition("age", 3, 16),), ())), "filter range"),
    (dict(filter=Filter((RangeCondition("nope", 3, 4),), ())), "unknown column"),
    (dict(filter=Filter((), (EqualsCondition("sex", 2),))), "equality"),
    (dict(statistics=(Statistic("histogram", "age", (5, 5, 9)),)), "increase"),
    (dict(statistics=(Statistic("histogram", "age", (0, 17)),)), "edges must lie"),
    (dict(statistics=(Statistic("sum_sq", "age"),)), "needs its sum"),
    (dict(statistics=(Statistic("sum", "age"), Statistic("sum", "age"))), "twice"),
    (dict(statistics=(Statistic("max", "age"),)), "kinds"),
    (dict(quorum=3), "quorum"),
    (dict(he_preset="nope"), "preset"),
    (dict(nonce=b"x"), "nonce"),
    (dict(participants=(Participant("a", 5, 2, b"\x01" * 32),) * 2), "distinct"),
])
def test_invalid_specs_are_refused(change, match):
    with pytest.raises(SpecError, match=match):
        spec(**change)


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
