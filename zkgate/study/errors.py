"""Errors of the joint-statistics protocol.

All derive from :mod:`zkgate.errors`: malformed input is an ``InvalidInputError`` (or
``FormatError`` for bytes that do not decode), a refused message a
:class:`SubmissionRefusedError`, a failed cryptographic check a ``CryptoError``.
Messages name the row, column, participant or chunk concerned.
"""

from __future__ import annotations

from zkgate.errors import CryptoError, FormatError, InvalidInputError, ZkgateError


class StudyError(ZkgateError):
    """Root of the study layer's own errors."""


class SchemaError(StudyError, InvalidInputError):
    """A schema (columns, declared ranges) is malformed or does not match the data."""


class RecordOutOfRangeError(StudyError, InvalidInputError):
    """A value lies outside its column's declared range (``row`` and ``column`` say where)."""

    def __init__(self, message: str, *, row: int, column: str) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


class MessageFormatError(StudyError, FormatError):
    """Bytes that are not the canonical encoding of a protocol message."""


class SpecError(StudyError, InvalidInputError):
    """A study specification is malformed or inconsistent."""


class DevKeyError(StudyError, CryptoError):
    """A development (single-party, insecure) Groth16 key used outside dev mode."""


class KeyMismatchError(StudyError, CryptoError):
    """A verifying key or ceremony transcript does not match the hashes in the study."""


class SubmissionRefusedError(StudyError, InvalidInputError):
    """The aggregator refuses a submission; subclasses say why."""


class WrongStudyError(SubmissionRefusedError):
    """A message made for another study."""


class UnknownParticipantError(SubmissionRefusedError):
    """The sender is not an expected participant of the study."""


class LateSubmissionError(SubmissionRefusedError):
    """A submission after the study's deadline (or after the aggregate was closed)."""


class DuplicateSubmissionError(SubmissionRefusedError):
    """A second, different submission from a participant that already submitted."""


class BadSignatureError(SubmissionRefusedError, CryptoError):
    """A signature does not verify under the registered key."""


class ClassicalSignatureError(BadSignatureError):
    """An Ed25519-only (classical) key or signature where a post-quantum (ML-DSA-65) part is
    required (``--require-pq``)."""


class ChunkSetError(SubmissionRefusedError):
    """The chunk roots do not rebuild the registered data set root (missing, repeated, foreign chunk)."""


class ProofRejectedError(SubmissionRefusedError, CryptoError):
    """A contribution proof does not verify against its chunk root, the study id and its commitment."""


class CommitmentMismatchError(SubmissionRefusedError, CryptoError):
    """The declared commitment is not the sum of the chunk commitments."""


class QuorumError(StudyError, InvalidInputError):
    """Too few accepted submissions to close the study."""


class ReleaseCheckError(StudyError, CryptoError):
    """The key holder's check failed: the decrypted aggregate does not open the logged commitments.
    Nothing is published."""


class ReleaseModeError(StudyError, InvalidInputError):
    """A release path that does not fit the study's HE preset (an exact release of a CKKS study,
    a CKKS release of a BFV study).  Nothing is decrypted."""


__all__ = [
    "BadSignatureError", "ChunkSetError", "ClassicalSignatureError", "CommitmentMismatchError", "DevKeyError", "DuplicateSubmissionError",
    "KeyMismatchError", "LateSubmissionError", "MessageFormatError", "ProofRejectedError", "QuorumError",
    "RecordOutOfRangeError", "ReleaseCheckError", "ReleaseModeError", "SchemaError", "SpecError", "StudyError",
    "SubmissionRefusedError", "UnknownParticipantError", "WrongStudyError",
]
