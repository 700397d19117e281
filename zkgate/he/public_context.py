"""The public context a key holder hands out: parameters, key id and TenSEAL public keys."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import tenseal as ts

from zkgate.errors import InvalidInputError
from zkgate.he import context as _ctx
from zkgate.he.envelope import ContextEnvelope
from zkgate.he.errors import InsecureParametersError
from zkgate.he.presets import HEParams

__all__ = ["PublicContext"]

_KIND = "public-context"

# Opened (and checked) TenSEAL contexts, keyed by everything the checks depend on, so that many
# contributors of one study in one process share one loaded context.
_OPENED: OrderedDict[bytes, ts.Context] = OrderedDict()
_OPENED_MAX = 8
_opened_lock = threading.Lock()


@dataclass(frozen=True)
class PublicContext:
    """What contributors and aggregators receive: never holds a secret key.

    ``context`` is TenSEAL's serialization of a public copy (public key only).  Its
    :meth:`to_bytes` form is a versioned envelope; :meth:`from_bytes` decodes strictly.
    """

    params: HEParams
    key_id: bytes
    context: bytes

    def to_bytes(self) -> bytes:
        return ContextEnvelope(_KIND, self.params, self.key_id, self.context).to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicContext:
        env = ContextEnvelope.from_bytes(data, _KIND)
        return cls(env.params, env.key_id, env.context)

    @classmethod
    def coerce(cls, value: PublicContext | bytes) -> PublicContext:
        if isinstance(value, PublicContext):
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return cls.from_bytes(bytes(value))
        raise InvalidInputError(f"expected a PublicContext or its bytes, got {type(value).__name__}")

    def open(self, *, allow_insecure: bool = False) -> ts.Context:
        """Load and check the TenSEAL context (no secret key, declared parameters and key id)."""
        if self.params.insecure_opt_out and not allow_insecure:
            raise InsecureParametersError(
                "the public context's parameters carry the recorded 128-bit opt-out; pass "
                "allow_insecure=True to accept them"
            )
        cache_key = hashlib.sha256(self.params.fingerprint() + self.key_id + self.context).digest()
        with _opened_lock:
            ctx = _OPENED.get(cache_key)
            if ctx is not None:
                _OPENED.move_to_end(cache_key)
                return ctx
        ctx = _ctx.load_public(self.context, self.params, self.key_id)
        with _opened_lock:
            _OPENED[cache_key] = ctx
            while len(_OPENED) > _OPENED_MAX:
                _OPENED.popitem(last=False)
        return ctx
