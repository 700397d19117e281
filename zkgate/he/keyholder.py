"""The key holder: owns the secret key, hands out the public context, decrypts aggregates only."""

from __future__ import annotations

import numpy as np

from zkgate.errors import InvalidInputError
from zkgate.he import context as _ctx
from zkgate.he.envelope import MAX_STUDY_ID, AggregateEnvelope, ContextEnvelope
from zkgate.he.errors import AggregateRangeError, EnvelopeMismatchError, NoSecretKeyError
from zkgate.he.layout import SlotLayout
from zkgate.he.presets import HEParams, get_preset
from zkgate.he.public_context import PublicContext
from zkgate.he.release import flood_and_round

__all__ = ["KeyHolder"]

_SECRET_KIND = "secret-context"


class KeyHolder:
    """Holds a TenSEAL context *with* the secret key.

    Create one with :meth:`create` (fresh keys) or :meth:`load_secret`; hand
    :meth:`public_context` to contributors and the aggregator; call :meth:`decrypt` on the
    aggregator's result.  The secret key never appears in anything this class returns,
    except :meth:`export_secret`, which exists for the key holder's own storage.
    """

    __slots__ = ("_params", "_ctx", "_key_id", "_public")

    def __init__(self, params: HEParams, secret_context, key_id: bytes) -> None:
        if not secret_context.has_secret_key():
            raise NoSecretKeyError("a key holder needs a context with a secret key; a public context cannot decrypt")
        self._params = params
        self._ctx = secret_context
        self._key_id = key_id
        self._public: PublicContext | None = None

    # -- construction --------------------------------------------------------------------
    @classmethod
    def create(cls, preset: str | HEParams = "bfv-8192") -> KeyHolder:
        """Fresh keys for a named preset (see :data:`zkgate.he.PRESETS`) or explicit parameters."""
        params = get_preset(preset)
        ctx = _ctx.new_secret_context(params)
        return cls(params, ctx, _ctx.key_id(ctx))

    @classmethod
    def load_secret(cls, data: bytes) -> KeyHolder:
        """Inverse of :meth:`export_secret`.  A public context is refused with :class:`NoSecretKeyError`."""
        if isinstance(data, PublicContext):
            raise NoSecretKeyError("a public context cannot decrypt: it holds no secret key")
        env = ContextEnvelope.from_bytes(data)
        if env.kind != _SECRET_KIND:
            raise NoSecretKeyError("a public context cannot decrypt: it holds no secret key")
        ctx = _ctx.load_secret(env.context, env.params, env.key_id)
        return cls(env.params, ctx, env.key_id)

    def export_secret(self) -> bytes:
        """The secret context as an envelope.  SECRET: store it like a private key."""
        return ContextEnvelope(_SECRET_KIND, self._params, self._key_id, _ctx.serialize_secret(self._ctx)).to_bytes()

    # -- public side -----------------------------------------------------------------------
    @property
    def params(self) -> HEParams:
        return self._params

    @property
    def key_id(self) -> bytes:
        return self._key_id

    def public_context(self) -> PublicContext:
        """TenSEAL's public copy of the context, checked to hold no secret key."""
        if self._public is None:
            data = _ctx.serialize_public(self._ctx)
            _ctx.load_public(data, self._params, self._key_id)  # raises if a secret key slipped in
            self._public = PublicContext(self._params, self._key_id, data)
        return self._public

    # -- decryption ------------------------------------------------------------------------
    def decrypt(
        self,
        result: bytes,
        *,
        layout: SlotLayout | None = None,
        study_id: bytes | None = None,
    ) -> dict[str, int | float | list]:
        """Decrypt an aggregate (:meth:`Aggregator.result`) into ``{field: value}``.

        BFV values are exact integers (limbs recombined); CKKS values are noise-flooded and
        rounded to the preset's decimals.  Only aggregate envelopes are accepted.  When
        ``layout`` or ``study_id`` is given, the aggregate must declare exactly those.
        """
        p = self._params
        env = AggregateEnvelope.from_bytes(result, p, layout)
        if env.key_id != self._key_id:
            raise EnvelopeMismatchError("the aggregate was made under another key")
        if env.params_fingerprint != p.fingerprint() or env.scheme != p.scheme:
            raise EnvelopeMismatchError("the aggregate declares other HE parameters")
        if layout is not None and env.layout != layout:
            raise EnvelopeMismatchError("the aggregate declares another slot layout")
        if study_id is not None:
            if type(study_id) is not bytes or len(study_id) > MAX_STUDY_ID:
                raise InvalidInputError(f"study_id must be at most {MAX_STUDY_ID} bytes")
            if env.study_id != study_id:
                raise EnvelopeMismatchError("the aggregate belongs to another study")
        lay = env.layout
        lay.check(p)
        slots: list = []
        remaining = lay.total_slots
        for i, chunk in enumerate(env.payload):
            n = min(remaining, p.slot_count)
            vec = _ctx.load_vector(self._ctx, p, chunk, n, f"aggregate ciphertext {i}")
            slots.extend(vec.decrypt())
            remaining -= n
        self._check_range(lay, slots, env.contributions)
        if p.scheme == "ckks":
            slots = flood_and_round(slots, p)
        return lay.decode(slots)

    def _check_range(self, layout: SlotLayout, slots: list, contributions: int) -> None:
        # BFV: the overflow guard keeps every bound x contributions below 2^59, so int64 is exact.
        bfv = self._params.scheme == "bfv"
        dtype = np.int64 if bfv else np.float64
        values = np.fromiter(slots, dtype=dtype, count=len(slots))
        limits = layout.slot_bounds_array.astype(dtype) * contributions
        if bfv:
            ok = (values >= 0) & (values <= limits)
        else:
            ok = np.isfinite(values) & (np.abs(values) <= limits + self._params.quantum)
        if not ok.all():
            i = int(np.argmin(ok))
            raise AggregateRangeError(
                f"aggregate slot {i} lies outside [0, {limits[i]}] for {contributions} contributions: "
                "a contribution was malformed or the aggregate is not what it claims"
            )

    def __repr__(self) -> str:
        return f"KeyHolder(params={self._params.name!r}, key_id={self._key_id.hex()[:16]}...)"
