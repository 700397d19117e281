"""snarkjs powers-of-tau files (``.ptau``): reading, and the ``powersoftau`` tools.

Container magic ``ptau``, version 1.  Sections: 1 header (u32 n8 = 32, q, u32 power,
u32 ceremonyPower); 2 tauG1 (2^(power+1) - 1 G1); 3 tauG2, 4 alphaTauG1, 5 betaTauG1
(2^power each); 6 betaG2 (1 G2); 7 contributions; after ``prepare phase2`` also 12-15:
the Lagrange bases of tauG1 (domain sizes 1, 2, ..., 2^(power+1)), tauG2, alphaTauG1 and
betaTauG1 (sizes 1 ... 2^power), concatenated -- the basis of size 2^k starts at point
2^k - 1.  Points are affine Montgomery, as in a ``.zkey``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkgate.binfile import Container, read_container
from zkgate.bn254 import Q_MOD
from zkgate.errors import FormatError

MAGIC = b"ptau"
VERSION = 1
G1_BYTES, G2_BYTES = 64, 128


@dataclass(frozen=True)
class PtauFile:
    path: str
    power: int
    ceremony_power: int
    container: Container

    def points(self, section: int, start: int, count: int, group: int) -> np.ndarray:
        """``count`` points of a section from index ``start`` as packed rows (no copy)."""
        size = G1_BYTES if group == 1 else G2_BYTES
        payload = self.container.section(section)
        if (start + count) * size > len(payload):
            raise FormatError(
                f"{self.path}: section {section} holds {len(payload) // size} points, {start + count} needed"
            )
        return np.frombuffer(payload[start * size : (start + count) * size], dtype="<u8").reshape(count, size // 8)

    def raw(self, section: int) -> memoryview:
        return self.container.section(section)

    @property
    def prepared(self) -> bool:
        return all(self.container.has(s) for s in (12, 13, 14, 15))


def read_ptau(path: str | Path) -> PtauFile:
    container = read_container(path, MAGIC, (VERSION,))
    header = container.section(1, "header")
    if len(header) != 4 + 32 + 8:
        raise FormatError(f"{path}: section 1 (header) holds {len(header)} bytes, expected 44")
    n8 = struct.unpack_from("<I", header, 0)[0]
    q = int.from_bytes(header[4:36], "little")
    if n8 != 32 or q != Q_MOD:
        raise FormatError(f"{path}: section 1 (header): not a BN254 (bn128) powers of tau")
    power, ceremony_power = struct.unpack_from("<II", header, 36)
    if not 1 <= power <= 28:
        raise FormatError(f"{path}: section 1 (header): power {power} out of range [1, 28]")
    ptau = PtauFile(str(path), power, ceremony_power, container)
    n = 1 << power
    for sec, count, size, name in ((2, 2 * n - 1, G1_BYTES, "tauG1"), (3, n, G2_BYTES, "tauG2"),
                                   (4, n, G1_BYTES, "alphaTauG1"), (5, n, G1_BYTES, "betaTauG1"),
                                   (6, 1, G2_BYTES, "betaG2")):
        got = len(container.section(sec, name))
        if got != count * size:
            raise FormatError(f"{path}: section {sec} ({name}) holds {got} bytes, expected {count * size}")
    return ptau
