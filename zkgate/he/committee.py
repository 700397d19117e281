"""The key committee's messages: signed, bound to one committee, shares HPKE-sealed.

:mod:`zkgate.he.threshold` is the arithmetic; this module is what members exchange (relayed by
the gateway, which must learn nothing and cannot swap anything):

* a **roster** fixes the committee: parameters, N, t, maximum participants, a fresh nonce and,
  per member, its hybrid signing key (Ed25519 + ML-DSA-65, :mod:`zkgate.signing`) and its
  hybrid transport key (ML-KEM-768 + X25519).  ``committee_id`` is the hash of all of it, and
  every message names it: a message replayed into another committee does not verify;
* every message is framed (:func:`_frame`: length-prefixed fields, exact field count) and
  signed by its sender with the label ``committee`` (``decryption-share`` for decryption
  shares); a :class:`Transcript` accepts one message per (kind, sender, recipient) and names
  a sender that sends two different ones (equivocation) or one out of turn;
* Shamir shares and decryption shares travel **HPKE-sealed** (RFC 9180 through
  ``cryptography``: KEM ML-KEM-768+X25519, HKDF-SHA256, AES-256-GCM) to the recipient's
  registered transport key, with ``info = committee ‖ sender ‖ recipient``: the relay sees
  ciphertext only, and a sealed share moved to another recipient or committee does not open.

The rounds (:class:`CommitteeMember`): ``round1`` (commitment to fresh randomness) →
``key_commit`` (``H(b_i)``, once every round-1 message is in: ``a`` is seeded by their hash) →
``key_reveal`` (``b_i``) → ``approve`` (the joint key's id, signed; the study spec carries
these: :mod:`zkgate.study.key_committee`) and, for t < N, ``deal`` / ``receive_shares``; then per request ``decryption_share``,
which a member produces only for the ciphertext it recomputed itself.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import tenseal as ts
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from zkgate import signing
from zkgate.errors import CryptoError, InvalidInputError
from zkgate.he.envelope import AggregateEnvelope
from zkgate.he.errors import AggregateRangeError, EnvelopeFormatError, EnvelopeMismatchError
from zkgate.he.layout import SlotLayout
from zkgate.he.public_context import PublicContext
from zkgate.he.seal.objects import Ciphertext
from zkgate.he.threshold import (
    CommitteeParams,
    DecryptionShare,
    KeyShare,
    Member,
    Trial,
    attribute,
    check_key_share,
    combine,
    commit_key_share,
    common_polynomial,
    common_seed,
    covering_subsets,
    decryption_share,
    joint_public_context,
    read_ciphertext,
)

__all__ = [
    "CommitteeMember",
    "DecryptionRequest",
    "LocalCommittee",
    "Message",
    "Roster",
    "Transcript",
    "TransportKey",
    "aggregate_digest",
    "ciphertext_digest",
    "combine_aggregate",
    "open_aggregate_shares",
    "open_decryption_shares",
    "open_sealed",
    "seal",
]

_DOMAIN = b"zkgate.committee.v1"
SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
MLKEM768_PUBLIC_BYTES = 1184
TRANSPORT_PUBLIC_BYTES = MLKEM768_PUBLIC_BYTES + 32
_TRANSPORT_MAGIC = b"zkgate-transport-key-v1\x00"

_MAX_SEARCH_TRIALS = 256  # attribution: fresh ciphertexts tried in search of one active set that decrypts

KINDS = ("round1", "key-commit", "key-reveal", "approve", "shamir", "decryption-share",
         "decryption-request", "fetch")  # the last two travel through the gateway (services: CommitteeService)


# -- framing ------------------------------------------------------------------------------------
def _frame(fields: list[bytes]) -> bytes:
    return b"".join(struct.pack("<I", len(f)) + bytes(f) for f in fields)


def _unframe(data: bytes, count: int, what: str, max_size: int = 1 << 26) -> list[bytes]:
    data = bytes(data)
    if len(data) > max_size:
        raise EnvelopeFormatError(f"{what}: {len(data)} bytes exceeds the bound of {max_size}")
    out, i = [], 0
    while i < len(data):
        if i + 4 > len(data):
            raise EnvelopeFormatError(f"{what}: truncated field length")
        (n,) = struct.unpack_from("<I", data, i)
        i += 4
        if i + n > len(data):
            raise EnvelopeFormatError(f"{what}: field runs past the message")
        out.append(data[i : i + n])
        i += n
    if len(out) != count:
        raise EnvelopeFormatError(f"{what}: expected {count} fields, got {len(out)}")
    return out


def _unframe_count(data: bytes) -> list[int]:
    """The field offsets of a framed message (to read one whose field count is not fixed)."""
    data, out, i = bytes(data), [], 0
    while i + 4 <= len(data):
        (n,) = struct.unpack_from("<I", data, i)
        out.append(i)
        i += 4 + n
    return out


# -- transport keys and HPKE ----------------------------------------------------------------------
class TransportKey:
    """A member's hybrid key-encapsulation key: ML-KEM-768 and X25519 (HPKE's MLKEM768-X25519)."""

    def __init__(self, mlkem_seed: bytes, x25519_raw: bytes) -> None:
        self._ml = mlkem.MLKEM768PrivateKey.from_seed_bytes(mlkem_seed)
        self._x = x25519.X25519PrivateKey.from_private_bytes(x25519_raw)
        self._seed, self._xraw = bytes(mlkem_seed), bytes(x25519_raw)

    @classmethod
    def generate(cls) -> TransportKey:
        return cls(os.urandom(64), os.urandom(32))

    @classmethod
    def from_bytes(cls, data: bytes) -> TransportKey:
        data = bytes(data)
        if len(data) != len(_TRANSPORT_MAGIC) + 96 or not data.startswith(_TRANSPORT_MAGIC):
            raise EnvelopeFormatError("not a zkgate transport key")
        body = data[len(_TRANSPORT_MAGIC) :]
        return cls(body[:64], body[64:])

    def to_bytes(self) -> bytes:
        return _TRANSPORT_MAGIC + self._seed + self._xraw

    @property
    def public(self) -> bytes:
        """ML-KEM-768 public key (1,184 bytes) ‖ X25519 public key (32 bytes)."""
        return self._ml.public_key().public_bytes_raw() + self._x.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def _hpke(self) -> hpke.MLKEM768X25519PrivateKey:
        return hpke.MLKEM768X25519PrivateKey(self._ml, self._x)

    def __repr__(self) -> str:
        return f"TransportKey(public={hashlib.sha256(self.public).hexdigest()[:16]}...)"


def _hpke_public(public: bytes) -> hpke.MLKEM768X25519PublicKey:
    public = bytes(public)
    if len(public) != TRANSPORT_PUBLIC_BYTES:
        raise EnvelopeFormatError(f"a transport public key is {TRANSPORT_PUBLIC_BYTES} bytes, got {len(public)}")
    try:
        ml = mlkem.MLKEM768PublicKey.from_public_bytes(public[:MLKEM768_PUBLIC_BYTES])
        xk = x25519.X25519PublicKey.from_public_bytes(public[MLKEM768_PUBLIC_BYTES:])
    except ValueError as exc:
        raise EnvelopeFormatError(f"malformed transport public key ({exc})") from exc
    return hpke.MLKEM768X25519PublicKey(ml, xk)


def _info(committee_id: bytes, kind: str, sender: int, recipient: int) -> bytes:
    return _frame([_DOMAIN + b"\x00hpke", committee_id, kind.encode(), bytes([sender]), bytes([recipient])])


def seal(recipient_public: bytes, plaintext: bytes, committee_id: bytes, kind: str, sender: int, recipient: int) -> bytes:
    """HPKE-seal ``plaintext`` to ``recipient_public`` with info = committee ‖ kind ‖ sender ‖ recipient."""
    return SUITE.encrypt(bytes(plaintext), _hpke_public(recipient_public), _info(committee_id, kind, sender, recipient))


def open_sealed(key: TransportKey, sealed: bytes, committee_id: bytes, kind: str, sender: int, recipient: int) -> bytes:
    try:
        return SUITE.decrypt(bytes(sealed), key._hpke(), _info(committee_id, kind, sender, recipient))
    except (InvalidTag, ValueError) as exc:
        raise CryptoError(
            f"a sealed {kind} from member {sender} to member {recipient} does not open "
            "(tampered, or sealed for another recipient or committee)"
        ) from exc


# -- the roster -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Roster:
    """Who the committee is: parameters and each member's (signing key, transport key), in index order."""

    cp: CommitteeParams
    nonce: bytes
    signing_keys: tuple[bytes, ...]
    transport_keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if len(self.signing_keys) != self.cp.members or len(self.transport_keys) != self.cp.members:
            raise InvalidInputError(f"the roster needs {self.cp.members} signing and transport keys")
        if len(self.nonce) != 32:
            raise InvalidInputError("the roster nonce is 32 bytes")
        for i, key in enumerate(self.signing_keys, start=1):
            if not signing.is_hybrid_key(bytes(key)):
                raise InvalidInputError(f"member {i}'s signing key is not hybrid (committee keys are Ed25519+ML-DSA-65)")
        for key in self.transport_keys:
            _hpke_public(key)
        if len(set(self.signing_keys)) != len(self.signing_keys) or len(set(self.transport_keys)) != len(self.transport_keys):
            raise InvalidInputError("two committee members share a key")

    def to_bytes(self) -> bytes:
        """The roster as the gateway relays it: framed preset name, N, t, max participants, nonce, keys."""
        cp = self.cp
        return _frame([_DOMAIN + b"\x00roster-v1", cp.params.name.encode(),
                       struct.pack("<III", cp.members, cp.threshold, cp.max_participants), self.nonce,
                       *self.signing_keys, *self.transport_keys])

    @classmethod
    def from_bytes(cls, data: bytes) -> Roster:
        from zkgate.he.presets import PRESETS

        head = _unframe(data, len(_unframe_count(data)), "roster", max_size=1 << 20)
        if len(head) < 4 or head[0] != _DOMAIN + b"\x00roster-v1" or len(head[2]) != 12:
            raise EnvelopeFormatError("not a zkgate committee roster")
        members, threshold, max_participants = struct.unpack("<III", head[2])
        if not 1 <= members <= 16 or len(head) != 4 + 2 * members:
            raise EnvelopeFormatError("roster: the member count does not match its keys")
        params = PRESETS.get(head[1].decode("ascii", "replace"))
        if params is None:
            raise EnvelopeFormatError(f"roster: unknown HE preset {head[1]!r}")
        cp = CommitteeParams(params, members, threshold, max_participants)
        return cls(cp, head[3], tuple(head[4 : 4 + members]), tuple(head[4 + members :]))

    @property
    def committee_id(self) -> bytes:
        cp = self.cp
        fields = [
            _DOMAIN + b"\x00roster",
            cp.params.fingerprint(),
            struct.pack("<III", cp.members, cp.threshold, cp.max_participants),
            self.nonce,
            *self.signing_keys,
            *self.transport_keys,
        ]
        return hashlib.sha256(_frame(fields)).digest()


