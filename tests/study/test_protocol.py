"""End to end: 3 holders with several small chunks, every refusal, every tamper mode."""

from __future__ import annotations

import dataclasses

import pytest

from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.he import Contributor as HEContributor
from zkgate.study import (
    Aggregate,
    BadSignatureError,
    ChunkSetError,
    CircuitKeys,
    DuplicateSubmissionError,
    LateSubmissionError,
    ProofRejectedError,
    PublicRecord,
    QuorumError,
    Receipt,
    Release,
    ReleaseCheckError,
    StudyAggregator,
    StudyKeyHolder,
    Submission,
    UnknownParticipantError,
    WrongStudyError,
    derived_statistics,
    verify_record,
)
from zkgate.study.aggregator import build_aggregate
from zkgate.study.errors import MessageFormatError
from zkgate.study.simulate import ground_truth


def run(world, subs=None):
    agg = world.aggregator()
    for c in (subs if subs is not None else [c.submission for c in world.contributions]):
        agg.submit(c)
    return agg


def resign(world, i, sub, **changes):
    return dataclasses.replace(sub, **changes).sign(world.keys[i])


def test_end_to_end_matches_ground_truth(world):
    agg = world.aggregator()
    receipts = []
    for c in world.contributions:
        r = agg.submit(Submission.from_bytes(c.submission.to_bytes()))  # through the wire form
        receipts.append(world.contributor(0).accept_receipt(c, Receipt.from_bytes(r.to_bytes()), world.spec))
    assert [r.sequence for r in receipts] == [0, 1, 2]
    aggregate = agg.close()
    subs = [s.public() for s in agg.accepted]
    kh = StudyKeyHolder(world.spec, world.he, world.keyholder_key)
    release = kh.release(Aggregate.from_bytes(aggregate.to_bytes()), subs)
    assert list(release.values) == [sum(v) for v in zip(*(c.values for c in world.contributions))]
    assert release.randomness == sum(c.randomness for c in world.contributions)
    assert derived_statistics(world.spec, release.values) == ground_truth(world.spec, world.tables)
    record = PublicRecord(world.spec, world.ckeys.public(), tuple(subs), aggregate.public(), release)
    report = verify_record(PublicRecord.from_bytes(record.to_bytes()), dev_mode=True)
    assert report.ok, report.failures
    assert not verify_record(record).ok  # outside dev mode the development key is refused
    assert "circuit keys" in verify_record(record).failures[0]


def test_idempotent_retry_and_duplicates(world):
    agg = run(world)
    first = agg.receipts[0]
    assert agg.submit(world.contributions[0].submission) == first
    again = world.contributions[0].submission
    other = resign(world, 0, again, submission_id=b"\x07" * 16)
    with pytest.raises(DuplicateSubmissionError, match="already submitted"):
        agg.submit(other)


def test_refusals(world):
    agg = world.aggregator()
    sub0 = world.contributions[0].submission  # alpha: 2 chunks
    # a proof against another root: chunk proofs swapped
    swapped = resign(world, 0, sub0, proofs=sub0.proofs[::-1])
    with pytest.raises(ProofRejectedError, match="chunk 0"):
        agg.submit(swapped)
    # a missing chunk
    missing = resign(world, 0, sub0, chunk_roots=sub0.chunk_roots[:1], chunk_commitments=sub0.chunk_commitments[:1],
                     proofs=sub0.proofs[:1], commitment=sub0.chunk_commitments[0])
    with pytest.raises(ChunkSetError, match="1 chunks"):
        agg.submit(missing)
    # a repeated chunk
    rep = resign(world, 0, sub0, chunk_roots=(sub0.chunk_roots[0],) * 2)
    with pytest.raises(ChunkSetError, match="more than once"):
        agg.submit(rep)
    # a foreign chunk (beta's) in place of one of alpha's
    sub1 = world.contributions[1].submission
    foreign = resign(world, 0, sub0, chunk_roots=(sub0.chunk_roots[0], sub1.chunk_roots[0]))
    with pytest.raises(ChunkSetError, match="rebuild"):
        agg.submit(foreign)
    # a bad signature
    bad = dataclasses.replace(sub0, signature=bytes([sub0.signature[0] ^ 1]) + sub0.signature[1:])
    with pytest.raises(BadSignatureError):
        agg.submit(bad)
    # signed by another participant's key
    with pytest.raises(BadSignatureError):
        agg.submit(sub0.sign(world.keys[1]))
    # an unknown participant
    with pytest.raises(UnknownParticipantError):
        agg.submit(resign(world, 0, sub0, participant="mallory"))
    # ciphertext swapped for another one (digest no longer matches the signed one)
    with pytest.raises(Exception, match="signed digest"):
        agg.submit(dataclasses.replace(sub0, envelope=sub1.envelope))
    # nothing was accepted by any of this
    assert agg.accepted == []
    # late
    with pytest.raises(LateSubmissionError, match="deadline"):
        agg.submit(sub0, now=world.spec.deadline + 1)
    # quorum not reached
    with pytest.raises(QuorumError):
        agg.close()


def test_submission_for_another_study(world):
    spec2, _ = world.open(title="another study")
    assert spec2.study_id != world.spec.study_id
    agg2 = world.aggregator(spec2)
    with pytest.raises(WrongStudyError, match="another study"):
        agg2.submit(world.contributions[0].submission)
    # relabelled with the other study's id: the proofs bind the first study's id
    sub0 = world.contributions[0].submission
    with pytest.raises(ProofRejectedError):
        agg2.submit(resign(world, 0, sub0, study_id=spec2.study_id))


