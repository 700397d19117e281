"""Statistics-vector slot layout: named fields, limb splitting and the overflow guard.

A layout lists named fields; each field is one value or a vector of values (histogram
bins), with a declared per-contribution maximum.  Wide integers (the commitment
randomness ``ρ``, up to 256 bits) are split into little-endian limbs of ``limb_bits``
bits, each limb in its own slot, so that a limb summed over the maximum number of
participants stays representable; the key holder recombines the limb sums as integers
(``Σ limb_k · 2**(limb_bits·k)``), never reduced modulo anything.

The overflow guard (:meth:`SlotLayout.check`) runs when a study is created: for BFV,
every slot's maximum × ``max_participants`` must stay below ``(t − 1)/2``, because
TenSEAL decodes BFV slots centred; for CKKS, the sum must stay inside the data modulus
and inside float64 headroom of the release precision.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import msgpack
import numpy as np

from zkgate.errors import InvalidInputError
from zkgate.he.errors import EnvelopeFormatError, SlotOverflowError
from zkgate.he.presets import HEParams

__all__ = ["Field", "SlotLayout", "layout_from_obj", "max_safe_limb_bits"]

_MAX_FIELDS = 256
_MAX_NAME = 64
_MAX_SLOTS = 1 << 20
_MAX_INT_BITS = 512
_CKKS_FLOAT_HEADROOM_BITS = 45  # sum magnitude / quantum must stay below 2**45 (float64 has 53 bits)


@dataclass(frozen=True)
class Field:
    """One named field of the statistics vector.

    ``maximum`` bounds each element of one contribution: BFV elements lie in
    ``[0, maximum]`` (ints), CKKS elements in ``[-maximum, maximum]``.  ``length`` > 1
    makes a vector (histogram bins).  ``limb_bits`` > 0 splits each element into
    ``ceil(bit_length(maximum) / limb_bits)`` limbs (BFV only).
    """

    name: str
    maximum: int | float
    length: int = 1
    limb_bits: int = 0

    def __post_init__(self) -> None:
        if (
            type(self.name) is not str
            or not 0 < len(self.name) <= _MAX_NAME
            or self.name.startswith("_")
            or not self.name.replace("_", "").isalnum()
            or not self.name.isascii()
        ):
            raise InvalidInputError(f"field name must be 1..{_MAX_NAME} ASCII letters, digits or '_' (not leading), got {self.name!r}")
        if type(self.maximum) is int:
            if not 0 < self.maximum < 2**_MAX_INT_BITS:
                raise InvalidInputError(f"field {self.name!r}: maximum must be in (0, 2^{_MAX_INT_BITS}), got {self.maximum}")
        elif type(self.maximum) is float:
            if not (math.isfinite(self.maximum) and self.maximum > 0):
                raise InvalidInputError(f"field {self.name!r}: maximum must be a positive finite number")
        else:
            raise InvalidInputError(f"field {self.name!r}: maximum must be an int or a float, got {type(self.maximum).__name__}")
        if type(self.length) is not int or not 1 <= self.length <= _MAX_SLOTS:
            raise InvalidInputError(f"field {self.name!r}: length must be an int in [1, {_MAX_SLOTS}]")
        if type(self.limb_bits) is not int or not 0 <= self.limb_bits <= 62:
            raise InvalidInputError(f"field {self.name!r}: limb_bits must be an int in [0, 62]")
        if self.limb_bits and type(self.maximum) is not int:
            raise InvalidInputError(f"field {self.name!r}: only integer fields can be split into limbs")

    @property
    def limbs(self) -> int:
        """Slots per element."""
        if not self.limb_bits:
            return 1
        return max(1, -(-int(self.maximum).bit_length() // self.limb_bits))

    @property
    def width(self) -> int:
        """Slots the field occupies."""
        return self.length * self.limbs

    def slot_maxima(self) -> list[tuple[str, int | float]]:
        """(label, per-contribution maximum) of each slot of one element (labels for messages)."""
        if not self.limb_bits:
            return [(self.name, self.maximum)]
        full = (1 << self.limb_bits) - 1
        out = []
        for k in range(self.limbs):
            out.append((f"{self.name}[limb {k}]", min(full, int(self.maximum) >> (self.limb_bits * k))))
        return out


@dataclass(frozen=True)
class SlotLayout:
    """The ordered fields of a statistics vector and the maximum number of participants."""

    fields: tuple[Field, ...]
    max_participants: int

    def __post_init__(self) -> None:
        if not isinstance(self.fields, tuple) or not 0 < len(self.fields) <= _MAX_FIELDS:
            raise InvalidInputError(f"a layout needs a tuple of 1..{_MAX_FIELDS} fields")
        if not all(isinstance(f, Field) for f in self.fields):
            raise InvalidInputError("layout fields must be Field instances")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"duplicate field names in layout: {names}")
        if type(self.max_participants) is not int or not 1 <= self.max_participants <= 1 << 24:
            raise InvalidInputError("max_participants must be an int in [1, 2^24]")
        if self.total_slots > _MAX_SLOTS:
            raise InvalidInputError(f"layout needs {self.total_slots} slots, more than {_MAX_SLOTS}")

    @property
    def total_slots(self) -> int:
        return sum(f.width for f in self.fields)

    def chunks(self, params: HEParams) -> int:
        """Ciphertexts one contribution needs."""
        return -(-self.total_slots // params.slot_count)

    # -- overflow guard ----------------------------------------------------------------
    def check(self, params: HEParams) -> None:
        """Refuse a layout whose sums could overflow under ``params`` (see module docstring)."""
        p = self.max_participants
        if params.scheme == "bfv":
            bound = params.safe_bound
            for f in self.fields:
                if type(f.maximum) is not int:
                    raise InvalidInputError(f"field {f.name!r}: BFV fields need an integer maximum")
                for label, m in f.slot_maxima():
                    total = int(m) * p
                    if total >= bound:
                        where = f"{label}" + (f" (each of {f.length} elements)" if f.length > 1 else "")
                        hint = max_safe_limb_bits(params, p)
                        raise SlotOverflowError(
                            f"slot {where}: per-contribution maximum {m} x {p} participants = {total} "
                            f"is not below (t-1)/2 = {bound} (t = {params.plain_modulus}); it exceeds the "
                            f"safe bound by {total - bound + 1}. Lower the maximum or the participants, use a "
                            f"larger plain modulus, or split the field into limbs of at most {hint} bits",
                            slot=label,
                            excess=total - bound + 1,
                        )
        else:
            data_bits = sum(params.coeff_mod_bit_sizes[:-1])
            limit = min(2.0 ** (data_bits - params.scale_bits - 2),
                        params.quantum * 2.0**_CKKS_FLOAT_HEADROOM_BITS)
            for f in self.fields:
                if f.limb_bits:
                    raise InvalidInputError(f"field {f.name!r}: CKKS fields cannot be split into limbs")
                total = float(f.maximum) * p
                if total >= limit:
                    raise SlotOverflowError(
                        f"slot {f.name}: per-contribution maximum {f.maximum} x {p} participants = {total:g} "
                        f"is not below the CKKS bound {limit:g} for scale 2^{params.scale_bits} and "
                        f"{params.decimals} decimals; it exceeds it by {total - limit:g}",
                        slot=f.name,
                        excess=total - limit,
                    )
        if self.chunks(params) > 64:
            raise InvalidInputError(f"layout needs {self.chunks(params)} ciphertexts; at most 64 are allowed")

    # -- encoding ----------------------------------------------------------------------
    def encode(self, params: HEParams, values: Mapping[str, object]) -> list[int] | list[float]:
        """Flatten one contribution into slot values, checking names, types and ranges."""
        if not isinstance(values, Mapping):
            raise InvalidInputError("values must be a mapping from field name to value")
        expected = [f.name for f in self.fields]
        if set(values) != set(expected):
            missing = sorted(set(expected) - set(values))
            extra = sorted(set(values) - set(expected), key=str)
            raise InvalidInputError(f"values do not match the layout: missing {missing}, unexpected {extra}")
        bfv = params.scheme == "bfv"
        out: list = []
        for f in self.fields:
            raw = values[f.name]
            if isinstance(raw, np.ndarray):
                raw = raw.tolist()  # numpy scalars become Python ints/floats
            if f.length == 1 and not isinstance(raw, (list, tuple)):
                items: Sequence = (raw,)
            elif isinstance(raw, (list, tuple)) and len(raw) == f.length:
                items = raw
            else:
                raise InvalidInputError(f"field {f.name!r}: expected {'a scalar' if f.length == 1 else f'a list of {f.length} values'}")
            if bfv:
                out.extend(self._encode_ints(f, items))
            else:
                out.extend(self._encode_reals(f, items))
        return out

    @staticmethod
    def _label(f: Field, i: int) -> str:
        return f.name if f.length == 1 else f"{f.name}[{i}]"

    def _encode_ints(self, f: Field, items: Sequence) -> list[int]:
        # Fast path: type and range checks at C speed over the whole field; the slow pass below
        # only runs to name the offending element.
        if not f.limb_bits and f.maximum < 1 << 62 and set(map(type, items)) == {int}:
            try:
                arr = np.fromiter(items, dtype=np.int64, count=len(items))
            except OverflowError:
                arr = None
            if arr is not None and arr.min() >= 0 and arr.max() <= f.maximum:
                return list(items)
        for i, v in enumerate(items):
            if type(v) is not int:
                raise InvalidInputError(f"{self._label(f, i)}: BFV values must be ints, got {type(v).__name__}")
            if not 0 <= v <= f.maximum:
                raise InvalidInputError(f"{self._label(f, i)}: {v} is outside [0, {f.maximum}]")
        if not f.limb_bits:
            return list(items)
        mask = (1 << f.limb_bits) - 1
        return [(v >> (f.limb_bits * k)) & mask for v in items for k in range(f.limbs)]

    def _encode_reals(self, f: Field, items: Sequence) -> list[float]:
        if not set(map(type, items)) <= {int, float}:
            bad = next(i for i, v in enumerate(items) if type(v) not in (int, float))
            raise InvalidInputError(f"{self._label(f, bad)}: CKKS values must be numbers, got {type(items[bad]).__name__}")
        arr = np.asarray(items, dtype=np.float64)
        ok = np.isfinite(arr) & (np.abs(arr) <= f.maximum)
        if not ok.all():
            bad = int(np.argmin(ok))
            raise InvalidInputError(f"{self._label(f, bad)}: {items[bad]} is not a finite number in [-{f.maximum}, {f.maximum}]")
        return arr.tolist()

    def decode(self, slots: Sequence) -> dict[str, int | float | list]:
        """Inverse of :meth:`encode` on (summed) slot values; limbs recombined as integers."""
        if len(slots) != self.total_slots:
            raise InvalidInputError(f"expected {self.total_slots} slots, got {len(slots)}")
        out: dict[str, int | float | list] = {}
        pos = 0
        for f in self.fields:
            if f.limb_bits:
                elems = []
                for _ in range(f.length):
                    elems.append(sum(int(slots[pos + k]) << (f.limb_bits * k) for k in range(f.limbs)))
                    pos += f.limbs
            else:
                elems = list(slots[pos : pos + f.length])
                pos += f.length
            out[f.name] = elems[0] if f.length == 1 else elems
        return out

    @cached_property
    def slot_bounds(self) -> tuple[int | float, ...]:
        """Per-contribution maximum of every slot, in slot order."""
        out: list[int | float] = []
        for f in self.fields:
            maxima = [m for _, m in f.slot_maxima()]
            out.extend(maxima * f.length)
        return tuple(out)

    @cached_property
    def slot_bounds_array(self) -> np.ndarray:
        """:attr:`slot_bounds` as int64 (integer layouts that passed the BFV guard) or float64."""
        kind = np.float64 if any(type(f.maximum) is float for f in self.fields) else np.int64
        arr = np.asarray(self.slot_bounds, dtype=kind)
        arr.setflags(write=False)
        return arr

    @cached_property
    def wire_bytes(self) -> bytes:
        """msgpack encoding of :meth:`to_obj`, compared against every incoming envelope's layout."""
        return msgpack.packb(self.to_obj(), use_bin_type=True)

    # -- wire form -----------------------------------------------------------------------
    def to_obj(self) -> dict:
        return {
            "participants": self.max_participants,
            "fields": [[f.name, _enc_max(f.maximum), f.length, f.limb_bits] for f in self.fields],
        }

    @classmethod
    def from_obj(cls, obj: object) -> SlotLayout:
        if not isinstance(obj, dict) or list(obj) != ["participants", "fields"]:
            raise EnvelopeFormatError("layout: expected a map with keys participants, fields")
        fields = obj["fields"]
        if not isinstance(fields, list) or not 0 < len(fields) <= _MAX_FIELDS:
            raise EnvelopeFormatError(f"layout: fields must be a list of 1..{_MAX_FIELDS} entries")
        parsed = []
        for entry in fields:
            if (
                not isinstance(entry, list)
                or len(entry) != 4
                or type(entry[0]) is not str
                or type(entry[1]) not in (bytes, float)
                or type(entry[2]) is not int
                or type(entry[3]) is not int
            ):
                raise EnvelopeFormatError("layout: each field must be [name: str, maximum: bin|float, length: int, limb_bits: int]")
            maximum = entry[1]
            if type(maximum) is bytes:
                if not maximum or maximum[0] == 0 or len(maximum) > _MAX_INT_BITS // 8:
                    raise EnvelopeFormatError("layout: integer maxima must be minimal big-endian bytes")
                maximum = int.from_bytes(maximum, "big")
            try:
                parsed.append(Field(entry[0], maximum, entry[2], entry[3]))
            except InvalidInputError as exc:
                raise EnvelopeFormatError(f"layout: {exc}") from exc
        if type(obj["participants"]) is not int:
            raise EnvelopeFormatError("layout: participants must be an int")
        try:
            return cls(tuple(parsed), obj["participants"])
        except InvalidInputError as exc:
            raise EnvelopeFormatError(f"layout: {exc}") from exc