# -- signed messages ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    """One signed committee message: ``kind`` from ``sender`` (to ``recipient``, 0 = everyone)."""

    kind: str
    committee_id: bytes
    sender: int
    recipient: int
    payload: tuple[bytes, ...]
    signature: bytes = b""

    def body(self) -> bytes:
        return _frame([_DOMAIN, self.kind.encode(), self.committee_id, bytes([self.sender, self.recipient]), *self.payload])

    @property
    def label(self) -> str:
        return "decryption-share" if self.kind == "decryption-share" else "committee"

    def to_bytes(self) -> bytes:
        return _frame([struct.pack("<I", len(self.payload)), self.body(), self.signature])

    @classmethod
    def from_bytes(cls, data: bytes) -> Message:
        head = _unframe(data, 3, "committee message")
        (count,) = struct.unpack("<I", head[0]) if len(head[0]) == 4 else (None,)
        if count is None or count > 8:
            raise EnvelopeFormatError("committee message: bad payload count")
        fields = _unframe(head[1], 4 + count, "committee message body")
        if fields[0] != _DOMAIN:
            raise EnvelopeFormatError("not a zkgate committee message")
        kind = fields[1].decode("ascii", "replace")
        if kind not in KINDS:
            raise EnvelopeFormatError(f"unknown committee message kind {kind!r}")
        if len(fields[2]) != 32 or len(fields[3]) != 2:
            raise EnvelopeFormatError("committee message: malformed committee id or addressing")
        return cls(kind, fields[2], fields[3][0], fields[3][1], tuple(fields[4:]), head[2])

    @classmethod
    def signed(cls, key: signing.SigningKey, kind: str, committee_id: bytes, sender: int, recipient: int,
               payload: list[bytes]) -> Message:
        unsigned = cls(kind, committee_id, sender, recipient, tuple(payload))
        return cls(kind, committee_id, sender, recipient, tuple(payload), key.sign(unsigned.body(), unsigned.label))

    def verify(self, roster: Roster) -> Message:
        if self.committee_id != roster.committee_id:
            raise EnvelopeMismatchError(f"a {self.kind} message from member {self.sender} belongs to another committee")
        if not 1 <= self.sender <= roster.cp.members or not 0 <= self.recipient <= roster.cp.members:
            raise EnvelopeFormatError(f"a {self.kind} message names a member outside the committee")
        try:
            signing.verify_signature(roster.signing_keys[self.sender - 1], self.body(), self.signature,
                                     f"member {self.sender}'s {self.kind} message", label=self.label, require_pq=True)
        except signing.SignatureError as exc:
            raise CryptoError(str(exc)) from exc
        return self


