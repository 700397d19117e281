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

import threading

from zkgate.errors import CryptoError, InvalidInputError
from zkgate.he.committee import Message, Roster
from zkgate.study.committee_relay import contributions_bytes
from zkgate.study.spec import StudySpec

from ...errors import AlreadyExistsError, NotFoundError, PermissionDeniedError, PreconditionError, TooLargeError
from ...v1 import committee_pb2, committee_pb2_grpc, common_pb2
from ...wire import DEFAULT_CHUNK_SIZE, chunked
from ..security import caller
from ..store import Store
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
        study_id = request.study_id
        if len(study_id) != 64 or any(c not in "0123456789abcdef" for c in study_id):
            raise InvalidInputError(f"study_id must be 64 lowercase hex digits, got {study_id!r}")
        record = self.store.get_study(study_id)
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


__all__ = ["CommitteeServicer"]
