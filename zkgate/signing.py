"""Hybrid signatures (Ed25519 + ML-DSA-65): the signing keys of participants, gateway, key holder
and the audit log.  :mod:`zkgate.study.identity` re-exports this module with the study's errors.

One :class:`SigningKey` type wraps both halves, so callers never handle them apart.  A key
is *hybrid* (Ed25519 and ML-DSA-65, FIPS 204; every new key) or *classical* (Ed25519 only:
keys made before hybrid signatures, still loaded and still verified).

Encodings (all fixed-length byte strings):

* private key: classical = the 32-byte Ed25519 seed (the old files, unchanged); hybrid =
  ``b"zkgate-hybrid-key-v1\\0"`` ‖ Ed25519 seed (32) ‖ ML-DSA-65 seed ξ (32);
* public key: classical = the 32-byte Ed25519 key; hybrid = Ed25519 key (32) ‖ ML-DSA-65
  key (1,952) = 1,984 bytes;
* signature: classical = 64 bytes; hybrid = Ed25519 signature (64) ‖ ML-DSA-65 signature
  (3,309) = 3,373 bytes;
* key reference (how specs name a participant's key): classical = the key itself; hybrid =
  ``0x01`` ‖ SHA-256(ed25519_pk ‖ mldsa_pk) (33 bytes: never mistaken for a classical key).

A hybrid signature signs, with both halves (ML-DSA with the empty context),

    ``b"zkgate-hybrid-v1" ‖ u8 len(label) ‖ label ‖ SHA-256(ed25519_pk ‖ mldsa_pk) ‖ message``

where ``label`` names the message type (``registration``, ``submission``, ``receipt``,
``aggregate``, ``release``, ``tree-head``; ``committee`` and ``decryption-share`` for the key
committee of :mod:`zkgate.he.committee`): a stripped Ed25519 half never verifies as a
classical signature of the message (different bytes), an ML-DSA half moved to another message
type or another key does not verify, and the signature verifies only if both halves do.  A
classical key signs the message itself with Ed25519 (the release before hybrid keys).

Which form is required follows the *public key* the verifier holds (the signer's registered
key), never a flag: a hybrid key's classical-only signature is refused.  ``require_pq``
additionally refuses classical keys (``--require-pq``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import mldsa as _mldsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from zkgate.errors import CryptoError, FormatError


class KeyFormatError(FormatError):
    """Bytes that are not a signing key, public key or key reference of the expected form."""


class SignatureError(CryptoError):
    """A signature does not verify under the signer's registered key."""


class ClassicalKeyError(SignatureError):
    """A classical (Ed25519-only) key or signature where an ML-DSA-65 part is required."""


MessageFormatError = KeyFormatError
BadSignatureError = SignatureError
ClassicalSignatureError = ClassicalKeyError

# cryptography >= 48 (the first release whose standard wheels ship ML-DSA); pyproject.toml
# requires it, and an older one fails at import with the message below.
_MLDSA65_PRIVATE = getattr(_mldsa, "MLDSA65PrivateKey", None) or getattr(_mldsa, "MlDsa65PrivateKey", None)
_MLDSA65_PUBLIC = getattr(_mldsa, "MLDSA65PublicKey", None) or getattr(_mldsa, "MlDsa65PublicKey", None)
if _MLDSA65_PRIVATE is None or _MLDSA65_PUBLIC is None:  # pragma: no cover - depends on the installed wheel
    raise ImportError("zkgate needs cryptography >= 48 (ML-DSA-65 in its standard wheels); "
                      "upgrade it: pip install -U 'cryptography>=48'")

ED25519 = "Ed25519"
HYBRID = "Ed25519+ML-DSA-65"

PUBLIC_KEY_BYTES = 32  # classical (Ed25519) public key
SIGNATURE_BYTES = 64  # classical (Ed25519) signature
MLDSA65_PUBLIC_KEY_BYTES = 1952
MLDSA65_SIGNATURE_BYTES = 3309
HYBRID_PUBLIC_KEY_BYTES = PUBLIC_KEY_BYTES + MLDSA65_PUBLIC_KEY_BYTES
HYBRID_SIGNATURE_BYTES = SIGNATURE_BYTES + MLDSA65_SIGNATURE_BYTES
HYBRID_KEY_REF_BYTES = 33
HYBRID_DOMAIN = b"zkgate-hybrid-v1"
HYBRID_KEY_MAGIC = b"zkgate-hybrid-key-v1\x00"
HYBRID_PRIVATE_KEY_BYTES = len(HYBRID_KEY_MAGIC) + 64

LABELS = ("registration", "submission", "receipt", "aggregate", "release", "tree-head", "committee", "decryption-share",
          "contribution-commit", "receipt-batch")


def key_hash(public: bytes) -> bytes:
    """SHA-256(ed25519_pk ‖ mldsa_pk) of a hybrid public key (its encoding is exactly that)."""
    return hashlib.sha256(bytes(public)).digest()


