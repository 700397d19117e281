"""iden3 binary containers (``.r1cs``, ``.wtns``): magic, version, typed sections.

Layout: 4-byte magic, u32 version, u32 section count, then per section u32 type, u64 size
and ``size`` bytes.  All integers little-endian.  Errors name the file and the section.
"""

from __future__ import annotations

import struct
from pathlib import Path

from zkgate.circuits.errors import R1CSFormatError


class BinFile:
    """A parsed container: ``sections[type] -> memoryview`` (first occurrence of each type)."""

    def __init__(self, data: bytes, name: str, magic: bytes, versions: tuple[int, ...]):
        self.name = name
        self.data = memoryview(data)
        if len(data) < 12:
            raise R1CSFormatError(f"{name}: truncated file header ({len(data)} bytes)")
        if bytes(data[:4]) != magic:
            raise R1CSFormatError(f"{name}: bad magic {bytes(data[:4])!r}, expected {magic!r}")
        self.version, n_sections = struct.unpack_from("<II", data, 4)
        if self.version not in versions:
            raise R1CSFormatError(f"{name}: unsupported {magic.decode()} version {self.version}")
        self.sections: dict[int, memoryview] = {}
        pos = 12
        for i in range(n_sections):
            if pos + 12 > len(data):
                raise R1CSFormatError(f"{name}: truncated header of section #{i + 1} (of {n_sections})")
            stype, size = struct.unpack_from("<IQ", data, pos)
            pos += 12
            if pos + size > len(data):
                raise R1CSFormatError(
                    f"{name}: section type {stype} is truncated ({len(data) - pos} of {size} bytes present)"
                )
            self.sections.setdefault(stype, self.data[pos : pos + size])
            pos += size
        if pos != len(data):
            raise R1CSFormatError(f"{name}: {len(data) - pos} trailing bytes after the last section")

    def section(self, stype: int, label: str) -> memoryview:
        try:
            return self.sections[stype]
        except KeyError:
            raise R1CSFormatError(f"{self.name}: missing {label} section (type {stype})") from None


def read_container(path, magic: bytes, versions: tuple[int, ...]) -> BinFile:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise R1CSFormatError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    return BinFile(data, str(p), magic, versions)


def write_container(path, magic: bytes, version: int, sections: list[tuple[int, list]]) -> None:
    """``sections``: ``(type, [bytes-like chunks])`` in file order."""
    with open(path, "wb") as f:
        f.write(magic + struct.pack("<II", version, len(sections)))
        for stype, chunks in sections:
            size = sum(memoryview(c).nbytes for c in chunks)
            f.write(struct.pack("<IQ", stype, size))
            for c in chunks:
                f.write(c)


__all__ = ["BinFile", "read_container", "write_container"]
