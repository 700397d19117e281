"""Signed tree heads: the gateway's Ed25519 signature over (size, root, timestamp).

The signed bytes are a fixed, versioned layout: ``b"zkgate-sth-v1" || u64 size || root (32) ||
u64 timestamp_ms`` (big endian), so any language can check them with an Ed25519 library.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zkgate.audit.merkle import ProofError
from zkgate.errors import InvalidInputError

DOMAIN = b"zkgate-sth-v1"


@dataclass(frozen=True)
class SignedTreeHead:
    tree_size: int
    root: bytes
    timestamp_ms: int
    signature: bytes

    def signed_bytes(self) -> bytes:
        return tree_head_bytes(self.tree_size, self.root, self.timestamp_ms)


def tree_head_bytes(tree_size: int, root: bytes, timestamp_ms: int) -> bytes:
    if len(root) != 32:
        raise InvalidInputError(f"a tree root has 32 bytes, got {len(root)}")
    return DOMAIN + struct.pack(">Q", tree_size) + root + struct.pack(">Q", timestamp_ms)


class TreeHeadSigner:
    """Holds the gateway's log key and signs tree heads."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key

    @classmethod
    def generate(cls) -> TreeHeadSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> TreeHeadSigner:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInputError("the log signing key must be an Ed25519 key")
        return cls(key)

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def public_key_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def sign(self, tree_size: int, root: bytes, timestamp_ms: int | None = None) -> SignedTreeHead:
        stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        signature = self.private_key.sign(tree_head_bytes(tree_size, root, stamp))
        return SignedTreeHead(tree_size=tree_size, root=root, timestamp_ms=stamp, signature=signature)


def verify_tree_head(head: SignedTreeHead, public_key: bytes) -> None:
    """Raise ProofError unless the head carries a valid signature by ``public_key``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(head.signature, head.signed_bytes())
    except (InvalidSignature, ValueError) as exc:
        raise ProofError("the tree head's signature does not verify with the gateway's log key") from exc
