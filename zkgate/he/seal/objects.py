"""SEAL's ``DynArray``, ``Modulus``, ``EncryptionParameters``, ``Ciphertext`` and ``SecretKey``.

Member layouts (SEAL 4.x, all little-endian; TenSEAL 0.3.18 writes version 4.3):

* ``DynArray<uint64>``: a nested SEAL object (own header, never compressed) holding
  ``size`` (u64) then ``size`` u64 values;
* ``Modulus``: a nested SEAL object holding its ``value`` (u64);
* ``EncryptionParameters``: ``scheme`` (u8: 1 BFV, 2 CKKS, 3 BGV), ``poly_modulus_degree``
  (u64), ``coeff_modulus_size`` (u64), that many ``Modulus`` objects, the plain ``Modulus``;
* ``Ciphertext``: ``parms_id`` (4 × u64), ``is_ntt_form`` (u8), ``size``,
  ``poly_modulus_degree``, ``coeff_modulus_size`` (u64 each), ``scale`` (f64),
  ``correction_factor`` (u64, SEAL 4), then the ``DynArray`` of
  ``size × coeff_modulus_size × poly_modulus_degree`` values — polynomial-major, then prime,
  then coefficient.  (A *seeded* ciphertext stores only half of that plus a PRNG seed; TenSEAL
  never produces one for public-key encryption and this reader refuses it.)
* ``PublicKey``: saved as its ``Ciphertext`` (two polynomials at the *key* level, NTT form);
* ``SecretKey``: saved as a ``Plaintext``: ``parms_id`` (4 × u64), ``coeff_count`` (u64),
  ``scale`` (f64), then the ``DynArray`` (``coeff_modulus_size × n`` values, NTT form at the
  key level).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from zkgate.he.errors import EnvelopeFormatError
from zkgate.he.seal.header import COMPR_NONE, HEADER_SIZE, read_object, split_object, write_object

__all__ = ["Ciphertext", "EncryptionParameters", "SecretKey", "read_dynarray", "write_dynarray"]

_U64 = struct.Struct("<Q")
_CT_META = struct.Struct("<32sBQQQdQ")
_PT_META = struct.Struct("<32sQd")
_MAX_DEGREE = 32768
_MAX_PRIMES = 64


def read_dynarray(data: bytes, offset: int, count: int, what: str) -> tuple[np.ndarray, int]:
    """A nested ``DynArray<uint64>`` that must hold exactly ``count`` values."""
    blob, end = split_object(data, offset, what)
    members = blob[HEADER_SIZE:]
    if len(members) < 8:
        raise EnvelopeFormatError(f"{what}: DynArray too short")
    (size,) = _U64.unpack_from(members)
    if size != count or len(members) != 8 + 8 * count:
        raise EnvelopeFormatError(f"{what}: expected {count} values, the DynArray holds {size}")
    return np.frombuffer(members, dtype="<u8", count=count, offset=8).astype(np.uint64), end


def write_dynarray(values: np.ndarray, version: tuple[int, int] = (4, 1)) -> bytes:
    """A nested ``DynArray<uint64>``; SEAL refuses a nested object of another version than its parent's."""
    flat = np.ascontiguousarray(values, dtype="<u8").reshape(-1)
    return write_object(_U64.pack(flat.size) + flat.tobytes(), COMPR_NONE, version)


def _read_modulus(data: bytes, offset: int, what: str) -> tuple[int, int]:
    blob, end = split_object(data, offset, what)
    if len(blob) != HEADER_SIZE + 8:
        raise EnvelopeFormatError(f"{what}: a Modulus holds one u64")
    return _U64.unpack_from(blob, HEADER_SIZE)[0], end


@dataclass(frozen=True)
class EncryptionParameters:
    scheme: int
    poly_modulus_degree: int
    coeff_modulus: tuple[int, ...]
    plain_modulus: int

    SCHEME_BFV = 1

    @classmethod
    def from_bytes(cls, data: bytes) -> EncryptionParameters:
        what = "SEAL encryption parameters"
        _, m = read_object(data, 1 << 16, what)
        if len(m) < 17:
            raise EnvelopeFormatError(f"{what}: too short")
        scheme = m[0]
        n, k = struct.unpack_from("<QQ", m, 1)
        if not 0 < k <= _MAX_PRIMES or not 0 < n <= _MAX_DEGREE:
            raise EnvelopeFormatError(f"{what}: implausible degree {n} or prime count {k}")
        offset, primes = 17, []
        for _ in range(k):
            value, offset = _read_modulus(m, offset, what)
            primes.append(value)
        plain, offset = _read_modulus(m, offset, what)
        if offset != len(m):
            raise EnvelopeFormatError(f"{what}: trailing bytes")
        return cls(scheme, n, tuple(primes), plain)


