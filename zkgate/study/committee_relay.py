"""A key committee driven through a relay (the gateway's CommitteeService; issue 23), grpc-free.

``relay`` is any object with ``post(message: bytes, context: bytes = b"")`` and ``get(committee_id,
kind, recipient=0, context=b"") -> list[bytes]`` (``zkgate.services.client.committee_client``
gives one over gRPC).  Every message is the committee's own signed message
(:mod:`zkgate.he.committee`); the relay only stores and forwards them.

* :func:`setup_stage` runs one setup stage for one member (``round1``, ``commit``, ``reveal``,
  ``approve``, ``deal``, ``receive``), reading what it needs from the relay; :data:`STAGES` in
  order, each after every member finished the previous one.  After ``approve`` every member checks
  all approvals (:meth:`CommitteeMember.check_approvals`); the requester puts them in the spec
  (:meth:`zkgate.study.key_committee.KeyCommittee.from_setup`).
* :func:`recompute_aggregate`: a member's own sum of a closed study's contributions as
  ``GetContributions`` served them — the gateway's signature on the aggregate, the submissions'
  signatures, the aggregate's list of submission digests and commitment sum are checked, then the
  ciphertexts are added here; the member never decrypts the gateway's sum.
* :func:`post_request` (the requester), :func:`answer_request` (a member: only for the aggregate it
  recomputed, for a request naming the signed aggregate it checked), :func:`combine_shares` (the
  requester: t shares, range check, the commitment equation; nothing is returned otherwise).
"""

from __future__ import annotations

from zkgate.errors import CryptoError
from zkgate.he import Aggregator as HEAggregator
from zkgate.he.committee import (
    CommitteeMember,
    DecryptionRequest,
    TransportKey,
    aggregate_digest,
    combine_aggregate,
    open_aggregate_shares,
)
from zkgate.he.errors import AggregateRangeError
from zkgate.study import encoding as enc
from zkgate.study.aggregator import sum_points
from zkgate.study.errors import SpecError
from zkgate.study.messages import Aggregate, Submission
from zkgate.study.release import commitment_opens
from zkgate.study.spec import StudySpec

CONTRIBUTIONS_KIND = "committee-contributions"
STAGES = ("round1", "commit", "reveal", "approve", "deal", "receive")


def setup_stage(member: CommitteeMember, relay, stage: str) -> None:
    cid = member.cid
    if stage == "round1":
        relay.post(member.round1())
    elif stage == "commit":
        relay.post(member.key_commit(relay.get(cid, "round1")))
    elif stage == "reveal":
        relay.post(member.key_reveal(relay.get(cid, "key-commit")))
    elif stage == "approve":
        relay.post(member.approve(relay.get(cid, "key-reveal")))
    elif stage == "deal":
        member.check_approvals(relay.get(cid, "approve"))
        if member.cp.threshold < member.cp.members:
            for msg in member.deal():
                relay.post(msg)
    elif stage == "receive":
        if member.cp.threshold < member.cp.members:
            member.receive_shares(relay.get(cid, "shamir", member.index))
    else:
        raise ValueError(f"unknown setup stage {stage!r}; one of {STAGES}")


def contributions_bytes(aggregate: bytes, submissions: list[bytes]) -> bytes:
    """What ``GetContributions`` streams: the signed aggregate and every accepted submission."""
    return enc.pack(enc.header(CONTRIBUTIONS_KIND) + [bytes(aggregate), [bytes(s) for s in submissions]])


