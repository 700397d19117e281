"""BLAKE2b-512 with an exportable internal state, as snarkjs 0.7.6 stores it.

A phase-1 contribution record (``.ptau`` section 7) holds the *partial hash* of its response:
the state of ``@noble/hashes``' BLAKE2b after absorbing the previous challenge hash and every
compressed point of the new sections, just before the contributor's public key.  snarkjs's
``toPartialHash`` writes 216 bytes::

    0..127    the 128-byte block buffer, stale bytes past ``pos`` included
    128..191  h[0..7], u64 little endian
    192..199  bytes compressed so far (noble's ``length - pos``), u64 LE
    200..207  ``pos`` (bytes waiting in the buffer, 0..128), u64 LE
    208..215  zero

Python's :mod:`hashlib` can neither export nor import that state, so this module implements
noble's ``update`` (which keeps a full last block in the
buffer, compresses whole 4-byte-aligned blocks straight from the input without copying them
to the buffer, and therefore leaves specific stale bytes behind: reproduced here so that the
record is byte-identical to snarkjs's).

The whole-block loop and the compression function live in :mod:`zkgate.kernels.ceremony`: C
(``blake2b.h``, about 1 GB/s) on the native backend, a pure-Python twin of 1-2 MB/s
otherwise, so on the pure-Python backend hashing a whole response (about 200 bytes per power of tau: 200 MB at 2^20) is slow.  :func:`finish_partial`
(verification: the partial state plus a 768-byte key) is cheap either way.  When an imported state has compressed nothing yet (only a
buffered prefix), :func:`finish_partial` hands the work to hashlib.
"""

from __future__ import annotations

import hashlib
import struct

from zkgate.errors import FormatError
from zkgate.kernels.ceremony import BLOCK, IV, blake2b_blocks, compress

PARTIAL_BYTES = 216


class NobleBlake2b:
    """Unkeyed BLAKE2b-512 following ``@noble/hashes`` 1.x step for step (state included).

    Inputs are taken as 4-byte aligned (snarkjs hashes freshly allocated buffers), which
    decides noble's zero-copy path and hence the stale bytes of the buffer.
    """

    __slots__ = ("h", "buffer", "pos", "length")

    def __init__(self) -> None:
        self.h = list(IV)
        self.h[0] ^= 0x01010000 | 64
        self.buffer = bytearray(BLOCK)
        self.pos = 0
        self.length = 0  # bytes absorbed, the buffered ones included

    def update(self, data) -> NobleBlake2b:
        data = memoryview(data).cast("B")
        n = len(data)
        p = 0
        buffer = self.buffer
        while p < n:
            if self.pos == BLOCK:
                self.h = compress(self.h, bytes(buffer), self.length, False)
                self.pos = 0
            take = min(BLOCK - self.pos, n - p)
            if take == BLOCK and p + take < n:
                count = (n - p - 1) // BLOCK  # whole blocks with more data after them
                self.h, self.length = blake2b_blocks(self.h, data[p : p + count * BLOCK], self.length)
                p += count * BLOCK
                continue
            buffer[self.pos : self.pos + take] = data[p : p + take]
            self.pos += take
            self.length += take
            p += take
        return self

    def copy(self) -> NobleBlake2b:
        other = NobleBlake2b.__new__(NobleBlake2b)
        other.h, other.buffer, other.pos, other.length = list(self.h), bytearray(self.buffer), self.pos, self.length
        return other

    def digest(self) -> bytes:
        """The 64-byte digest (the object is left unchanged)."""
        block = bytes(self.buffer[: self.pos]) + bytes(BLOCK - self.pos)
        h = compress(self.h, block, self.length, True)
        return struct.pack("<8Q", *h)

    def export_state(self) -> bytes:
        """snarkjs's ``toPartialHash``: the 216-byte state."""
        return (bytes(self.buffer) + struct.pack("<8Q", *self.h)
                + struct.pack("<QQ", self.length - self.pos, self.pos) + bytes(8))

    @classmethod
    def import_state(cls, partial: bytes, where: str = "partial hash") -> NobleBlake2b:
        """snarkjs's ``fromPartialHash`` (FormatError naming ``where`` when malformed)."""
        if len(partial) != PARTIAL_BYTES:
            raise FormatError(f"{where}: {len(partial)} bytes, expected {PARTIAL_BYTES}")
        obj = cls.__new__(cls)
        obj.buffer = bytearray(partial[:BLOCK])
        obj.h = list(struct.unpack_from("<8Q", partial, BLOCK))
        compressed, pos = struct.unpack_from("<QQ", partial, BLOCK + 64)
        if pos > BLOCK or compressed % BLOCK:
            raise FormatError(f"{where}: inconsistent state (pos {pos}, {compressed} bytes compressed)")
        obj.pos = pos
        obj.length = compressed + pos
        return obj

    @property
    def compressed(self) -> int:
        return self.length - self.pos


def finish_partial(partial: bytes, tail: bytes, where: str = "partial hash") -> bytes:
    """Digest of the state ``partial`` after absorbing ``tail`` (a response hash).

    When nothing was compressed yet the state is hashlib's after the buffered prefix, and
    hashlib finishes the work; otherwise the pure-Python implementation does (a few blocks).
    """
    state = NobleBlake2b.import_state(partial, where)
    fresh = NobleBlake2b()
    if state.compressed == 0 and state.h == fresh.h:
        return hashlib.blake2b(bytes(state.buffer[: state.pos]) + bytes(tail), digest_size=64).digest()
    return state.update(tail).digest()
