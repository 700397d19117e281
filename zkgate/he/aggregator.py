"""The aggregator: adds contribution envelopes homomorphically as they stream in.

It holds one running ciphertext per chunk and the set of sender names, never the
contributions themselves, so memory is constant in the number of contributions (bar
the sender names).  Every envelope is decoded strictly and checked against the study
(key id, parameter fingerprint, scheme, study id, layout, ciphertext level and scale)
*before* anything is added; a refused envelope leaves the aggregate unchanged.

A BFV ciphertext does not reveal its key: one made under another key but declaring
the study's key id cannot be detected here.  The protocol's release check (commitments
against the decrypted sum) catches it.
"""

from __future__ import annotations

import threading

from zkgate.errors import InvalidInputError
from zkgate.he import context as _ctx
from zkgate.he.contributor import check_study_id
from zkgate.he.envelope import AggregateEnvelope, ContributionEnvelope
from zkgate.he.errors import ContributionRefusedError, EnvelopeMismatchError
from zkgate.he.layout import SlotLayout
from zkgate.he.public_context import PublicContext

__all__ = ["Aggregator"]


class Aggregator:
    """Sums contributions for one study: ``add(envelope)`` repeatedly, then ``result()``."""

    def __init__(
        self,
        public_context: PublicContext | bytes,
        layout: SlotLayout,
        *,
        study_id: bytes = b"",
        allow_insecure: bool = False,
    ) -> None:
        self._public = PublicContext.coerce(public_context)
        self._ctx = self._public.open(allow_insecure=allow_insecure)
        if not isinstance(layout, SlotLayout):
            raise InvalidInputError("layout must be a SlotLayout")
        self._params = self._public.params
        layout.check(self._params)  # overflow guard at study creation
        self._layout = layout
        self._study_id = check_study_id(study_id)
        self._fingerprint = self._params.fingerprint()
        step = self._params.slot_count
        total = layout.total_slots
        self._chunk_lengths = [min(step, total - i) for i in range(0, total, step)]
        self._sums: list | None = None
        self._senders: set[str] = set()
        self._lock = threading.Lock()

    @property
    def contributions(self) -> int:
        return len(self._senders)

    @property
    def layout(self) -> SlotLayout:
        return self._layout

    def add(self, envelope: bytes) -> None:
        """Check one contribution envelope and add it; raises (changing nothing) if it is refused."""
        p = self._params
        env = ContributionEnvelope.from_bytes(envelope, p, self._layout)
        if env.key_id != self._public.key_id:
            raise EnvelopeMismatchError(f"contribution from {env.sender!r} declares another key id")
        if env.params_fingerprint != self._fingerprint or env.scheme != p.scheme:
            raise EnvelopeMismatchError(f"contribution from {env.sender!r} declares other HE parameters")
        if env.study_id != self._study_id:
            raise EnvelopeMismatchError(f"contribution from {env.sender!r} belongs to another study")
        if env.layout != self._layout:
            raise EnvelopeMismatchError(f"contribution from {env.sender!r} uses another slot layout")
        vectors = [
            _ctx.load_vector(self._ctx, p, chunk, n, f"ciphertext {i} from {env.sender!r}")
            for i, (chunk, n) in enumerate(zip(env.payload, self._chunk_lengths))
        ]
        with self._lock:
            if env.sender in self._senders:
                raise ContributionRefusedError(f"duplicate contribution from {env.sender!r}")
            if len(self._senders) >= self._layout.max_participants:
                raise ContributionRefusedError(
                    f"the layout allows at most {self._layout.max_participants} participants; "
                    "more could overflow the plain modulus"
                )
            if self._sums is None:
                self._sums = vectors
            else:
                done = 0
                try:
                    for acc, vec in zip(self._sums, vectors):
                        acc.add_(vec)
                        done += 1
                except Exception:
                    for acc, vec in zip(self._sums[:done], vectors):
                        acc.sub_(vec)  # roll back so the aggregate stays unchanged
                    raise
            self._senders.add(env.sender)

    def result(self) -> bytes:
        """The aggregate envelope for the key holder (the aggregator keeps summing afterwards)."""
        with self._lock:
            if self._sums is None:
                raise InvalidInputError("no contributions have been added")
            return AggregateEnvelope(
                study_id=self._study_id,
                key_id=self._public.key_id,
                params_fingerprint=self._fingerprint,
                scheme=self._params.scheme,
                layout=self._layout,
                senders=tuple(sorted(self._senders)),
                payload=tuple(v.serialize() for v in self._sums),
            ).to_bytes()
