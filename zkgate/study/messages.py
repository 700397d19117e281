"""Protocol messages: submissions, receipts, aggregates and releases.

Frozen dataclasses with canonical byte encodings (:mod:`zkgate.study.encoding`); each
signed message signs its ``signed_bytes()`` (everything but the signature) under its own
signature label (:mod:`zkgate.study.identity`).  A message signed by a hybrid key (Ed25519 +
ML-DSA-65) is version 2 and carries a 3,373-byte signature; version 1 (a classical Ed25519
key, 64 bytes: every message made before hybrid keys) is still read and verified.  A
:class:`Submission` carries the HE ciphertext envelope but signs only its digest, so that
the public record (which holds submissions *without* ciphertexts: ``public()``) still lets
anyone check every signature.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from zkgate.audit.merkle import MerkleLog, ProofError, inclusion_root, leaf_hash
from zkgate.he.envelope import envelope_digest
from zkgate.prover.groth16.keys import Proof
from zkgate.study import encoding as enc
from zkgate.study.errors import BadSignatureError, MessageFormatError
from zkgate.study.identity import (
    HYBRID_SIGNATURE_BYTES,
    SIGNATURE_BYTES,
    SigningKey,
    check_public_key,
    resolve_key,
    signature_length,
    verify_signature,
)
from zkgate.study.suppression import MAX_COORDINATES, SuppressionProof

Point = tuple[int, int]


def _pt(p: Point) -> list:
    return [enc.fe_bytes(p[0]), enc.fe_bytes(p[1])]


def _read_pt(v, what) -> Point:
    v = enc.read_list(v, what, 2)
    return (enc.read_fe(v[0], what), enc.read_fe(v[1], what))


def _coord(v, what) -> int:
    if type(v) is not bytes or len(v) != 32:
        raise MessageFormatError(f"{what}: expected a 32-byte coordinate")
    return int.from_bytes(v, "big")


def proof_obj(p: Proof) -> list:
    b = p.b
    return [p.a[0].to_bytes(32, "big"), p.a[1].to_bytes(32, "big"),
            b[0][0].to_bytes(32, "big"), b[0][1].to_bytes(32, "big"), b[1][0].to_bytes(32, "big"),
            b[1][1].to_bytes(32, "big"), p.c[0].to_bytes(32, "big"), p.c[1].to_bytes(32, "big")]


def proof_from_obj(v, what: str) -> Proof:
    c = [_coord(x, what) for x in enc.read_list(v, what, 8)]
    return Proof((c[0], c[1]), ((c[2], c[3]), (c[4], c[5])), (c[6], c[7]))


VERSIONS = (1, 2)  # 1: classical Ed25519 signature, 2: hybrid Ed25519+ML-DSA-65 signature


def _version(signature: bytes) -> int:
    """A signed message's version follows its signature (hybrid: 2, classical or unsigned: 1)."""
    return 2 if len(signature) == HYBRID_SIGNATURE_BYTES else 1


def _signature(v, version: int) -> bytes:
    return enc.read_bytes(v, "signature", signature_length(version))


def _check_items(items: list, n: int, kind: str) -> list:
    if len(items) != n:
        raise MessageFormatError(f"{kind}: expected {n} items after the header, got {len(items)}")
    return items