def hybrid_signing_input(label: str, public: bytes, message: bytes) -> bytes:
    """The bytes both halves of a hybrid signature sign."""
    if label not in LABELS:
        raise ValueError(f"unknown signature label {label!r}")
    tag = label.encode()
    return HYBRID_DOMAIN + bytes([len(tag)]) + tag + key_hash(public) + bytes(message)


def is_hybrid_key(public: bytes) -> bool:
    return len(public) == HYBRID_PUBLIC_KEY_BYTES


def algorithms(public: bytes) -> str:
    """``"Ed25519+ML-DSA-65"`` or ``"Ed25519"`` (classical): what signs under ``public``."""
    return HYBRID if is_hybrid_key(public) else ED25519


def check_public_key(public, what: str) -> bytes:
    """A well-formed public key (classical 32 or hybrid 1,984 bytes), else MessageFormatError."""
    if type(public) is not bytes or len(public) not in (PUBLIC_KEY_BYTES, HYBRID_PUBLIC_KEY_BYTES):
        raise MessageFormatError(f"{what}: expected a public key of {PUBLIC_KEY_BYTES} (Ed25519) or "
                                 f"{HYBRID_PUBLIC_KEY_BYTES} (Ed25519+ML-DSA-65) bytes")
    return public


def key_ref(public: bytes) -> bytes:
    """How a spec names a key: a classical key itself, a hybrid key by ``0x01 ‖ its hash``."""
    check_public_key(public, "public key")
    return b"\x01" + key_hash(public) if is_hybrid_key(public) else bytes(public)


def check_key_ref(ref, what: str) -> bytes:
    if type(ref) is not bytes or not (len(ref) == PUBLIC_KEY_BYTES
                                      or (len(ref) == HYBRID_KEY_REF_BYTES and ref[0] == 1)):
        raise MessageFormatError(f"{what}: expected an Ed25519 key (32 bytes) or a hybrid key reference "
                                 "(33 bytes: 0x01 and the key's SHA-256)")
    return ref


def ref_is_hybrid(ref: bytes) -> bool:
    return len(ref) == HYBRID_KEY_REF_BYTES


def signature_length(version: int) -> int:
    """Message version 1 carries a classical signature, version 2 a hybrid one."""
    return HYBRID_SIGNATURE_BYTES if version >= 2 else SIGNATURE_BYTES


@dataclass(frozen=True)
class SigningKey:
    """A private signing key, hybrid (Ed25519 + ML-DSA-65) or classical (Ed25519).  SECRET.

    ``raw`` is the file encoding (see the module documentation)."""

    raw: bytes

    def __post_init__(self) -> None:
        raw = self.raw
        if type(raw) is not bytes:
            raise MessageFormatError("a signing key is a byte string")
        if len(raw) == 32:
            ed, ml = raw, None
        elif len(raw) == HYBRID_PRIVATE_KEY_BYTES and raw.startswith(HYBRID_KEY_MAGIC):
            ed, ml = raw[len(HYBRID_KEY_MAGIC):-32], raw[-32:]
        else:
            raise MessageFormatError(
                f"a signing key is 32 bytes (Ed25519) or {HYBRID_PRIVATE_KEY_BYTES} bytes starting with "
                f"{HYBRID_KEY_MAGIC[:-1].decode()!r} (Ed25519+ML-DSA-65); got {len(raw)} bytes")
        ed_key = Ed25519PrivateKey.from_private_bytes(ed)
        ml_key = None if ml is None else _MLDSA65_PRIVATE.from_seed_bytes(ml)
        public = ed_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        if ml_key is not None:
            public += ml_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        object.__setattr__(self, "_ed", ed_key)
        object.__setattr__(self, "_ml", ml_key)
        object.__setattr__(self, "_public", public)

    @classmethod
    def generate(cls, *, hybrid: bool = True) -> SigningKey:
        """A new key: hybrid unless ``hybrid=False`` (classical keys are for compatibility tests)."""
        ed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(HYBRID_KEY_MAGIC + ed + os.urandom(32) if hybrid else ed)

    @classmethod
    def from_seeds(cls, ed25519_seed: bytes, mldsa_seed: bytes | None) -> SigningKey:
        """A deterministic key from its seeds (test vectors)."""
        return cls(bytes(ed25519_seed) if mldsa_seed is None else HYBRID_KEY_MAGIC + bytes(ed25519_seed) + bytes(mldsa_seed))

    @classmethod
    def from_file(cls, path: str | os.PathLike, what: str = "signing key") -> SigningKey:
        """Load a key file; errors name the file."""
        try:
            data = open(path, "rb").read()
        except OSError as exc:
            raise MessageFormatError(f"cannot read the {what} {os.fspath(path)!r}: {exc.strerror or exc}") from None
        try:
            return cls(data)
        except MessageFormatError as exc:
            raise MessageFormatError(f"{os.fspath(path)!r} is not a zkgate {what}: {exc}") from None

    @property
    def hybrid(self) -> bool:
        return self._ml is not None

    @property
    def algorithms(self) -> str:
        return HYBRID if self.hybrid else ED25519

    @property
    def message_version(self) -> int:
        """The message version this key's signatures go in (1: classical, 2: hybrid)."""
        return 2 if self.hybrid else 1

    @property
    def public(self) -> bytes:
        return self._public

    @property
    def ref(self) -> bytes:
        return key_ref(self._public)

    def sign(self, message: bytes, label: str) -> bytes:
        """Sign ``message`` as a ``label`` message (the label is unused by classical keys)."""
        if not self.hybrid:
            if label not in LABELS:
                raise ValueError(f"unknown signature label {label!r}")
            return self._ed.sign(bytes(message))
        data = hybrid_signing_input(label, self._public, message)
        return self._ed.sign(data) + self._ml.sign(data)

    def __repr__(self) -> str:
        return f"SigningKey({self.algorithms}, public={self._public.hex()[:16]}...)"


