"""snarkjs's circuit-hash quirk at a domain as large as the powers of tau, reproduced exactly.

``snarkjs groth16 setup`` (``newZKey``'s ``hashHPoints``) hashes the H points as
``tauG1[i + d] - tauG1[i]`` in chunks of 2^14 and never shortens the last chunk.  When the
domain d equals 2^power of the ``.ptau`` and d > 2^14, the last chunk needs ``tauG1[2d - 1]``,
which the file does not hold (tauG1 has 2d - 1 points): snarkjs reads the 64 bytes that follow
the tauG1 section in the file -- in every ``.ptau`` laid out in section order, section 3's
12-byte header and the first 52 bytes of tauG2[0] -- and hands them, as if they were a point in
Montgomery form, to wasmcurves' ``g1m_subAffine``, then ``g1m_batchToAffine`` and
``g1m_batchLEMtoU``.  Those bytes are not a curve point and their coordinates are not reduced
below q, so the result depends on the exact 256-bit word arithmetic of wasmcurves (its field
addition subtracts q once on a carry, its subtraction adds q once on a borrow, both modulo
2^256), not only on field arithmetic.  :func:`snarkjs_sub_affine` replays that arithmetic on
Python integers: ``snarkjs zkey verify`` then accepts zkgate's key, and zkgate's ``zkey verify``
accepts snarkjs's.

Only the bytes hashed for the circuit hash are affected; the key's H section (from the
Lagrange points) and its proofs are normal.
"""

from __future__ import annotations

from zkgate.bn254 import Q_MOD
from zkgate.errors import InvalidInputError

_WORD = 1 << 256
_MASK = _WORD - 1
_ONE = _WORD % Q_MOD  # 1 in Montgomery form
_R_INV = pow(_WORD, -1, Q_MOD)
_NEG_Q_INV = (-pow(Q_MOD, -1, _WORD)) % _WORD


class UnreproducibleQuirkError(InvalidInputError):
    """The bytes snarkjs would hash take a wasmcurves branch zkgate does not replay (a doubling,
    or a denominator congruent to zero); never seen with a real powers of tau."""


def _add(x: int, y: int) -> int:
    """wasmcurves ``f1m_add`` on raw words: on a carry subtract q (mod 2^256), else once if >= q."""
    s = x + y
    if s >> 256:
        return (s - Q_MOD) & _MASK
    return s - Q_MOD if s >= Q_MOD else s


def _sub(x: int, y: int) -> int:
    """wasmcurves ``f1m_sub``: on a borrow add q (mod 2^256)."""
    d = x - y
    return (d + _WORD + Q_MOD) & _MASK if d < 0 else d


def _mul(x: int, y: int) -> int:
    """wasmcurves ``f1m_mul`` / ``f1m_square``: Montgomery product T = (xy + Mq) / 2^256 with
    M = -xy/q mod 2^256 (T < 2^256 + q), minus q once when T >= q."""
    t = x * y
    big = (t + ((t * _NEG_Q_INV) & _MASK) * Q_MOD) >> 256
    return big - Q_MOD if big >= Q_MOD else big


def _value(raw: int) -> int:
    """``f1m_fromMontgomery`` (fully reduced): raw * 2^-256 mod q."""
    return raw * _R_INV % Q_MOD


def snarkjs_sub_affine(hi: bytes, lo: bytes) -> bytes:
    """``batchLEMtoU(batchToAffine(g1m_subAffine(hi, lo)))`` of wasmcurves for two 64-byte
    little-endian Montgomery (x, y) records, whatever they hold: the 64 uncompressed bytes
    (x then y, big endian; 64 zero bytes for the point at infinity) that snarkjs hashes."""
    if len(hi) != 64 or len(lo) != 64:
        raise InvalidInputError(f"snarkjs_sub_affine takes two 64-byte G1 records, got {len(hi)} and {len(lo)} bytes")
    x1, y1 = int.from_bytes(hi[:32], "little"), int.from_bytes(hi[32:], "little")
    x2, y2 = int.from_bytes(lo[:32], "little"), _sub(0, int.from_bytes(lo[32:], "little"))  # g1m_negAffine
    # g1m_addAffine(hi, -lo) into Jacobian (X, Y, Z)
    if x1 == 0 and y1 == 0:
        X, Y, Z = x2, y2, _ONE
    elif x2 == 0 and y2 == 0:
        X, Y, Z = x1, y1, _ONE
    elif x1 == x2 and y1 == y2:
        raise UnreproducibleQuirkError("the point read past tauG1 equals -tauG1[d-1]: snarkjs would double it")
    else:
        h = _sub(x2, x1)
        y2_minus_y1 = _sub(y2, y1)
        i = _add(_mul(h, h), _mul(h, h))
        i = _add(i, i)
        j = _mul(h, i)
        r = _add(y2_minus_y1, y2_minus_y1)
        v = _mul(x1, i)
        X = _sub(_sub(_mul(r, r), j), _add(v, v))
        y1_j2 = _mul(y1, j)
        y1_j2 = _add(y1_j2, y1_j2)
        Y = _sub(_mul(_sub(v, X), r), y1_j2)
        Z = _add(h, h)
    # g1m_batchToAffine: a raw zero Z gives (0, 0); every later step is a Montgomery product,
    # which keeps the value mod q, and fromMontgomery reduces fully.
    if Z == 0:
        return bytes(64)
    z = _value(Z)
    if z == 0:
        raise UnreproducibleQuirkError("the point read past tauG1 gives a Z congruent to zero")
    z_inv = pow(z, -1, Q_MOD)
    x = _value(X) * z_inv * z_inv % Q_MOD
    y = _value(Y) * z_inv * z_inv * z_inv % Q_MOD
    return x.to_bytes(32, "big") + y.to_bytes(32, "big")
