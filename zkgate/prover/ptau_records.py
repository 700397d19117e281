"""Phase-1 contribution records (``.ptau`` section 7), as snarkjs 0.7.6 writes them.

Section 7: u32 count, then per contribution (points affine Montgomery, as in the point
sections):

* tauG1 (G1), tauG2 (G2), alphaG1 (G1), betaG1 (G1), betaG2 (G2): the second power of tau /
  first alpha, beta points of the file right after this contribution;
* the public key: tau.g1_s, tau.g1_sx, alpha.g1_s, alpha.g1_sx, beta.g1_s, beta.g1_sx (G1),
  tau.g2_spx, alpha.g2_spx, beta.g2_spx (G2);
* the 216-byte partial hash of the response (:mod:`zkgate.prover.blake2b`);
* the 64-byte next challenge hash; u32 type (0 contribution, 1 beacon);
* a parameter block (u32 length; tag 1 name: u8 length + UTF-8 (at most 64 characters),
  tag 2 numIterationsExp: u8, tag 3 beacon hash: u8 length + bytes), as in a ``.zkey``.

The response hash of a record is the partial hash finished with the public key in
uncompressed form (BLAKE2b over previous challenge || compressed points || key).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from zkgate.bn254 import G1Point, G2Point
from zkgate.errors import FormatError
from zkgate.prover.blake2b import PARTIAL_BYTES, finish_partial
from zkgate.prover.points import g1_from_words, g1_to_bytes, g2_from_words, g2_to_bytes
from zkgate.prover.zkeyrecords import g1_uncompressed, g2_uncompressed

KEY_NAMES = ("tau", "alpha", "beta")


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


def _params_block(c: PtauContribution) -> bytes:
    params = bytearray()
    if c.name:
        data = c.name[:64].encode("utf-8")
        params += bytes([1, len(data)]) + data
    if c.type == 1:
        params += bytes([2, c.num_iterations_exp, 3, len(c.beacon_hash)]) + c.beacon_hash
    return struct.pack("<I", len(params)) + bytes(params)


def encode_contributions(contributions) -> bytes:
    """The payload of section 7."""
    out = bytearray(struct.pack("<I", len(contributions)))
    for c in contributions:
        out += g1_to_bytes(c.tau_g1) + g2_to_bytes(c.tau_g2) + g1_to_bytes(c.alpha_g1) + g1_to_bytes(c.beta_g1)
        out += g2_to_bytes(c.beta_g2) + c.key.montgomery() + c.partial_hash + c.next_challenge
        out += struct.pack("<I", c.type) + _params_block(c)
    return bytes(out)


def decode_contributions(data, where: str = "section 7 (contributions)") -> tuple[PtauContribution, ...]:
    """Parse section 7; raise FormatError naming ``where`` and the field when malformed
    (points off the curve included)."""
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
        return g1_from_words(np.frombuffer(take(64, what), dtype="<u8"), f"{where}: {what}")

    def g2(what: str) -> G2Point:
        return g2_from_words(np.frombuffer(take(128, what), dtype="<u8"), f"{where}: {what}")

    (count,) = struct.unpack("<I", take(4, "contribution count"))
    out = []
    for i in range(count):
        w = f"contribution #{i + 1}"
        tau_g1, tau_g2 = g1(w + " tauG1"), g2(w + " tauG2")
        alpha_g1, beta_g1, beta_g2 = g1(w + " alphaG1"), g1(w + " betaG1"), g2(w + " betaG2")
        g1s = [g1(f"{w} {k}.{f}") for k in KEY_NAMES for f in ("g1_s", "g1_sx")]
        g2s = [g2(f"{w} {k}.g2_spx") for k in KEY_NAMES]
        key = PtauKey(*(PublicKey(g1s[2 * j], g1s[2 * j + 1], g2s[j]) for j in range(3)))
        partial = bytes(take(PARTIAL_BYTES, w + " partial hash"))
        next_challenge = bytes(take(64, w + " next challenge"))
        (ctype,) = struct.unpack("<I", take(4, w + " type"))
        (plen,) = struct.unpack("<I", take(4, w + " parameter length"))
        block = bytes(take(plen, w + " parameters"))
        name, n_exp, beacon = "", 0, b""
        p, last = 0, 0
        while p < len(block):
            tag = block[p]
            if tag <= last:
                raise FormatError(f"{where}: {w}: parameters are not sorted")
            last = tag
            if tag in (1, 3):
                if p + 2 > len(block) or p + 2 + block[p + 1] > len(block):
                    raise FormatError(f"{where}: {w}: truncated parameter {tag}")
                value = block[p + 2 : p + 2 + block[p + 1]]
                p += 2 + block[p + 1]
                if tag == 1:
                    name = value.decode("utf-8", errors="replace")
                else:
                    beacon = value
            elif tag == 2:
                if p + 2 > len(block):
                    raise FormatError(f"{where}: {w}: truncated parameter 2")
                n_exp = block[p + 1]
                p += 2
            else:
                raise FormatError(f"{where}: {w}: unknown parameter {tag}")
        out.append(PtauContribution(tau_g1, tau_g2, alpha_g1, beta_g1, beta_g2, key, partial, next_challenge,
                                    ctype, name, n_exp, beacon))
    if pos != len(view):
        raise FormatError(f"{where}: {len(view) - pos} unexpected trailing bytes")
    return tuple(out)
