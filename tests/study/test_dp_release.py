"""Differentially private releases (OpenDP): checked like exact ones, noisy, unverified, no P."""

from __future__ import annotations

import pytest

from zkgate.study import PublicRecord, ReleaseCheckError, StudyKeyHolder, verify_record
from zkgate.study.release import dp_sensitivity

pytest.importorskip("opendp", reason="DP releases need the optional OpenDP dependency (zkgate[dp])")


def _closed(world):
    agg = world.aggregator()
    for c in world.contributions:
        agg.submit(c.submission)
    return agg, agg.close()


def test_dp_release_is_noisy_bounded_unverified_and_never_publishes_p(world):
    agg, aggregate = _closed(world)
    subs = [s.public() for s in agg.accepted]
    kh = StudyKeyHolder(world.spec, world.he, world.keyholder_key)
    exact = kh.release(aggregate, subs)
    noisy = kh.release_dp(aggregate, subs, epsilon=1.0)
    assert noisy.mode == "dp" and noisy.randomness is None
    assert all(0 <= v <= b for v, b in zip(noisy.values, world.spec.value_bounds()))
    # noise of scale sensitivity/epsilon: with a sensitivity this large, some coordinate moves
    assert dp_sensitivity(world.spec) > 100
    assert noisy.values != exact.values
    record = PublicRecord(world.spec, world.ckeys.public(), tuple(subs), aggregate.public(), noisy)
    report = verify_record(record, dev_mode=True)
    assert not report.ok and any("unverified by design" in f for f in report.failures)


def test_dp_release_runs_every_check_first(world):
    agg, aggregate = _closed(world)
    subs = [s.public() for s in agg.accepted]
    kh = StudyKeyHolder(world.spec, world.he, world.keyholder_key)
    with pytest.raises(ReleaseCheckError):
        kh.release_dp(aggregate, subs[:-1], epsilon=1.0)  # the aggregate lists another set
    with pytest.raises(ReleaseCheckError, match="epsilon"):
        kh.release_dp(aggregate, subs, epsilon=0)
