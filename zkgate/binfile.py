"""The iden3 binary container shared by ``.r1cs``, ``.wtns``, ``.zkey`` and ``.ptau`` files.

Layout: 4-byte magic, u32 version, u32 section count, then for each section a u32 id, a u64
payload size and the payload.  Sections may come in any order; every integer is little
endian.  :func:`read_container` maps a file (without copying it) and returns the sections
as memoryviews, so point sections become numpy arrays with no per-element Python work.
Errors name the file and the section.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path

from zkgate.errors import FormatError

HEADER = struct.Struct("<4sII")
SECTION_HEADER = struct.Struct("<IQ")


@dataclass(frozen=True)
class Container:
    """A parsed container: its magic, version and section payloads by id.

    ``error`` is the FormatError subclass its checks raise (e.g. R1CSFormatError for circuits).
    """

    path: str
    magic: bytes
    version: int
    sections: dict[int, list[memoryview]] = field(repr=False)
    error: type[FormatError] = field(default=FormatError, repr=False)

    @property
    def name(self) -> str:
        return self.path

    def section(self, section_id: int, name: str = "") -> memoryview:
        """The payload of a section that must appear exactly once."""
        label = f"section {section_id}" + (f" ({name})" if name else "")
        found = self.sections.get(section_id)
        if not found:
            raise self.error(f"{self.path}: {label} is missing")
        if len(found) > 1:
            raise self.error(f"{self.path}: {label} appears {len(found)} times")
        return found[0]

    def has(self, section_id: int) -> bool:
        return section_id in self.sections


def parse_container(
    data: bytes | memoryview,
    path: str,
    magic: bytes,
    versions: tuple[int, ...],
    error: type[FormatError] = FormatError,
) -> Container:
    """Parse container bytes; raise ``error`` (a FormatError) naming ``path`` on any inconsistency."""
    FormatError = error  # noqa: N806 - every check below raises the caller's error class
    view = memoryview(data)
    if len(view) < HEADER.size:
        raise FormatError(f"{path}: file is truncated ({len(view)} bytes, header needs {HEADER.size})")
    found_magic, version, count = HEADER.unpack_from(view, 0)
    if found_magic != magic:
        raise FormatError(f"{path}: not a {magic.decode(errors='replace')!r} file (magic {found_magic!r})")
    if version not in versions:
        raise FormatError(f"{path}: unsupported version {version} (supported: {', '.join(map(str, versions))})")
    offset = HEADER.size
    sections: dict[int, list[memoryview]] = {}
    for index in range(count):
        if offset + SECTION_HEADER.size > len(view):
            raise FormatError(f"{path}: truncated in the header of section #{index + 1} of {count}")
        section_id, size = SECTION_HEADER.unpack_from(view, offset)
        offset += SECTION_HEADER.size
        if offset + size > len(view):
            raise FormatError(
                f"{path}: section {section_id} declares {size} bytes but only {len(view) - offset} remain (truncated file)"
            )
        sections.setdefault(section_id, []).append(view[offset : offset + size])
        offset += size
    if offset != len(view):
        raise FormatError(f"{path}: {len(view) - offset} unexpected trailing bytes after the last section")
    return Container(path=path, magic=magic, version=version, sections=sections, error=error)


def read_container(
    path: str | Path, magic: bytes, versions: tuple[int, ...], error: type[FormatError] = FormatError
) -> Container:
    """Memory-map ``path`` read-only and parse it as a container."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            size = path.stat().st_size
            if size == 0:
                raise error(f"{path}: file is empty")
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from exc
    return parse_container(mapped, str(path), magic, versions, error)


