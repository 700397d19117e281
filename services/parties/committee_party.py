"""A key committee whose members all run in this process but talk only through a gateway (issue 23):
``zkgate demo --key-holders N --threshold T``.

Every setup message, Shamir share, decryption request and decryption share goes through the
gateway's CommitteeService relay (signed, shares sealed); each member fetches the closed study's
contributions with its own signed ``fetch`` message and recomputes the aggregate itself.  Member 1
is the requester: it asks the active set 1..T, combines the shares, and publishes only if the
commitment equation holds.  ``tamper_member`` posts a wrong decryption share (``--tamper share``).

When the combination fails, attribution decrypts fresh known ciphertexts under the joint key with
active sets covering every member (:func:`zkgate.he.threshold.attribute`) — in this process, not
through the gateway (a member never answers the study's aggregate under a second active set).
"""

from __future__ import annotations

import os

import numpy as np
import tenseal as ts

from zkgate.errors import CryptoError
from zkgate.he.committee import (
    CommitteeMember,
    DecryptionRequest,
    Message,
    Roster,
    TransportKey,
    _poly_bytes,
    ciphertext_digest,
    open_decryption_shares,
    read_ciphertext,
    seal,
)
from zkgate.he.presets import get_preset
from zkgate.he.threshold import CommitteeParams, Trial, attribute, covering_subsets
from zkgate.study import encoding as enc
from zkgate.study.committee_relay import (
    CONTRIBUTIONS_KIND,
    STAGES,
    answer_request,
    combine_shares,
    post_request,
    recompute_aggregate,
    setup_stage,
)
from zkgate.study.identity import SigningKey
from zkgate.study.key_committee import KeyCommittee
from zkgate.study.messages import Submission

from ..client.committee_client import CommitteeRelay


class GatewayCommittee:
    def __init__(self, client, preset: str, members: int, threshold: int, participants: int, *,
                 tamper_member: int | None = None) -> None:
        self.cp = CommitteeParams(get_preset(preset), members, threshold, participants)  # refuses bfv-4096
        self.relay = CommitteeRelay(client)
        sks = [SigningKey.generate() for _ in range(members)]
        self.transport = [TransportKey.generate() for _ in range(members)]
        self.roster = Roster(self.cp, os.urandom(32), tuple(k.public for k in sks),
                             tuple(k.public for k in self.transport))
        self.relay.register(self.roster.to_bytes())
        self.team = [CommitteeMember(self.roster, i + 1, sks[i], self.transport[i]) for i in range(members)]
        for stage in STAGES:
            for m in self.team:
                setup_stage(m, self.relay, stage)
        self.public_context = self.team[0].public_context
        self.tamper_member = tamper_member

    def key_committee(self) -> KeyCommittee:
        return KeyCommittee.from_setup(self.roster, self.relay.get(self.roster.committee_id, "approve"))

    def _fetch(self, member: CommitteeMember, spec, study_id: str) -> bytes:
        return self.relay.contributions(study_id, member._sign("fetch", [spec.study_id_bytes]))

    def decrypt(self, spec, study_id: str, aggregate: bytes) -> dict:
        """The active set 1..t decrypts through the gateway; the values, or CryptoError naming the
        member(s) whose shares fail (nothing is published then)."""
        active = tuple(range(1, self.cp.threshold + 1))
        requester = self.team[0]
        request = post_request(requester, self.relay, spec, aggregate, active)
        [req_msg] = self.relay.get(self.roster.committee_id, "decryption-request")
        for i in active:
            member = self.team[i - 1]
            contributions = self._fetch(member, spec, study_id)
            if i == self.tamper_member:
                self._post_wrong_share(member, spec, contributions, req_msg, request)
            else:
                answer_request(member, self.relay, spec, self.public_context, contributions, req_msg)
        subs = [Submission.from_bytes(x)
                for x in enc.unpack(self._fetch(requester, spec, study_id), CONTRIBUTIONS_KIND)[1]]
        try:
            return combine_shares(requester, self.transport[0], self.relay, spec, aggregate, request, subs)
        except CryptoError as exc:
            if self.cp.threshold == self.cp.members:
                raise CryptoError(f"{exc}; with threshold = members the failing member cannot be named") from exc
            bad = sorted(self._attribute())
            raise CryptoError(f"{exc}; decrypting fresh known ciphertexts with active sets covering every member "
                              f"names member(s) {bad} as posting wrong decryption shares") from exc

    def _post_wrong_share(self, member: CommitteeMember, spec, contributions: bytes, req_msg: bytes,
                          request: DecryptionRequest) -> None:
        post_wrong_share(member, self.relay, spec, self.public_context, contributions, req_msg, request)

    def _attribute(self) -> set[int]:
        """Members whose shares fail on fresh known ciphertexts (one per covering active set)."""
        trials, expected = [], {}
        for j, active in enumerate(covering_subsets(self.cp.members, self.cp.threshold)):
            active = tuple(active)
            known = [int(v) for v in np.random.default_rng(j).integers(0, 1 << 20, 64)]
            data = ts.bfv_vector(self.public_context.open(), known).serialize()
            request = DecryptionRequest(self.roster.committee_id, ciphertext_digest(data), active, requester=1)
            msgs = []
            for i in active:
                msg = self.team[i - 1].decryption_share(request, data)
                if i == self.tamper_member:
                    m = Message.from_bytes(msg)
                    plain = self._open(m, i)
                    sealed = seal(self.roster.transport_keys[0], shifted_share(self.cp, plain), self.roster.committee_id,
                                  "decryption-share", i, 1)
                    msg = self.team[i - 1]._sign("decryption-share", [request.digest(), sealed], recipient=1)
                msgs.append(msg)
            shares = open_decryption_shares(self.roster, 1, self.transport[0], request, msgs)
            length, ct = read_ciphertext(self.cp, data)
            trial = Trial(active, ct, length, {sh.index: sh for sh in shares})
            trials.append(trial)
            expected[active] = known
        bad, _ = attribute(self.cp, trials, lambda trial, slots: slots == expected[trial.active])
        return bad

    def _open(self, msg: Message, sender: int) -> bytes:
        from zkgate.he.committee import open_sealed

        return open_sealed(self.transport[0], msg.payload[1], self.roster.committee_id, "decryption-share", sender, 1)


