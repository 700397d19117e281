"""Gateway errors, and their mapping onto gRPC status codes (in one place).

Library errors keep their meaning: malformed input (``InvalidInputError``, ``FormatError``,
``ConstraintError``) is INVALID_ARGUMENT.  The gateway adds not-found, already-exists,
failed-precondition, too-large, permission-denied and unauthenticated.  Data the gateway itself
stored and finds damaged or missing (``StoredDataError``) is DATA_LOSS: never INVALID_ARGUMENT,
which would blame the caller.
"""

from __future__ import annotations

from zkgate.errors import ConstraintError, CryptoError, InvalidInputError, ZkgateError


class GatewayError(ZkgateError):
    """Base of the errors the gateway raises itself."""


class NotFoundError(GatewayError):
    """An id (circuit, data set, study) that the gateway does not know."""


class AlreadyExistsError(GatewayError):
    """A registration or submission that conflicts with an existing one."""


class PreconditionError(GatewayError):
    """The request is well formed but the state does not allow it (e.g. a closed study)."""


class TooLargeError(GatewayError):
    """An upload larger than the gateway's configured limit."""


class PermissionDeniedError(GatewayError):
    """The caller's role or organisation does not allow this call."""


class UnauthenticatedError(GatewayError):
    """The call carries no (valid) identity: no client certificate, no or an unknown token."""


class StoredDataError(GatewayError):
    """Data the gateway stored earlier is damaged or missing (a blob whose bytes no longer hash to
    its id, a deleted blob, a stored record that no longer decodes, a database page or audit node
    that does not check).  The caller is not to blame; ``zkgate store check`` names every problem."""


def status_code_name(exc: BaseException) -> str:
    """The gRPC status code (by name) for an error; the caller resolves it with grpc.StatusCode."""
    from zkgate.study.errors import DevKeyError, DuplicateSubmissionError, LateSubmissionError, QuorumError

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
