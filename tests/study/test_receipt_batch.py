"""Batch-signed receipts (version 3): one gateway signature over a Merkle tree of a group's receipts.

A receipt verifies only if its audit path leads from its own body to a root whose signature (label
``receipt-batch``, over (root, batch size)) verifies under the gateway's key: both halves for a
hybrid key, a classical-only signature refused, ``require_pq`` refusing a classical key.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from zkgate.study.errors import BadSignatureError, ClassicalSignatureError, MessageFormatError
from zkgate.study.identity import HYBRID, SIGNATURE_BYTES, SigningKey
from zkgate.study.messages import Receipt, receipt_batch_bytes, sign_receipts

HYBRID_KEY = SigningKey.generate()
OTHER_KEY = SigningKey.generate()
CLASSICAL_KEY = SigningKey.generate(hybrid=False)


def _unsigned(n: int, first: int = 0) -> list[Receipt]:
    return [Receipt(777, f"h{i}", bytes([i % 256]) * 16, bytes([(i * 7) % 256]) * 32, i, 1700000000 + i)
            for i in range(first, first + n)]


@pytest.mark.parametrize("key", [HYBRID_KEY, CLASSICAL_KEY], ids=["hybrid", "classical"])
def test_every_receipt_of_a_batch_verifies(key):
    for n in (1, 2, 3, 5, 8, 13):
        signed = sign_receipts(_unsigned(n), key)
        assert len({r.signature for r in signed}) == 1  # ONE signature for the batch
        for i, r in enumerate(signed):
            assert (r.version, r.batch_size, r.leaf_index) == (3, n, i)
            assert len(r.path) <= (n - 1).bit_length()  # at most ceil(log2 n) nodes
            again = Receipt.from_bytes(r.to_bytes())
            assert again == r
            assert again.verify_signature(key.public) == key.algorithms
    lone = _unsigned(1)[0].sign(key)  # a lone receipt: a batch of one, path empty
    assert (lone.version, lone.batch_size, lone.leaf_index, lone.path) == (3, 1, 0, ())
    assert lone.verify_signature(key.public) == key.algorithms


def test_a_tampered_path_index_or_body_is_refused():
    signed = sign_receipts(_unsigned(5), HYBRID_KEY)
    r = signed[1]
    bad_node = bytes([r.path[0][0] ^ 1]) + r.path[0][1:]
    forgeries = [
        replace(r, path=(bad_node, *r.path[1:])),                  # a node of the path changed
        replace(r, path=r.path[:-1]),                               # a node dropped
        replace(r, path=(*r.path, bytes(32))),                      # a node added
        replace(r, leaf_index=2),                                   # another index, same path
        replace(r, path=signed[2].path),                            # another receipt's path
        replace(r, leaf_index=2, path=signed[2].path),              # another receipt's index and path
        replace(r, batch_size=4),                                   # another batch size
        replace(r, batch_size=6),
        replace(r, sequence=7),                                     # the body changed
        replace(r, participant="h9"),
        replace(r, accepted_at=r.accepted_at + 1),
    ]
    for forged in forgeries:
        with pytest.raises(BadSignatureError):
            forged.verify_signature(HYBRID_KEY.public)
    with pytest.raises(MessageFormatError):  # an index outside the batch does not even decode
        Receipt.from_bytes(replace(r, leaf_index=5).to_bytes())


def test_the_signature_of_another_batch_or_key_is_refused():
    first = sign_receipts(_unsigned(4), HYBRID_KEY)
    second = sign_receipts(_unsigned(4, first=4), HYBRID_KEY)
    same_shape = sign_receipts(_unsigned(4), HYBRID_KEY)  # the same receipts signed again: a valid signature
    assert same_shape[0].verify_signature(HYBRID_KEY.public) == HYBRID
    with pytest.raises(BadSignatureError):
        replace(first[0], signature=second[0].signature).verify_signature(HYBRID_KEY.public)
    with pytest.raises(BadSignatureError):
        first[0].verify_signature(OTHER_KEY.public)
    with pytest.raises(BadSignatureError):  # a receipt of the second batch carried into the first's tree
        replace(second[0], path=first[0].path, signature=first[0].signature).verify_signature(HYBRID_KEY.public)
    # the batch statement signed under another label (a receipt's, signed alone) is not a batch signature
    r = first[0]
    statement = receipt_batch_bytes(r.batch_root(), r.batch_size)
    with pytest.raises(BadSignatureError):
        replace(r, signature=HYBRID_KEY.sign(statement, Receipt.LABEL)).verify_signature(HYBRID_KEY.public)
    assert replace(r, signature=HYBRID_KEY.sign(statement, Receipt.BATCH_LABEL)).verify_signature(HYBRID_KEY.public)


def test_either_half_of_the_batch_signature_broken_is_refused():
    r = sign_receipts(_unsigned(3), HYBRID_KEY)[2]
    sig = r.signature
    for broken in (bytes([sig[0] ^ 1]) + sig[1:],
                   sig[:SIGNATURE_BYTES] + bytes([sig[SIGNATURE_BYTES] ^ 1]) + sig[SIGNATURE_BYTES + 1:],
                   sig[:-1] + bytes([sig[-1] ^ 0x80])):
        with pytest.raises(BadSignatureError):
            replace(r, signature=broken).verify_signature(HYBRID_KEY.public)
        with pytest.raises(BadSignatureError):
            Receipt.from_bytes(replace(r, signature=broken).to_bytes()).verify_signature(HYBRID_KEY.public)


def test_classical_only_refused_for_a_hybrid_key_and_require_pq():
    r = sign_receipts(_unsigned(3), HYBRID_KEY)[0]
    statement = receipt_batch_bytes(r.batch_root(), r.batch_size)
    for classical in (r.signature[:SIGNATURE_BYTES], HYBRID_KEY._ed.sign(statement)):
        stripped = Receipt.from_bytes(replace(r, signature=classical).to_bytes())  # decodes: a classical batch
        with pytest.raises(BadSignatureError, match="no ML-DSA-65 part"):
            stripped.verify_signature(HYBRID_KEY.public)
    assert r.verify_signature(HYBRID_KEY.public, require_pq=True) == HYBRID
    c = sign_receipts(_unsigned(3), CLASSICAL_KEY)[1]
    assert c.verify_signature(CLASSICAL_KEY.public) == "Ed25519"
    with pytest.raises(ClassicalSignatureError):
        c.verify_signature(CLASSICAL_KEY.public, require_pq=True)


@pytest.mark.parametrize("key", [HYBRID_KEY, CLASSICAL_KEY], ids=["v2", "v1"])
def test_receipts_signed_alone_keep_verifying(key):
    """Version 1 (classical) and 2 (hybrid) receipts, each signed alone, from data folders made before."""
    r = _unsigned(1)[0]
    old = replace(r, signature=key.sign(r.signed_bytes(key.message_version), Receipt.LABEL))
    assert old.version == key.message_version
    again = Receipt.from_bytes(old.to_bytes())
    assert again == old and again.verify_signature(key.public) == key.algorithms
    with pytest.raises(BadSignatureError):
        replace(again, sequence=1).verify_signature(key.public)
    # an old receipt's signature does not make a batch receipt, nor the reverse
    with pytest.raises(BadSignatureError):
        replace(again, batch_size=1).verify_signature(key.public)
    batch = r.sign(key)
    with pytest.raises((BadSignatureError, MessageFormatError)):
        Receipt.from_bytes(replace(batch, batch_size=0, path=()).to_bytes()).verify_signature(key.public)