def post_wrong_share(member: CommitteeMember, relay, spec, public_context, contributions: bytes, req_msg: bytes,
                     request: DecryptionRequest) -> None:
    """``--tamper share``: the member's share of chunk 0 shifted by Δ, sealed and signed as usual."""
    member.transcript.accept(req_msg, "decryption-request")
    _, own = recompute_aggregate(spec, public_context, contributions)
    from zkgate.he.committee import _aggregate_chunks

    chunks = _aggregate_chunks(member.cp, own, spec.he_key_id, spec.layout())[1]
    body = shifted_share(member.cp, member._share_of([ct for _, ct in chunks], request.active))
    requester = request.requester
    sealed = seal(member.roster.transport_keys[requester - 1], body, member.cid, "decryption-share", member.index,
                  requester)
    relay.post(member._sign("decryption-share", [request.digest(), sealed], recipient=requester), request.digest())


def shifted_share(cp: CommitteeParams, body: bytes) -> bytes:
    """A decryption share with Δ added to its first polynomial's constant term (a wrong share)."""
    rows = len(cp.data_moduli)
    polys = np.frombuffer(body, dtype="<u8").astype(np.uint64).reshape(-1, cp.n).copy()
    ring = cp.data_ring()
    polys[:rows] = ring.add(polys[:rows], ring.from_ints([cp.delta] + [0] * (cp.n - 1)))
    return _poly_bytes(polys)


def committee_release(committee: GatewayCommittee, spec, study_id: str, aggregate: bytes, submissions, key_holder):
    """Decrypt through the committee, then the usual release checks and signature (StudyKeyHolder)."""
    from .committee_study import sign_release

    return sign_release(spec, committee.decrypt(spec, study_id, aggregate), aggregate, submissions, key_holder)


__all__ = ["GatewayCommittee", "committee_release", "post_wrong_share", "shifted_share"]