@dataclass(frozen=True)
class Submission:
    """A participant's contribution to one study.

    ``chunk_commitments[c]`` and ``proofs[c]`` belong to ``chunk_roots[c]``; ``commitment``
    is their sum ``C_i``; ``envelope`` the HE ciphertexts of ``s_i`` and ``ρ_i`` (None in
    the public record, where ``envelope_digest`` stands for it)."""

    study_id: int
    participant: str
    submission_id: bytes
    chunk_roots: tuple[int, ...]
    root_salt: int
    chunk_commitments: tuple[Point, ...]
    commitment: Point
    proofs: tuple[Proof, ...]
    envelope_digest: bytes
    signature: bytes = b""
    envelope: bytes | None = None
    signer_key: bytes = b""  # version 2: the signer's hybrid public key (the spec names it by hash)

    KIND = "submission"
    LABEL = "submission"

    def body(self, version: int | None = None) -> list:
        version = _version(self.signature) if version is None else version
        return enc.header(self.KIND, version) + [
            enc.fe_bytes(self.study_id), self.participant, self.submission_id,
            [enc.fe_bytes(r) for r in self.chunk_roots], enc.fe_bytes(self.root_salt),
            [_pt(p) for p in self.chunk_commitments], _pt(self.commitment),
            [proof_obj(p) for p in self.proofs], self.envelope_digest,
        ] + ([self.signer_key] if version >= 2 else [])

    def signed_bytes(self, version: int | None = None) -> bytes:
        return enc.pack(self.body(version))

    def to_bytes(self) -> bytes:
        return enc.pack(self.body() + [self.signature, self.envelope])

    @property
    def digest(self) -> bytes:
        """Names the submission in receipts and logs (covers the ciphertext through its digest)."""
        return enc.digest(enc.pack(self.body() + [self.signature]), "submission")

    def public(self) -> Submission:
        return replace(self, envelope=None)

    @classmethod
    def from_bytes(cls, data: bytes) -> Submission:
        version, it = enc.unpack_versioned(data, cls.KIND, VERSIONS)
        it = _check_items(it, 11 if version == 1 else 12, cls.KIND)
        rl = enc.read_list
        sub = cls(
            study_id=enc.read_fe(it[0], "study_id"),
            participant=enc.read_str(it[1], "participant", 128),
            submission_id=enc.read_bytes(it[2], "submission_id", 16),
            chunk_roots=tuple(enc.read_fe(r, "chunk root") for r in rl(it[3], "chunk_roots")),
            root_salt=enc.read_fe(it[4], "root_salt"),
            chunk_commitments=tuple(_read_pt(p, "chunk commitment") for p in rl(it[5], "chunk_commitments")),
            commitment=_read_pt(it[6], "commitment"),
            proofs=tuple(proof_from_obj(p, "proof") for p in rl(it[7], "proofs")),
            envelope_digest=enc.read_bytes(it[8], "envelope_digest", 32),
            signature=_signature(it[-2], version),
            envelope=None if it[-1] is None else enc.read_bytes(it[-1], "envelope"),
            signer_key=check_public_key(it[9], "signer_key") if version >= 2 else b"",
        )
        enc.check_canonical(data, sub, cls.KIND)
        return sub

    def sign(self, key: SigningKey) -> Submission:
        signed = replace(self, signer_key=key.public if key.hybrid else b"")
        return replace(signed, signature=key.sign(signed.signed_bytes(key.message_version), self.LABEL))

    def verify_signature(self, key_ref: bytes, *, require_pq: bool = False) -> str:
        """Verify under the key the spec names (``key_ref``: a classical key, or a hybrid key's
        reference that the key this submission carries must match); returns the algorithms."""
        who = f"the submission of {self.participant!r}"
        return verify_signature(resolve_key(key_ref, self.signer_key, who), self.signed_bytes(), self.signature, who,
                                label=self.LABEL, require_pq=require_pq)

    def envelope_matches(self) -> bool:
        return self.envelope is not None and envelope_digest(self.envelope) == self.envelope_digest


RECEIPT_VERSIONS = (1, 2, 3)  # 3: batch-signed (a Merkle path to a signed batch root; classical or hybrid signature)
BATCH_KIND = "receipt-batch"  # the signed statement of a receipt batch: pack([kind, 1, root, size])
MAX_RECEIPT_BATCH = 1 << 16
_MAX_PATH = 17  # ceil(log2(MAX_RECEIPT_BATCH)) + 1