def recompute_aggregate(spec: StudySpec, public_context, contributions: bytes) -> tuple[Aggregate, bytes]:
    """The gateway's signed aggregate (checked) and this member's own homomorphic sum of the submissions."""
    it = enc.unpack(contributions, CONTRIBUTIONS_KIND)
    if len(it) != 2:
        raise SpecError(f"{CONTRIBUTIONS_KIND}: expected 2 items")
    agg = Aggregate.from_bytes(enc.read_bytes(it[0], "aggregate"))
    agg.verify_signature(spec.gateway_key)
    if agg.study_id != spec.study_id:
        raise CryptoError("the aggregate belongs to another study")
    subs = [Submission.from_bytes(enc.read_bytes(x, "submission")) for x in enc.read_list(it[1], "submissions")]
    for sub in subs:
        if sub.study_id != spec.study_id:
            raise CryptoError(f"{sub.participant}'s submission belongs to another study")
        sub.verify_signature(spec.participant(sub.participant).verify_key)
    if len({s.participant for s in subs}) != len(subs) or len(subs) < spec.quorum:
        raise CryptoError(f"the aggregate adds {len(subs)} distinct contributions, below the study's quorum "
                          f"{spec.quorum}: refusing to decrypt")
    if tuple((s.participant, s.digest) for s in subs) != tuple(agg.included):
        raise CryptoError("the submissions served are not those the signed aggregate lists")
    if tuple(sum_points(s.commitment for s in subs)) != tuple(agg.commitment):
        raise CryptoError("the aggregate's commitment is not the sum of the submissions' commitments")
    he = HEAggregator(public_context, spec.layout(), study_id=spec.study_id_bytes)
    for sub in subs:
        he.add(sub.envelope)
    return agg, he.result()


def post_request(requester: CommitteeMember, relay, spec: StudySpec, aggregate: bytes,
                 active: tuple[int, ...]) -> DecryptionRequest:
    """The requester (a member) names the gateway's aggregate by digest and the signed aggregate message."""
    agg = Aggregate.from_bytes(aggregate)
    digest = aggregate_digest(requester.cp, agg.envelope, spec.he_key_id, spec.layout())
    request = DecryptionRequest(requester.cid, digest, tuple(sorted(active)), requester.index, agg.digest)
    relay.post(requester._sign("decryption-request", request.payload()))
    return request


def answer_request(member: CommitteeMember, relay, spec: StudySpec, public_context, contributions: bytes,
                   request_message: bytes) -> bytes:
    """A member's decryption share for a relayed request — only for the sum it recomputed itself."""
    msg = member.transcript.accept(request_message, "decryption-request")
    request = DecryptionRequest.from_message(msg)
    agg, own = recompute_aggregate(spec, public_context, contributions)
    if request.log_position != agg.digest:
        raise CryptoError("refusing to decrypt: the request names another aggregate than the gateway signed")
    share = member.aggregate_share(request, own, spec.he_key_id, spec.layout())
    relay.post(share, request.digest())
    return share


def combine_shares(requester: CommitteeMember, transport: TransportKey, relay, spec: StudySpec, aggregate: bytes,
                   request: DecryptionRequest, submissions: list[Submission]) -> dict:
    """The requester's decoded values, only if t shares combine within range and open the commitments."""
    agg = Aggregate.from_bytes(aggregate)
    msgs = relay.get(requester.cid, "decryption-share", requester.index, request.digest())
    chunks = len(open_aggregate_chunks(requester, agg.envelope, spec))
    shares = open_aggregate_shares(requester.roster, requester.index, transport, request, msgs, chunks)
    if len(shares) < requester.cp.threshold:
        raise CryptoError(f"{len(shares)} of the {requester.cp.threshold} decryption shares arrived so far")
    try:
        values = combine_aggregate(requester.cp, agg.envelope, spec.he_key_id, shares, spec.layout())
    except AggregateRangeError as exc:
        raise CryptoError(f"the committee's decryption does not check: {exc}; nothing is published") from exc
    total = sum_points(s.commitment for s in submissions)
    if not commitment_opens(spec, spec.join_values(values), int(values["rho"]), total):
        raise CryptoError("the combined shares do not open the participants' commitments (a wrong decryption "
                          f"share from one of members {list(request.active)}); nothing is published")
    return values


def open_aggregate_chunks(member: CommitteeMember, envelope: bytes, spec: StudySpec) -> list:
    from zkgate.he.committee import _aggregate_chunks

    return _aggregate_chunks(member.cp, envelope, spec.he_key_id, spec.layout())[1]


__all__ = ["CONTRIBUTIONS_KIND", "STAGES", "answer_request", "combine_shares", "contributions_bytes",
           "post_request", "recompute_aggregate", "setup_stage"]
