"""Versioned msgpack envelopes for HE material, with strict decoding.

Four kinds share one frame, a msgpack map whose keys come in a fixed order:

``contribution``  v, kind, study, key, params, scheme, sender, layout, payload
``aggregate``     v, kind, study, key, params, scheme, layout, senders, payload
``public-context``  v, kind, params, key, context
``secret-context``  v, kind, params, key, context

``key`` is the key id (SHA-256 of the serialized public key), ``params`` the parameter
fingerprint (or, for contexts, the full parameters), ``payload`` a list of serialized
TenSEAL vectors, one per ciphertext chunk.

Decoding is strict: the size is checked against a bound *before* parsing, trailing
bytes, duplicate keys, extension types and any other key set or type are refused, and
the bytes must be the canonical encoding of what they decode to (so every message has
exactly one encoding, and its SHA-256 can serve as an identifier in audit logs).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import msgpack

from zkgate.he.errors import EnvelopeFormatError
from zkgate.he.layout import SlotLayout, layout_from_obj
from zkgate.he.presets import HEParams

__all__ = [
    "VERSION",
    "AggregateEnvelope",
    "ContextEnvelope",
    "ContributionEnvelope",
    "envelope_digest",
]

VERSION = 1
MAX_STUDY_ID = 64
MAX_SENDER = 256
_KEY_ID_LEN = 32
_HEADER_SLACK = 1 << 16  # bound on everything but payloads and the sender list


def envelope_digest(data: bytes) -> bytes:
    """SHA-256 of an envelope: what logs, receipts and signatures refer to."""
    return hashlib.sha256(b"zkgate.he.envelope\x00" + bytes(data)).digest()


def _refuse_ext(code: int, data: bytes) -> Any:
    raise EnvelopeFormatError(f"msgpack extension type {code} is not allowed")


def _pairs(pairs: list) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise EnvelopeFormatError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _pack(obj: dict) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def _unpack(data: object, max_size: int, what: str) -> dict:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise EnvelopeFormatError(f"{what}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_size:
        raise EnvelopeFormatError(f"{what}: {len(data)} bytes exceeds the bound of {max_size} bytes")
    try:
        obj = msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,
            object_pairs_hook=_pairs,
            ext_hook=_refuse_ext,
            max_bin_len=max_size,
            max_str_len=MAX_SENDER,  # the longest string any envelope holds (bytes)
            max_array_len=1 << 16,
            max_map_len=16,
            max_ext_len=0,
        )
    except EnvelopeFormatError:
        raise
    except msgpack.ExtraData as exc:
        raise EnvelopeFormatError(f"{what}: trailing bytes after the message") from exc
    except (ValueError, TypeError, msgpack.UnpackException, RecursionError) as exc:
        raise EnvelopeFormatError(f"{what}: malformed or truncated msgpack ({exc})") from exc
    if not isinstance(obj, dict):
        raise EnvelopeFormatError(f"{what}: expected a map at the top level")
    _check_canonical(data, obj, what)
    return obj


def _bin_header(n: int) -> bytes:
    if n < 1 << 8:
        return b"\xc4" + n.to_bytes(1, "big")
    if n < 1 << 16:
        return b"\xc5" + n.to_bytes(2, "big")
    return b"\xc6" + n.to_bytes(4, "big")


def _array_header(n: int) -> bytes:
    if n < 16:
        return bytes([0x90 | n])
    if n < 1 << 16:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def _check_canonical(data: bytes, obj: dict, what: str) -> None:
    """``data`` must be exactly ``packb(obj)``.

    Every envelope ends with its bulky entry (``payload``: a list of bins, or ``context``: a
    bin).  Everything before it is re-encoded and compared; for the bulky entry only the
    headers are compared (the bin contents are the bytes they were decoded from), which
    avoids copying megabytes of ciphertext.
    """
    if not obj:
        ok = data == b"\x80"
        if not ok:  # pragma: no cover - an empty map has one encoding
            raise EnvelopeFormatError(f"{what}: non-canonical encoding")
        return
    last_key = next(reversed(obj))
    last = obj[last_key]
    blobs = last if isinstance(last, list) and all(type(b) is bytes for b in last) else None
    if type(last) is bytes:
        blobs = [last]
    try:
        if blobs is None:
            ok = _pack(obj) == data
        else:
            empty = b"" if type(last) is bytes else []
            head = _pack({**obj, last_key: empty})[: -len(_pack(empty))]
            pos = len(head)
            ok = data[:pos] == head
            if ok and type(last) is list:
                h = _array_header(len(last))
                ok = data[pos : pos + len(h)] == h
                pos += len(h)
            for blob in blobs:
                if not ok:
                    break
                h = _bin_header(len(blob))
                ok = data[pos : pos + len(h)] == h
                pos += len(h) + len(blob)
            ok = ok and pos == len(data)
    except (TypeError, ValueError, OverflowError) as exc:  # pragma: no cover - decoded objects re-encode
        raise EnvelopeFormatError(f"{what}: cannot re-encode ({exc})") from exc
    if not ok:
        raise EnvelopeFormatError(f"{what}: non-canonical encoding")


def _expect_keys(obj: dict, keys: list[str], what: str) -> None:
    if list(obj) != keys:
        raise EnvelopeFormatError(f"{what}: expected keys {keys}, got {list(obj)}")
    if type(obj["v"]) is not int or obj["v"] != VERSION:
        raise EnvelopeFormatError(f"{what}: unsupported version {obj['v']!r} (this is version {VERSION})")


def _bin(obj: dict, key: str, what: str, *, exact: int | None = None, max_len: int | None = None) -> bytes:
    v = obj[key]
    if type(v) is not bytes:
        raise EnvelopeFormatError(f"{what}: {key} must be bytes")
    if exact is not None and len(v) != exact:
        raise EnvelopeFormatError(f"{what}: {key} must be {exact} bytes, got {len(v)}")
    if max_len is not None and len(v) > max_len:
        raise EnvelopeFormatError(f"{what}: {key} longer than {max_len} bytes")
    return v


def _str(v: object, what: str, field: str, max_len: int) -> str:
    if type(v) is not str or len(v.encode()) > max_len:
        raise EnvelopeFormatError(f"{what}: {field} must be a string of at most {max_len} bytes")
    return v


def _payload(obj: dict, what: str, chunks: int, chunk_bound: int) -> tuple[bytes, ...]:
    p = obj["payload"]
    if not isinstance(p, list) or len(p) != chunks:
        raise EnvelopeFormatError(f"{what}: payload must be a list of {chunks} ciphertexts")
    for c in p:
        if type(c) is not bytes or not 0 < len(c) <= chunk_bound:
            raise EnvelopeFormatError(f"{what}: each ciphertext must be 1..{chunk_bound} bytes")
    return tuple(p)


def _scheme(obj: dict, what: str) -> str:
    s = obj["scheme"]
    if s not in ("bfv", "ckks") or type(s) is not str:
        raise EnvelopeFormatError(f"{what}: scheme must be 'bfv' or 'ckks'")
    return s


@dataclass(frozen=True)
class ContributionEnvelope:
    """One participant's encrypted statistics vector."""

    study_id: bytes
    key_id: bytes
    params_fingerprint: bytes
    scheme: str
    sender: str
    layout: SlotLayout
    payload: tuple[bytes, ...]

    KIND = "contribution"
    KEYS = ["v", "kind", "study", "key", "params", "scheme", "sender", "layout", "payload"]

    def to_bytes(self) -> bytes:
        return _pack(
            {
                "v": VERSION,
                "kind": self.KIND,
                "study": self.study_id,
                "key": self.key_id,
                "params": self.params_fingerprint,
                "scheme": self.scheme,
                "sender": self.sender,
                "layout": self.layout.to_obj(),
                "payload": list(self.payload),
            }
        )

    @staticmethod
    def max_size(params: HEParams, layout: SlotLayout) -> int:
        return layout.chunks(params) * (params.ciphertext_bound() + 16) + _HEADER_SLACK

    @classmethod
    def from_bytes(cls, data: bytes, params: HEParams, layout: SlotLayout) -> ContributionEnvelope:
        """Strictly decode; ``params`` and ``layout`` are the study's (they set the size bounds)."""
        what = "contribution envelope"
        obj = _unpack(data, cls.max_size(params, layout), what)
        _expect_keys(obj, cls.KEYS, what)
        if obj["kind"] != cls.KIND:
            raise EnvelopeFormatError(f"{what}: kind is {obj['kind']!r}, expected {cls.KIND!r}")
        return cls(
            study_id=_bin(obj, "study", what, max_len=MAX_STUDY_ID),
            key_id=_bin(obj, "key", what, exact=_KEY_ID_LEN),
            params_fingerprint=_bin(obj, "params", what, exact=32),
            scheme=_scheme(obj, what),
            sender=_str(obj["sender"], what, "sender", MAX_SENDER),
            layout=layout_from_obj(obj["layout"]),
            payload=_payload(obj, what, layout.chunks(params), params.ciphertext_bound()),
        )


