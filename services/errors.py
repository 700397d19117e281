"""The gateway's own errors (``GatewayError`` and its kinds), shared by the gateway, the client and
the parties.  Each maps onto one gRPC status code in ``zkgate.services.gateway.status``; data the
gateway stored and finds damaged (``StoredDataError``) is DATA_LOSS, never the caller's fault.
"""

from __future__ import annotations

from zkgate.errors import ZkgateError


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
