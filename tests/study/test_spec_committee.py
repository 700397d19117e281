"""The study spec carries the key committee (issue 23): roster and every member's approval of the
joint key; a spec whose HE key the members did not all approve is refused when decoded."""

from __future__ import annotations

import dataclasses

import pytest

from zkgate.he.committee import LocalCommittee, Message
from zkgate.he.presets import get_preset
from zkgate.he.threshold import CommitteeParams
from zkgate.study import Schema, StudySpec
from zkgate.study.contributor import check_public_context, context_digest
from zkgate.study.errors import MessageFormatError, SpecError
from zkgate.study.key_committee import KeyCommittee
from zkgate.study.question import Aggregate, Question
from zkgate.study.spec import Participant

Z = b"\x00" * 32
SCHEMA = Schema.of(("age", 0, 15), ("sex", 0, 1))
QUESTION = Question(None, (), (Aggregate("n", "COUNT", ()),))


@pytest.fixture(scope="module")
def committee():
    return LocalCommittee(CommitteeParams(get_preset("bfv-8192"), 3, 2, 4))


def spec(lc, **kw):
    pub = lc.public_context
    args = dict(title="t", schema=SCHEMA, capacity=4, question=QUESTION,
                participants=tuple(Participant(n, 5 + i, 1, bytes([i + 1]) * 32) for i, n in enumerate("abc")),
                quorum=3, deadline=10**10, he_preset="bfv-8192", he_key_id=pub.key_id,
                he_context_digest=context_digest(pub), vk_hash=Z, transcript_hash=Z, gateway_key=Z,
                key_holder_key=Z, nonce=b"\x00" * 16,
                committee=KeyCommittee.from_setup(lc.roster, lc.approvals))
    args.update(kw)
    return StudySpec(**args)


def test_round_trip_binds_the_committee_and_holders_check_the_context(committee):
    s = spec(committee)
    assert s.committee_id == committee.roster.committee_id
    data = s.to_bytes()
    back = StudySpec.from_bytes(data)
    assert back == s and back.to_bytes() == data and back.study_id == s.study_id
    assert back.committee_id == committee.roster.committee_id
    plain = spec(committee, committee=None)
    assert plain.study_id != s.study_id and plain.committee_id is None
    assert len(StudySpec.from_bytes(plain.to_bytes()).to_obj()) == 2 + 17  # no committee item: today's encoding
    assert len(s.to_obj()) == 2 + 18 and s.to_obj()[-1][0] == "committee"
    check_public_context(back, committee.public_context)  # the joint key is the one all members approved


def test_a_key_the_members_did_not_approve_is_refused(committee):
    good = spec(committee).committee
    other = LocalCommittee(CommitteeParams(get_preset("bfv-8192"), 3, 2, 4))
    # the spec names another joint key (e.g. the gateway's or requester's own) under this committee
    with pytest.raises(SpecError, match="member 1's approval does not verify"):
        spec(committee, he_key_id=other.public_context.key_id)
    # one member's approval replaced by its approval from another committee
    forged = dataclasses.replace(good, approvals=(good.approvals[0], Message.from_bytes(other.approvals[1]).signature,
                                                  good.approvals[2]))
    with pytest.raises(SpecError, match="member 2's approval"):
        spec(committee, committee=forged)
    # a roster key swapped (the committee id changes, so every approval fails)
    swapped = dataclasses.replace(good, signing_keys=(other.roster.signing_keys[0], *good.signing_keys[1:]))
    with pytest.raises(SpecError, match="approval does not verify"):
        spec(committee, committee=swapped)
    # decoding refuses a tampered approval too (a holder decodes the spec before encrypting)
    data = spec(committee).to_bytes()
    sig = good.approvals[2]
    bad = data.replace(sig, sig[:100] + bytes([sig[100] ^ 1]) + sig[101:])
    with pytest.raises(MessageFormatError, match="member 3's approval"):
        StudySpec.from_bytes(bad)


def test_committee_rules(committee):
    with pytest.raises(SpecError, match="quorum >= 3"):
        spec(committee, quorum=2)
    with pytest.raises(SpecError, match="sized for 4 participants"):
        spec(committee, participants=tuple(Participant(f"p{i}", 5 + i, 1, bytes([i + 1]) * 32) for i in range(5)))
    with pytest.raises(SpecError, match="other HE parameters"):
        spec(committee, he_preset="bfv-16384")
    with pytest.raises(SpecError, match="approval"):
        KeyCommittee.from_setup(committee.roster, committee.approvals[:2])