@dataclass(frozen=True)
class AggregateEnvelope:
    """The homomorphic sum of the accepted contributions, for the key holder."""

    study_id: bytes
    key_id: bytes
    params_fingerprint: bytes
    scheme: str
    layout: SlotLayout
    senders: tuple[str, ...]
    payload: tuple[bytes, ...]

    KIND = "aggregate"
    KEYS = ["v", "kind", "study", "key", "params", "scheme", "layout", "senders", "payload"]

    @property
    def contributions(self) -> int:
        return len(self.senders)

    def to_bytes(self) -> bytes:
        return _pack(
            {
                "v": VERSION,
                "kind": self.KIND,
                "study": self.study_id,
                "key": self.key_id,
                "params": self.params_fingerprint,
                "scheme": self.scheme,
                "layout": self.layout.to_obj(),
                "senders": list(self.senders),
                "payload": list(self.payload),
            }
        )

    @staticmethod
    def max_size(params: HEParams, layout: SlotLayout) -> int:
        senders = layout.max_participants * (MAX_SENDER + 5)
        return layout.chunks(params) * (params.ciphertext_bound() + 16) + senders + _HEADER_SLACK

    @classmethod
    def from_bytes(cls, data: bytes, params: HEParams, layout: SlotLayout | None = None) -> AggregateEnvelope:
        """Strictly decode.  Without ``layout`` the bound allows up to 2^16 participants."""
        what = "aggregate envelope"
        if layout is None:
            bound = 64 * (params.ciphertext_bound() + 16) + (1 << 16) * (MAX_SENDER + 5) + _HEADER_SLACK
        else:
            bound = cls.max_size(params, layout)
        obj = _unpack(data, bound, what)
        _expect_keys(obj, cls.KEYS, what)
        if obj["kind"] != cls.KIND:
            raise EnvelopeFormatError(f"{what}: kind is {obj['kind']!r}, expected {cls.KIND!r}")
        declared = layout_from_obj(obj["layout"])
        senders = obj["senders"]
        if not isinstance(senders, list) or not 0 < len(senders) <= declared.max_participants:
            raise EnvelopeFormatError(f"{what}: senders must list 1..{declared.max_participants} participants")
        if set(map(type, senders)) != {str}:  # the unpacker already bounds every string to MAX_SENDER bytes
            raise EnvelopeFormatError(f"{what}: senders must be strings")
        if len(set(senders)) != len(senders) or senders != sorted(senders):
            raise EnvelopeFormatError(f"{what}: senders must be distinct and sorted")
        senders = tuple(senders)
        return cls(
            study_id=_bin(obj, "study", what, max_len=MAX_STUDY_ID),
            key_id=_bin(obj, "key", what, exact=_KEY_ID_LEN),
            params_fingerprint=_bin(obj, "params", what, exact=32),
            scheme=_scheme(obj, what),
            layout=declared,
            senders=senders,
            payload=_payload(obj, what, declared.chunks(params), params.ciphertext_bound()),
        )


