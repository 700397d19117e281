"""Hashes and keys of phase-1 contributions, as snarkjs 0.7.6 computes them.

* **Challenge hash** (what the next contributor signs): BLAKE2b-512 over the previous
  response hash and every point of sections 2-6 *uncompressed* (x, y big endian; G2 as
  x.c1, x.c0, y.c1, y.c0).  Before the first contribution, over BLAKE2b-512("") and the
  generators a ``new`` file holds (:func:`first_challenge_hash`).
* **Response hash**: BLAKE2b-512 over the challenge hash, every new point of sections 2-6
  *compressed* (x big endian, 0x80 on the first byte when y > (q-1)/2 -- for G2 the sign of
  y.c1, or of y.c0 when y.c1 = 0 --, 0x40 alone for infinity) and the public key
  uncompressed.  The state before the key is stored (:mod:`zkgate.prover.ceremony.blake2b`).
* **Key** (``createPTauKey``): tau, alpha, beta drawn with ``Fr.fromRng``, then for each a
  G1 point s, s*x and ``g2_sp = hashToG2(BLAKE2b-512(personalization byte (0 tau, 1 alpha,
  2 beta) || challenge || s || s*x))`` multiplied by x.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from zkgate.bn254 import G1_GENERATOR, G2_GENERATOR, Q_MOD, g1_mul, g2_mul
from zkgate.bn254.arrays import from_montgomery
from zkgate.prover.ceremony.chacha import ChaCha, hash_to_g2
from zkgate.prover.formats.ptau_records import PtauKey, PublicKey
from zkgate.prover.formats.zkey_records import g1_uncompressed, g2_uncompressed, rows_uncompressed

_HALF_Q = (Q_MOD - 1) // 2
_HALF_LIMBS = np.array([(_HALF_Q >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(4)], dtype=np.uint64)


def blake2b512(data: bytes = b""):
    return hashlib.blake2b(data, digest_size=64)


def first_challenge_hash(power: int) -> bytes:
    """snarkjs's ``calculateFirstChallengeHash``: the challenge of a fresh ``new`` file."""
    g1, g2 = g1_uncompressed(G1_GENERATOR), g2_uncompressed(G2_GENERATOR)
    h = blake2b512(blake2b512().digest())
    n = 1 << power
    for point, count in ((g1, 2 * n - 1), (g2, n), (g1, n), (g1, n)):
        block = point * min(count, 1 << 14)
        for start in range(0, count, 1 << 14):
            h.update(block[: len(point) * min(1 << 14, count - start)])
    h.update(g2)
    return h.digest()


def _greater_than_half(plain: np.ndarray) -> np.ndarray:
    """Row-wise ``value > (q-1)/2`` for plain ``(n, 4)`` limb rows."""
    result = np.zeros(len(plain), dtype=bool)
    decided = np.zeros(len(plain), dtype=bool)
    for i in (3, 2, 1, 0):
        gt = plain[:, i] > _HALF_LIMBS[i]
        lt = plain[:, i] < _HALF_LIMBS[i]
        result |= ~decided & gt
        decided |= gt | lt
    return result


def rows_compressed(rows: np.ndarray, group: int) -> bytes:
    """Packed Montgomery rows to ffjavascript's compressed bytes (``batchLEMtoC``)."""
    rows = np.array(rows, dtype=np.uint64, order="C")  # a writable copy (the kernels need one)
    n = len(rows)
    if n == 0:
        return b""
    coords = 2 if group == 1 else 4
    plain = from_montgomery(rows.reshape(-1, 4), Q_MOD).reshape(n, coords, 4)
    half = coords // 2  # x takes the first half of the coordinates, y the second
    x_bytes = plain[:, :half, :].astype("<u8").view(np.uint8).reshape(n, 32 * half)[:, ::-1].copy()
    if group == 1:
        negative = _greater_than_half(plain[:, 1, :])
    else:
        y1_zero = ~plain[:, 3, :].any(axis=1)
        negative = np.where(y1_zero, _greater_than_half(plain[:, 2, :]), _greater_than_half(plain[:, 3, :]))
    x_bytes[negative, 0] |= 0x80
    infinity = ~rows.any(axis=1)
    if infinity.any():
        x_bytes[infinity] = 0
        x_bytes[infinity, 0] = 0x40
    return x_bytes.tobytes()


def uncompressed(rows: np.ndarray, group: int) -> bytes:
    """Packed Montgomery rows to ffjavascript's uncompressed bytes (``batchLEMtoU``)."""
    return rows_uncompressed(rows, group)


@dataclass(frozen=True)
class PtauSecrets:
    """The toxic waste of one contribution (never written anywhere)."""

    tau: int
    alpha: int
    beta: int


def g2_sp(personalization: int, challenge: bytes, g1_s, g1_sx):
    """snarkjs's ``getG2sp``: the G2 point a key's G1 pair is checked against."""
    digest = blake2b512(bytes([personalization]) + challenge + g1_uncompressed(g1_s) + g1_uncompressed(g1_sx)).digest()
    return hash_to_g2(digest)


def create_ptau_key(rng: ChaCha, challenge: bytes) -> tuple[PtauSecrets, PtauKey]:
    """snarkjs's ``createPTauKey``: the secrets and public key drawn from ``rng``."""
    secrets = PtauSecrets(rng.fr(), rng.fr(), rng.fr())
    parts = []
    for personalization, x in enumerate((secrets.tau, secrets.alpha, secrets.beta)):
        s = rng.g1()
        sx = g1_mul(s, x)
        parts.append(PublicKey(s, sx, g2_mul(g2_sp(personalization, challenge, s, sx), x)))
    return secrets, PtauKey(*parts)
