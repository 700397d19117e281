"""The key committee as a study spec carries it (issue 23): who holds the joint key, and their approvals.

A study decrypted by a key committee (:mod:`zkgate.he.committee`) names in its spec the whole
roster — the HE parameters' fingerprint, N, t, the maximum number of participants the noise
budget was sized for, the roster nonce, every member's hybrid signing key and hybrid transport
key — and every member's ``approve`` signature over the joint public key's key id.  The roster
hashes to the committee id (:attr:`zkgate.he.committee.Roster.committee_id`), so the approvals
are exactly the committee messages the members exchanged during setup, and a data holder that
decodes the spec checks, before it encrypts anything, that **all N members** signed the very
key id the spec names (``he_key_id``; :func:`zkgate.study.contributor.check_public_context`
then checks the public context against it).  A gateway or requester that substitutes its own
public key would need N member signatures over it.

Encoding (the spec's optional ``["committee", ...]`` item, docs/messages.md section 5)::

    [params_fingerprint (32), members, threshold, max_participants, nonce (32),
     [signing key (1,984)]*N, [transport key (1,216)]*N, [approve signature (3,373)]*N]
"""

from __future__ import annotations

from dataclasses import dataclass

from zkgate import signing
from zkgate.errors import ZkgateError
from zkgate.he.presets import HEParams
from zkgate.study import encoding as enc
from zkgate.study.errors import MessageFormatError, SpecError

TAG = "committee"
MAX_MEMBERS = 16


@dataclass(frozen=True)
class KeyCommittee:
    """The committee a study's joint key comes from, with every member's approval of that key."""

    params_fingerprint: bytes
    members: int
    threshold: int
    max_participants: int
    nonce: bytes
    signing_keys: tuple[bytes, ...]
    transport_keys: tuple[bytes, ...]
    approvals: tuple[bytes, ...]  # member i's hybrid signature of its approve message, in index order

    def __post_init__(self) -> None:
        n = self.members
        if type(n) is not int or not 2 <= n <= MAX_MEMBERS:
            raise SpecError(f"a key committee has 2..{MAX_MEMBERS} members, got {n!r}")
        if type(self.threshold) is not int or not 2 <= self.threshold <= n:
            raise SpecError(f"a key committee's threshold is in [2, {n}], got {self.threshold!r}")
        if type(self.max_participants) is not int or not 1 <= self.max_participants <= 1 << 16:
            raise SpecError("a key committee's max_participants must be in [1, 65536]")
        for name, size in (("params_fingerprint", 32), ("nonce", 32)):
            v = getattr(self, name)
            if type(v) is not bytes or len(v) != size:
                raise SpecError(f"the key committee's {name} must be {size} bytes")
        for name in ("signing_keys", "transport_keys", "approvals"):
            v = getattr(self, name)
            if not isinstance(v, tuple) or len(v) != n or any(type(x) is not bytes for x in v):
                raise SpecError(f"the key committee needs {n} {name.replace('_', ' ')} (bytes), one per member")

    # -- from the setup -----------------------------------------------------------------------
    @classmethod
    def from_setup(cls, roster, approvals: list[bytes]) -> KeyCommittee:
        """From a :class:`~zkgate.he.committee.Roster` and the members' approve messages (bytes)."""
        from zkgate.he.committee import Message

        by_member = {}
        for data in approvals:
            msg = Message.from_bytes(data).verify(roster)
            if msg.kind != "approve":
                raise SpecError(f"member {msg.sender} sent a {msg.kind} message, not an approval")
            by_member[msg.sender] = msg.signature
        cp = roster.cp
        missing = [i for i in range(1, cp.members + 1) if i not in by_member]
        if missing:
            raise SpecError(f"the joint key lacks the approval of member(s) {missing}")
        return cls(cp.params.fingerprint(), cp.members, cp.threshold, cp.max_participants, bytes(roster.nonce),
                   tuple(bytes(k) for k in roster.signing_keys), tuple(bytes(k) for k in roster.transport_keys),
                   tuple(by_member[i] for i in range(1, cp.members + 1)))

    def roster(self, params: HEParams):
        """The :class:`~zkgate.he.committee.Roster` (refuses a preset that cannot serve a committee)."""
        from zkgate.he.committee import Roster
        from zkgate.he.threshold import CommitteeParams

        if params.fingerprint() != self.params_fingerprint:
            raise SpecError("the key committee was formed for other HE parameters than the study's preset")
        try:
            cp = CommitteeParams(params, self.members, self.threshold, self.max_participants)
            return Roster(cp, self.nonce, self.signing_keys, self.transport_keys)
        except SpecError:
            raise
        except ZkgateError as exc:
            raise SpecError(f"the study's key committee: {exc}") from exc

    # -- the holder's check ---------------------------------------------------------------------
    def check(self, params: HEParams, key_id: bytes, participants: int) -> bytes:
        """Every member's approval verifies (hybrid, under its roster key) over ``key_id``; returns
        the committee id.  Raises :class:`SpecError` naming the first member whose approval fails."""
        from zkgate.he.committee import Message

        if participants > self.max_participants:
            raise SpecError(f"the key committee's noise budget was sized for {self.max_participants} participants, "
                            f"the study expects {participants}")
        roster = self.roster(params)
        cid = roster.committee_id
        for i, sig in enumerate(self.approvals, start=1):
            try:
                Message("approve", cid, i, 0, (bytes(key_id),), sig).verify(roster)
            except ZkgateError as exc:
                raise SpecError(
                    f"key committee member {i}'s approval does not verify over the study's joint key id "
                    f"{bytes(key_id).hex()[:16]}...: the spec's HE key is not the committee's ({exc})"
                ) from exc
        return cid

    # -- encoding ---------------------------------------------------------------------------------
    def to_obj(self) -> list:
        return [self.params_fingerprint, self.members, self.threshold, self.max_participants, self.nonce,
                list(self.signing_keys), list(self.transport_keys), list(self.approvals)]

    @classmethod
    def from_obj(cls, obj) -> KeyCommittee:
        it = enc.read_list(obj, TAG, 8)
        members = enc.read_int(it[1], "committee members", 2, MAX_MEMBERS)
        rl = enc.read_list

        def keys(v, what: str, size: int) -> tuple[bytes, ...]:
            return tuple(enc.read_bytes(x, what, size) for x in rl(v, what + "s", members))

        try:
            return cls(
                enc.read_bytes(it[0], "committee params_fingerprint", 32), members,
                enc.read_int(it[2], "committee threshold", 2, members),
                enc.read_int(it[3], "committee max_participants", 1, 1 << 16),
                enc.read_bytes(it[4], "committee nonce", 32),
                keys(it[5], "committee signing key", signing.HYBRID_PUBLIC_KEY_BYTES),
                keys(it[6], "committee transport key", 1184 + 32),
                keys(it[7], "committee approval", signing.HYBRID_SIGNATURE_BYTES),
            )
        except SpecError as exc:
            raise MessageFormatError(f"{TAG}: {exc}") from exc


__all__ = ["KeyCommittee", "MAX_MEMBERS", "TAG"]