def _check_meta(parms_id: bytes, size: int, n: int, k: int, what: str) -> None:
    if not 0 < n <= _MAX_DEGREE or n & (n - 1) or not 0 < k <= _MAX_PRIMES or not 0 < size <= 16:
        raise EnvelopeFormatError(f"{what}: implausible shape (size {size}, degree {n}, primes {k})")


@dataclass(frozen=True, eq=False)
class Ciphertext:
    """A SEAL ciphertext (or public key): ``data`` is ``(size, coeff_modulus_size, n)`` uint64."""

    parms_id: bytes
    is_ntt_form: bool
    data: np.ndarray
    scale: float = 1.0
    correction_factor: int = 1
    version: tuple[int, int] = (4, 1)

    @property
    def size(self) -> int:
        return int(self.data.shape[0])

    @property
    def coeff_modulus_size(self) -> int:
        return int(self.data.shape[1])

    @property
    def poly_modulus_degree(self) -> int:
        return int(self.data.shape[2])

    @staticmethod
    def members_bound(n: int, k: int, size: int = 2) -> int:
        """Exact member size of an unseeded ciphertext of this shape (the decompression bound)."""
        return _CT_META.size + HEADER_SIZE + 8 + 8 * size * n * k

    @classmethod
    def from_bytes(cls, data: bytes, *, n: int, k: int, size: int = 2, what: str = "SEAL ciphertext") -> Ciphertext:
        """Parse a ciphertext whose shape must be ``size × k × n`` (a bounded read)."""
        header, m = read_object(data, cls.members_bound(n, k, size), what)
        if len(m) < _CT_META.size:
            raise EnvelopeFormatError(f"{what}: too short")
        parms_id, ntt, got_size, got_n, got_k, scale, corr = _CT_META.unpack_from(m)
        _check_meta(parms_id, got_size, got_n, got_k, what)
        if (got_size, got_n, got_k) != (size, n, k):
            raise EnvelopeFormatError(
                f"{what}: shape {got_size}×{got_k}×{got_n}, expected {size}×{k}×{n} (seeded or foreign ciphertext?)"
            )
        if ntt not in (0, 1):
            raise EnvelopeFormatError(f"{what}: is_ntt_form byte is {ntt}")
        values, end = read_dynarray(m, _CT_META.size, size * k * n, what)
        if end != len(m):
            raise EnvelopeFormatError(f"{what}: trailing bytes after the ciphertext data")
        return cls(parms_id, bool(ntt), values.reshape(size, k, n), scale, corr, (header.version_major, header.version_minor))

    def to_bytes(self, compr_mode: int = COMPR_NONE) -> bytes:
        size, k, n = self.data.shape
        meta = _CT_META.pack(self.parms_id, int(self.is_ntt_form), size, n, k, self.scale, self.correction_factor)
        return write_object(meta + write_dynarray(self.data, self.version), compr_mode, self.version)


@dataclass(frozen=True, eq=False)
class SecretKey:
    """A SEAL secret key: ``data`` is ``(coeff_modulus_size, n)`` uint64 in NTT form (key level)."""

    parms_id: bytes
    data: np.ndarray
    scale: float = 1.0

    @classmethod
    def from_bytes(cls, data: bytes, *, n: int, k: int, what: str = "SEAL secret key") -> SecretKey:
        _, m = read_object(data, _PT_META.size + HEADER_SIZE + 8 + 8 * n * k, what)
        if len(m) < _PT_META.size:
            raise EnvelopeFormatError(f"{what}: too short")
        parms_id, count, scale = _PT_META.unpack_from(m)
        if count != n * k:
            raise EnvelopeFormatError(f"{what}: {count} coefficients, expected {n * k}")
        values, end = read_dynarray(m, _PT_META.size, n * k, what)
        if end != len(m):
            raise EnvelopeFormatError(f"{what}: trailing bytes after the key data")
        return cls(parms_id, values.reshape(k, n), scale)
