"""SEAL's object header and its compression, with a hard bound on decompressed sizes.

Every SEAL object is saved as a 16-byte little-endian header — ``magic`` 0xA15E (u16),
``header_size`` 16 (u8), ``version_major`` / ``version_minor`` (u8 each), ``compr_mode``
(u8: 0 none, 1 zlib, 2 zstd), ``reserved`` 0 (u16), ``size`` (u64: the whole object,
header included) — followed by the object's members, compressed as a whole when
``compr_mode`` says so (a zlib stream, or one zstd frame).

Decompression is bounded: the caller states the largest member size it accepts (for a
ciphertext of known parameters that size is exact) and decompression stops one byte past
it, so a small "zip bomb" never expands in memory.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from zkgate.he.errors import EnvelopeFormatError

__all__ = ["COMPR_NONE", "COMPR_ZLIB", "COMPR_ZSTD", "HEADER_SIZE", "MAGIC", "SealHeader", "read_object", "write_object"]

MAGIC = 0xA15E
HEADER_SIZE = 16
COMPR_NONE, COMPR_ZLIB, COMPR_ZSTD = 0, 1, 2
_MODES = {COMPR_NONE: "none", COMPR_ZLIB: "zlib", COMPR_ZSTD: "zstd"}
_HEADER = struct.Struct("<HBBBBHQ")

#: SEAL major version whose member layouts this package reads (4.1 .. 4.3 share them).
SUPPORTED_MAJOR = 4


@dataclass(frozen=True)
class SealHeader:
    version_major: int
    version_minor: int
    compr_mode: int
    size: int

    def to_bytes(self) -> bytes:
        return _HEADER.pack(MAGIC, HEADER_SIZE, self.version_major, self.version_minor, self.compr_mode, 0, self.size)


def _parse_header(data: bytes, what: str) -> SealHeader:
    if len(data) < HEADER_SIZE:
        raise EnvelopeFormatError(f"{what}: {len(data)} bytes is shorter than SEAL's 16-byte header")
    magic, hsize, major, minor, mode, reserved, size = _HEADER.unpack_from(data)
    if magic != MAGIC or hsize != HEADER_SIZE:
        raise EnvelopeFormatError(f"{what}: not a SEAL object (magic {magic:#06x}, header size {hsize})")
    if major != SUPPORTED_MAJOR:
        raise EnvelopeFormatError(f"{what}: SEAL version {major}.{minor} is not supported (need {SUPPORTED_MAJOR}.x)")
    if mode not in _MODES:
        raise EnvelopeFormatError(f"{what}: unknown SEAL compression mode {mode}")
    if reserved != 0:
        raise EnvelopeFormatError(f"{what}: SEAL header reserved field is not zero")
    return SealHeader(major, minor, mode, size)


def _zstd():
    try:
        import zstandard
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise EnvelopeFormatError("zstd-compressed SEAL object but the 'zstandard' package is missing") from exc
    return zstandard


def _decompress(mode: int, body: bytes, limit: int, what: str) -> bytes:
    if mode == COMPR_NONE:
        out = body
    elif mode == COMPR_ZLIB:
        d = zlib.decompressobj()
        try:
            out = d.decompress(body, limit + 1)
        except zlib.error as exc:
            raise EnvelopeFormatError(f"{what}: corrupt zlib stream ({exc})") from exc
        if len(out) <= limit and (not d.eof or d.unused_data or d.unconsumed_tail):
            raise EnvelopeFormatError(f"{what}: truncated zlib stream or trailing bytes")
    else:
        zstandard = _zstd()
        try:
            declared = zstandard.frame_content_size(body)
        except zstandard.ZstdError as exc:
            raise EnvelopeFormatError(f"{what}: corrupt zstd frame ({exc})") from exc
        if declared > limit:
            raise EnvelopeFormatError(f"{what}: decompressed SEAL object exceeds its bound of {limit} bytes")
        try:
            # bounded: zstandard refuses to produce more than max_output_size bytes
            out = zstandard.ZstdDecompressor().decompress(body, max_output_size=limit)
        except zstandard.ZstdError as exc:
            raise EnvelopeFormatError(
                f"{what}: corrupt or truncated zstd frame, or larger than its bound of {limit} bytes ({exc})"
            ) from exc
        # the frame is now known to be within the bound: a second pass finds trailing bytes
        tail = zstandard.ZstdDecompressor().decompressobj()
        tail.decompress(body)
        if not tail.eof or tail.unused_data:
            raise EnvelopeFormatError(f"{what}: trailing bytes after the zstd frame")
    if len(out) > limit:
        raise EnvelopeFormatError(f"{what}: decompressed SEAL object exceeds its bound of {limit} bytes")
    return out


def read_object(data: bytes, limit: int, what: str = "SEAL object") -> tuple[SealHeader, bytes]:
    """Parse one whole SEAL object (no trailing bytes): its header and decompressed members.

    ``limit`` bounds the decompressed member bytes; a larger object is refused before it is
    expanded past the bound.
    """
    data = bytes(data)
    header = _parse_header(data, what)
    if header.size != len(data):
        raise EnvelopeFormatError(f"{what}: SEAL header declares {header.size} bytes, got {len(data)}")
    body = data[HEADER_SIZE:]
    members = _decompress(header.compr_mode, body, limit, what)
    return header, members


def split_object(data: bytes, offset: int, what: str) -> tuple[bytes, int]:
    """An uncompressed nested SEAL object at ``data[offset:]``: its bytes and the offset past it."""
    header = _parse_header(data[offset : offset + HEADER_SIZE], what)
    if header.compr_mode != COMPR_NONE:
        raise EnvelopeFormatError(f"{what}: nested SEAL objects are never compressed")
    end = offset + header.size
    if header.size < HEADER_SIZE or end > len(data):
        raise EnvelopeFormatError(f"{what}: nested SEAL object runs past its parent")
    return data[offset:end], end


def write_object(members: bytes, compr_mode: int = COMPR_NONE, version: tuple[int, int] = (4, 1)) -> bytes:
    """One SEAL object: header + members, compressed as ``compr_mode`` says."""
    if compr_mode == COMPR_NONE:
        body = members
    elif compr_mode == COMPR_ZLIB:
        body = zlib.compress(members)
    elif compr_mode == COMPR_ZSTD:
        body = _zstd().ZstdCompressor(level=3).compress(members)
    else:
        raise EnvelopeFormatError(f"unknown SEAL compression mode {compr_mode}")
    return SealHeader(version[0], version[1], compr_mode, HEADER_SIZE + len(body)).to_bytes() + body
