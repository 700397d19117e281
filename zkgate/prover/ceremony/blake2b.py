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
the compression function and noble's ``update`` (which keeps a full last block in the
buffer, compresses whole 4-byte-aligned blocks straight from the input without copying them
to the buffer, and therefore leaves specific stale bytes behind: reproduced here so that the
record is byte-identical to snarkjs's).

The whole-block loop runs in C (``zkgate/_native/blake2b.h``, about 1 GB/s) on the native
backend; this pure-Python twin manages 1-2 MB/s, so on the pure-Python backend hashing a
whole response (about 200 bytes per power of tau: 200 MB at 2^20) is slow.  :func:`finish_partial`
(verification: the partial state plus a 768-byte key) is cheap either way.  When an imported state has compressed nothing yet (only a
buffered prefix), :func:`finish_partial` hands the work to hashlib.
"""

from __future__ import annotations

import hashlib
import struct

from zkgate.errors import FormatError
from zkgate.kernels import ceremony as ceremony_kernels

PARTIAL_BYTES = 216
BLOCK = 128
_M = 0xFFFFFFFFFFFFFFFF
IV = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)
SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
)
_WORDS = struct.Struct("<16Q")


def compress(h: list[int], block: bytes, counter: int, last: bool) -> list[int]:
    """The BLAKE2b compression function F (12 rounds) on one 128-byte block."""
    m = _WORDS.unpack(block)
    M = _M
    v0, v1, v2, v3, v4, v5, v6, v7 = h
    v8, v9, v10, v11 = IV[0], IV[1], IV[2], IV[3]
    v12 = IV[4] ^ (counter & M)
    v13 = IV[5] ^ (counter >> 64)
    v14 = IV[6] ^ M if last else IV[6]
    v15 = IV[7]
    for s in SIGMA:
        # columns
        v0 = (v0 + v4 + m[s[0]]) & M; v12 ^= v0; v12 = (v12 >> 32) | ((v12 << 32) & M)
        v8 = (v8 + v12) & M; v4 ^= v8; v4 = (v4 >> 24) | ((v4 << 40) & M)
        v0 = (v0 + v4 + m[s[1]]) & M; v12 ^= v0; v12 = (v12 >> 16) | ((v12 << 48) & M)
        v8 = (v8 + v12) & M; v4 ^= v8; v4 = (v4 >> 63) | ((v4 << 1) & M)
        v1 = (v1 + v5 + m[s[2]]) & M; v13 ^= v1; v13 = (v13 >> 32) | ((v13 << 32) & M)
        v9 = (v9 + v13) & M; v5 ^= v9; v5 = (v5 >> 24) | ((v5 << 40) & M)
        v1 = (v1 + v5 + m[s[3]]) & M; v13 ^= v1; v13 = (v13 >> 16) | ((v13 << 48) & M)
        v9 = (v9 + v13) & M; v5 ^= v9; v5 = (v5 >> 63) | ((v5 << 1) & M)
        v2 = (v2 + v6 + m[s[4]]) & M; v14 ^= v2; v14 = (v14 >> 32) | ((v14 << 32) & M)
        v10 = (v10 + v14) & M; v6 ^= v10; v6 = (v6 >> 24) | ((v6 << 40) & M)
        v2 = (v2 + v6 + m[s[5]]) & M; v14 ^= v2; v14 = (v14 >> 16) | ((v14 << 48) & M)
        v10 = (v10 + v14) & M; v6 ^= v10; v6 = (v6 >> 63) | ((v6 << 1) & M)
        v3 = (v3 + v7 + m[s[6]]) & M; v15 ^= v3; v15 = (v15 >> 32) | ((v15 << 32) & M)
        v11 = (v11 + v15) & M; v7 ^= v11; v7 = (v7 >> 24) | ((v7 << 40) & M)
        v3 = (v3 + v7 + m[s[7]]) & M; v15 ^= v3; v15 = (v15 >> 16) | ((v15 << 48) & M)
        v11 = (v11 + v15) & M; v7 ^= v11; v7 = (v7 >> 63) | ((v7 << 1) & M)
        # diagonals
        v0 = (v0 + v5 + m[s[8]]) & M; v15 ^= v0; v15 = (v15 >> 32) | ((v15 << 32) & M)
        v10 = (v10 + v15) & M; v5 ^= v10; v5 = (v5 >> 24) | ((v5 << 40) & M)
        v0 = (v0 + v5 + m[s[9]]) & M; v15 ^= v0; v15 = (v15 >> 16) | ((v15 << 48) & M)
        v10 = (v10 + v15) & M; v5 ^= v10; v5 = (v5 >> 63) | ((v5 << 1) & M)
        v1 = (v1 + v6 + m[s[10]]) & M; v12 ^= v1; v12 = (v12 >> 32) | ((v12 << 32) & M)
        v11 = (v11 + v12) & M; v6 ^= v11; v6 = (v6 >> 24) | ((v6 << 40) & M)
        v1 = (v1 + v6 + m[s[11]]) & M; v12 ^= v1; v12 = (v12 >> 16) | ((v12 << 48) & M)
        v11 = (v11 + v12) & M; v6 ^= v11; v6 = (v6 >> 63) | ((v6 << 1) & M)
        v2 = (v2 + v7 + m[s[12]]) & M; v13 ^= v2; v13 = (v13 >> 32) | ((v13 << 32) & M)
        v8 = (v8 + v13) & M; v7 ^= v8; v7 = (v7 >> 24) | ((v7 << 40) & M)
        v2 = (v2 + v7 + m[s[13]]) & M; v13 ^= v2; v13 = (v13 >> 16) | ((v13 << 48) & M)
        v8 = (v8 + v13) & M; v7 ^= v8; v7 = (v7 >> 63) | ((v7 << 1) & M)
        v3 = (v3 + v4 + m[s[14]]) & M; v14 ^= v3; v14 = (v14 >> 32) | ((v14 << 32) & M)
        v9 = (v9 + v14) & M; v4 ^= v9; v4 = (v4 >> 24) | ((v4 << 40) & M)
        v3 = (v3 + v4 + m[s[15]]) & M; v14 ^= v3; v14 = (v14 >> 16) | ((v14 << 48) & M)
        v9 = (v9 + v14) & M; v4 ^= v9; v4 = (v4 >> 63) | ((v4 << 1) & M)
    return [h[0] ^ v0 ^ v8, h[1] ^ v1 ^ v9, h[2] ^ v2 ^ v10, h[3] ^ v3 ^ v11,
            h[4] ^ v4 ^ v12, h[5] ^ v5 ^ v13, h[6] ^ v6 ^ v14, h[7] ^ v7 ^ v15]


def _kernels():
    """The compiled BLAKE2b loop (:mod:`zkgate.kernels.ceremony`) when the native backend is on."""
    return ceremony_kernels if ceremony_kernels.COMPILED else None


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
                kernels = _kernels()
                if kernels is not None:
                    self.h, self.length = kernels.blake2b_blocks(self.h, data[p : p + count * BLOCK], self.length)
                    p += count * BLOCK
                    continue
                h, length = self.h, self.length
                for _ in range(count):
                    length += BLOCK
                    h = compress(h, data[p : p + BLOCK], length, False)
                    p += BLOCK
                self.h, self.length = h, length
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
