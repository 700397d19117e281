"""Every error the gateway reports, mapped onto a gRPC status code (in one place).

Library errors keep their meaning: malformed input (``InvalidInputError``, ``FormatError``,
``ConstraintError``) is INVALID_ARGUMENT.  The gateway adds not-found, already-exists,
failed-precondition, too-large, permission-denied and unauthenticated.  Data the gateway itself
stored and finds damaged or missing (``StoredDataError``) is DATA_LOSS: never INVALID_ARGUMENT,
which would blame the caller.  Anything else is INTERNAL.
"""

from __future__ import annotations

from zkgate.errors import ConstraintError, CryptoError, InvalidInputError, ZkgateError
from zkgate.study.errors import DevKeyError, DuplicateSubmissionError, LateSubmissionError, QuorumError

from ..errors import (
    AlreadyExistsError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionError,
    StoredDataError,
    TooLargeError,
    UnauthenticatedError,
)


def status_code_name(exc: BaseException) -> str:
    """The gRPC status code (by name) for an error; the caller resolves it with grpc.StatusCode."""
    if isinstance(exc, StoredDataError):
        return "DATA_LOSS"
    if isinstance(exc, DuplicateSubmissionError):
        return "ALREADY_EXISTS"
    if isinstance(exc, (LateSubmissionError, QuorumError, DevKeyError)):
        return "FAILED_PRECONDITION"
    if isinstance(exc, PermissionDeniedError):
        return "PERMISSION_DENIED"
    if isinstance(exc, UnauthenticatedError):
        return "UNAUTHENTICATED"
    if isinstance(exc, NotFoundError):
        return "NOT_FOUND"
    if isinstance(exc, AlreadyExistsError):
        return "ALREADY_EXISTS"
    if isinstance(exc, PreconditionError):
        return "FAILED_PRECONDITION"
    if isinstance(exc, TooLargeError):
        return "RESOURCE_EXHAUSTED"
    if isinstance(exc, (InvalidInputError, ConstraintError, CryptoError)):
        return "INVALID_ARGUMENT"
    if isinstance(exc, ZkgateError):
        return "INVALID_ARGUMENT"
    return "INTERNAL"
