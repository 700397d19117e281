"""CommitteeService (issue 23): the gateway relays a key committee's messages and serves a committee
study's contribution ciphertexts to its members, and to nobody else.

The relay learns nothing: every message is signed by its sender's hybrid roster key (checked here
before it is relayed, so nobody can post in a member's name) and Shamir and decryption shares are
HPKE-sealed to their recipient.  A slot (kind, sender, recipient, context) holds one message: an
identical repost is idempotent, a different one is refused (equivocation is never relayed).

The relay lives in the gateway's store (tables ``committees`` and ``committee_messages``, bounded:
:data:`MAX_COMMITTEES` rosters, :data:`MAX_MESSAGES` messages each): it survives a restart, and
every gateway process on one PostgreSQL serves every committee.  The store decides each post in
one transaction holding the committee's lock (the slot check, the bound, the next sequence
number), so two processes never relay two messages in one slot.  A committee study's commit
phase is decided by the store as well: CommitContribution and CloseCommitPhase read the log's
commit leaves and append theirs in one transaction under the audit lock
(:meth:`Store.append_audit_decided`), so two processes never both accept conflicting commits, nor
close twice with different participant lists.  The audit leaves are the record; the study record
itself — spec with the committee's approvals, submissions, aggregate, release — is in the store,
as for every study.  This process keeps only parsed rosters, which never change (a committee's id
is its roster's hash).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

from zkgate.errors import CryptoError, InvalidInputError
from zkgate.he.committee import Message, Roster
from zkgate.study.committee_relay import contributions_bytes
from zkgate.study.contribution_commit import ContributionCommit
from zkgate.study.errors import LateSubmissionError
from zkgate.study.spec import StudySpec

from ...errors import AlreadyExistsError, NotFoundError, PermissionDeniedError, PreconditionError
from ...v1 import committee_pb2, committee_pb2_grpc, common_pb2
from ...wire import DEFAULT_CHUNK_SIZE, chunked
from ..security import caller, require_acting_as, require_study_requester
from ..store import CommitteeMessage, Store
from .audit import audit_entry
from .common import rpc

MAX_COMMITTEES = 65536  # in the store, over the gateway's life: each committee study has a fresh committee
CACHED_ROSTERS = 256  # parsed rosters a process keeps in memory (least recently used dropped)
MAX_MESSAGES = 4096  # per committee: setup is O(N^2) messages (Shamir), decryption O(t) per request
RELAYED_KINDS = ("round1", "key-commit", "key-reveal", "approve", "shamir", "decryption-request", "decryption-share")


COMMIT_LEAF = "contribution_commit"
CLOSED_LEAF = "commit_phase_closed"
COMMIT_PHASE_KINDS = (COMMIT_LEAF, CLOSED_LEAF)


def _check_study_id(study_id: str) -> str:
    if len(study_id) != 64 or any(c not in "0123456789abcdef" for c in study_id):
        raise InvalidInputError(f"study_id must be 64 lowercase hex digits, got {study_id!r}")
    return study_id


def commit_phase(store: Store, study_id: str) -> tuple[dict[str, str], list[str] | None]:
    """From the audit log: each participant's first committed envelope digest (hex), and the
    participants the closing leaf lists (None while the commit phase is open)."""
    return _commit_state([entry for _, entry in store.audit_entries_of_kinds(COMMIT_PHASE_KINDS)], study_id)


def _commit_state(entries, study_id: str) -> tuple[dict[str, str], list[str] | None]:
    commits: dict[str, str] = {}
    closed = None
    for entry in entries:
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
        self._rosters: OrderedDict[bytes, Roster] = OrderedDict()  # parsed, immutable; least recently used out first
        self._lock = threading.Lock()

    def _roster(self, committee_id: bytes) -> Roster:
        cid = bytes(committee_id)
        with self._lock:
            roster = self._rosters.get(cid)
            if roster is not None:
                self._rosters.move_to_end(cid)
                return roster
        data = self.store.get_committee(cid)
        if data is None:
            raise NotFoundError(f"no committee {cid.hex()[:16]}... on this gateway (RegisterCommittee first)")
        return self._keep(Roster.from_bytes(data))

    def _keep(self, roster: Roster) -> Roster:
        with self._lock:
            self._rosters[roster.committee_id] = roster
            self._rosters.move_to_end(roster.committee_id)
            while len(self._rosters) > CACHED_ROSTERS:
                self._rosters.popitem(last=False)
        return roster

    @staticmethod
    def _info(roster: Roster) -> committee_pb2.CommitteeInfo:
        cp = roster.cp
        return committee_pb2.CommitteeInfo(committee_id=roster.committee_id, roster=roster.to_bytes(),
                                           members=cp.members, threshold=cp.threshold, he_preset=cp.params.name)

    @rpc
    def RegisterCommittee(self, request, context):
        roster = Roster.from_bytes(request.roster)  # refuses a preset that cannot serve a committee, with the reason
        self.store.add_committee(roster.committee_id, roster.to_bytes(), MAX_COMMITTEES)  # idempotent
        return self._info(self._keep(roster))

    @rpc
    def GetCommittee(self, request, context):
        return self._info(self._roster(request.committee_id))

    @rpc
    def PostCommitteeMessage(self, request, context):
        msg = Message.from_bytes(request.message)
        if msg.kind not in RELAYED_KINDS:
            raise InvalidInputError(f"a {msg.kind} message is not relayed (fetch authorisations go to GetContributions)")
        roster = self._roster(msg.committee_id)
        try:
            msg.verify(roster)  # nobody posts in a member's name, nor into another committee
        except CryptoError as exc:
            raise PermissionDeniedError(f"not relayed: {exc}") from exc
        stored = self.store.add_committee_message(  # the store decides: slot taken, bound, sequence
            CommitteeMessage(roster.committee_id, msg.kind, msg.sender, msg.recipient, bytes(request.context),
                             msg.to_bytes()),
            MAX_MESSAGES)
        return committee_pb2.PostCommitteeMessageResponse(sequence=stored.sequence)

    @rpc
    def GetCommitteeMessages(self, request, context):
        roster = self._roster(request.committee_id)
        out = self.store.committee_messages(roster.committee_id, request.kind, request.recipient,
                                            bytes(request.context))
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
        fresh = False

        def decide(entries):  # in the store's transaction holding the audit lock, whichever process runs it
            nonlocal fresh
            commits, closed = _commit_state(entries, record.study_id)
            if closed is not None:
                raise LateSubmissionError(f"the commit phase of study {record.study_id} is closed; "
                                          f"{commit.participant!r} cannot commit any more")
            old = commits.get(commit.participant)
            if old is not None and old != commit.envelope_digest.hex():
                raise AlreadyExistsError(f"{commit.participant!r} already committed to another ciphertext")
            if old is not None:
                return None  # the same commitment again: idempotent
            fresh = True
            return audit_entry(COMMIT_LEAF, study_id=record.study_id, participant=commit.participant,
                               envelope_digest=commit.envelope_digest.hex(), commitment_digest=commit.digest.hex())

        index = self.store.append_audit_decided(COMMIT_PHASE_KINDS, decide)
        if not fresh:
            return committee_pb2.CommitContributionResponse()
        return committee_pb2.CommitContributionResponse(audit_leaf_index=index)

    @rpc
    def CloseCommitPhase(self, request, context):
        record, spec = self._committee_study(request.study_id)
        require_study_requester(context, record.requester, "close this study's commit phase", admin_too=True)
        names: list[str] = []

        def decide(entries):  # in the store's transaction holding the audit lock, whichever process runs it
            commits, closed = _commit_state(entries, record.study_id)
            if closed is not None:
                names[:] = closed
                return None  # closed already (by this process or another): the list the log holds
            if len(commits) < spec.quorum:
                raise PreconditionError(f"{len(commits)} participant(s) committed, the study's quorum is {spec.quorum}")
            names[:] = commits
            return audit_entry(CLOSED_LEAF, study_id=record.study_id, participants=list(commits))

        index = self.store.append_audit_decided(COMMIT_PHASE_KINDS, decide)
        if index is None:
            return committee_pb2.CloseCommitPhaseResponse(participants=names)
        return committee_pb2.CloseCommitPhaseResponse(participants=names, audit_leaf_index=index)


__all__ = ["CLOSED_LEAF", "COMMIT_LEAF", "CommitteeServicer", "check_committed_submission", "commit_phase"]
