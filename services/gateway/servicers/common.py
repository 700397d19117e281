"""What every servicer shares: error mapping and the conversion of snarkjs-JSON messages."""

from __future__ import annotations

import functools
import json
import logging

import grpc

from zkgate import safejson
from zkgate.prover.keys import Proof, VerifyingKey
from zkgate.prover.snarkjs_json import (
    proof_from_json,
    proof_to_json,
    public_from_json,
    public_to_json,
    verifying_key_from_json,
)
from zkgate.services.errors import status_code_name
from zkgate.services.gateway.transport import abort, was_aborted
from zkgate.services.v1 import common_pb2

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


def json_field(text: str, what: str):
    """A JSON request field, parsed with bounded depth and number sizes (FormatError naming the field)."""
    return safejson.loads(text, what)


def verifying_key_from_message(text: str) -> VerifyingKey:
    return verifying_key_from_json(json_field(text, "verification_key_json"), "verification_key_json")


def proof_from_message(message: common_pb2.Groth16Proof) -> tuple[list[int], Proof]:
    proof = proof_from_json(json_field(message.proof_json, "proof_json"), "proof_json")
    public = public_from_json(list(message.public_inputs), "public_inputs")
    return public, proof


def proof_to_message(proof: Proof, public: list[int]) -> common_pb2.Groth16Proof:
    return common_pb2.Groth16Proof(proof_json=json.dumps(proof_to_json(proof)), public_inputs=public_to_json(public))