class Transcript:
    """The messages a member has accepted: one per (kind, sender, recipient, context)."""

    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self._seen: dict[tuple, Message] = {}

    def accept(self, data: bytes | Message, kind: str, context: bytes = b"") -> Message:
        msg = data if isinstance(data, Message) else Message.from_bytes(data)
        msg.verify(self.roster)
        if msg.kind != kind:
            raise EnvelopeMismatchError(f"expected a {kind} message, member {msg.sender} sent a {msg.kind} message")
        slot = (kind, msg.sender, msg.recipient, context)
        old = self._seen.get(slot)
        if old is not None:
            if old.to_bytes() == msg.to_bytes():
                raise EnvelopeMismatchError(f"member {msg.sender}'s {kind} message was replayed")
            raise EnvelopeMismatchError(f"member {msg.sender} sent two different {kind} messages (equivocation)")
        self._seen[slot] = msg
        return msg

    def all(self, kind: str, context: bytes = b"") -> dict[int, Message]:
        return {s: m for (k, s, _r, c), m in self._seen.items() if k == kind and c == context}


# -- decryption requests ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DecryptionRequest:
    """What a requester asks the active set to decrypt: the digest of the aggregate ciphertext the
    members must recompute themselves, the log position it comes from, and where shares go."""

    committee_id: bytes
    ciphertext_digest: bytes
    active: tuple[int, ...]
    requester: int
    log_position: bytes = b""  # tree size ‖ root of the signed log (opaque here)

    def digest(self) -> bytes:
        return hashlib.sha256(_frame([
            _DOMAIN + b"\x00request", self.committee_id, self.ciphertext_digest, bytes(self.active),
            bytes([self.requester]), self.log_position,
        ])).digest()

    def payload(self) -> list[bytes]:
        """The payload of the requester's signed ``decryption-request`` message (relayed by the gateway)."""
        return [self.ciphertext_digest, bytes(self.active), self.log_position]

    @classmethod
    def from_message(cls, msg: Message) -> DecryptionRequest:
        if msg.kind != "decryption-request" or len(msg.payload) != 3 or len(msg.payload[0]) != 32:
            raise EnvelopeFormatError("not a decryption request message")
        return cls(msg.committee_id, msg.payload[0], tuple(msg.payload[1]), msg.sender, msg.payload[2])


