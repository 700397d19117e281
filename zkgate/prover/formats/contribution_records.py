"""What the ceremony records of a ``.zkey`` (section 10) and a ``.ptau`` (section 7) share:
a bounds-checked reader that names the field it was reading, and snarkjs's parameter block
(u32 length; tag 1 name: u8 length + UTF-8, at most 64 characters; tag 2 numIterationsExp:
u8; tag 3 beacon hash: u8 length + bytes; tags ascending)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from zkgate.binfile import Reader
from zkgate.bn254 import G1Point, G2Point
from zkgate.errors import FormatError
from zkgate.prover.formats.curve_points import g1_from_words, g2_from_words


class RecordReader(Reader):
    """:class:`zkgate.binfile.Reader` over a record payload, reading points and parameter blocks."""

    def __init__(self, data, where: str) -> None:
        super().__init__(memoryview(bytes(data)), where)

    def g1(self, what: str) -> G1Point:
        return g1_from_words(np.frombuffer(self.take(64, what), dtype="<u8"), f"{self.where}: {what}")

    def g2(self, what: str) -> G2Point:
        return g2_from_words(np.frombuffer(self.take(128, what), dtype="<u8"), f"{self.where}: {what}")

    def params(self, what: str) -> ContributionParams:
        block = bytes(self.take(self.u32(what + " parameter length"), what + " parameters"))
        return ContributionParams.decode(block, f"{self.where}: {what}")


@dataclass(frozen=True)
class ContributionParams:
    """A contribution's name and, for a beacon (type 1), its iteration exponent and hash."""

    name: str = ""
    num_iterations_exp: int = 0
    beacon_hash: bytes = b""

    @staticmethod
    def block(name: str, ctype: int, num_iterations_exp: int, beacon_hash: bytes) -> bytes:
        """The u32-length-prefixed parameter block snarkjs writes."""
        params = bytearray()
        if name:
            # snarkjs: name.substring(0, 64) (UTF-16 units; the same for BMP text), UTF-8 encoded
            data = name[:64].encode("utf-8")
            params += bytes([1, len(data)]) + data
        if ctype == 1:
            params += bytes([2, num_iterations_exp, 3, len(beacon_hash)]) + beacon_hash
        return struct.pack("<I", len(params)) + bytes(params)

    @classmethod
    def decode(cls, block: bytes, where: str) -> ContributionParams:
        name, n_exp, beacon = "", 0, b""
        p, last = 0, 0
        while p < len(block):
            tag = block[p]
            if tag <= last:
                raise FormatError(f"{where}: parameters are not sorted")
            last = tag
            if tag in (1, 3):
                if p + 2 > len(block) or p + 2 + block[p + 1] > len(block):
                    raise FormatError(f"{where}: truncated parameter {tag}")
                value = block[p + 2 : p + 2 + block[p + 1]]
                p += 2 + block[p + 1]
                if tag == 1:
                    name = value.decode("utf-8", errors="replace")
                else:
                    beacon = value
            elif tag == 2:
                if p + 2 > len(block):
                    raise FormatError(f"{where}: truncated parameter 2")
                n_exp = block[p + 1]
                p += 2
            else:
                raise FormatError(f"{where}: unknown parameter {tag}")
        return cls(name, n_exp, beacon)