@lru_cache(maxsize=64)
def _layout_from_wire(wire: bytes) -> SlotLayout:
    return SlotLayout.from_obj(msgpack.unpackb(wire, raw=False))


def layout_from_obj(obj: object) -> SlotLayout:
    """:meth:`SlotLayout.from_obj`, memoized on the canonical encoding (layouts are immutable,
    so repeated envelopes share one decoded layout and its cached slot bounds)."""
    try:
        wire = msgpack.packb(obj, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise EnvelopeFormatError(f"layout: cannot encode ({exc})") from exc
    layout = _layout_from_wire(wire)
    if layout.wire_bytes != wire:  # e.g. True where 1 was meant: equal when decoded, not canonical
        raise EnvelopeFormatError("layout: non-canonical field values")
    return layout


def _enc_max(m: int | float) -> bytes | float:
    if type(m) is int:
        return m.to_bytes((m.bit_length() + 7) // 8, "big")
    return float(m)


def max_safe_limb_bits(params: HEParams, max_participants: int) -> int:
    """Largest ``b`` with ``(2**b − 1) · max_participants < (t − 1)/2``."""
    bound = params.safe_bound
    b = 0
    while b < 62 and ((1 << (b + 1)) - 1) * max_participants < bound:
        b += 1
    if b == 0:
        raise SlotOverflowError(
            f"{max_participants} participants exceed (t-1)/2 = {bound} even for one-bit limbs",
            slot="*", excess=max_participants - bound + 1,
        )
    return b