def test_messages_are_canonical(world):
    data = world.contributions[0].submission.to_bytes()
    with pytest.raises(MessageFormatError):
        Submission.from_bytes(data + b"\x00")
    with pytest.raises(MessageFormatError):
        Submission.from_bytes(data[:-5])
    with pytest.raises(MessageFormatError):
        Receipt.from_bytes(data)


def test_aggregator_state_persists(world):
    agg = run(world)
    restored = StudyAggregator.restore(agg.state(), world.spec, world.ckeys, world.public_context, world.gateway,
                                       dev_mode=True)
    assert restored.receipts == agg.receipts
    assert restored.submit(world.contributions[1].submission) == agg.receipts[1]
    a1 = restored.close()
    again = StudyAggregator.restore(restored.state(), world.spec, world.ckeys, world.public_context, world.gateway,
                                    dev_mode=True)
    assert again.close() == a1


def _release(world, aggregate, agg):
    kh = StudyKeyHolder(world.spec, world.he, world.keyholder_key)
    return kh.release(aggregate, [s.public() for s in agg.accepted])


def test_tamper_participant_detected(world):
    c0 = world.contributions[0]
    fake = list(c0.values)
    fake[0] += 1
    tampered = world.contributor(0).contribute(world.spec, world.public_context, world.ckeys, encrypt_values=fake)
    agg = run(world, [tampered.submission] + [c.submission for c in world.contributions[1:]])  # the gateway cannot tell
    with pytest.raises(ReleaseCheckError, match="does not open"):
        _release(world, agg.close(), agg)


def test_tamper_aggregator_substitute_or_drop_detected(world):
    agg = run(world)
    subs = agg.accepted
    forged = dict(world.spec.split_values([0] * len(world.spec.value_names())), rho=0)
    env = HEContributor(world.public_context, sender=subs[-1].participant,
                        study_id=world.spec.study_id_bytes).encrypt(world.spec.layout(), forged)
    substituted = build_aggregate(world.spec, world.public_context, subs, world.gateway,
                                  envelopes=[s.envelope for s in subs[:-1]] + [env])
    with pytest.raises(ReleaseCheckError, match="does not open"):
        _release(world, substituted, agg)
    dropped = build_aggregate(world.spec, world.public_context, subs, world.gateway,
                              envelopes=[s.envelope for s in subs[:-1]])
    with pytest.raises(ReleaseCheckError, match="other senders"):
        _release(world, dropped, agg)
    # dropping from the log too: the aggregate lists fewer submissions than were receipted
    short = build_aggregate(world.spec, world.public_context, subs[:-1], world.gateway)
    with pytest.raises(ReleaseCheckError, match="logged"):
        _release(world, short, agg)


def test_tamper_keyholder_and_bounds(world):
    agg = run(world)
    aggregate = agg.close()
    good = _release(world, aggregate, agg)
    subs = tuple(s.public() for s in agg.accepted)

    def report(values, rnd=good.randomness):
        rel = Release(good.study_id, good.aggregate_digest, tuple(values), rnd).sign(world.keyholder_key)
        return verify_record(PublicRecord(world.spec, world.ckeys.public(), subs, aggregate.public(), rel),
                             dev_mode=True)

    assert report(good.values).ok
    misreported = list(good.values)
    misreported[1] += 1
    rep = report(misreported)
    assert not rep.ok and any("commitment equation" in f for f in rep.failures)
    # S_j + l opens the same commitment: only the declared bound catches it
    shifted = list(good.values)
    shifted[0] += L
    rep = report(shifted)
    assert not rep.ok
    assert [f for f in rep.failures if "declared bounds" in f] and not [f for f in rep.failures if "equation" in f]
    # an unsigned / foreign-signed release
    rel = Release(good.study_id, good.aggregate_digest, good.values, good.randomness).sign(world.gateway)
    rep = verify_record(PublicRecord(world.spec, world.ckeys.public(), subs, aggregate.public(), rel), dev_mode=True)
    assert any("release signature" in f for f in rep.failures)
    # no release at all
    rep = verify_record(PublicRecord(world.spec, world.ckeys.public(), subs, aggregate.public(), None), dev_mode=True)
    assert not rep.ok and any("nothing was released" in f for f in rep.failures)


def test_keys_round_trip(world):
    pub = world.ckeys.public()
    back = CircuitKeys.from_bytes(pub.to_bytes())
    assert back.vk_hash == world.spec.vk_hash and back.transcript_hash == world.spec.transcript_hash


def test_public_verification_batches_proofs_and_names_the_bad_one(world):
    """verify_record checks every chunk proof of every submission in one batch; a proof swapped for another
    participant's (valid, but for other public inputs) fails the batch, and the one-by-one re-check names
    exactly that submission."""
    agg = run(world)
    aggregate = agg.close()
    subs = [s.public() for s in agg.accepted]
    swapped = resign(world, 1, subs[1], proofs=(subs[2].proofs[0],) * len(subs[1].proofs))  # valid, another statement
    record = PublicRecord(world.spec, world.ckeys.public(), (subs[0], swapped, subs[2]), aggregate.public(), None)
    checks = {name: (ok, detail) for name, ok, detail in verify_record(record, dev_mode=True).checks}
    assert checks[f"submission of {subs[0].participant}"][0] and checks[f"submission of {subs[2].participant}"][0]
    ok, detail = checks[f"submission of {subs[1].participant}"]
    assert not ok and "proof of chunk 0 does not verify" in detail
