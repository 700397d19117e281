"""The key committee's messages (zkgate.he.committee): rounds through signed messages, Shamir and
decryption shares HPKE-sealed (ML-KEM-768 + X25519), tampering, replay, equivocation and
wrong-recipient refusals, and a member refusing a ciphertext other than its recomputed sum."""

from __future__ import annotations

import os

import pytest
import tenseal as ts

from zkgate.errors import CryptoError
from zkgate.he.committee import (
    CommitteeMember,
    DecryptionRequest,
    Message,
    Roster,
    Transcript,
    TransportKey,
    ciphertext_digest,
    open_decryption_shares,
    open_sealed,
    seal,
)
from zkgate.he.errors import EnvelopeFormatError, EnvelopeMismatchError
from zkgate.he.presets import PRESETS
from zkgate.he.threshold import CommitteeParams, combine, read_ciphertext
from zkgate.signing import SigningKey


def _committee(members: int, threshold: int):
    cp = CommitteeParams(PRESETS["bfv-8192"], members, threshold, 1000)
    sks = [SigningKey.generate() for _ in range(members)]
    tks = [TransportKey.generate() for _ in range(members)]
    roster = Roster(cp, os.urandom(32), tuple(k.public for k in sks), tuple(k.public for k in tks))
    team = [CommitteeMember(roster, i + 1, sks[i], tks[i]) for i in range(members)]
    r1 = [m.round1() for m in team]
    commits = [m.key_commit(r1) for m in team]
    reveals = [m.key_reveal(commits) for m in team]
    approvals = [m.approve(reveals) for m in team]
    contexts = [m.check_approvals(approvals) for m in team]
    assert len({c.key_id for c in contexts}) == 1
    if threshold < members:
        dealt = [msg for m in team for msg in m.deal()]
        for m in team:
            m.receive_shares([d for d in dealt if Message.from_bytes(d).recipient == m.index])
    return roster, team, tks, contexts[0], (r1, commits, reveals, approvals)


@pytest.fixture(scope="module")
def committee():
    return _committee(4, 2)


def test_rounds_and_threshold_decryption(committee):
    roster, team, tks, pc, _ = committee
    vals = list(range(-20, 20))
    data = ts.bfv_vector(pc.open(), vals).serialize()
    request = DecryptionRequest(roster.committee_id, ciphertext_digest(data), (2, 4), requester=1, log_position=b"\x07" * 40)
    msgs = [team[i - 1].decryption_share(request, data) for i in request.active]
    shares = open_decryption_shares(roster, 1, tks[0], request, msgs)
    length, ct = read_ciphertext(roster.cp, data)
    assert combine(roster.cp, ct, shares, length) == vals
    # another requester cannot open shares sealed to member 1
    with pytest.raises(CryptoError, match="does not open"):
        open_decryption_shares(roster, 1, tks[2], request, msgs)


def test_member_refuses_a_ciphertext_other_than_its_recomputed_sum(committee):
    roster, team, _, pc, _ = committee
    ctx = pc.open()
    one = ts.bfv_vector(ctx, [5] * 8).serialize()
    total = (ts.bfv_vector(ctx, [5] * 8) + ts.bfv_vector(ctx, [1] * 8)).serialize()
    request = DecryptionRequest(roster.committee_id, ciphertext_digest(one), (1, 2), requester=3)
    with pytest.raises(CryptoError, match="recomputed"):
        team[0].decryption_share(request, total)


def test_tampered_replayed_and_foreign_messages_refused(committee):
    roster, team, tks, pc, (r1, commits, reveals, approvals) = committee
    # a flipped bit in a revealed key share breaks its signature
    raw = bytearray(reveals[1])
    raw[-5000] ^= 1
    fresh = Transcript(roster)
    with pytest.raises(CryptoError, match="signature"):
        fresh.accept(bytes(raw), "key-reveal")
    # replay and equivocation
    fresh.accept(reveals[1], "key-reveal")
    with pytest.raises(EnvelopeMismatchError, match="replayed"):
        fresh.accept(reveals[1], "key-reveal")
    # a message of one kind offered as another
    with pytest.raises(EnvelopeMismatchError, match="expected a key-commit"):
        Transcript(roster).accept(reveals[0], "key-commit")
    # a message from another committee (same keys, another nonce) does not verify here
    other = Roster(roster.cp, os.urandom(32), roster.signing_keys, roster.transport_keys)
    with pytest.raises(EnvelopeMismatchError, match="another committee"):
        Transcript(other).accept(commits[0], "key-commit")
    with pytest.raises(EnvelopeFormatError):
        Message.from_bytes(commits[0][:-1])
    # a decryption share replayed into another request, or twice
    data = ts.bfv_vector(pc.open(), [1, 2, 3]).serialize()
    req1 = DecryptionRequest(roster.committee_id, ciphertext_digest(data), (1, 3), requester=2)
    req2 = DecryptionRequest(roster.committee_id, ciphertext_digest(data), (1, 3), requester=2, log_position=b"x")
    msgs = [team[i - 1].decryption_share(req1, data) for i in (1, 3)]
    with pytest.raises(EnvelopeMismatchError, match="another request"):
        open_decryption_shares(roster, 2, tks[1], req2, msgs)
    with pytest.raises(EnvelopeMismatchError, match="replayed"):
        open_decryption_shares(roster, 2, tks[1], req1, msgs + msgs[:1])


