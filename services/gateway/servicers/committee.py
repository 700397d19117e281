"""CommitteeService (issue 23): the gateway relays a key committee's messages and serves a committee
study's contribution ciphertexts to its members, and to nobody else.

The relay learns nothing: every message is signed by its sender's hybrid roster key (checked here
before it is relayed, so nobody can post in a member's name) and Shamir and decryption shares are
HPKE-sealed to their recipient.  A slot (kind, sender, recipient, context) holds one message: an
identical repost is idempotent, a different one is refused (equivocation is never relayed).

The relay lives in this gateway process's memory (bounded: :data:`MAX_COMMITTEES` rosters,
:data:`MAX_MESSAGES` messages each): a restart loses setup messages in flight (members run setup
again) and, with several gateway processes on one PostgreSQL, a committee's calls must reach one
process.  The study record itself — spec with the committee's approvals, submissions, aggregate,
release — is in the store, as for every study.
"""

from __future__ import annotations

import json
import threading

from zkgate.errors import CryptoError, InvalidInputError
from zkgate.he.committee import Message, Roster
from zkgate.study.committee_relay import contributions_bytes
from zkgate.study.contribution_commit import ContributionCommit
from zkgate.study.errors import LateSubmissionError
from zkgate.study.spec import StudySpec

from ...errors import AlreadyExistsError, NotFoundError, PermissionDeniedError, PreconditionError, TooLargeError
from ...v1 import committee_pb2, committee_pb2_grpc, common_pb2
from ...wire import DEFAULT_CHUNK_SIZE, chunked
from ..security import caller, require_acting_as, require_study_requester
from ..store import Store
from .audit import audit_entry
from .common import rpc

MAX_COMMITTEES = 256
MAX_MESSAGES = 4096  # per committee: setup is O(N^2) messages (Shamir), decryption O(t) per request
RELAYED_KINDS = ("round1", "key-commit", "key-reveal", "approve", "shamir", "decryption-request", "decryption-share")


class _Relay:
    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self.data = roster.to_bytes()
        self.slots: dict[tuple[str, int, int, bytes], bytes] = {}
        self.order: list[tuple[str, int, int, bytes]] = []


COMMIT_LEAF = "contribution_commit"
CLOSED_LEAF = "commit_phase_closed"


def _check_study_id(study_id: str) -> str:
    if len(study_id) != 64 or any(c not in "0123456789abcdef" for c in study_id):
        raise InvalidInputError(f"study_id must be 64 lowercase hex digits, got {study_id!r}")
    return study_id


def commit_phase(store: Store, study_id: str) -> tuple[dict[str, str], list[str] | None]:
    """From the audit log: each participant's first committed envelope digest (hex), and the
    participants the closing leaf lists (None while the commit phase is open)."""
    size = store.audit_read(lambda log: log.size)
    commits: dict[str, str] = {}
    closed = None
    for _, entry in store.audit_entries(0, size):
        if entry.kind not in (COMMIT_LEAF, CLOSED_LEAF):
            continue
        data = json.loads(entry.data)
        if data.get("study_id") != study_id:
            continue
        if entry.kind == COMMIT_LEAF:
            commits.setdefault(data["participant"], data["envelope_digest"])
        elif closed is None:
            closed = list(data["participants"])
    return commits, closed


def check_committed_submission(store: Store, study_id: str, spec: StudySpec, participant: str,
                               envelope_digest: bytes) -> None:
    """StudyService.Submit's extra check for a committee study: the commit phase is closed, this
    participant committed, and the submission carries the ciphertext it committed to."""
    if spec.committee is None:
        return
    commits, closed = commit_phase(store, study_id)
    if closed is None:
        raise PreconditionError(f"study {study_id} is decrypted by a key committee: ciphertexts are uploaded only "
                                "after the commit phase closes (CommitContribution, then the requester's "
                                "CloseCommitPhase)")
    if participant not in closed:
        raise LateSubmissionError(f"{participant!r} did not commit to its ciphertext before the commit phase closed")
    if commits[participant] != envelope_digest.hex():
        raise PermissionDeniedError(f"the submission of {participant!r} carries another ciphertext than the one it "
                                    "committed to (refused: a ciphertext is fixed before anyone sees another)")


