"""Hybrid signatures (issue #22): every signed message type signs with Ed25519 and ML-DSA-65 over
the domain-separated input; either half broken, a half moved to another message type, another
message or another key, or a classical-only signature of a hybrid key is refused; classical keys
(made before hybrid signatures) still verify, and ``require_pq`` refuses them."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest

from zkgate.audit import ProofError, SignedTreeHead, TreeHeadSigner, verify_tree_head
from zkgate.prover.groth16.keys import Proof
from zkgate.signing import KeyFormatError
from zkgate.study import Dataset, DatasetCommitment, Registration, Schema
from zkgate.study.errors import BadSignatureError, ClassicalSignatureError, MessageFormatError
from zkgate.study.identity import (
    ED25519,
    HYBRID,
    HYBRID_PUBLIC_KEY_BYTES,
    HYBRID_SIGNATURE_BYTES,
    SIGNATURE_BYTES,
    SigningKey,
    hybrid_signing_input,
    key_hash,
    key_ref,
    verify_signature,
)
from zkgate.study.messages import Aggregate, Receipt, Release, Submission

HYBRID_KEY = SigningKey.generate()
OTHER_KEY = SigningKey.generate()
CLASSICAL_KEY = SigningKey.generate(hybrid=False)
STUDY = 12345
G = (5299619240641551281634865583518297030282874472190772894086521144482721001553,
     16950150798460657717958625567821834550301663161624707787222815936182638968203)


def _registration(key: SigningKey) -> Registration:
    schema = Schema.of(("age", 0, 15), ("sex", 0, 1))
    table = np.array([[3, 1], [7, 0], [12, 1]])
    return Registration.create("alpha", DatasetCommitment(Dataset.from_array(schema, table), 4), key)


def _submission(key: SigningKey) -> Submission:
    proof = Proof((1, 2), ((3, 4), (5, 6)), (7, 8))
    return Submission(STUDY, "alpha", b"\x01" * 16, (11,), 13, (G,), G, (proof,), b"\x02" * 32).sign(key)


def _alone(receipt: Receipt, key: SigningKey) -> Receipt:
    """A receipt signed alone, as gateways did before batch-signed receipts (version 1/2: they
    keep verifying; tests/study/test_receipt_batch.py covers version 3)."""
    return replace(receipt, signature=key.sign(receipt.signed_bytes(key.message_version), Receipt.LABEL))


def _messages(key: SigningKey) -> dict:
    """One signed message of every type that carries its signature in a study message, and the
    public key (or spec reference) it verifies under."""
    sub = _submission(key)
    return {
        "registration": (_registration(key), None),
        "submission": (sub, key.ref),
        "receipt": (_alone(Receipt(STUDY, "alpha", b"\x01" * 16, sub.digest, 0, 1700000000), key), key.public),
        "aggregate": (Aggregate(STUDY, (("alpha", sub.digest),), G, b"\x03" * 32).sign(key), key.public),
        "release": (Release(STUDY, b"\x04" * 32, (3, 9), 77, "exact").sign(key), key.public),
    }


def _verify(msg, key) -> str:
    return msg.verify() if isinstance(msg, Registration) else msg.verify_signature(key)


def _decode(msg):
    return type(msg).from_bytes(msg.to_bytes())


def test_keys_are_hybrid_by_default_and_encode_both_halves(tmp_path):
    assert HYBRID_KEY.hybrid and HYBRID_KEY.algorithms == HYBRID and HYBRID_KEY.message_version == 2
    assert len(HYBRID_KEY.public) == HYBRID_PUBLIC_KEY_BYTES == 1984
    assert SigningKey(HYBRID_KEY.raw) == HYBRID_KEY and SigningKey(HYBRID_KEY.raw).public == HYBRID_KEY.public
    assert not CLASSICAL_KEY.hybrid and len(CLASSICAL_KEY.raw) == 32 and CLASSICAL_KEY.public == CLASSICAL_KEY.ref
    assert key_ref(HYBRID_KEY.public) == b"\x01" + key_hash(HYBRID_KEY.public) and len(HYBRID_KEY.ref) == 33
    assert "Ed25519+ML-DSA-65" in repr(HYBRID_KEY) and HYBRID_KEY.raw.hex() not in repr(HYBRID_KEY)
    path = tmp_path / "signing.key"
    path.write_bytes(HYBRID_KEY.raw)
    assert SigningKey.from_file(path) == HYBRID_KEY
    path.write_bytes(HYBRID_KEY.raw[:-1])
    with pytest.raises(KeyFormatError, match="signing.key"):
        SigningKey.from_file(path)
    with pytest.raises(KeyFormatError, match="nowhere.key"):
        SigningKey.from_file(tmp_path / "nowhere.key")
    seeds = (os.urandom(32), os.urandom(32))
    assert SigningKey.from_seeds(*seeds).public == SigningKey.from_seeds(*seeds).public  # deterministic keys


@pytest.mark.parametrize("kind", ["registration", "submission", "receipt", "aggregate", "release"])
def test_every_message_type_signs_and_verifies_hybrid(kind):
    msg, key = _messages(HYBRID_KEY)[kind]
    assert len(msg.signature) == HYBRID_SIGNATURE_BYTES
    again = _decode(msg)
    assert again == msg and again.body()[1] == 2  # version 2: hybrid
    assert _verify(again, key) == HYBRID


@pytest.mark.parametrize("kind", ["registration", "submission", "receipt", "aggregate", "release"])
def test_either_half_broken_is_refused(kind):
    msg, key = _messages(HYBRID_KEY)[kind]
    sig = msg.signature
    for broken in (bytes([sig[0] ^ 1]) + sig[1:],                              # Ed25519 half
                   sig[:SIGNATURE_BYTES] + bytes([sig[SIGNATURE_BYTES] ^ 1]) + sig[SIGNATURE_BYTES + 1:],  # ML-DSA half
                   sig[:-1] + bytes([sig[-1] ^ 0x80])):
        with pytest.raises(BadSignatureError):
            _verify(replace(msg, signature=broken), key)


@pytest.mark.parametrize("kind", ["registration", "submission", "receipt", "aggregate", "release"])
def test_a_classical_only_signature_of_a_hybrid_key_is_refused(kind):
    """Stripping the ML-DSA half, or an Ed25519 signature over the message itself (what a classical
    key signs), never verifies under a hybrid-registered key; on the wire it does not even decode."""
    msg, key = _messages(HYBRID_KEY)[kind]
    ed = HYBRID_KEY._ed  # the hybrid key's own Ed25519 half, as a forger holding it would use it
    signed = [msg.signed_bytes()] if kind == "registration" else [msg.signed_bytes(1), msg.signed_bytes(2)]
    for classical in (msg.signature[:SIGNATURE_BYTES], *(ed.sign(data) for data in signed)):
        stripped = replace(msg, signature=classical)
        with pytest.raises(BadSignatureError, match="no ML-DSA-65 part|does not verify"):
            _verify(stripped, key)
        with pytest.raises(MessageFormatError):  # a version-2 message with a 64-byte signature
            type(msg).from_bytes(stripped.to_bytes() if kind == "registration" else _as_version(stripped, 2))


def _as_version(msg, version: int) -> bytes:
    """``msg`` encoded with another version in its header than its signature implies."""
    from zkgate.study import encoding as enc

    items = msg.body(version)
    tail = [msg.signature] + ([msg.envelope] if hasattr(msg, "envelope") else [])
    return enc.pack(items + tail)


def test_ml_dsa_half_moved_to_another_message_type_message_or_key_is_refused():
    message = b"the same bytes"
    receipt = HYBRID_KEY.sign(message, "receipt")
    assert verify_signature(HYBRID_KEY.public, message, receipt, "x", label="receipt") == HYBRID
    for label in ("aggregate", "release", "submission", "registration", "tree-head"):
        other = HYBRID_KEY.sign(message, label)
        with pytest.raises(BadSignatureError):  # the whole signature of another type
            verify_signature(HYBRID_KEY.public, message, other, "x", label="receipt")
        with pytest.raises(BadSignatureError, match="ML-DSA-65 part"):  # only its ML-DSA half moved
            verify_signature(HYBRID_KEY.public, message, receipt[:SIGNATURE_BYTES] + other[SIGNATURE_BYTES:], "x",
                             label="receipt")
    another = HYBRID_KEY.sign(b"another message", "receipt")
    with pytest.raises(BadSignatureError, match="ML-DSA-65 part"):
        verify_signature(HYBRID_KEY.public, message, receipt[:SIGNATURE_BYTES] + another[SIGNATURE_BYTES:], "x",
                         label="receipt")
    # halves of two keys: a mixed key (Ed25519 of one, ML-DSA of the other) verifies neither signature
    mixed = HYBRID_KEY.public[:32] + OTHER_KEY.public[32:]
    theirs = OTHER_KEY.sign(message, "receipt")
    with pytest.raises(BadSignatureError):
        verify_signature(mixed, message, receipt[:SIGNATURE_BYTES] + theirs[SIGNATURE_BYTES:], "x", label="receipt")
    # between messages: a receipt's signature on another receipt
    msgs = _messages(HYBRID_KEY)
    receipt_msg = msgs["receipt"][0]
    with pytest.raises(BadSignatureError):
        replace(receipt_msg, sequence=1).verify_signature(HYBRID_KEY.public)
    # the signing input binds the label, the key and the message
    assert hybrid_signing_input("receipt", HYBRID_KEY.public, message).startswith(b"zkgate-hybrid-v1\x07receipt")


def test_classical_keys_still_verify_and_require_pq_refuses_them():
    for kind, (msg, key) in _messages(CLASSICAL_KEY).items():
        again = _decode(msg)
        assert again.body()[1] == 1 and len(again.signature) == SIGNATURE_BYTES  # version 1, as before
        assert _verify(again, key) == ED25519
        with pytest.raises(ClassicalSignatureError, match="classical"):
            again.verify(require_pq=True) if kind == "registration" else again.verify_signature(key, require_pq=True)
    for kind, (msg, key) in _messages(HYBRID_KEY).items():
        assert (msg.verify(require_pq=True) if kind == "registration"
                else msg.verify_signature(key, require_pq=True)) == HYBRID


def test_a_submission_must_carry_the_key_its_spec_names():
    sub = _submission(HYBRID_KEY)
    assert sub.signer_key == HYBRID_KEY.public and sub.verify_signature(HYBRID_KEY.ref) == HYBRID
    with pytest.raises(BadSignatureError, match="does not carry"):
        sub.verify_signature(OTHER_KEY.ref)  # the spec names another hybrid key
    resigned = _submission(OTHER_KEY)  # signed by another key, which it carries
    with pytest.raises(BadSignatureError):
        resigned.verify_signature(HYBRID_KEY.ref)
    with pytest.raises(BadSignatureError, match="classical"):
        sub.verify_signature(CLASSICAL_KEY.public)  # the spec names a classical key: a hybrid one is not it
    swapped = replace(sub, signer_key=OTHER_KEY.public)  # the carried key is signed over
    with pytest.raises(BadSignatureError):
        swapped.verify_signature(OTHER_KEY.ref)


def test_tree_heads_are_hybrid_and_classical_log_keys_still_verify():
    root = os.urandom(32)
    signer = TreeHeadSigner.generate()
    head = signer.sign(7, root, 1700000000000)
    assert len(head.signature) == HYBRID_SIGNATURE_BYTES and signer.algorithms == HYBRID
    assert verify_tree_head(head, signer.public_key_bytes, require_pq=True) == HYBRID
    again = TreeHeadSigner.from_pem(signer.to_pem())
    assert b"ZKGATE HYBRID SIGNING KEY" in signer.to_pem() and again.public_key_bytes == signer.public_key_bytes
    sig = head.signature
    for broken in (bytes([sig[0] ^ 1]) + sig[1:], sig[:SIGNATURE_BYTES + 5] + bytes([sig[SIGNATURE_BYTES + 5] ^ 1])
                   + sig[SIGNATURE_BYTES + 6:], sig[:SIGNATURE_BYTES]):
        with pytest.raises(ProofError):
            verify_tree_head(replace(head, signature=broken), signer.public_key_bytes)
    with pytest.raises(ProofError):
        verify_tree_head(SignedTreeHead(8, root, head.timestamp_ms, sig), signer.public_key_bytes)
    # a receipt signature over the same bytes is not a tree-head signature
    forged = signer.key.sign(head.signed_bytes(), "receipt")
    with pytest.raises(ProofError):
        verify_tree_head(replace(head, signature=forged), signer.public_key_bytes)

    classical = TreeHeadSigner.generate(hybrid=False)  # an older data directory's PKCS#8 Ed25519 key
    assert b"BEGIN PRIVATE KEY" in classical.to_pem()
    old = TreeHeadSigner.from_pem(classical.to_pem()).sign(3, root, 1700000000000)
    assert len(old.signature) == SIGNATURE_BYTES
    assert verify_tree_head(old, classical.public_key_bytes) == ED25519
    with pytest.raises(ProofError, match="ML-DSA-65"):
        verify_tree_head(old, classical.public_key_bytes, require_pq=True)
