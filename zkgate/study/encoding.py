"""Canonical byte encodings of protocol messages.

Every message is a msgpack *array* (never a map: no key order to agree on) whose first two
items are a kind string and a version.  Field elements and Baby Jubjub coordinates are
32-byte big-endian strings, other integers plain msgpack ints, text UTF-8 strings.
Decoding is strict: extension types, trailing bytes and oversized input are refused, and a
decoded message is re-encoded and compared with the input, so every message has exactly
one byte form and its SHA-256 can name it in logs, receipts and signatures.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgpack

from zkgate.circuits.field import R
from zkgate.study.errors import MessageFormatError

VERSION = 1
MAX_MESSAGE = 64 << 20


def _refuse_ext(code: int, data: bytes) -> Any:
    raise MessageFormatError(f"msgpack extension type {code} is not allowed")


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True, strict_types=False)


def unpack(data: bytes, kind: str) -> list:
    """Decode ``data`` as a ``kind`` message; returns the items after kind and version."""
    return unpack_versioned(data, kind, (VERSION,))[1]


def unpack_versioned(data: bytes, kind: str, versions: tuple[int, ...]) -> tuple[int, list]:
    """Decode ``data`` as a ``kind`` message of one of ``versions``; returns (version, items)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MessageFormatError(f"{kind}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_MESSAGE:
        raise MessageFormatError(f"{kind}: message of {len(data)} bytes exceeds {MAX_MESSAGE}")
    try:
        obj = msgpack.unpackb(data, raw=False, ext_hook=_refuse_ext, strict_map_key=True,
                              max_bin_len=MAX_MESSAGE, max_str_len=1 << 16)
    except MessageFormatError:
        raise
    except Exception as exc:  # truncated, trailing bytes, bad utf-8 ...
        raise MessageFormatError(f"{kind}: not a valid msgpack message ({exc})") from exc
    if not isinstance(obj, list) or len(obj) < 2 or obj[0] != kind:
        raise MessageFormatError(f"expected a {kind!r} message")
    if type(obj[1]) is not int or obj[1] not in versions:
        readable = " and ".join(str(v) for v in versions)
        raise MessageFormatError(f"{kind}: unsupported version {obj[1]!r} (this zkgate reads {readable})")
    return obj[1], obj[2:]


def header(kind: str, version: int = VERSION) -> list:
    return [kind, version]


def check_canonical(data: bytes, message: Any, kind: str) -> None:
    if message.to_bytes() != bytes(data):
        raise MessageFormatError(f"{kind}: not the canonical encoding of the message")


def digest(data: bytes, domain: str) -> bytes:
    """Domain-separated SHA-256."""
    return hashlib.sha256(b"zkgate.study." + domain.encode() + b"\x00" + bytes(data)).digest()


# -- typed item readers ---------------------------------------------------------------------
def fe_bytes(x: int) -> bytes:
    return int(x).to_bytes(32, "big")


def read_fe(v: Any, what: str) -> int:
    if type(v) is not bytes or len(v) != 32:
        raise MessageFormatError(f"{what}: expected a 32-byte field element")
    x = int.from_bytes(v, "big")
    if x >= R:
        raise MessageFormatError(f"{what}: field element is not below r")
    return x


def read_int(v: Any, what: str, lo: int | None = None, hi: int | None = None) -> int:
    if type(v) is not int:
        raise MessageFormatError(f"{what}: expected an integer")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise MessageFormatError(f"{what}: {v} is outside [{lo}, {hi}]")
    return v


def read_bytes(v: Any, what: str, length: int | None = None, max_len: int = MAX_MESSAGE) -> bytes:
    if type(v) is not bytes or (length is not None and len(v) != length) or len(v) > max_len:
        size = f"{length} bytes" if length is not None else f"at most {max_len} bytes"
        raise MessageFormatError(f"{what}: expected a byte string of {size}")
    return v


def read_str(v: Any, what: str, max_len: int = 256) -> str:
    if type(v) is not str or len(v.encode()) > max_len:
        raise MessageFormatError(f"{what}: expected a string of at most {max_len} bytes")
    return v


def read_bool(v: Any, what: str) -> bool:
    if type(v) is not bool:
        raise MessageFormatError(f"{what}: expected a boolean")
    return v


def read_list(v: Any, what: str, length: int | None = None, max_len: int = 1 << 20) -> list:
    if not isinstance(v, list) or (length is not None and len(v) != length) or len(v) > max_len:
        raise MessageFormatError(f"{what}: expected a list" + (f" of {length} items" if length is not None else ""))
    return v


def bytes_to_field_elements(data: bytes) -> list[int]:
    """31-byte big-endian chunks (each < 2^248 < r), the last one padded with 0x01 then zeros
    so that the byte length is recoverable (injective)."""
    data = bytes(data) + b"\x01"
    data += b"\x00" * (-len(data) % 31)
    return [int.from_bytes(data[i : i + 31], "big") for i in range(0, len(data), 31)]


__all__ = [
    "VERSION", "bytes_to_field_elements", "check_canonical", "digest", "fe_bytes", "header", "pack",
    "read_bool", "read_bytes", "read_fe", "read_int", "read_list", "read_str", "unpack", "unpack_versioned",
]