def ciphertext_digest(vector: bytes) -> bytes:
    return hashlib.sha256(_DOMAIN + b"\x00ciphertext" + bytes(vector)).digest()


# -- a member ------------------------------------------------------------------------------------------
def _poly_bytes(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<u8").tobytes()


def _poly_from(data: bytes, shape: tuple[int, int], what: str) -> np.ndarray:
    if len(data) != 8 * shape[0] * shape[1]:
        raise EnvelopeFormatError(f"{what}: {len(data)} bytes, expected {8 * shape[0] * shape[1]}")
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(shape)


class CommitteeMember:
    """One member's side of the protocol (its signing key, transport key and secret state)."""

    def __init__(self, roster: Roster, index: int, signing_key: signing.SigningKey, transport_key: TransportKey) -> None:
        if roster.signing_keys[index - 1] != signing_key.public or roster.transport_keys[index - 1] != transport_key.public:
            raise InvalidInputError(f"these keys are not member {index}'s in the roster")
        self.roster = roster
        self.index = index
        self.cp = roster.cp
        self.cid = roster.committee_id
        self._key = signing_key
        self._transport = transport_key
        self._member = Member(self.cp, index)
        self.transcript = Transcript(roster)
        self._share: KeyShare | None = None
        self.public_context: PublicContext | None = None
        # shares given, by (hashes of the chunks' c1, active set), and the one active set per ciphertext
        self._answered: dict[tuple[tuple[bytes, ...], tuple[int, ...]], bytes] = {}
        self._answered_set: dict[bytes, tuple[int, ...]] = {}

    def _sign(self, kind: str, payload: list[bytes], recipient: int = 0) -> bytes:
        return Message.signed(self._key, kind, self.cid, self.index, recipient, payload).to_bytes()

    def _collect(self, messages: list[bytes], kind: str) -> dict[int, Message]:
        for data in messages:
            self.transcript.accept(data, kind)
        got = self.transcript.all(kind)
        missing = [i for i in range(1, self.cp.members + 1) if i not in got]
        if missing:
            raise CryptoError(f"{kind}: still waiting for members {missing}")
        return got

    # key generation ---------------------------------------------------------------------------
    def round1(self) -> bytes:
        return self._sign("round1", [self._member.round1_commitment(self.cid)])

    def key_commit(self, round1: list[bytes]) -> bytes:
        got = self._collect(round1, "round1")
        commitments = [got[i].payload[0] for i in range(1, self.cp.members + 1)]
        if any(len(c) != 32 for c in commitments):
            raise EnvelopeFormatError("round-1 commitments are 32 bytes")
        self._a = common_polynomial(self.cp, common_seed(self.cid, commitments))
        self._share = self._member.key_share(self._a)
        return self._sign("key-commit", [commit_key_share(self._share, self.cid)])

    def key_reveal(self, commits: list[bytes]) -> bytes:
        self._collect(commits, "key-commit")
        if self._share is None:
            raise CryptoError("key_commit must come first")
        return self._sign("key-reveal", [_poly_bytes(self._share.b)])

    def approve(self, reveals: list[bytes]) -> bytes:
        """Check every revealed share against its commitment, form the joint key, sign its key id."""
        got = self._collect(reveals, "key-reveal")
        commits = self.transcript.all("key-commit")
        shape = (len(self.cp.key_moduli), self.cp.n)
        shares = []
        for i in range(1, self.cp.members + 1):
            share = KeyShare(i, _poly_from(got[i].payload[0], shape, f"member {i}'s public-key share"))
            check_key_share(self.cp, share, self.cid, commits[i].payload[0])
            shares.append(share)
        self.public_context = joint_public_context(self.cp, self._a, shares)
        return self._sign("approve", [self.public_context.key_id])

    def check_approvals(self, approvals: list[bytes]) -> PublicContext:
        """Every member signed the same joint key id (what the study spec carries: :mod:`zkgate.study.key_committee`)."""
        got = self._collect(approvals, "approve")
        assert self.public_context is not None
        for i, msg in got.items():
            if msg.payload[0] != self.public_context.key_id:
                raise EnvelopeMismatchError(f"member {i} approved another joint key")
        return self.public_context

    # Shamir dealing (t < N) ---------------------------------------------------------------------
    def deal(self) -> list[bytes]:
        out = []
        for k, share in self._member.deal().items():
            if k == self.index:
                continue
            sealed = seal(self.roster.transport_keys[k - 1], _poly_bytes(share), self.cid, "shamir", self.index, k)
            out.append(self._sign("shamir", [sealed], recipient=k))
        return out

    def receive_shares(self, messages: list[bytes]) -> None:
        shape = (len(self.cp.data_moduli), self.cp.n)
        for data in messages:
            msg = self.transcript.accept(data, "shamir")
            if msg.recipient != self.index:
                raise EnvelopeMismatchError(f"a Shamir share from member {msg.sender} is addressed to member {msg.recipient}")
            plain = open_sealed(self._transport, msg.payload[0], self.cid, "shamir", msg.sender, self.index)
            self._member.receive(msg.sender, _poly_from(plain, shape, f"Shamir share from member {msg.sender}"))

    # decryption -------------------------------------------------------------------------------------
    def decryption_share(self, request: DecryptionRequest, recomputed_vector: bytes) -> bytes:
        """A sealed, signed decryption share — only for the ciphertext this member recomputed itself."""
        if request.committee_id != self.cid:
            raise EnvelopeMismatchError("the decryption request belongs to another committee")
        if ciphertext_digest(recomputed_vector) != request.ciphertext_digest:
            raise CryptoError(
                "refusing to decrypt: the requested ciphertext is not the sum this member recomputed from the logged contributions"
            )
        if self.index not in request.active or len(request.active) != self.cp.threshold:
            raise InvalidInputError(f"member {self.index} is not in the request's active set of {self.cp.threshold}")
        _, ct = read_ciphertext(self.cp, recomputed_vector)
        sealed = seal(self.roster.transport_keys[request.requester - 1], self._share_of([ct], request.active),
                      self.cid, "decryption-share", self.index, request.requester)
        return self._sign("decryption-share", [request.digest(), sealed], recipient=request.requester)

    def _share_of(self, cts: list[Ciphertext], active: tuple[int, ...]) -> bytes:
        """This member's shares of ``cts`` for ``active``: one active set per ciphertext, ever.

        Asked again for the same set it returns the very same shares (fresh smudging noise per
        repeat would average out); asked for another set it refuses, since shares of one
        ciphertext under two Lagrange coefficients give the requester a second smudged sample of the
        same secret-dependent value ``S·c1`` (two of them cancel it: an exact relation between the
        noises), eroding the margin the noise analysis assumes (one share per member and ciphertext).
        """
        active = tuple(sorted(active))
        tags = tuple(hashlib.sha256(np.ascontiguousarray(ct.data[1]).tobytes()).digest() for ct in cts)
        for tag in tags:
            earlier = self._answered_set.get(tag)
            if earlier is not None and earlier != active:
                raise CryptoError(
                    f"member {self.index} already gave a share of this ciphertext for active set {list(earlier)}; "
                    f"a share for another set ({list(active)}) would give a second smudged sample of the same "
                    "secret-dependent value, so it is refused"
                )
        key = (tags, active)
        if key not in self._answered:
            self._answered[key] = b"".join(_poly_bytes(decryption_share(self._member, ct, list(active)).d) for ct in cts)
            for tag in tags:
                self._answered_set[tag] = active
        return self._answered[key]

    def aggregate_share(self, request: DecryptionRequest, recomputed_aggregate: bytes, key_id: bytes,
                        layout: SlotLayout | None = None) -> bytes:
        """Decryption shares of every chunk of an aggregate envelope — only for the aggregate this
        member recomputed itself from the logged contributions (``request.ciphertext_digest`` must be
        its :func:`aggregate_digest`), under the committee's joint key ``key_id``."""
        if request.committee_id != self.cid:
            raise EnvelopeMismatchError("the decryption request belongs to another committee")
        env, chunks = _aggregate_chunks(self.cp, recomputed_aggregate, key_id, layout)
        if aggregate_digest(self.cp, recomputed_aggregate, key_id, layout) != request.ciphertext_digest:
            raise CryptoError(
                "refusing to decrypt: the requested aggregate is not the sum this member recomputed from the logged contributions"
            )
        if self.index not in request.active or len(request.active) != self.cp.threshold:
            raise InvalidInputError(f"member {self.index} is not in the request's active set of {self.cp.threshold}")
        body = self._share_of([ct for _, ct in chunks], request.active)
        sealed = seal(self.roster.transport_keys[request.requester - 1], body, self.cid,
                      "decryption-share", self.index, request.requester)
        return self._sign("decryption-share", [request.digest(), sealed], recipient=request.requester)


def _aggregate_chunks(cp: CommitteeParams, aggregate: bytes, key_id: bytes,
                      layout: SlotLayout | None) -> tuple[AggregateEnvelope, list[tuple[int, Ciphertext]]]:
    env = AggregateEnvelope.from_bytes(aggregate, cp.params, layout)
    if env.key_id != key_id:
        raise EnvelopeMismatchError("the aggregate was made under another key than the committee's")
    if env.params_fingerprint != cp.params.fingerprint() or env.scheme != "bfv":
        raise EnvelopeMismatchError("the aggregate declares other HE parameters")
    if env.contributions > cp.max_participants:
        raise EnvelopeMismatchError(
            f"the aggregate adds {env.contributions} contributions, beyond the {cp.max_participants} "
            "the committee's noise budget was sized for"
        )
    env.layout.check(cp.params)
    chunks, remaining = [], env.layout.total_slots
    for i, data in enumerate(env.payload):
        length, ct = read_ciphertext(cp, data)
        want = min(remaining, cp.params.slot_count)
        if length != want:
            raise EnvelopeFormatError(f"aggregate ciphertext {i} holds {length} slots, expected {want}")
        chunks.append((length, ct))
        remaining -= length
    if remaining:
        raise EnvelopeFormatError("the aggregate holds fewer slots than its layout")
    return env, chunks


def aggregate_digest(cp: CommitteeParams, aggregate: bytes, key_id: bytes, layout: SlotLayout | None = None) -> bytes:
    """What a decryption request names: the study, key, layout, senders and every chunk's RNS
    polynomials (not the bytes, so recompression does not matter; homomorphic addition is exact,
    so every member recomputing the sum gets the same digest)."""
    env, chunks = _aggregate_chunks(cp, aggregate, key_id, layout)
    h = hashlib.sha256(_DOMAIN + b"\x00aggregate")
    h.update(_frame([env.study_id, env.key_id, env.params_fingerprint,
                     "\x00".join(env.senders).encode(), repr(env.layout.to_obj()).encode()]))
    for length, ct in chunks:
        h.update(struct.pack("<I", length) + ct.parms_id + _poly_bytes(ct.data))
    return h.digest()


def open_aggregate_shares(roster: Roster, requester: int, key: TransportKey, request: DecryptionRequest,
                          messages: list[bytes], chunks: int,
                          transcript: Transcript | None = None) -> dict[int, list[DecryptionShare]]:
    """The requester's side for an aggregate: per member, its share of each chunk."""
    transcript = transcript or Transcript(roster)
    cid = roster.committee_id
    k, n = len(roster.cp.data_moduli), roster.cp.n
    out: dict[int, list[DecryptionShare]] = {}
    for data in messages:
        msg = transcript.accept(data, "decryption-share", context=request.digest())
        if msg.payload[0] != request.digest() or msg.recipient != requester:
            raise EnvelopeMismatchError(f"member {msg.sender}'s decryption share answers another request")
        if msg.sender not in request.active:
            raise EnvelopeMismatchError(f"member {msg.sender} is not in the request's active set")
        plain = open_sealed(key, msg.payload[1], cid, "decryption-share", msg.sender, requester)
        polys = _poly_from(plain, (chunks * k, n), f"member {msg.sender}'s decryption shares")
        out[msg.sender] = [DecryptionShare(msg.sender, polys[c * k : (c + 1) * k]) for c in range(chunks)]
    return out


def combine_aggregate(cp: CommitteeParams, aggregate: bytes, key_id: bytes, shares: dict[int, list[DecryptionShare]],
                      layout: SlotLayout | None = None) -> dict:
    """Combine t members' shares of every chunk, range-check the slots and decode the layout
    (as :meth:`zkgate.he.KeyHolder.decrypt` does for a single key)."""
    env, chunks = _aggregate_chunks(cp, aggregate, key_id, layout)
    if len(shares) != cp.threshold:
        raise InvalidInputError(f"combining needs the shares of exactly {cp.threshold} members, got {len(shares)}")
    slots: list[int] = []
    for c, (length, ct) in enumerate(chunks):
        slots.extend(combine(cp, ct, [per_member[c] for per_member in shares.values()], length))
    values = np.array(slots, dtype=np.int64)
    limits = env.layout.slot_bounds_array.astype(np.int64) * env.contributions
    ok = (values >= 0) & (values <= limits)
    if not ok.all():
        i = int(np.argmin(ok))
        raise AggregateRangeError(
            f"aggregate slot {i} lies outside [0, {limits[i]}] for {env.contributions} contributions: "
            "a decryption share or a contribution was wrong"
        )
    return env.layout.decode(slots)


def open_decryption_shares(roster: Roster, requester: int, key: TransportKey, request: DecryptionRequest,
                           messages: list[bytes], transcript: Transcript | None = None) -> list[DecryptionShare]:
    """The requester's side: verify, refuse replays and shares for another request, open the seals."""
    transcript = transcript or Transcript(roster)
    cid = roster.committee_id
    shape = (len(roster.cp.data_moduli), roster.cp.n)
    out = []
    for data in messages:
        msg = transcript.accept(data, "decryption-share", context=request.digest())
        if msg.payload[0] != request.digest() or msg.recipient != requester:
            raise EnvelopeMismatchError(f"member {msg.sender}'s decryption share answers another request")
        if msg.sender not in request.active:
            raise EnvelopeMismatchError(f"member {msg.sender} is not in the request's active set")
        plain = open_sealed(key, msg.payload[1], cid, "decryption-share", msg.sender, requester)
        out.append(DecryptionShare(msg.sender, _poly_from(plain, shape, f"member {msg.sender}'s decryption share")))
    return out



# -- a whole committee in one process (simulations, demos, tests) -------------------------------------
class LocalCommittee:
    """Every member of a committee in this process, driven through the real messages: setup rounds,
    Shamir dealing, the setup self-test, and decryption of study aggregates with attribution.

    ``decrypt`` has the shape of :meth:`zkgate.he.KeyHolder.decrypt`, so the study's key holder
    (:class:`zkgate.study.release.StudyKeyHolder`) releases through the committee unchanged; the
    study layer supplies ``recompute(member)`` (the aggregate that member recomputed from the
    logged contributions) and ``accept(values)`` (the commitment equation) with :meth:`bind`.
    Member 1 requests and combines.  ``tamper_member`` makes that member post wrong shares
    (``zkgate study simulate --tamper share``).
    """

    def __init__(self, cp: CommitteeParams, *, tamper_member: int | None = None) -> None:
        self.cp = cp
        sks = [signing.SigningKey.generate() for _ in range(cp.members)]
        tks = [TransportKey.generate() for _ in range(cp.members)]
        self.roster = Roster(cp, os.urandom(32), tuple(k.public for k in sks), tuple(k.public for k in tks))
        self.members = [CommitteeMember(self.roster, i + 1, sks[i], tks[i]) for i in range(cp.members)]
        self._transport = tks
        r1 = [m.round1() for m in self.members]
        commits = [m.key_commit(r1) for m in self.members]
        reveals = [m.key_reveal(commits) for m in self.members]
        approvals = [m.approve(reveals) for m in self.members]
        contexts = {m.check_approvals(approvals).key_id for m in self.members}
        if len(contexts) != 1:  # pragma: no cover - check_approvals refuses a differing key first
            raise CryptoError("members formed different joint keys")
        self.approvals = approvals
        self.public_context: PublicContext = self.members[0].public_context  # type: ignore[assignment]
        if cp.threshold < cp.members:
            dealt = [msg for m in self.members for msg in m.deal()]
            for m in self.members:
                m.receive_shares([d for d in dealt if Message.from_bytes(d).recipient == m.index])
        self.tamper_member = tamper_member
        self._cheating = False  # the tampering member cheats at release, after an honest setup
        self._recompute = None
        self._accept = None
        self.self_test()
        self._cheating = True

    @property
    def params(self):
        return self.cp.params

    @property
    def key_id(self) -> bytes:
        return self.public_context.key_id

    def bind(self, recompute, accept) -> LocalCommittee:
        """``recompute(member_index) -> aggregate bytes``; ``accept(decoded values) -> bool``."""
        self._recompute, self._accept = recompute, accept
        return self

    def self_test(self) -> None:
        """Decrypt fresh known ciphertexts with active sets covering every member (one ciphertext per
        set: a member never shares one ciphertext under two sets); name any member that fails."""
        bad = self._test_members()
        if bad:
            raise CryptoError(f"committee setup self-test failed: the shares of member(s) {sorted(bad)} do not decrypt")

    def _trial(self, active: tuple[int, ...], rng_seed: int) -> tuple[Trial, list[int]]:
        """One active set decrypting its own fresh encryption of known values, through the messages."""
        cp = self.cp
        known = [int(v) for v in np.random.default_rng(rng_seed).integers(0, 1 << 20, 64)]
        data = ts.bfv_vector(self.public_context.open(), known).serialize()
        request = DecryptionRequest(self.roster.committee_id, ciphertext_digest(data), active, requester=1)
        msgs = []
        for m in active:
            msg = self.members[m - 1].decryption_share(request, data)
            msgs.append(self._forge(m, request, msg) if m == self.tamper_member and self._cheating else msg)
        shares = open_decryption_shares(self.roster, 1, self._transport[0], request, msgs)
        length, ct = read_ciphertext(cp, data)
        return Trial(active, ct, length, {sh.index: sh for sh in shares}), known

    def _test_members(self) -> set[int]:
        """Members whose shares break decryption, found with fresh known ciphertexts: first active
        sets covering every member, then each suspect with t − 1 members already seen to decrypt."""
        cp = self.cp
        expected: dict[tuple[int, ...], list[int]] = {}
        trials = []
        for i, active in enumerate(covering_subsets(cp.members, cp.threshold)):
            trial, known = self._trial(tuple(active), i)
            trials.append(trial)
            expected[trial.active] = known
        bad, good = attribute(cp, trials, lambda trial, slots: slots == expected[trial.active])
        if not bad or cp.threshold == cp.members:
            return bad
        if len(good) < cp.threshold - 1:  # no window passed: look for one active set that decrypts
            for j, active in enumerate(combinations(range(1, cp.members + 1), cp.threshold)):
                if j >= _MAX_SEARCH_TRIALS:
                    return bad  # not attributable within the budget: every failing member stays a suspect
                trial, known = self._trial(active, 500 + j)
                if combine(cp, trial.ct, [trial.shares[m] for m in active], trial.length) == known:
                    good.update(active)
                    break
            else:
                return bad
        helpers = sorted(good)[: cp.threshold - 1]
        named: set[int] = set()
        for j, suspect in enumerate(sorted(set(range(1, cp.members + 1)) - good)):
            trial, known = self._trial(tuple(sorted([suspect, *helpers])), 1000 + j)
            if combine(cp, trial.ct, [trial.shares[m] for m in trial.active], trial.length) != known:
                named.add(suspect)
        return named

    def _shares_for(self, active: tuple[int, ...], request: DecryptionRequest, chunks: int,
                    transcript: Transcript) -> dict[int, list[DecryptionShare]]:
        msgs = []
        for m in active:
            recomputed = self._recompute(m) if self._recompute is not None else self._aggregate
            msg = self.members[m - 1].aggregate_share(request, recomputed, self.key_id, self._layout)
            if m == self.tamper_member and self._cheating:  # a wrong share: re-sealed and re-signed forgery
                msg = self._forge(m, request, msg)
            msgs.append(msg)
        return open_aggregate_shares(self.roster, 1, self._transport[0], request, msgs, chunks, transcript)

    def _forge(self, m: int, request: DecryptionRequest, msg: bytes) -> bytes:
        """Member ``m``'s share with Δ added to its first polynomial (every slot of chunk 0 shifts by one)."""
        plain = open_sealed(self._transport[0], Message.from_bytes(msg).payload[1], self.roster.committee_id,
                            "decryption-share", m, 1)
        rows = len(self.cp.data_moduli)
        polys = np.frombuffer(plain, dtype="<u8").astype(np.uint64).reshape(-1, self.cp.n).copy()
        ring = self.cp.data_ring()
        polys[:rows] = ring.add(polys[:rows], ring.from_ints([self.cp.delta] + [0] * (self.cp.n - 1)))
        sealed = seal(self.roster.transport_keys[0], _poly_bytes(polys), self.roster.committee_id,
                      "decryption-share", m, 1)
        return self.members[m - 1]._sign("decryption-share", [request.digest(), sealed], recipient=1)

    def decrypt(self, aggregate: bytes, *, layout: SlotLayout | None = None, study_id: bytes | None = None) -> dict:
        """Decrypt a study aggregate through the committee (first the active set 1..t).

        If that decryption fails (range check or ``accept``), the aggregate is never asked for
        again under another active set (members refuse: a second smudged sample of the same value);
        fresh known ciphertexts, one per active set, find the members whose shares fail, who
        are named, and nothing is returned: a committee with a misbehaving member publishes
        nothing.
        """
        cp = self.cp
        env, chunks = _aggregate_chunks(cp, aggregate, self.key_id, layout)
        if study_id is not None and env.study_id != study_id:
            raise EnvelopeMismatchError("the aggregate belongs to another study")
        self._aggregate, self._layout = aggregate, layout
        digest = aggregate_digest(cp, aggregate, self.key_id, layout)

        def attempt(active: tuple[int, ...]) -> dict | None:
            request = DecryptionRequest(self.roster.committee_id, digest, active, requester=1)
            shares = self._shares_for(active, request, len(chunks), Transcript(self.roster))
            try:
                values = combine_aggregate(cp, aggregate, self.key_id, shares, layout)
            except AggregateRangeError:
                return None
            if self._accept is not None and not self._accept(values):
                return None
            return values

        first = tuple(range(1, cp.threshold + 1))
        values = attempt(first)
        if values is not None:
            return values
        if cp.threshold == cp.members:
            raise CryptoError(
                f"the committee's decryption does not check (range or commitment equation) with all {cp.members} "
                "members' shares: some member's share is wrong; with threshold = members it cannot be attributed; "
                "nothing is published"
            )
        # never ask for the aggregate again under another active set (members refuse: extra samples):
        # attribution decrypts fresh known ciphertexts instead, one per active set
        bad = sorted(self._test_members())
        raise CryptoError(
            f"the committee's decryption failed with active set {list(first)}; decrypting fresh known ciphertexts "
            f"with other active sets names member(s) {bad} as posting wrong decryption shares; nothing is published"
        )
