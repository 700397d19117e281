"""Structured mutations of valid files for the fuzz tests and scripts/fuzz.sh.

A mutation is a list of edits applied to the bytes of a valid file: flip bits of a byte,
truncate, insert or delete bytes, or overwrite a *field* -- a header count, a section id or
size, a power -- with an interesting value (0, 1, 2^31, 2^32 - 16, ...).  The fields of an
iden3 container are found by walking its section table; format-specific fields are given
relative to a section's payload."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hypothesis import strategies as st

from zkgate.errors import ZkgateError


@dataclass(frozen=True)
class Field:
    offset: int
    width: int  # bytes, little endian
    name: str


INTERESTING_U32 = (0, 1, 2, 3, 4, 7, 8, 16, 27, 28, 29, 31, 32, 33, 64, 255, 256, 0xFFFF, 1 << 20,
                   0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFE, 0xFFFFFFFF)
INTERESTING_U64 = INTERESTING_U32 + (1 << 32, 1 << 40, 1 << 62, 1 << 63, (1 << 64) - 1)

# format-specific fields: (section id, offset in the payload, width, name)
PAYLOAD_FIELDS = {
    b"r1cs": [(1, 0, 4, "n8"), (1, 36, 4, "nWires"), (1, 40, 4, "nPubOut"), (1, 44, 4, "nPubIn"),
              (1, 48, 4, "nPrvIn"), (1, 52, 8, "nLabels"), (1, 60, 4, "nConstraints"), (2, 0, 4, "LC term count"),
              (2, 4, 4, "first wire")],
    b"wtns": [(1, 0, 4, "n8"), (1, 36, 4, "nWitness")],
    b"zkey": [(1, 0, 4, "protocol"), (2, 0, 4, "n8q"), (2, 36, 4, "n8r"), (2, 72, 4, "nVars"),
              (2, 76, 4, "nPublic"), (2, 80, 4, "domainSize"), (4, 0, 4, "coefficient count"),
              (4, 4, 4, "matrix"), (4, 8, 4, "constraint"), (4, 12, 4, "signal"), (10, 64, 4, "contribution count")],
    b"ptau": [(1, 0, 4, "n8"), (1, 36, 4, "power"), (1, 40, 4, "ceremonyPower"), (7, 0, 4, "contribution count")],
}


def container_fields(data: bytes) -> list[Field]:
    """Every header field of a valid container: magic, version, section count, each section's id
    and size, and the format's own header fields."""
    fields = [Field(0, 4, "magic"), Field(4, 4, "version"), Field(8, 4, "section count")]
    magic = data[:4]
    (count,) = struct.unpack_from("<I", data, 8)
    offset = 12
    starts: dict[int, int] = {}
    for _ in range(count):
        section_id, size = struct.unpack_from("<IQ", data, offset)
        fields += [Field(offset, 4, f"section {section_id} id"), Field(offset + 4, 8, f"section {section_id} size")]
        starts.setdefault(section_id, offset + 12)
        offset += 12 + size
    for section_id, at, width, name in PAYLOAD_FIELDS.get(magic, []):
        if section_id in starts:
            fields.append(Field(starts[section_id] + at, width, name))
    return fields


def apply(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for edit in edits:
        kind = edit[0]
        if kind == "flip" and out:
            _, position, mask = edit
            out[position % len(out)] ^= mask
        elif kind == "truncate":
            del out[edit[1] % (len(out) + 1):]
        elif kind == "insert":
            _, position, blob = edit
            at = position % (len(out) + 1)
            out[at:at] = blob
        elif kind == "delete" and out:
            _, position, length = edit
            at = position % len(out)
            del out[at:at + length]
        elif kind == "field":
            _, field, value = edit
            if field.offset + field.width <= len(out):
                out[field.offset:field.offset + field.width] = (value % (1 << (8 * field.width))).to_bytes(
                    field.width, "little")
    return bytes(out)


def edits_for(fields: list[Field]):
    """A strategy of edit lists over a file whose header fields are ``fields``."""
    field_edit = st.builds(
        lambda f, v, delta: ("field", f, v + delta),
        st.sampled_from(fields),
        st.sampled_from(INTERESTING_U64),
        st.integers(-2, 2),
    )
    flip = st.tuples(st.just("flip"), st.integers(0, 1 << 20), st.integers(1, 255))
    truncate = st.tuples(st.just("truncate"), st.integers(0, 1 << 20))
    insert = st.tuples(st.just("insert"), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=64))
    delete = st.tuples(st.just("delete"), st.integers(0, 1 << 20), st.integers(1, 64))
    return st.lists(st.one_of(field_edit, field_edit, flip, flip, truncate, insert, delete), min_size=1, max_size=4)


CALLS = {"inputs": 0, "accepted": 0, "refused": 0}
"""How many inputs the fuzz targets ran (scripts/fuzz.sh reports it)."""


def ends_cleanly(call, *args) -> None:
    """The fuzz property: ``call`` returns or raises a ZkgateError -- never another exception."""
    CALLS["inputs"] += 1
    try:
        call(*args)
        CALLS["accepted"] += 1
    except ZkgateError:
        CALLS["refused"] += 1
