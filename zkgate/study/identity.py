"""Signing identities of participants, gateway and key holder: hybrid Ed25519 + ML-DSA-65.

The keys, encodings and signing input are :mod:`zkgate.signing` (below the study layer, so
that the audit log signs its tree heads with the same key type); this module re-exports them
and raises the study's errors: :class:`BadSignatureError` (and :class:`ClassicalSignatureError`
where a post-quantum signature is required) and :class:`MessageFormatError`.
"""

from __future__ import annotations

from zkgate import signing
from zkgate.signing import (
    ED25519,
    HYBRID,
    HYBRID_PUBLIC_KEY_BYTES,
    HYBRID_SIGNATURE_BYTES,
    LABELS,
    MLDSA65_PUBLIC_KEY_BYTES,
    MLDSA65_SIGNATURE_BYTES,
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    SigningKey,
    algorithms,
    hybrid_signing_input,
    is_hybrid_key,
    key_hash,
    key_ref,
    ref_is_hybrid,
    signature_length,
)
from zkgate.study.errors import BadSignatureError, ClassicalSignatureError, MessageFormatError


def _translated(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except signing.ClassicalKeyError as exc:
        raise ClassicalSignatureError(str(exc)) from exc
    except signing.SignatureError as exc:
        raise BadSignatureError(str(exc)) from exc
    except signing.KeyFormatError as exc:
        raise MessageFormatError(str(exc)) from exc


def verify_signature(public: bytes, message: bytes, signature: bytes, who: str, *, label: str,
                     require_pq: bool = False) -> str:
    """:func:`zkgate.signing.verify_signature` with the study's errors; returns the algorithms."""
    return _translated(signing.verify_signature, public, message, signature, who, label=label, require_pq=require_pq)


def signature_ok(public: bytes, message: bytes, signature: bytes, label: str) -> bool:
    return signing.signature_ok(public, message, signature, label)


def check_public_key(public, what: str) -> bytes:
    return _translated(signing.check_public_key, public, what)


def check_key_ref(ref, what: str) -> bytes:
    return _translated(signing.check_key_ref, ref, what)


def resolve_key(ref: bytes, carried: bytes, who: str) -> bytes:
    return _translated(signing.resolve_key, ref, carried, who)


__all__ = [
    "ED25519", "HYBRID", "HYBRID_PUBLIC_KEY_BYTES", "HYBRID_SIGNATURE_BYTES", "LABELS", "MLDSA65_PUBLIC_KEY_BYTES",
    "MLDSA65_SIGNATURE_BYTES", "PUBLIC_KEY_BYTES", "SIGNATURE_BYTES", "SigningKey", "algorithms",
    "check_key_ref", "check_public_key", "hybrid_signing_input", "is_hybrid_key", "key_hash", "key_ref",
    "ref_is_hybrid", "resolve_key", "signature_length", "signature_ok", "verify_signature",
]
