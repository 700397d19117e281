"""Commit-before-upload for key-committee studies (issue 23): a participant first commits to the hash
of its ciphertext, and uploads the ciphertext only after the commit phase closed.

Nobody but the gateway sees a ciphertext before every participant's hash is logged, so no
participant can submit a function of another's ciphertext (its negation, say, to cancel it out of
the sum the committee decrypts): its own ciphertext was fixed, by hash, before it could see any.

``ContributionCommit`` (kind ``contribution-commit``, signed with the label of the same name)::

    ["contribution-commit", 2, study_id: fe, participant: str, envelope_digest: bin32,
     signer_key: bin1984, signature]

``envelope_digest`` is the digest the later :class:`~zkgate.study.messages.Submission` carries
(:func:`zkgate.he.envelope.envelope_digest` of its HE envelope); the gateway accepts that submission
only if the digests are equal (``services/gateway/servicers/committee.py``).  Hybrid keys only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from zkgate.study import encoding as enc
from zkgate.study.errors import MessageFormatError
from zkgate.study.identity import SigningKey, check_public_key, resolve_key, verify_signature
from zkgate.study.messages import Submission

KIND = "contribution-commit"
LABEL = "contribution-commit"
VERSION = 2  # hybrid signatures only, as every committee message


@dataclass(frozen=True)
class ContributionCommit:
    study_id: int
    participant: str
    envelope_digest: bytes
    signer_key: bytes = b""
    signature: bytes = b""

    def body(self) -> list:
        return enc.header(KIND, VERSION) + [enc.fe_bytes(self.study_id), self.participant, self.envelope_digest,
                                            self.signer_key]

    def signed_bytes(self) -> bytes:
        return enc.pack(self.body())

    def to_bytes(self) -> bytes:
        return enc.pack(self.body() + [self.signature])

    @property
    def digest(self) -> bytes:
        return enc.digest(self.to_bytes(), KIND)

    @classmethod
    def for_submission(cls, submission: Submission, key: SigningKey) -> ContributionCommit:
        """The commitment to a prepared (not yet uploaded) submission's ciphertext."""
        if not key.hybrid:
            raise MessageFormatError("a contribution commitment is signed with a hybrid (Ed25519+ML-DSA-65) key")
        unsigned = cls(submission.study_id, submission.participant, submission.envelope_digest, key.public)
        return replace(unsigned, signature=key.sign(unsigned.signed_bytes(), LABEL))

    @classmethod
    def from_bytes(cls, data: bytes) -> ContributionCommit:
        _, it = enc.unpack_versioned(data, KIND, (VERSION,))
        if len(it) != 5:
            raise MessageFormatError(f"{KIND}: expected 5 items after the header, got {len(it)}")
        c = cls(enc.read_fe(it[0], "study_id"), enc.read_str(it[1], "participant", 128),
                enc.read_bytes(it[2], "envelope_digest", 32), check_public_key(it[3], "signer_key"),
                enc.read_bytes(it[4], "signature"))
        enc.check_canonical(data, c, KIND)
        return c

    def verify_signature(self, key_ref: bytes) -> str:
        who = f"the contribution commitment of {self.participant!r}"
        return verify_signature(resolve_key(key_ref, self.signer_key, who), self.signed_bytes(), self.signature, who,
                                label=LABEL, require_pq=True)


__all__ = ["ContributionCommit", "KIND", "LABEL"]