def verify_signature(public: bytes, message: bytes, signature: bytes, who: str, *, label: str,
                     require_pq: bool = False) -> str:
    """Raise :class:`BadSignatureError` unless ``signature`` verifies as ``who``'s ``label``
    message under ``public``; returns the algorithms that signed.  The form required follows
    the key: a hybrid key needs both halves; ``require_pq`` refuses a classical key."""
    public, signature = bytes(public), bytes(signature)
    if len(public) == PUBLIC_KEY_BYTES:
        if require_pq:
            raise ClassicalSignatureError(
                f"{who} is signed with a classical Ed25519-only key and carries no ML-DSA-65 signature "
                "(refused: post-quantum signatures are required)")
        if len(signature) != SIGNATURE_BYTES:
            raise BadSignatureError(f"the signature of {who} is not an Ed25519 signature, as its registered "
                                    "Ed25519 key requires")
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, bytes(message))
        except (InvalidSignature, ValueError) as exc:
            raise BadSignatureError(f"the signature of {who} does not verify under its registered key") from exc
        return ED25519
    if len(public) != HYBRID_PUBLIC_KEY_BYTES:
        raise BadSignatureError(f"the registered key of {who} is not an Ed25519 or Ed25519+ML-DSA-65 key")
    if len(signature) != HYBRID_SIGNATURE_BYTES:
        raise BadSignatureError(
            f"the signature of {who} carries no ML-DSA-65 part, but its key is registered as Ed25519+ML-DSA-65 "
            "(a classical-only signature of a hybrid key is refused)")
    data = hybrid_signing_input(label, public, message)
    try:
        Ed25519PublicKey.from_public_bytes(public[:PUBLIC_KEY_BYTES]).verify(signature[:SIGNATURE_BYTES], data)
    except (InvalidSignature, ValueError) as exc:
        raise BadSignatureError(f"the Ed25519 part of the signature of {who} does not verify under its registered key") from exc
    try:
        _MLDSA65_PUBLIC.from_public_bytes(public[PUBLIC_KEY_BYTES:]).verify(signature[SIGNATURE_BYTES:], data)
    except (InvalidSignature, ValueError) as exc:
        raise BadSignatureError(f"the ML-DSA-65 part of the signature of {who} does not verify under its registered key") from exc
    return HYBRID


def signature_ok(public: bytes, message: bytes, signature: bytes, label: str) -> bool:
    try:
        verify_signature(public, message, signature, "", label=label)
    except BadSignatureError:
        return False
    return True


def resolve_key(ref: bytes, carried: bytes, who: str) -> bytes:
    """The public key behind a spec's key reference: a classical reference is the key; a hybrid
    one must be the hash of the key the message carries."""
    if not ref_is_hybrid(ref):
        if carried:
            raise BadSignatureError(f"{who} carries a hybrid key, but the study names a classical Ed25519 key")
        return ref
    if not carried or len(carried) != HYBRID_PUBLIC_KEY_BYTES or key_ref(carried) != ref:
        raise BadSignatureError(f"{who} does not carry the Ed25519+ML-DSA-65 key the study names for it")
    return carried


__all__ = [
    "ClassicalKeyError", "KeyFormatError", "SignatureError",
    "ED25519", "HYBRID", "HYBRID_PUBLIC_KEY_BYTES", "HYBRID_SIGNATURE_BYTES", "LABELS", "MLDSA65_PUBLIC_KEY_BYTES",
    "MLDSA65_SIGNATURE_BYTES", "PUBLIC_KEY_BYTES", "SIGNATURE_BYTES", "SigningKey", "algorithms",
    "check_key_ref", "check_public_key", "hybrid_signing_input", "is_hybrid_key", "key_hash", "key_ref",
    "ref_is_hybrid", "resolve_key", "signature_length", "signature_ok", "verify_signature",
]
