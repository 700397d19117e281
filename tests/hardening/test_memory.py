"""The gateway's aggregator holds running sums, not contributions (issue 15, memory).

It used to keep every accepted submission, ciphertext included (~90 KB each at BFV-4096), for
the life of the process.  benchmarks/bench_memory.py measures a real gateway; these tests pin
the mechanism: nothing the size of a ciphertext stays per submission, closing releases the
sums, and a rebuild from stored receipts and submissions reaches the same aggregate (a closed
study's submissions are not even read).
"""

from __future__ import annotations

import dataclasses
import gc
import tracemalloc

import pytest

from zkgate.errors import InvalidInputError
from zkgate.he import KeyHolder
from zkgate.services.parties.load import make_holders, open_tiny_study, prepare_shared_submissions, prepare_submissions
from zkgate.study.aggregator import StudyAggregator
from zkgate.study.errors import BadSignatureError, DuplicateSubmissionError, LateSubmissionError, WrongStudyError
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Submission

HOLDERS = 3
pytestmark = pytest.mark.slow  # ~10-20 s native (a dev setup and three proofs); minutes on the pure-Python backend


@pytest.fixture(scope="module")
def tiny():
    holders = make_holders(HOLDERS, seed=3, prefix="mem")
    gateway = SigningKey.generate()
    context = KeyHolder.create("bfv-4096").public_context()
    spec, keys = open_tiny_study(holders, title="memory test", gateway_key=gateway.public, context=context,
                                 quorum=HOLDERS)
    submissions = prepare_submissions(spec, context, keys, holders, workers=1)
    return spec, keys.public(), context, gateway, submissions


def _aggregator(tiny, **kw) -> StudyAggregator:
    spec, keys, context, gateway, _ = tiny
    return StudyAggregator(spec, keys, context, gateway, dev_mode=True, **kw)


def test_accepted_submissions_are_not_kept(tiny):
    submissions = tiny[4]
    agg = _aggregator(tiny)
    agg.submit(submissions[0])  # the first one allocates the running sums
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for data in submissions[1:]:
            agg.submit(data)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    per_submission = kept / (len(submissions) - 1)
    assert len(submissions[0]) > 80_000  # a full BFV-4096 ciphertext each
    assert per_submission < 8_000, f"{per_submission:.0f} bytes kept per accepted submission"
    with pytest.raises(InvalidInputError, match="retain_submissions"):
        agg.accepted


def test_retry_and_conflict_are_decided_from_the_receipt(tiny):
    submissions = tiny[4]
    agg = _aggregator(tiny)
    receipt = agg.submit(submissions[0])
    assert agg.submit(submissions[0]) == receipt  # identical retry: the original receipt
    first = Submission.from_bytes(submissions[0])
    other = dataclasses.replace(first, submission_id=bytes(16))
    assert other.digest != first.digest
    with pytest.raises(DuplicateSubmissionError, match=first.submission_id.hex()):
        agg.submit(other)


def test_rebuild_from_stored_state_gives_the_same_aggregate(tiny):
    spec, keys, context, gateway, submissions = tiny
    live = _aggregator(tiny)
    receipts = [live.submit(data) for data in submissions]
    entries = [(r.to_bytes(), lambda data=data: data) for r, data in zip(receipts, submissions)]

    # crash before closing: the store's receipts and submissions rebuild the same sums
    rebuilt = StudyAggregator.rebuild(spec, keys, context, gateway, entries, None, dev_mode=True)
    assert rebuilt.receipts == receipts
    assert rebuilt.submit(submissions[1]) == receipts[1]
    aggregate = live.close()
    unsigned = dataclasses.replace(aggregate, signature=b"")  # hybrid (ML-DSA) signatures are randomised
    assert dataclasses.replace(rebuilt.close(), signature=b"") == unsigned
    rebuilt.close().verify_signature(gateway.public)
    assert aggregate.envelope == rebuilt.close().envelope

    # a closed study rebuilds from receipts and its aggregate alone: no submission is read
    def unread():
        raise AssertionError("a closed study's submission was read")

    closed = StudyAggregator.rebuild(spec, keys, context, gateway, [(r.to_bytes(), unread) for r in receipts],
                                     aggregate.to_bytes(), dev_mode=True)
    assert closed.closed and closed.close() == aggregate
    assert closed.submit(submissions[2]) == receipts[2]  # a retry still gets its receipt
    # one that had not submitted before the close comes too late
    partial = StudyAggregator.rebuild(spec, keys, context, gateway, [(r.to_bytes(), unread) for r in receipts[:-1]],
                                      aggregate.to_bytes(), dev_mode=True)
    with pytest.raises(LateSubmissionError, match="closed"):
        partial.submit(submissions[-1])


def test_shared_data_submissions_are_each_checked_in_full():
    """bench_memory --shared-data: holders of one data set share one proof per study, yet each
    submission is its own (key, ciphertext, id, signature) and is checked in full."""
    holders = make_holders(HOLDERS, seed=5, prefix="shared", shared_data=True)
    assert len({h.commitment.root for h in holders}) == 1
    assert len({h.key.public for h in holders}) == HOLDERS
    gateway = SigningKey.generate()
    context = KeyHolder.create("bfv-4096").public_context()
    spec, keys = open_tiny_study(holders, title="shared data", gateway_key=gateway.public, context=context,
                                 quorum=HOLDERS)
    data = prepare_shared_submissions(spec, context, keys, holders, workers=2)  # spawned workers: keys travel
    subs = [Submission.from_bytes(d) for d in data]
    assert [s.participant for s in subs] == [h.name for h in holders]
    assert len({s.proofs for s in subs}) == 1 and len({s.commitment for s in subs}) == 1
    assert len({s.digest for s in subs}) == len({s.envelope for s in subs}) == len({s.submission_id for s in subs}) \
        == HOLDERS
    agg = StudyAggregator(spec, keys.public(), context, gateway, dev_mode=True)
    receipts = [agg.submit(d) for d in data]
    assert [r.sequence for r in receipts] == list(range(HOLDERS)) and agg.accepted_count == HOLDERS

    # still refused: another holder's ciphertext (its envelope names its sender), another's signature
    fresh = StudyAggregator(spec, keys.public(), context, gateway, dev_mode=True)
    borrowed = dataclasses.replace(subs[1], envelope=subs[0].envelope, envelope_digest=subs[0].envelope_digest)
    with pytest.raises(WrongStudyError, match="sender"):
        fresh.submit(borrowed.sign(holders[1].key))
    with pytest.raises(BadSignatureError):
        fresh.submit(dataclasses.replace(subs[1], signature=subs[2].signature))
