"""Commit-before-upload's message (issue 23): round trip, signature under the spec's key reference,
tampering and classical keys refused."""

from __future__ import annotations

import dataclasses

import pytest

from zkgate.errors import ZkgateError
from zkgate.study.contribution_commit import ContributionCommit
from zkgate.study.identity import SigningKey, key_ref


class _Sub:  # the fields of a Submission that a commitment takes
    study_id, participant, envelope_digest = 12345, "hospital-a", b"\x07" * 32


def test_round_trip_and_signature():
    key = SigningKey.generate()
    c = ContributionCommit.for_submission(_Sub, key)
    data = c.to_bytes()
    back = ContributionCommit.from_bytes(data)
    assert back == c and back.digest == c.digest
    assert back.verify_signature(key_ref(key.public)) == "Ed25519+ML-DSA-65"
    other = SigningKey.generate()
    with pytest.raises(ZkgateError):
        back.verify_signature(key_ref(other.public))  # not the key the spec names
    with pytest.raises(ZkgateError):  # another ciphertext digest under the same signature
        dataclasses.replace(back, envelope_digest=b"\x08" * 32).verify_signature(key_ref(key.public))
    with pytest.raises(ZkgateError):
        ContributionCommit.from_bytes(data + b"\x00")


def test_classical_keys_cannot_commit():
    with pytest.raises(ZkgateError, match="hybrid"):
        ContributionCommit.for_submission(_Sub, SigningKey.generate(hybrid=False))