@dataclass(frozen=True)
class ContextEnvelope:
    """A serialized TenSEAL context with its parameters and key id (public or secret)."""

    kind: str  # "public-context" or "secret-context"
    params: HEParams
    key_id: bytes
    context: bytes

    KEYS = ["v", "kind", "params", "key", "context"]
    # Parameters are not known before decoding; bound by the largest supported ring.
    MAX_SIZE = HEParams("bfv", 32768, (60,) * 14 + (41,), plain_modulus=786433,
                        insecure_opt_out=True).context_bound() + _HEADER_SLACK

    def to_bytes(self) -> bytes:
        return _pack(
            {
                "v": VERSION,
                "kind": self.kind,
                "params": self.params.to_obj(),
                "key": self.key_id,
                "context": self.context,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes, kind: str | None = None) -> ContextEnvelope:
        """Strictly decode; with ``kind`` the envelope must be of that kind."""
        what = f"{kind or 'context'} envelope"
        obj = _unpack(data, cls.MAX_SIZE, what)
        _expect_keys(obj, cls.KEYS, what)
        if obj["kind"] not in ("public-context", "secret-context") or (kind is not None and obj["kind"] != kind):
            raise EnvelopeFormatError(f"{what}: kind is {obj['kind']!r}, expected {kind or 'a context'!r}")
        params = HEParams.from_obj(obj["params"])
        context = _bin(obj, "context", what, max_len=params.context_bound())
        return cls(obj["kind"], params, _bin(obj, "key", what, exact=_KEY_ID_LEN), context)
