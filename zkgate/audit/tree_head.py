"""Signed tree heads: the gateway's signature over (size, root, timestamp).

The head bytes are a fixed, versioned layout: ``b"zkgate-sth-v1" || u64 size || root (32) ||
u64 timestamp_ms`` (big endian).  A hybrid log key (Ed25519 + ML-DSA-65, every key made since
hybrid signatures) signs them with both halves as a ``tree-head`` message
(:func:`zkgate.study.identity.hybrid_signing_input`); a classical Ed25519 log key (data
directories made before) signs the head bytes themselves with Ed25519, so any language can
check them with an Ed25519 (and an ML-DSA-65) library.

The log key file is PEM: a hybrid key is a ``ZKGATE HYBRID SIGNING KEY`` block holding the
:class:`zkgate.study.identity.SigningKey` encoding; a classical one a PKCS#8 Ed25519 key.
"""

from __future__ import annotations

import base64
import struct
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zkgate.audit.merkle import ProofError
from zkgate.errors import InvalidInputError, ZkgateError
from zkgate.signing import SigningKey, algorithms, verify_signature

DOMAIN = b"zkgate-sth-v1"
LABEL = "tree-head"
PEM_LABEL = b"ZKGATE HYBRID SIGNING KEY"


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
    """Holds the gateway's log key (a :class:`SigningKey`, hybrid or classical) and signs tree heads."""

    def __init__(self, key: SigningKey | Ed25519PrivateKey) -> None:
        if isinstance(key, Ed25519PrivateKey):
            key = SigningKey(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                               serialization.NoEncryption()))
        self.key = key

    @classmethod
    def generate(cls, *, hybrid: bool = True) -> TreeHeadSigner:
        return cls(SigningKey.generate(hybrid=hybrid))

    @classmethod
    def from_pem(cls, pem: bytes) -> TreeHeadSigner:
        pem = bytes(pem)
        begin, end = b"-----BEGIN " + PEM_LABEL + b"-----", b"-----END " + PEM_LABEL + b"-----"
        if pem.lstrip().startswith(begin):
            body = pem.strip()[len(begin):]
            if not body.endswith(end):
                raise InvalidInputError("the log signing key file is truncated (no END line)")
            try:
                return cls(SigningKey(base64.b64decode(body[: -len(end)], validate=False)))
            except (ValueError, ZkgateError) as exc:
                raise InvalidInputError(f"the log signing key is not a zkgate hybrid key: {exc}") from None
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except ValueError as exc:
            raise InvalidInputError(f"the log signing key is not a PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInputError("the log signing key must be an Ed25519 or a zkgate hybrid key")
        return cls(key)

    def to_pem(self) -> bytes:
        if not self.key.hybrid:
            return Ed25519PrivateKey.from_private_bytes(self.key.raw).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        body = base64.encodebytes(self.key.raw)
        return b"-----BEGIN " + PEM_LABEL + b"-----\n" + body + b"-----END " + PEM_LABEL + b"-----\n"

    @property
    def public_key_bytes(self) -> bytes:
        return self.key.public

    @property
    def algorithms(self) -> str:
        return self.key.algorithms

    def sign(self, tree_size: int, root: bytes, timestamp_ms: int | None = None) -> SignedTreeHead:
        stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        signature = self.key.sign(tree_head_bytes(tree_size, root, stamp), LABEL)
        return SignedTreeHead(tree_size=tree_size, root=root, timestamp_ms=stamp, signature=signature)


def verify_tree_head(head: SignedTreeHead, public_key: bytes, *, require_pq: bool = False) -> str:
    """Raise ProofError unless the head carries a valid signature by ``public_key`` (both halves
    of a hybrid key; ``require_pq`` refuses a classical key); returns the algorithms that signed
    (``"Ed25519+ML-DSA-65"`` or ``"Ed25519"``)."""
    try:
        return verify_signature(public_key, head.signed_bytes(), head.signature, "the tree head", label=LABEL,
                                require_pq=require_pq)
    except ZkgateError as exc:
        if require_pq and algorithms(bytes(public_key)) != "Ed25519+ML-DSA-65":
            raise ProofError("the tree head is signed by a classical Ed25519-only log key and carries no "
                             "ML-DSA-65 signature (refused by --require-pq)") from exc
        raise ProofError(f"the tree head's signature does not verify with the gateway's log key ({exc})") from exc
