"""Phase-1 contribution records (``.ptau`` section 7), as snarkjs 0.7.6 writes them.

Section 7: u32 count, then per contribution (points affine Montgomery, as in the point
sections):

* tauG1 (G1), tauG2 (G2), alphaG1 (G1), betaG1 (G1), betaG2 (G2): the second power of tau /
  first alpha, beta points of the file right after this contribution;
* the public key: tau.g1_s, tau.g1_sx, alpha.g1_s, alpha.g1_sx, beta.g1_s, beta.g1_sx (G1),
  tau.g2_spx, alpha.g2_spx, beta.g2_spx (G2);
* the 216-byte partial hash of the response (:mod:`zkgate.prover.ceremony.blake2b`);
* the 64-byte next challenge hash; u32 type (0 contribution, 1 beacon);
* a parameter block (u32 length; tag 1 name: u8 length + UTF-8 (at most 64 characters),
  tag 2 numIterationsExp: u8, tag 3 beacon hash: u8 length + bytes), as in a ``.zkey``.

The response hash of a record is the partial hash finished with the public key in
uncompressed form (BLAKE2b over previous challenge || compressed points || key).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from zkgate.bn254 import G1Point, G2Point
from zkgate.prover.ceremony.blake2b import PARTIAL_BYTES, finish_partial
from zkgate.prover.formats.contribution_records import ContributionParams, RecordReader
from zkgate.prover.formats.curve_points import g1_to_bytes, g2_to_bytes
from zkgate.prover.formats.zkey_records import g1_uncompressed, g2_uncompressed

KEY_NAMES = ("tau", "alpha", "beta")
MIN_RECORD_BYTES = 9 * 64 + 5 * 128 + PARTIAL_BYTES + 64 + 4 + 4
"""The smallest record: nine G1 and five G2 points, the partial and next-challenge hashes, the
type and an empty parameter block."""


@dataclass(frozen=True)
class PublicKey:
    """One secret's public key: g1_s, g1_sx = x*g1_s and g2_spx = x*hashToG2(...)."""

    g1_s: G1Point
    g1_sx: G1Point
    g2_spx: G2Point


@dataclass(frozen=True)
class PtauKey:
    """The public keys of tau, alpha and beta."""

    tau: PublicKey
    alpha: PublicKey
    beta: PublicKey

    def parts(self) -> tuple[PublicKey, PublicKey, PublicKey]:
        return (self.tau, self.alpha, self.beta)

    def uncompressed(self) -> bytes:
        """snarkjs's ``toPtauPubKeyRpr(..., montgomery=false)``: what the response hash ends with."""
        g1 = b"".join(g1_uncompressed(p.g1_s) + g1_uncompressed(p.g1_sx) for p in self.parts())
        return g1 + b"".join(g2_uncompressed(p.g2_spx) for p in self.parts())

    def montgomery(self) -> bytes:
        g1 = b"".join(g1_to_bytes(p.g1_s) + g1_to_bytes(p.g1_sx) for p in self.parts())
        return g1 + b"".join(g2_to_bytes(p.g2_spx) for p in self.parts())


@dataclass(frozen=True)
class PtauContribution:
    """One phase-1 contribution (snarkjs's ``contributions[i]`` of a ``.ptau``)."""

    tau_g1: G1Point
    tau_g2: G2Point
    alpha_g1: G1Point
    beta_g1: G1Point
    beta_g2: G2Point
    key: PtauKey
    partial_hash: bytes
    next_challenge: bytes
    type: int = 0  # 0: contribution, 1: beacon
    name: str = ""
    num_iterations_exp: int = 0
    beacon_hash: bytes = b""

    def response_hash(self, where: str = "contribution") -> bytes:
        return finish_partial(self.partial_hash, self.key.uncompressed(), f"{where} partial hash")


def encode_contributions(contributions) -> bytes:
    """The payload of section 7."""
    out = bytearray(struct.pack("<I", len(contributions)))
    for c in contributions:
        out += g1_to_bytes(c.tau_g1) + g2_to_bytes(c.tau_g2) + g1_to_bytes(c.alpha_g1) + g1_to_bytes(c.beta_g1)
        out += g2_to_bytes(c.beta_g2) + c.key.montgomery() + c.partial_hash + c.next_challenge
        out += struct.pack("<I", c.type)
        out += ContributionParams.block(c.name, c.type, c.num_iterations_exp, c.beacon_hash)
    return bytes(out)


def decode_contributions(data, where: str = "section 7 (contributions)") -> tuple[PtauContribution, ...]:
    """Parse section 7; raise FormatError naming ``where`` and the field when malformed
    (points off the curve included)."""
    reader = RecordReader(data, where)
    g1, g2 = reader.g1, reader.g2
    count = reader.count("contribution count", MIN_RECORD_BYTES)
    out = []
    for i in range(count):
        w = f"contribution #{i + 1}"
        tau_g1, tau_g2 = g1(w + " tauG1"), g2(w + " tauG2")
        alpha_g1, beta_g1, beta_g2 = g1(w + " alphaG1"), g1(w + " betaG1"), g2(w + " betaG2")
        g1s = [g1(f"{w} {k}.{f}") for k in KEY_NAMES for f in ("g1_s", "g1_sx")]
        g2s = [g2(f"{w} {k}.g2_spx") for k in KEY_NAMES]
        key = PtauKey(*(PublicKey(g1s[2 * j], g1s[2 * j + 1], g2s[j]) for j in range(3)))
        partial = bytes(reader.take(PARTIAL_BYTES, w + " partial hash"))
        next_challenge = bytes(reader.take(64, w + " next challenge"))
        ctype = reader.u32(w + " type")
        params = reader.params(w)
        out.append(PtauContribution(tau_g1, tau_g2, alpha_g1, beta_g1, beta_g2, key, partial, next_challenge,
                                    ctype, params.name, params.num_iterations_exp, params.beacon_hash))
    reader.expect_end()
    return tuple(out)