@dataclass(frozen=True)
class Receipt:
    """The gateway's signed acknowledgement of an accepted submission.

    Version 3 (every receipt signed since) is batch-signed: the gateway signs the receipts of
    one group commit at once, ONE signature (label ``receipt-batch``) over the root of an RFC 6962
    Merkle tree whose leaves are the receipts' bodies, and each receipt carries its leaf index,
    the batch size, the audit path and that signature (a lone receipt: a batch of one, path
    empty).  Versions 1 and 2 (each receipt signed alone, classical or hybrid) still verify."""

    study_id: int
    participant: str
    submission_id: bytes
    submission_digest: bytes
    sequence: int
    accepted_at: int
    signature: bytes = b""
    batch_size: int = 0  # 0: a version 1/2 receipt (signed alone); else the size of its signed batch
    leaf_index: int = 0
    path: tuple[bytes, ...] = ()

    KIND = "receipt"
    LABEL = "receipt"
    BATCH_LABEL = "receipt-batch"

    @property
    def version(self) -> int:
        return 3 if self.batch_size else _version(self.signature)

    def body(self, version: int | None = None) -> list:
        version = self.version if version is None else version
        return enc.header(self.KIND, version) + [enc.fe_bytes(self.study_id), self.participant, self.submission_id,
                                        self.submission_digest, self.sequence, self.accepted_at]

    def signed_bytes(self, version: int | None = None) -> bytes:
        """Version 1/2: the bytes the signature signs; version 3: the leaf's data in its batch tree."""
        return enc.pack(self.body(version))

    def leaf(self) -> bytes:
        """The receipt's leaf hash in its batch tree (SHA-256(0x00 ‖ pack(version 3 body)))."""
        return leaf_hash(self.signed_bytes(3))

    def to_bytes(self) -> bytes:
        if self.batch_size:
            return enc.pack(self.body() + [self.batch_size, self.leaf_index, list(self.path), self.signature])
        return enc.pack(self.body() + [self.signature])

    @classmethod
    def from_bytes(cls, data: bytes) -> Receipt:
        version, it = enc.unpack_versioned(data, cls.KIND, RECEIPT_VERSIONS)
        it = _check_items(it, 10 if version == 3 else 7, cls.KIND)
        fields = (enc.read_fe(it[0], "study_id"), enc.read_str(it[1], "participant", 128),
                  enc.read_bytes(it[2], "submission_id", 16), enc.read_bytes(it[3], "submission_digest", 32),
                  enc.read_int(it[4], "sequence", 0), enc.read_int(it[5], "accepted_at", 0))
        if version == 3:
            size = enc.read_int(it[6], "batch_size", 1, MAX_RECEIPT_BATCH)
            index = enc.read_int(it[7], "leaf_index", 0, size - 1)
            path = tuple(enc.read_bytes(x, "audit path node", 32) for x in enc.read_list(it[8], "path", max_len=_MAX_PATH))
            signature = it[9]
            if type(signature) is not bytes or len(signature) not in (SIGNATURE_BYTES, HYBRID_SIGNATURE_BYTES):
                raise MessageFormatError(f"signature: expected {SIGNATURE_BYTES} (Ed25519) or {HYBRID_SIGNATURE_BYTES} "
                                         "(Ed25519+ML-DSA-65) bytes")
            r = cls(*fields, signature, size, index, path)
        else:
            r = cls(*fields, _signature(it[6], version))
        enc.check_canonical(data, r, cls.KIND)
        return r

    def sign(self, key: SigningKey) -> Receipt:
        """This receipt signed alone: a batch of one (see :func:`sign_receipts`)."""
        return sign_receipts([self], key)[0]

    def batch_root(self) -> bytes:
        """The root of the batch tree this version 3 receipt's path leads to (BadSignatureError if
        the path cannot belong to a tree of its batch size)."""
        try:
            return inclusion_root(self.leaf(), self.leaf_index, self.batch_size, list(self.path))
        except ProofError as exc:
            raise BadSignatureError(f"the gateway's receipt of {self.participant!r}: {exc}") from None

    def verify_signature(self, gateway_key: bytes, *, require_pq: bool = False) -> str:
        """Verify under the gateway's key (its type decides whether the ML-DSA-65 half is required;
        ``require_pq`` refuses a classical key); returns the algorithms."""
        if not self.batch_size:
            return verify_signature(gateway_key, self.signed_bytes(), self.signature, "the gateway's receipt",
                                    label=self.LABEL, require_pq=require_pq)
        return verify_signature(gateway_key, receipt_batch_bytes(self.batch_root(), self.batch_size), self.signature,
                                "the gateway's receipt batch", label=self.BATCH_LABEL, require_pq=require_pq)


