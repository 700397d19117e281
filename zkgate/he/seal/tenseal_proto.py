"""TenSEAL's protobuf wrappers around SEAL objects, read and rewritten field by field.

From TenSEAL's ``tenseal/proto/*.proto`` (proto3)::

    TenSEALContextProto { bytes encryption_parameters = 1; TenSEALPublicProto public_context = 2;
                          TenSEALPrivateProto private_context = 3; uint32 encryption_type = 4; }
    TenSEALPublicProto  { bytes public_key = 1; uint32 auto_flags = 2; double scale = 3;
                          bytes relin_keys = 4; bytes galois_keys = 5; }
    TenSEALPrivateProto { bytes secret_key = 1; bool relin_keys_generated = 2; bool galois_keys_generated = 3; }
    BFVVectorProto      { repeated uint32 sizes = 1; repeated bytes ciphertexts = 2; }

Each ``bytes`` key field is a whole SEAL object (:mod:`zkgate.he.seal.header`).  Only the
protobuf wire format is parsed here (varint, 64-bit, length-delimited, 32-bit); unknown
fields are kept in order, so :meth:`TenSEALContextBlob.with_public_key` changes nothing but
the public key.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkgate.he.errors import EnvelopeFormatError

__all__ = ["TenSEALContextBlob", "read_bfv_vector", "write_bfv_vector"]

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
Field = tuple[int, int, object]  # (number, wire type, int value or bytes)


def _read_varint(data: bytes, i: int, what: str) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data) or shift > 63:
            raise EnvelopeFormatError(f"{what}: truncated or overlong protobuf varint")
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def parse_message(data: bytes, what: str) -> list[Field]:
    fields: list[Field] = []
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i, what)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise EnvelopeFormatError(f"{what}: protobuf field number 0")
        if wire == _VARINT:
            value, i = _read_varint(data, i, what)
            fields.append((number, wire, value))
        elif wire in (_I64, _I32):
            width = 8 if wire == _I64 else 4
            if i + width > len(data):
                raise EnvelopeFormatError(f"{what}: truncated protobuf field {number}")
            fields.append((number, wire, data[i : i + width]))
            i += width
        elif wire == _LEN:
            length, i = _read_varint(data, i, what)
            if i + length > len(data):
                raise EnvelopeFormatError(f"{what}: protobuf field {number} runs past the message")
            fields.append((number, wire, data[i : i + length]))
            i += length
        else:
            raise EnvelopeFormatError(f"{what}: unsupported protobuf wire type {wire}")
    return fields


def write_message(fields: list[Field]) -> bytes:
    out = bytearray()
    for number, wire, value in fields:
        out += _varint(number << 3 | wire)
        if wire == _VARINT:
            out += _varint(int(value))  # type: ignore[arg-type]
        elif wire == _LEN:
            out += _varint(len(value)) + value  # type: ignore[arg-type, operator]
        else:
            out += value  # type: ignore[operator]
    return bytes(out)


def _one(fields: list[Field], number: int, wire: int, what: str) -> object | None:
    hits = [v for n, w, v in fields if n == number]
    if not hits:
        return None
    if len(hits) > 1 or any(w != wire for n, w, _ in fields if n == number):
        raise EnvelopeFormatError(f"{what}: protobuf field {number} repeated or of the wrong type")
    return hits[0]


@dataclass(frozen=True)
class TenSEALContextBlob:
    """The parts of a serialized TenSEAL context the committee reads or replaces."""

    fields: tuple[Field, ...]
    public_fields: tuple[Field, ...]
    encryption_parameters: bytes
    public_key: bytes
    secret_key: bytes

    @classmethod
    def parse(cls, data: bytes) -> TenSEALContextBlob:
        what = "TenSEAL context"
        fields = parse_message(bytes(data), what)
        params = _one(fields, 1, _LEN, what)
        public = _one(fields, 2, _LEN, what)
        private = _one(fields, 3, _LEN, what)
        if params is None or public is None:
            raise EnvelopeFormatError(f"{what}: no encryption parameters or public part")
        public_fields = parse_message(public, f"{what} (public part)")  # type: ignore[arg-type]
        pk = _one(public_fields, 1, _LEN, f"{what} (public part)") or b""
        sk = b""
        if private is not None:
            sk = _one(parse_message(private, f"{what} (private part)"), 1, _LEN, f"{what} (private part)") or b""  # type: ignore[arg-type]
        return cls(tuple(fields), tuple(public_fields), params, pk, sk)  # type: ignore[arg-type]

    def with_public_key(self, public_key: bytes) -> bytes:
        """This context (which must be public) with its public key replaced, re-serialized."""
        if any(n == 3 for n, _, _ in self.fields):
            raise EnvelopeFormatError("TenSEAL context: refusing to rewrite a context that holds a secret part")
        public = [(n, w, v) for n, w, v in self.public_fields if n != 1]
        public.insert(0, (1, _LEN, bytes(public_key)))
        out = [(n, w, write_message(public) if n == 2 else v) for n, w, v in self.fields]
        return write_message(out)


def read_bfv_vector(data: bytes, max_chunks: int = 1024) -> tuple[list[int], list[bytes]]:
    """A serialized TenSEAL ``BFVVector``: its chunk sizes and the SEAL ciphertext of each chunk."""
    what = "TenSEAL BFV vector"
    fields = parse_message(bytes(data), what)
    sizes: list[int] = []
    cts: list[bytes] = []
    for number, wire, value in fields:
        if number == 1 and wire == _LEN:  # packed repeated uint32
            j = 0
            while j < len(value):  # type: ignore[arg-type]
                v, j = _read_varint(value, j, what)  # type: ignore[arg-type]
                sizes.append(v)
        elif number == 1 and wire == _VARINT:
            sizes.append(int(value))  # type: ignore[arg-type]
        elif number == 2 and wire == _LEN:
            cts.append(value)  # type: ignore[arg-type]
        else:
            raise EnvelopeFormatError(f"{what}: unexpected protobuf field {number}")
        if len(cts) > max_chunks or len(sizes) > max_chunks:
            raise EnvelopeFormatError(f"{what}: more than {max_chunks} chunks")
    if len(sizes) != len(cts) or not cts:
        raise EnvelopeFormatError(f"{what}: {len(sizes)} sizes for {len(cts)} ciphertexts")
    return sizes, cts


def write_bfv_vector(sizes: list[int], ciphertexts: list[bytes]) -> bytes:
    packed = b"".join(_varint(s) for s in sizes)
    return write_message([(1, _LEN, packed)] + [(2, _LEN, ct) for ct in ciphertexts])
