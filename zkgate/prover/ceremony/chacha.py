"""ffjavascript's ChaCha random generator and its ``fromRng`` samplers, bit for bit.

snarkjs derives ceremony keys from this generator: a contribution's G2 point
(``hashToG2``: ChaCha seeded with the first 32 bytes of a BLAKE2b digest, as eight
big-endian u32), a beacon's key (seeded from iterated SHA-256) and the first challenge's
keys.  Reproducing its sampling exactly (``Fr.fromRng`` returns the *Montgomery* form of
its draw; points are found by try-and-increment on x with a sign bit) lets zkgate verify
snarkjs's records and write records snarkjs verifies.
"""

from __future__ import annotations

from zkgate.bn254 import G2, Q_MOD, R_MOD, fq2_mul, fq2_sqrt, fq_sqrt
from zkgate.bn254.constants import G2_B

_MASK32 = 0xFFFFFFFF
_R_INV_Q = pow(1 << 256, -1, Q_MOD)
_R_INV_R = pow(1 << 256, -1, R_MOD)
G2_COFACTOR = 0x30644E72E131A029B85045B68181585E06CEECDA572A2489345F2299C0F9FA8D
_HALF_Q = (Q_MOD - 1) // 2


def _rotl(v: int, n: int) -> int:
    return ((v << n) | (v >> (32 - n))) & _MASK32


class ChaCha:
    """ChaCha20 block function as a u32 stream (key = 8-word seed, zero nonce, counter)."""

    def __init__(self, seed: list[int] | tuple[int, ...]) -> None:
        if len(seed) != 8:
            raise ValueError("ChaCha seed is eight u32 words")
        self.state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *[s & _MASK32 for s in seed], 0, 0, 0, 0]
        self.buff: list[int] = []
        self.idx = 16

    @classmethod
    def from_digest(cls, digest: bytes) -> ChaCha:
        """Seeded with the first 32 bytes of ``digest`` read as big-endian u32 words."""
        return cls([int.from_bytes(digest[4 * i : 4 * i + 4], "big") for i in range(8)])

    def _update(self) -> None:
        x = list(self.state)

        def qr(a: int, b: int, c: int, d: int) -> None:
            x[a] = (x[a] + x[b]) & _MASK32; x[d] = _rotl(x[d] ^ x[a], 16)
            x[c] = (x[c] + x[d]) & _MASK32; x[b] = _rotl(x[b] ^ x[c], 12)
            x[a] = (x[a] + x[b]) & _MASK32; x[d] = _rotl(x[d] ^ x[a], 8)
            x[c] = (x[c] + x[d]) & _MASK32; x[b] = _rotl(x[b] ^ x[c], 7)

        for _ in range(10):
            qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
            qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
        self.buff = [(x[i] + self.state[i]) & _MASK32 for i in range(16)]
        self.idx = 0
        for i in range(12, 16):  # 128-bit counter
            self.state[i] = (self.state[i] + 1) & _MASK32
            if self.state[i]:
                break

    def next_u32(self) -> int:
        if self.idx == 16:
            self._update()
        v = self.buff[self.idx]
        self.idx += 1
        return v

    def next_u64(self) -> int:
        hi = self.next_u32()
        return hi * 0x100000000 + self.next_u32()

    def next_bool(self) -> bool:
        return bool(self.next_u32() & 1)

    def _raw(self, modulus: int) -> int:
        mask = (1 << modulus.bit_length()) - 1
        while True:
            v = 0
            for i in range(4):
                v += self.next_u64() << (64 * i)
            v &= mask
            if v < modulus:
                return v

    def fr(self) -> int:
        """``curve.Fr.fromRng``: the draw is taken as a Montgomery representation."""
        return self._raw(R_MOD) * _R_INV_R % R_MOD

    def fq(self) -> int:
        return self._raw(Q_MOD) * _R_INV_Q % Q_MOD

    def g1(self) -> tuple[int, int]:
        """``curve.G1.fromRng``."""
        while True:
            x = self.fq()
            greatest = self.next_bool()
            rhs = (x * x * x + 3) % Q_MOD
            y = fq_sqrt(rhs)
            if y is not None:
                break
        if greatest ^ (y > _HALF_Q):
            y = (Q_MOD - y) % Q_MOD
        return (x, y)

    def g2(self):
        """``curve.G2.fromRng`` (cleared by the G2 cofactor, as ffjavascript does)."""
        while True:
            x = (self.fq(), self.fq())
            greatest = self.next_bool()
            x3 = fq2_mul(fq2_mul(x, x), x)
            rhs = ((x3[0] + G2_B[0]) % Q_MOD, (x3[1] + G2_B[1]) % Q_MOD)
            y = fq2_sqrt(rhs)
            if y is not None:
                break
        negative = (y[0] > _HALF_Q) if y[1] == 0 else (y[1] > _HALF_Q)
        if greatest ^ negative:
            y = ((Q_MOD - y[0]) % Q_MOD, (Q_MOD - y[1]) % Q_MOD)
        return G2.multiply_unreduced((x, y), G2_COFACTOR)


def hash_to_g2(digest: bytes):
    """snarkjs's ``hashToG2``: the G2 point drawn from ChaCha seeded by ``digest``."""
    return ChaCha.from_digest(digest).g2()