def test_rogue_reveal_after_commitments_refused():
    """Member 3 commits honestly, then reveals a share chosen after seeing the others': refused."""
    roster, team, tks, _, (r1, commits, reveals, _) = _committee(3, 3)
    fresh_member = team[0]
    forged = Message.from_bytes(reveals[1])
    # member 3 signs member 2's share as its own reveal: a valid signature, not its commitment
    replaced = [reveals[0], reveals[1], Message.signed(team[2]._key, "key-reveal", roster.committee_id, 3, 0,
                                                        list(forged.payload)).to_bytes()]
    checker = CommitteeMember.__new__(CommitteeMember)
    checker.__dict__.update(fresh_member.__dict__)
    checker.transcript = Transcript(roster)
    for msg in commits:
        checker.transcript.accept(msg, "key-commit")
    with pytest.raises(EnvelopeMismatchError, match="member 3"):
        checker.approve(replaced)


def test_hpke_binds_committee_sender_and_recipient():
    key = TransportKey.generate()
    sealed = seal(key.public, b"share", b"c" * 32, "shamir", 1, 2)
    assert open_sealed(key, sealed, b"c" * 32, "shamir", 1, 2) == b"share"
    for args in ((b"d" * 32, "shamir", 1, 2), (b"c" * 32, "shamir", 3, 2), (b"c" * 32, "shamir", 1, 3),
                 (b"c" * 32, "decryption-share", 1, 2)):
        with pytest.raises(CryptoError):
            open_sealed(key, sealed, *args)
    assert TransportKey.from_bytes(key.to_bytes()).public == key.public
    with pytest.raises(EnvelopeFormatError):
        seal(key.public[:-1], b"x", b"c" * 32, "shamir", 1, 2)


def test_self_test_names_a_member_with_a_bad_shamir_share():
    """Member 2 received a wrong Shamir share from member 3 (inconsistent dealing): the setup
    self-test (fresh known ciphertexts, active sets covering every member) names member 2."""
    import numpy as np

    from zkgate.he.committee import LocalCommittee

    cp = CommitteeParams(PRESETS["bfv-8192"], 4, 2, 100)
    committee = LocalCommittee(cp)
    ring = cp.data_ring()
    bad = committee.members[1]._member
    bad._received[3] = ring.add(bad._received[3], ring.from_small(np.ones(cp.n, dtype=np.int64)))
    with pytest.raises(CryptoError, match=r"member\(s\) \[2\] do not decrypt"):
        committee.self_test()


def test_member_gives_one_active_set_per_ciphertext(committee):
    """Shares of one ciphertext under two Lagrange coefficients give the requester an exact relation
    between their smudging noises (test_threshold): a member asked for a second active set of the
    same ciphertext refuses."""
    roster, team, tks, pc, _ = committee
    data = ts.bfv_vector(pc.open(), [2, 7, 1, 8]).serialize()
    digest = ciphertext_digest(data)
    team[0].decryption_share(DecryptionRequest(roster.committee_id, digest, (1, 2), requester=3), data)
    with pytest.raises(CryptoError, match="second smudged sample"):
        team[0].decryption_share(DecryptionRequest(roster.committee_id, digest, (1, 4), requester=3), data)