def receipt_batch_bytes(root: bytes, size: int) -> bytes:
    """What a receipt batch's signature signs: pack(["receipt-batch", 1, root, size])."""
    return enc.pack(enc.header(BATCH_KIND, 1) + [bytes(root), int(size)])


def sign_receipts(receipts: list[Receipt], key: SigningKey) -> list[Receipt]:
    """Sign a batch of receipts with ONE signature: an RFC 6962 tree over their version 3 bodies
    (in the given order), the key's signature (label ``receipt-batch``) over (root, size); each
    receipt returned carries its index, the size, its audit path and that signature."""
    if not 1 <= len(receipts) <= MAX_RECEIPT_BATCH:
        raise ValueError(f"a receipt batch holds 1 to {MAX_RECEIPT_BATCH} receipts, not {len(receipts)}")
    tree = MerkleLog()
    for r in receipts:
        tree.append_hash(r.leaf())
    size = len(receipts)
    signature = key.sign(receipt_batch_bytes(tree.root(), size), Receipt.BATCH_LABEL)
    return [replace(r, signature=signature, batch_size=size, leaf_index=i, path=tuple(tree.inclusion_proof(i)))
            for i, r in enumerate(receipts)]


@dataclass(frozen=True)
class Aggregate:
    """The gateway's aggregate: the HE sum of the included submissions' ciphertexts and the
    sum of their commitments, listing what it includes (participant, submission digest)."""

    study_id: int
    included: tuple[tuple[str, bytes], ...]
    commitment: Point
    envelope_digest: bytes
    signature: bytes = b""
    envelope: bytes | None = None

    KIND = "aggregate"
    LABEL = "aggregate"

    def body(self, version: int | None = None) -> list:
        version = _version(self.signature) if version is None else version
        return enc.header(self.KIND, version) + [enc.fe_bytes(self.study_id), [[n, d] for n, d in self.included],
                                        _pt(self.commitment), self.envelope_digest]

    def signed_bytes(self, version: int | None = None) -> bytes:
        return enc.pack(self.body(version))

    def to_bytes(self) -> bytes:
        return enc.pack(self.body() + [self.signature, self.envelope])

    @property
    def digest(self) -> bytes:
        return enc.digest(enc.pack(self.body() + [self.signature]), "aggregate")

    def public(self) -> Aggregate:
        return replace(self, envelope=None)

    @classmethod
    def from_bytes(cls, data: bytes) -> Aggregate:
        version, it = enc.unpack_versioned(data, cls.KIND, VERSIONS)
        it = _check_items(it, 6, cls.KIND)
        inc = []
        for x in enc.read_list(it[1], "included"):
            x = enc.read_list(x, "included entry", 2)
            inc.append((enc.read_str(x[0], "participant", 128), enc.read_bytes(x[1], "digest", 32)))
        a = cls(enc.read_fe(it[0], "study_id"), tuple(inc), _read_pt(it[2], "commitment"),
                enc.read_bytes(it[3], "envelope_digest", 32), _signature(it[4], version),
                None if it[5] is None else enc.read_bytes(it[5], "envelope"))
        enc.check_canonical(data, a, cls.KIND)
        return a

    def sign(self, key: SigningKey) -> Aggregate:
        return replace(self, signature=key.sign(self.signed_bytes(key.message_version), self.LABEL))

    def verify_signature(self, gateway_key: bytes, *, require_pq: bool = False) -> str:
        return verify_signature(gateway_key, self.signed_bytes(), self.signature, "the gateway's aggregate", label=self.LABEL,
                                require_pq=require_pq)


