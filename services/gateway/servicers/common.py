"""What every servicer shares: errors turned into gRPC statuses, and the deadline check.

The conversion of messages (proofs, keys, audit entries) lives in ``zkgate.services.wire``."""

from __future__ import annotations

import functools
import logging

import grpc

from ..status import status_code_name
from ..transport import abort, was_aborted

log = logging.getLogger("zkgate.services")


def rpc(handler):
    """Run a handler, turning zkgate errors into gRPC statuses with readable messages.

    A status the handler (or a guard it called) already set with ``context.abort`` passes
    through unchanged: it is neither re-caught nor logged as an internal error."""

    @functools.wraps(handler)
    def wrapper(self, request, context):
        try:
            return handler(self, request, context)
        except Exception as exc:  # noqa: BLE001 - every error becomes a status, never a crash
            if isinstance(exc, grpc.RpcError) or was_aborted(exc, context):
                raise
            code = getattr(grpc.StatusCode, status_code_name(exc))
            if code == grpc.StatusCode.INTERNAL:
                log.exception("internal error in %s", handler.__name__)
                message = f"internal error in {handler.__name__}; the gateway logged the details"
            else:
                message = str(exc)
            abort(context, code, message)

    return wrapper


def check_deadline(context, step: str) -> None:
    """Stop before an expensive step when the caller's deadline has passed or it went away."""
    remaining = context.time_remaining()
    if not context.is_active() or (remaining is not None and remaining <= 0):
        abort(context, grpc.StatusCode.DEADLINE_EXCEEDED, f"the call's deadline passed before {step}; retry with a longer deadline")
