"""The contributor: encrypts one statistics vector under a study's public context."""

from __future__ import annotations

import secrets

from zkgate.errors import InvalidInputError
from zkgate.he import context as _ctx
from zkgate.he.envelope import MAX_SENDER, MAX_STUDY_ID, ContributionEnvelope
from zkgate.he.layout import SlotLayout
from zkgate.he.public_context import PublicContext

__all__ = ["Contributor"]


def check_study_id(study_id: object) -> bytes:
    if type(study_id) is not bytes or len(study_id) > MAX_STUDY_ID:
        raise InvalidInputError(f"study_id must be bytes of at most {MAX_STUDY_ID} bytes")
    return study_id


class Contributor:
    """Encrypts statistics vectors into contribution envelopes.

    ``sender`` names the participant in the envelope (default: a random id); ``study_id``
    is the study's identifier (e.g. the 32-byte big-endian encoding of the field element).
    The public context is checked on construction: no secret key, declared parameters,
    declared key id, and no recorded 128-bit opt-out unless ``allow_insecure``.
    """

    def __init__(
        self,
        public_context: PublicContext | bytes,
        *,
        sender: str | None = None,
        study_id: bytes = b"",
        allow_insecure: bool = False,
    ) -> None:
        self._public = PublicContext.coerce(public_context)
        self._ctx = self._public.open(allow_insecure=allow_insecure)
        if sender is None:
            sender = secrets.token_hex(16)
        if type(sender) is not str or not 0 < len(sender.encode()) <= MAX_SENDER:
            raise InvalidInputError(f"sender must be a non-empty string of at most {MAX_SENDER} bytes")
        self._sender = sender
        self._study_id = check_study_id(study_id)
        self._checked: set[SlotLayout] = set()

    @property
    def sender(self) -> str:
        return self._sender

    @property
    def public_context(self) -> PublicContext:
        return self._public

    def encrypt(self, layout: SlotLayout, values) -> bytes:
        """Encrypt ``values`` (``{field: int | float | list}``) laid out by ``layout``; returns an envelope."""
        params = self._public.params
        if not isinstance(layout, SlotLayout):
            raise InvalidInputError("layout must be a SlotLayout")
        if layout not in self._checked:
            layout.check(params)  # overflow guard
            self._checked.add(layout)
        slots = layout.encode(params, values)
        step = params.slot_count
        payload = tuple(
            _ctx.encrypt_vector(self._ctx, params, slots[i : i + step]) for i in range(0, len(slots), step)
        )
        return ContributionEnvelope(
            study_id=self._study_id,
            key_id=self._public.key_id,
            params_fingerprint=params.fingerprint(),
            scheme=params.scheme,
            sender=self._sender,
            layout=layout,
            payload=payload,
        ).to_bytes()
