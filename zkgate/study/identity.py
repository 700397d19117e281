"""Signing identities (Ed25519, via ``cryptography``) of participants, gateway and key holder."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from zkgate.study.errors import BadSignatureError, MessageFormatError

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key (32 raw bytes).  SECRET."""

    raw: bytes

    def __post_init__(self) -> None:
        if type(self.raw) is not bytes or len(self.raw) != 32:
            raise MessageFormatError("an Ed25519 private key is 32 bytes")

    @classmethod
    def generate(cls) -> SigningKey:
        k = Ed25519PrivateKey.generate()
        return cls(k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))

    @property
    def public(self) -> bytes:
        return (Ed25519PrivateKey.from_private_bytes(self.raw).public_key()
                .public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.raw).sign(bytes(message))

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public.hex()[:16]}...)"


def verify_signature(public: bytes, message: bytes, signature: bytes, who: str) -> None:
    """Raise :class:`BadSignatureError` unless ``signature`` verifies."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes(public))
        key.verify(bytes(signature), bytes(message))
    except (InvalidSignature, ValueError) as exc:
        raise BadSignatureError(f"the signature of {who} does not verify under its registered key") from exc


def signature_ok(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        verify_signature(public, message, signature, "")
    except BadSignatureError:
        return False
    return True


__all__ = ["PUBLIC_KEY_BYTES", "SIGNATURE_BYTES", "SigningKey", "signature_ok", "verify_signature"]