def release_pages(array) -> bool:
    """Drop the resident pages of a numpy array that views a memory-mapped container (they are
    read back from the page cache on the next access).  A pass over several large sections
    can then keep only one section resident at a time, so its peak RSS is the largest section
    rather than their sum.  Returns whether anything was released (False for arrays that are
    not a view of an mmap, or where madvise is unavailable)."""
    import numpy as np

    owner = array.base
    while isinstance(owner, np.ndarray):
        owner = owner.base
    mapped = getattr(owner, "obj", None)
    if not isinstance(mapped, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED") or array.nbytes == 0:
        return False
    try:
        start = array.ctypes.data - np.frombuffer(mapped, dtype=np.uint8).ctypes.data
        first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE  # whole pages inside the array only
        last = (start + array.nbytes) // mmap.PAGESIZE * mmap.PAGESIZE
        if last <= first:
            return False
        mapped.madvise(mmap.MADV_DONTNEED, first, last - first)
    except (ValueError, OSError):  # a closed map, or the platform refused: nothing to gain
        return False
    return True


def write_container(path: str | Path, magic: bytes, version: int, sections: list[tuple[int, object]]) -> None:
    """Write a container with the given sections in order.

    A section's payload is bytes-like, or a list of bytes-like chunks written one after another
    (so large arrays go to the file without being joined first).
    """
    with open(path, "wb") as handle:
        handle.write(HEADER.pack(magic, version, len(sections)))
        for section_id, payload in sections:
            chunks = payload if isinstance(payload, list) else [payload]
            handle.write(SECTION_HEADER.pack(section_id, sum(memoryview(c).nbytes for c in chunks)))
            for chunk in chunks:
                handle.write(chunk)


def check_count(count: int, min_item_bytes: int, available: int, where: str, what: str,
                error: type[FormatError] = FormatError) -> None:
    """Refuse a count read from a header when its items cannot fit in the ``available`` bytes
    that remain (each item takes at least ``min_item_bytes``) -- before anything is allocated
    for them, so a forged count of 2^32 costs nothing."""
    if count < 0 or count * min_item_bytes > available:
        raise error(
            f"{where}: {what} = {count} needs at least {count * min_item_bytes} bytes, but only {available} "
            "remain: the file is truncated or its header is corrupt"
        )


def first_row_not_below(rows, modulus: int) -> int:
    """Index of the first ``(n, 4)`` little-endian uint64 row whose value is >= ``modulus``, or -1.

    Vectorised (a limb-wise comparison from the top limb down), so the same cost on both backends."""
    import numpy as np

    rows = np.asarray(rows, dtype=np.uint64).reshape(-1, 4)
    if rows.shape[0] == 0:
        return -1
    limbs = [np.uint64((modulus >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4)]
    at_least = np.ones(rows.shape[0], dtype=bool)  # equal so far counts as >= (equal to the modulus is refused)
    decided = np.zeros(rows.shape[0], dtype=bool)
    result = np.zeros(rows.shape[0], dtype=bool)
    for i in (3, 2, 1, 0):
        gt = rows[:, i] > limbs[i]
        lt = rows[:, i] < limbs[i]
        result |= ~decided & gt
        decided |= gt | lt
    result |= ~decided & at_least
    bad = np.flatnonzero(result)
    return int(bad[0]) if bad.size else -1


class Reader:
    """A cursor over one section payload, with errors naming the file and section."""

    def __init__(self, payload: memoryview, where: str) -> None:
        self.payload = payload
        self.where = where
        self.offset = 0

    @property
    def remaining(self) -> int:
        return len(self.payload) - self.offset

    def count(self, what: str, min_item_bytes: int) -> int:
        """A u32 count of items that each take at least ``min_item_bytes`` of what remains."""
        value = self.u32(what)
        check_count(value, min_item_bytes, self.remaining, self.where, what)
        return value

    def take(self, size: int, what: str) -> memoryview:
        if size < 0 or self.offset + size > len(self.payload):
            raise FormatError(f"{self.where}: truncated while reading {what}")
        chunk = self.payload[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "little")

    def u64(self, what: str) -> int:
        return int.from_bytes(self.take(8, what), "little")

    def integer(self, size: int, what: str) -> int:
        return int.from_bytes(self.take(size, what), "little")

    def expect_end(self) -> None:
        if self.offset != len(self.payload):
            raise FormatError(f"{self.where}: {len(self.payload) - self.offset} unexpected trailing bytes")