@dataclass(frozen=True)
class Release:
    """The key holder's published result.

    ``values`` is ``S`` (stored units, in the order of ``StudySpec.value_names()``);
    ``randomness`` is ``P = Σ ρ_i`` as an integer (None for unverified releases: CKKS or
    differential privacy, which never publish P).  ``mode`` is ``"exact"`` (verifiable),
    ``"dp"`` or ``"ckks"``.

    A release with small cells withheld (:mod:`zkgate.study.disclosure`; versions 3 and 4: 1 and 2
    plus two items) lists the withheld coordinates in ``withheld`` (sorted, distinct), holds only
    the published coordinates in ``values`` (in index order), publishes no ``P`` and carries the
    ``suppression`` proof that the published values open ``Σ C_i``."""

    study_id: int
    aggregate_digest: bytes
    values: tuple[int, ...]
    randomness: int | None
    mode: str = "exact"
    signature: bytes = b""
    withheld: tuple[int, ...] = ()
    suppression: SuppressionProof | None = None

    KIND = "release"
    LABEL = "release"
    SUPPRESSED = 2  # version offset of a release with withheld cells (3: classical signature, 4: hybrid)

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def body(self, version: int | None = None) -> list:
        version = _version(self.signature) if version is None else version
        rnd = None if self.randomness is None else _bigint(self.randomness)
        items = [enc.fe_bytes(self.study_id), self.aggregate_digest, [_bigint(v) for v in self.values], rnd, self.mode]
        if self.suppression is None:
            return enc.header(self.KIND, version) + items
        return (enc.header(self.KIND, version + self.SUPPRESSED) + items
                + [list(self.withheld), self.suppression.to_obj()])

    def signed_bytes(self, version: int | None = None) -> bytes:
        return enc.pack(self.body(version))

    def to_bytes(self) -> bytes:
        return enc.pack(self.body() + [self.signature])

    @classmethod
    def from_bytes(cls, data: bytes) -> Release:
        version, it = enc.unpack_versioned(data, cls.KIND, (*VERSIONS, *(v + cls.SUPPRESSED for v in VERSIONS)))
        suppressed = version > max(VERSIONS)
        it = _check_items(it, 8 if suppressed else 6, cls.KIND)
        mode = enc.read_str(it[4], "mode", 16)
        if mode not in ("exact", "dp", "ckks"):
            raise MessageFormatError(f"release: unknown mode {mode!r}")
        withheld, proof = (), None
        if suppressed:
            withheld = tuple(enc.read_int(j, "withheld coordinate", 0, MAX_COORDINATES - 1)
                             for j in enc.read_list(it[5], "withheld", max_len=MAX_COORDINATES))
            proof = SuppressionProof.from_obj(it[6], max_responses=MAX_COORDINATES)
            if mode != "exact" or it[3] is not None or not withheld or list(withheld) != sorted(set(withheld)) \
                    or len(proof.responses) != len(withheld):
                raise MessageFormatError("release: a release with withheld cells is exact, publishes no P, and lists "
                                         "its withheld coordinates (sorted, distinct), one proof response each")
        r = cls(enc.read_fe(it[0], "study_id"), enc.read_bytes(it[1], "aggregate_digest", 32),
                tuple(_read_bigint(v, "value") for v in enc.read_list(it[2], "values")),
                None if it[3] is None else _read_bigint(it[3], "randomness"), mode,
                _signature(it[-1], version - cls.SUPPRESSED if suppressed else version), withheld, proof)
        enc.check_canonical(data, r, cls.KIND)
        return r

    def sign(self, key: SigningKey) -> Release:
        return replace(self, signature=key.sign(self.signed_bytes(key.message_version), self.LABEL))

    def verify_signature(self, key_holder_key: bytes, *, require_pq: bool = False) -> str:
        return verify_signature(key_holder_key, self.signed_bytes(), self.signature, "the key holder's release", label=self.LABEL,
                                require_pq=require_pq)


def _bigint(v: int) -> bytes:
    """Non-negative integer as minimal big-endian bytes (b'' for 0)."""
    v = int(v)
    if v < 0:
        raise MessageFormatError("released integers are non-negative")
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


def _read_bigint(v, what) -> int:
    if type(v) is not bytes or len(v) > 128 or (v and v[0] == 0):
        raise MessageFormatError(f"{what}: expected a minimal big-endian integer")
    return int.from_bytes(v, "big")


__all__ = ["Aggregate", "Receipt", "Release", "Submission", "proof_from_obj", "proof_obj", "receipt_batch_bytes",
           "sign_receipts"]
