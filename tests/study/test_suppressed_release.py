"""Small-cell suppression through a real study (GROUP BY, real proofs, BFV): the key holder
withholds the cells below k with a proof and no P; the release message (version 3/4) round-trips;
public verification passes and names the withheld cells; a wrong published value, a tampered
proof, other withheld indices and a small published cell are caught."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.he import KeyHolder
from zkgate.study import StudyAggregator, StudyKeyHolder
from zkgate.study.errors import MessageFormatError, ReleaseCheckError
from zkgate.study.messages import Release
from zkgate.study.question import Aggregate, Between, Question
from zkgate.study.release import release_statistics
from zkgate.study.requester import open_study
from zkgate.study.suppression import SuppressionProof
from zkgate.study.verification import PublicRecord, verify_record

pytestmark = pytest.mark.slow  # proves 5 chunks of a GROUP BY circuit

# 14 records over 2 cells (sex), filtered to ages 3..12: with k = 5 at least one cell is usually below k
QUESTION = Question(Between("age", 3, 12), ("sex",), (Aggregate("n", "COUNT", ()), Aggregate("t", "SUM", ("temp",))))
K = 5


def _closed(world, k, he=None):
    he = he or world.he
    context = he.public_context()
    spec, ckeys = open_study(title="suppression", registrations=world.regs, question=QUESTION, min_cell_size=k,
                             quorum=2, deadline=int(time.time()) + 3600, public_context=context,
                             gateway_key=world.gateway.public, key_holder_key=world.keyholder_key.public, keys="dev",
                             dev_mode=True)
    subs = [world.contributor(i).contribute(spec, context, ckeys).submission for i in range(3)]
    aggregator = StudyAggregator(spec, ckeys.public(), context, world.gateway, dev_mode=True, retain_submissions=True)
    for s in subs:
        aggregator.submit(s)
    aggregate = aggregator.close()
    return spec, ckeys, [s.public() for s in aggregator.accepted], aggregate, StudyKeyHolder(spec, he, world.keyholder_key)


def _run(world, k):
    spec, ckeys, accepted, aggregate, holder = _closed(world, k)
    return spec, ckeys, accepted, aggregate, holder.release(aggregate, accepted)


@pytest.fixture(scope="module")
def suppressed(world):
    return _run(world, K)


def _record(spec, ckeys, accepted, aggregate, release):
    rec = PublicRecord(spec, ckeys.public(), tuple(accepted), aggregate.public(), release)
    return PublicRecord.from_bytes(rec.to_bytes())


def test_a_cell_below_k_is_withheld_with_a_proof(world, suppressed):
    spec, ckeys, accepted, aggregate, release = suppressed
    assert release.suppressed and release.randomness is None and release.mode == "exact"
    assert release.signature and Release.from_bytes(release.to_bytes()) == release
    width = len(spec.value_names()) // spec.n_cells
    assert len(release.values) == len(spec.value_names()) - len(release.withheld)
    report = verify_record(_record(spec, ckeys, accepted, aggregate, release), dev_mode=True)
    assert report.ok, report.failures
    checks = {n for n, ok, _ in report.checks if ok}
    assert {"suppression proof", "withheld coordinates are whole cells",
            "published cells meet the minimum cell size"} <= checks
    assert report.released["withheld_cells"] and report.released["min_cell_size"] == K
    stats = release_statistics(spec, release)
    for label in report.released["withheld_cells"]:
        assert stats["n"][label] is None
    assert all(j // width < spec.n_cells for j in release.withheld)


def test_without_small_cells_the_release_is_the_ordinary_exact_one(world):
    spec, ckeys, accepted, aggregate, release = _run(world, 0)
    assert not release.suppressed and release.randomness is not None
    assert verify_record(_record(spec, ckeys, accepted, aggregate, release), dev_mode=True).ok


def test_forged_suppressed_releases_are_caught(world, suppressed):
    spec, ckeys, accepted, aggregate, release = suppressed
    key = world.keyholder_key

    def failed(rel):
        return verify_record(_record(spec, ckeys, accepted, aggregate, rel.sign(key)), dev_mode=True).failed

    vals = list(release.values)
    vals[0] += 1
    assert any("suppression proof" in f for f in failed(replace(release, values=tuple(vals))))
    p = release.suppression
    bad = SuppressionProof(p.nonce_commitment, p.responses, (p.blinding_response + 1) % L)
    assert any("suppression proof" in f for f in failed(replace(release, suppression=bad)))
    # the same number of withheld coordinates, one cell further (if there is room) or one back
    width = len(spec.value_names()) // spec.n_cells
    shift = width if release.withheld[-1] + width < len(spec.value_names()) else -width
    other = tuple(j + shift for j in release.withheld)
    if len(set(other) | set(release.withheld)) > len(other):
        f = failed(replace(release, withheld=tuple(sorted(other))))
        assert any("suppression proof" in x or "whole cells" in x for x in f), f


def test_release_message_is_strict(suppressed):
    release = suppressed[-1]
    from zkgate.study import encoding as enc

    items = enc.unpack_versioned(release.to_bytes(), "release", (3, 4))
    version, it = items
    assert version in (3, 4)
    for bad in (it[:3] + [b"\x01"] + it[4:],  # a P beside withheld cells
                it[:5] + [[]] + it[6:],  # no withheld coordinate
                it[:5] + [list(reversed(it[5]))] + it[6:] if len(it[5]) > 1 else None):
        if bad is None:
            continue
        with pytest.raises(MessageFormatError):
            Release.from_bytes(enc.pack(["release", version, *bad]))


def test_a_ckks_release_cannot_withhold_so_it_publishes_nothing(world):
    """A CKKS release has no P and hence no suppression proof: with a cell below k it refuses."""
    spec, _, accepted, aggregate, holder = _closed(world, K, he=KeyHolder.create("ckks-8192"))
    with pytest.raises(ReleaseCheckError, match="cannot withhold cells"):
        holder.release_ckks(aggregate, accepted)