def test_study_aggregate_decrypted_by_the_committee(committee):
    """Real contributions (Contributor, Aggregator, a statistics layout) decrypted by 2 of 4 members;
    a member refuses an aggregate other than the one it recomputed; a bad share fails the range check
    or the values."""
    from zkgate.he import Aggregator, Contributor, Field, SlotLayout
    from zkgate.he.committee import aggregate_digest, combine_aggregate, open_aggregate_shares
    from zkgate.he.errors import AggregateRangeError

    roster, team, tks, pc, _ = committee
    layout = SlotLayout((Field("count", 1000), Field("sum", 10**6), Field("hist", 1000, 4)), max_participants=50)
    rows = [{"count": 3, "sum": 120, "hist": [1, 1, 1, 0]}, {"count": 5, "sum": 300, "hist": [0, 2, 2, 1]}]
    envs = [Contributor(pc, sender=f"h{i}", study_id=b"s1").encrypt(layout, r) for i, r in enumerate(rows)]

    def aggregate(envelopes):
        agg = Aggregator(pc, layout, study_id=b"s1")
        for e in envelopes:
            agg.add(e)
        return agg.result()

    total = aggregate(envs)
    again = aggregate(list(reversed(envs)))  # what each member recomputes from the log
    digest = aggregate_digest(roster.cp, total, pc.key_id, layout)
    assert aggregate_digest(roster.cp, again, pc.key_id, layout) == digest
    request = DecryptionRequest(roster.committee_id, digest, (1, 3), requester=4)
    msgs = [team[i - 1].aggregate_share(request, again, pc.key_id, layout) for i in (1, 3)]
    shares = open_aggregate_shares(roster, 4, tks[3], request, msgs, chunks=1)
    values = combine_aggregate(roster.cp, total, pc.key_id, shares, layout)
    assert values["count"] == 8 and values["sum"] == 420 and values["hist"] == [1, 3, 3, 1]
    # one participant's ciphertext offered as "the aggregate": members refuse it
    with pytest.raises(CryptoError, match="recomputed"):
        team[0].aggregate_share(request, aggregate(envs[:1]), pc.key_id, layout)
    # a wrong share: the slots leave their range (or decode wrong), nothing is returned silently
    ring = roster.cp.data_ring()
    bad = {m: list(v) for m, v in shares.items()}
    from zkgate.he.threshold import DecryptionShare

    bad[3][0] = DecryptionShare(3, ring.add(bad[3][0].d, ring.from_ints([roster.cp.delta * (roster.cp.params.plain_modulus // 3)] + [0] * (roster.cp.n - 1))))
    with pytest.raises(AggregateRangeError):
        combine_aggregate(roster.cp, total, pc.key_id, bad, layout)


def test_local_committee_decrypts_and_names_a_cheater():
    from zkgate.he import Aggregator, Contributor, Field, SlotLayout
    from zkgate.he.committee import LocalCommittee

    cp = CommitteeParams(PRESETS["bfv-8192"], 4, 3, 100)
    layout = SlotLayout((Field("count", 1000), Field("sum", 10**6)), max_participants=10)
    for tamper in (None, 2):
        committee = LocalCommittee(cp, tamper_member=tamper)
        agg = Aggregator(committee.public_context, layout, study_id=b"s")
        for i, row in enumerate(({"count": 1, "sum": 10}, {"count": 2, "sum": 32})):
            agg.add(Contributor(committee.public_context, sender=f"p{i}", study_id=b"s").encrypt(layout, row))
        result = agg.result()
        committee.bind(lambda member, r=result: r, lambda values: values["sum"] == 42)
        if tamper is None:
            assert committee.decrypt(result, layout=layout, study_id=b"s") == {"count": 3, "sum": 42}
        else:
            with pytest.raises(CryptoError, match=r"member\(s\) \[2\]"):
                committee.decrypt(result, layout=layout, study_id=b"s")


def test_repeated_requests_get_the_same_share(committee):
    """Averaging fresh smudging noise over repeated requests would strip it: a member asked again
    for the same ciphertext and active set (any order, another requester or log position) gives
    the very same share."""
    roster, team, tks, pc, _ = committee
    data = ts.bfv_vector(pc.open(), [3, 1, 4]).serialize()
    digest = ciphertext_digest(data)
    first = DecryptionRequest(roster.committee_id, digest, (2, 3), requester=1)
    again = DecryptionRequest(roster.committee_id, digest, (3, 2), requester=4, log_position=b"later")
    s1 = open_decryption_shares(roster, 1, tks[0], first, [team[1].decryption_share(first, data)])[0]
    s2 = open_decryption_shares(roster, 4, tks[3], again, [team[1].decryption_share(again, data)])[0]
    assert (s1.d == s2.d).all()
    other_set = DecryptionRequest(roster.committee_id, digest, (2, 4), requester=1)
    with pytest.raises(CryptoError, match="already gave a share"):
        team[1].decryption_share(other_set, data)
