"""Phase-2 contribution records of a Groth16 ``.zkey`` (section 10), as snarkjs writes them.

Section 10: the 64-byte circuit hash (BLAKE2b-512), u32 count, then per contribution:
deltaAfter (G1), g1_s (G1), g1_sx (G1), g2_spx (G2) -- Montgomery affine, as in the
point sections -- the 64-byte transcript, u32 type (0 contribution, 1 beacon) and a
parameter block (u32 length; then tag 1 name: u8 length + UTF-8 (at most 64 characters),
tag 2 numIterationsExp: u8, tag 3 beacon hash: u8 length + bytes).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import numpy as np

from zkgate.bn254 import G1Point, G2Point
from zkgate.errors import FormatError
from zkgate.prover.points import FIELD_BYTES, g1_from_words, g1_to_bytes, g2_from_words, g2_to_bytes

DEV_NAME = "zkgate DEV-ONLY setup: NOT a ceremony, toxic waste was not destroyed by any party"
"""Name of the contribution record a dev setup writes; keys carrying it are refused outside dev mode."""


def g1_uncompressed(point: G1Point) -> bytes:
    """ffjavascript's ``toRprUncompressed``: x, y big endian (zeros for infinity)."""
    if point is None:
        return bytes(2 * FIELD_BYTES)
    return point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def g2_uncompressed(point: G2Point) -> bytes:
    """x.c1, x.c0, y.c1, y.c0, each big endian (zeros for infinity)."""
    if point is None:
        return bytes(4 * FIELD_BYTES)
    (x0, x1), (y0, y1) = point
    return b"".join(v.to_bytes(32, "big") for v in (x1, x0, y1, y0))


def rows_uncompressed(rows: np.ndarray, group: int) -> bytes:
    """Packed Montgomery rows to ffjavascript's uncompressed bytes (``batchLEMtoU``)."""
    from zkgate.bn254.arrays import from_montgomery
    from zkgate.bn254 import Q_MOD

    if len(rows) == 0:
        return b""
    plain = from_montgomery(np.array(rows, dtype=np.uint64, order="C"), Q_MOD)
    coord = 32 if group == 1 else 64
    return plain.astype("<u8").view(np.uint8).reshape(-1, coord)[:, ::-1].tobytes()


def blake2b512() -> "hashlib._Hash":
    return hashlib.blake2b(digest_size=64)


@dataclass(frozen=True)
class Contribution:
    """One phase-2 contribution (snarkjs's ``mpcParams.contributions[i]``)."""

    delta_after: G1Point
    g1_s: G1Point
    g1_sx: G1Point
    g2_spx: G2Point
    transcript: bytes
    type: int = 0  # 0: contribution, 1: beacon
    name: str = ""
    num_iterations_exp: int = 0
    beacon_hash: bytes = b""

    def hash_into(self, hasher) -> None:
        """snarkjs's ``hashPubKey``."""
        hasher.update(g1_uncompressed(self.delta_after))
        hasher.update(g1_uncompressed(self.g1_s))
        hasher.update(g1_uncompressed(self.g1_sx))
        hasher.update(g2_uncompressed(self.g2_spx))
        hasher.update(self.transcript)

    def contribution_hash(self) -> bytes:
        h = blake2b512()
        self.hash_into(h)
        return h.digest()

    @property
    def is_dev(self) -> bool:
        return self.name.startswith("zkgate DEV-ONLY")


@dataclass(frozen=True)
class MpcParams:
    cs_hash: bytes
    contributions: tuple[Contribution, ...] = ()

    @property
    def is_dev(self) -> bool:
        return any(c.is_dev for c in self.contributions)


def _params_block(c: Contribution) -> bytes:
    params = bytearray()
    if c.name:
        # snarkjs: name.substring(0, 64) (UTF-16 units; the same for BMP text), UTF-8 encoded
        data = c.name[:64].encode("utf-8")
        params += bytes([1, len(data)]) + data
    if c.type == 1:
        params += bytes([2, c.num_iterations_exp, 3, len(c.beacon_hash)]) + c.beacon_hash
    return struct.pack("<I", len(params)) + bytes(params)


def encode_mpc_params(params: MpcParams) -> bytes:
    out = bytearray(params.cs_hash) + struct.pack("<I", len(params.contributions))
    for c in params.contributions:
        out += g1_to_bytes(c.delta_after) + g1_to_bytes(c.g1_s) + g1_to_bytes(c.g1_sx) + g2_to_bytes(c.g2_spx)
        out += c.transcript + struct.pack("<I", c.type) + _params_block(c)
    return bytes(out)


def decode_mpc_params(data: bytes, where: str = "section 10") -> MpcParams:
    """Parse section 10; raise FormatError naming ``where`` when malformed."""
    view = memoryview(bytes(data))
    pos = 0

    def take(n: int, what: str) -> memoryview:
        nonlocal pos
        if pos + n > len(view):
            raise FormatError(f"{where}: truncated while reading {what}")
        chunk = view[pos : pos + n]
        pos += n
        return chunk

    def g1(what: str) -> G1Point:
        return g1_from_words(np.frombuffer(take(64, what), dtype="<u8"), f"{where} {what}")

    def g2(what: str) -> G2Point:
        return g2_from_words(np.frombuffer(take(128, what), dtype="<u8"), f"{where} {what}")

    cs_hash = bytes(take(64, "circuit hash"))
    (count,) = struct.unpack("<I", take(4, "contribution count"))
    contributions = []
    for i in range(count):
        what = f"contribution #{i + 1}"
        delta_after, g1_s, g1_sx, g2_spx = g1(what + " deltaAfter"), g1(what + " g1_s"), g1(what + " g1_sx"), g2(what + " g2_spx")
        transcript = bytes(take(64, what + " transcript"))
        (ctype,) = struct.unpack("<I", take(4, what + " type"))
        (plen,) = struct.unpack("<I", take(4, what + " parameter length"))
        block = bytes(take(plen, what + " parameters"))
        name, n_exp, beacon = "", 0, b""
        p, last = 0, 0
        while p < len(block):
            tag = block[p]
            if tag <= last:
                raise FormatError(f"{where}: {what}: parameters are not sorted")
            last = tag
            if tag in (1, 3):
                if p + 2 > len(block) or p + 2 + block[p + 1] > len(block):
                    raise FormatError(f"{where}: {what}: truncated parameter {tag}")
                value = block[p + 2 : p + 2 + block[p + 1]]
                p += 2 + block[p + 1]
                if tag == 1:
                    name = value.decode("utf-8", errors="replace")
                else:
                    beacon = value
            elif tag == 2:
                if p + 2 > len(block):
                    raise FormatError(f"{where}: {what}: truncated parameter 2")
                n_exp = block[p + 1]
                p += 2
            else:
                raise FormatError(f"{where}: {what}: unknown parameter {tag}")
        contributions.append(Contribution(delta_after, g1_s, g1_sx, g2_spx, transcript, ctype, name, n_exp, beacon))
    if pos != len(view):
        raise FormatError(f"{where}: {len(view) - pos} unexpected trailing bytes")
    return MpcParams(cs_hash, tuple(contributions))