class CommitteeServicer(committee_pb2_grpc.CommitteeServiceServicer):
    def __init__(self, store: Store) -> None:
        self.store = store
        self._relays: dict[bytes, _Relay] = {}
        self._lock = threading.Lock()

    def _relay(self, committee_id: bytes) -> _Relay:
        with self._lock:
            relay = self._relays.get(bytes(committee_id))
        if relay is None:
            raise NotFoundError(f"no committee {bytes(committee_id).hex()[:16]}... on this gateway process "
                                "(RegisterCommittee first; the relay is per process and does not survive a restart)")
        return relay

    @staticmethod
    def _info(relay: _Relay) -> committee_pb2.CommitteeInfo:
        cp = relay.roster.cp
        return committee_pb2.CommitteeInfo(committee_id=relay.roster.committee_id, roster=relay.data,
                                           members=cp.members, threshold=cp.threshold, he_preset=cp.params.name)

    @rpc
    def RegisterCommittee(self, request, context):
        roster = Roster.from_bytes(request.roster)  # refuses a preset that cannot serve a committee, with the reason
        cid = roster.committee_id
        with self._lock:
            relay = self._relays.get(cid)
            if relay is None:
                if len(self._relays) >= MAX_COMMITTEES:
                    raise TooLargeError(f"this gateway process relays at most {MAX_COMMITTEES} committees")
                relay = self._relays[cid] = _Relay(roster)
        return self._info(relay)

    @rpc
    def GetCommittee(self, request, context):
        return self._info(self._relay(request.committee_id))

    @rpc
    def PostCommitteeMessage(self, request, context):
        msg = Message.from_bytes(request.message)
        if msg.kind not in RELAYED_KINDS:
            raise InvalidInputError(f"a {msg.kind} message is not relayed (fetch authorisations go to GetContributions)")
        relay = self._relay(msg.committee_id)
        try:
            msg.verify(relay.roster)  # nobody posts in a member's name, nor into another committee
        except CryptoError as exc:
            raise PermissionDeniedError(f"not relayed: {exc}") from exc
        slot = (msg.kind, msg.sender, msg.recipient, bytes(request.context))
        data = msg.to_bytes()
        with self._lock:
            old = relay.slots.get(slot)
            if old is None:
                if len(relay.order) >= MAX_MESSAGES:
                    raise TooLargeError(f"the committee's relay holds at most {MAX_MESSAGES} messages")
                relay.slots[slot] = data
                relay.order.append(slot)
            elif old != data:
                raise AlreadyExistsError(f"member {msg.sender} already posted another {msg.kind} message to "
                                         f"{'everyone' if msg.recipient == 0 else f'member {msg.recipient}'} "
                                         "(equivocation is not relayed)")
            sequence = relay.order.index(slot) + 1
        return committee_pb2.PostCommitteeMessageResponse(sequence=sequence)

    @rpc
    def GetCommitteeMessages(self, request, context):
        relay = self._relay(request.committee_id)
        with self._lock:
            out = [relay.slots[s] for s in relay.order
                   if s[0] == request.kind and s[2] == request.recipient and s[3] == bytes(request.context)]
        return committee_pb2.GetCommitteeMessagesResponse(messages=out)

    @rpc
    def GetContributions(self, request, context):
        record = self.store.get_study(_check_study_id(request.study_id))
        if record is None:
            raise NotFoundError(f"no study {request.study_id} on this gateway")
        spec = StudySpec.from_bytes(record.spec)  # verifies the committee's approvals again
        if spec.committee is None:
            raise PreconditionError("this study has a single key holder: contribution ciphertexts are served to "
                                    "a key committee's members only, and this study has none")
        msg = Message.from_bytes(request.authorization)
        roster = spec.committee.roster(spec.params)
        try:
            msg.verify(roster)
        except CryptoError as exc:
            raise PermissionDeniedError(f"GetContributions is for the study's committee members only: {exc}") from exc
        if msg.kind != "fetch" or msg.payload != (spec.study_id_bytes,):
            raise PermissionDeniedError("GetContributions needs a fetch message signed by a committee member over "
                                        "this study's id")
        if not record.aggregate_blob:
            raise PreconditionError("the study is still open: members fetch the contributions after CloseStudy")
        if record.state == "CANCELLED":
            raise PreconditionError("the study was cancelled: nothing is decrypted")
        caller(context)  # authenticated by the interceptor (any role); membership is the signature above
        subs = [self.store.read_blob(s.submission_blob) for s in self.store.list_submissions(record.study_id)]
        data = contributions_bytes(self.store.read_blob(record.aggregate_blob), subs)
        return iter([common_pb2.Chunk(data=piece) for piece in chunked(data, DEFAULT_CHUNK_SIZE)])

    def _committee_study(self, study_id: str):
        record = self.store.get_study(_check_study_id(study_id))
        if record is None:
            raise NotFoundError(f"no study {study_id} on this gateway")
        spec = StudySpec.from_bytes(record.spec)
        if spec.committee is None:
            raise PreconditionError("this study has a single key holder: there is no commit phase, submit directly")
        if record.state != "OPEN":
            raise PreconditionError(f"the study is {record.state.lower()}")
        return record, spec

    @rpc
    def CommitContribution(self, request, context):
        record, spec = self._committee_study(request.study_id)
        commit = ContributionCommit.from_bytes(request.commitment)
        require_acting_as(context, commit.participant, "commit to a contribution")
        if commit.study_id != spec.study_id:
            raise InvalidInputError("the commitment is for another study than the request names")
        commit.verify_signature(spec.participant(commit.participant).verify_key)
        with self._lock:  # one process decides at a time (several processes: the first leaf in the log counts)
            commits, closed = commit_phase(self.store, record.study_id)
            if closed is not None:
                raise LateSubmissionError(f"the commit phase of study {record.study_id} is closed; "
                                          f"{commit.participant!r} cannot commit any more")
            old = commits.get(commit.participant)
            if old is not None and old != commit.envelope_digest.hex():
                raise AlreadyExistsError(f"{commit.participant!r} already committed to another ciphertext")
            if old is not None:
                return committee_pb2.CommitContributionResponse()
            index = self.store.append_audit(audit_entry(
                COMMIT_LEAF, study_id=record.study_id, participant=commit.participant,
                envelope_digest=commit.envelope_digest.hex(), commitment_digest=commit.digest.hex()))
        return committee_pb2.CommitContributionResponse(audit_leaf_index=index)

    @rpc
    def CloseCommitPhase(self, request, context):
        record, spec = self._committee_study(request.study_id)
        require_study_requester(context, record.requester, "close this study's commit phase", admin_too=True)
        with self._lock:
            commits, closed = commit_phase(self.store, record.study_id)
            if closed is not None:
                return committee_pb2.CloseCommitPhaseResponse(participants=closed)
            if len(commits) < spec.quorum:
                raise PreconditionError(f"{len(commits)} participant(s) committed, the study's quorum is {spec.quorum}")
            names = list(commits)
            index = self.store.append_audit(audit_entry(CLOSED_LEAF, study_id=record.study_id, participants=names))
        return committee_pb2.CloseCommitPhaseResponse(participants=names, audit_leaf_index=index)


__all__ = ["CLOSED_LEAF", "COMMIT_LEAF", "CommitteeServicer", "check_committed_submission", "commit_phase"]
