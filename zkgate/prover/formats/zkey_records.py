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

from zkgate.bn254 import Q_MOD, G1Point, G2Point
from zkgate.bn254.arrays import from_montgomery
from zkgate.prover.formats.contribution_records import ContributionParams, RecordReader
from zkgate.prover.formats.curve_points import FIELD_BYTES, g1_to_bytes, g2_to_bytes

DEV_NAME = "zkgate DEV-ONLY setup: NOT a ceremony, toxic waste was not destroyed by any party"
"""Name of the contribution record a dev setup writes; keys carrying it are refused outside dev mode."""

MIN_RECORD_BYTES = 3 * 64 + 128 + 64 + 4 + 4
"""The smallest record: three G1 points and one G2 point, the transcript, the type and an
empty parameter block."""


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
    if len(rows) == 0:
        return b""
    plain = from_montgomery(np.array(rows, dtype=np.uint64, order="C"), Q_MOD)
    coord = 32 if group == 1 else 64
    return plain.astype("<u8").view(np.uint8).reshape(-1, coord)[:, ::-1].tobytes()


def blake2b512() -> hashlib._Hash:
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


def encode_mpc_params(params: MpcParams) -> bytes:
    out = bytearray(params.cs_hash) + struct.pack("<I", len(params.contributions))
    for c in params.contributions:
        out += g1_to_bytes(c.delta_after) + g1_to_bytes(c.g1_s) + g1_to_bytes(c.g1_sx) + g2_to_bytes(c.g2_spx)
        out += c.transcript + struct.pack("<I", c.type)
        out += ContributionParams.block(c.name, c.type, c.num_iterations_exp, c.beacon_hash)
    return bytes(out)


def decode_mpc_params(data: bytes, where: str = "section 10") -> MpcParams:
    """Parse section 10; raise FormatError naming ``where`` and the field when malformed."""
    reader = RecordReader(data, where)
    cs_hash = bytes(reader.take(64, "circuit hash"))
    count = reader.count("contribution count", MIN_RECORD_BYTES)
    contributions = []
    for i in range(count):
        what = f"contribution #{i + 1}"
        delta_after, g1_s = reader.g1(what + " deltaAfter"), reader.g1(what + " g1_s")
        g1_sx, g2_spx = reader.g1(what + " g1_sx"), reader.g2(what + " g2_spx")
        transcript = bytes(reader.take(64, what + " transcript"))
        ctype = reader.u32(what + " type")
        params = reader.params(what)
        contributions.append(Contribution(delta_after, g1_s, g1_sx, g2_spx, transcript, ctype, params.name,
                                          params.num_iterations_exp, params.beacon_hash))
    reader.expect_end()
    return MpcParams(cs_hash, tuple(contributions))
