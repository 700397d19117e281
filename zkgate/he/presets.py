"""HE parameter sets: typed parameters, the 128-bit security table and named presets.

The HE standard (homomorphicencryption.org, 2018; the table SEAL enforces as ``tc128``)
bounds the total coefficient-modulus bits for 128-bit classical security of RLWE with a
ternary secret.  Every preset stays inside those bounds; parameters outside them are
refused unless the caller opts out explicitly, and the opt-out is recorded in the
parameters themselves (so it shows in the fingerprint, the public context and every
envelope).

BFV presets use a *batching* plain modulus: a prime ``t ≡ 1 (mod 2N)``, so that one
ciphertext holds ``N`` independent integer slots, sized to the declared sum bound
(``(t − 1)/2 > 2**sum_bits``, since TenSEAL decodes BFV slots centred).
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import msgpack

from zkgate.errors import InvalidInputError
from zkgate.he.errors import EnvelopeFormatError, InsecureParametersError

__all__ = [
    "HEParams",
    "MAX_COEFF_BITS_128",
    "PRESETS",
    "batching_prime",
    "bfv_preset",
    "ckks_preset",
    "get_preset",
]

_log = logging.getLogger(__name__)

#: Largest total coefficient-modulus bit count per polynomial degree for 128-bit classical
#: security (HE standard, ternary secret; identical to SEAL's ``CoeffModulus::MaxBitCount``).
MAX_COEFF_BITS_128: dict[int, int] = {
    1024: 27,
    2048: 54,
    4096: 109,
    8192: 218,
    16384: 438,
    32768: 881,
}

# SEAL's BFVDefault coefficient moduli at 128 bits (each list sums to the bound above).
_BFV_COEFF_BITS: dict[int, tuple[int, ...]] = {
    4096: (36, 36, 37),
    8192: (43, 43, 44, 44, 44),
    16384: (48, 48, 48, 49, 49, 49, 49, 49, 49),
}
_BFV_DEFAULT_SUM_BITS: dict[int, int] = {4096: 38, 8192: 48, 16384: 58}

# CKKS: special prime + data primes; additions only, so no rescaling level is consumed.
_CKKS_COEFF_BITS: dict[int, tuple[int, ...]] = {
    8192: (60, 40, 40, 60),
    16384: (60, 50, 50, 50, 60),
}
_CKKS_SCALE_BITS: dict[int, int] = {8192: 40, 16384: 50}
_CKKS_DECIMALS: dict[int, int] = {8192: 4, 16384: 6}

_MAX_PLAIN_BITS = 60  # SEAL's limit on the plain modulus
_MIN_PLAIN_BITS = 17


@dataclass(frozen=True)
class HEParams:
    """Encryption parameters of one study.

    ``plain_modulus`` is used by BFV only; ``scale_bits`` and ``decimals`` (the release
    precision, a quantum of ``10**-decimals``) by CKKS only.  ``insecure_opt_out`` records
    that the caller accepted parameters outside the 128-bit bounds.
    """

    scheme: Literal["bfv", "ckks"]
    poly_modulus_degree: int
    coeff_mod_bit_sizes: tuple[int, ...]
    plain_modulus: int = 0
    scale_bits: int = 0
    decimals: int = 0
    insecure_opt_out: bool = False
    name: str = field(default="custom", compare=False)

    def __post_init__(self) -> None:
        if self.scheme not in ("bfv", "ckks"):
            raise InvalidInputError(f"scheme must be 'bfv' or 'ckks', got {self.scheme!r}")
        n = self.poly_modulus_degree
        if type(n) is not int or n < 1024 or n > 32768 or n & (n - 1):
            raise InvalidInputError(f"poly_modulus_degree must be a power of two in [1024, 32768], got {n!r}")
        bits = self.coeff_mod_bit_sizes
        if not isinstance(bits, tuple) or not bits or any(type(b) is not int or not 1 <= b <= 60 for b in bits):
            raise InvalidInputError(f"coeff_mod_bit_sizes must be a non-empty tuple of ints in [1, 60], got {bits!r}")
        if len(bits) < 2:
            raise InvalidInputError("coeff_mod_bit_sizes needs at least two primes (data + special)")
        if self.scheme == "bfv":
            t = self.plain_modulus
            if type(t) is not int or not _MIN_PLAIN_BITS <= t.bit_length() <= _MAX_PLAIN_BITS:
                raise InvalidInputError(
                    f"BFV plain_modulus must be an int of {_MIN_PLAIN_BITS}..{_MAX_PLAIN_BITS} bits, got {t!r}"
                )
            if t % (2 * n) != 1 or not _is_prime(t):
                raise InvalidInputError(f"BFV plain_modulus {t} is not a batching prime (prime, = 1 mod {2 * n})")
            if self.scale_bits or self.decimals:
                raise InvalidInputError("scale_bits and decimals apply to CKKS only")
        else:
            if self.plain_modulus:
                raise InvalidInputError("plain_modulus applies to BFV only")
            if type(self.scale_bits) is not int or not 20 <= self.scale_bits <= 60:
                raise InvalidInputError(f"CKKS scale_bits must be in [20, 60], got {self.scale_bits!r}")
            if self.scale_bits > min(bits[:-1]):
                raise InvalidInputError("CKKS scale_bits exceeds the smallest data prime")
            if type(self.decimals) is not int or not 0 <= self.decimals <= 12:
                raise InvalidInputError(f"CKKS decimals must be in [0, 12], got {self.decimals!r}")
            # The release quantum must dominate the CKKS error (about 2**(20 - scale_bits)).
            if 10.0 ** -self.decimals < 2.0 ** (24 - self.scale_bits):
                raise InvalidInputError(
                    f"CKKS decimals={self.decimals} asks for more precision than scale 2^{self.scale_bits} gives; "
                    f"use at most {math.floor((self.scale_bits - 24) * math.log10(2))} decimals"
                )
        if type(self.insecure_opt_out) is not bool:
            raise InvalidInputError("insecure_opt_out must be a bool")
        if not self.insecure_opt_out and not self.is_128_bit_secure:
            raise InsecureParametersError(self.security_message())

    # -- derived quantities -------------------------------------------------------------
    @property
    def total_coeff_bits(self) -> int:
        return sum(self.coeff_mod_bit_sizes)

    @property
    def is_128_bit_secure(self) -> bool:
        bound = MAX_COEFF_BITS_128.get(self.poly_modulus_degree)
        return bound is not None and self.total_coeff_bits <= bound

    def security_message(self) -> str:
        bound = MAX_COEFF_BITS_128.get(self.poly_modulus_degree, 0)
        return (
            f"{self.scheme.upper()} parameters with N={self.poly_modulus_degree} and "
            f"{self.total_coeff_bits} coefficient-modulus bits exceed the HE standard's 128-bit bound "
            f"of {bound} bits by {self.total_coeff_bits - bound}; use a preset, a larger degree, or "
            f"pass allow_insecure=True to opt out explicitly (the opt-out is recorded)"
        )

    @property
    def slot_count(self) -> int:
        """Independent slots in one ciphertext."""
        return self.poly_modulus_degree if self.scheme == "bfv" else self.poly_modulus_degree // 2

    @property
    def data_primes(self) -> int:
        """Primes a fresh ciphertext carries (all but the special key-switching prime)."""
        return len(self.coeff_mod_bit_sizes) - 1

    @property
    def safe_bound(self) -> int:
        """BFV: the largest magnitude a slot sum may reach and still decode, ``(t − 1)/2``."""
        if self.scheme != "bfv":
            raise InvalidInputError("safe_bound is defined for BFV only")
        return (self.plain_modulus - 1) // 2

    @property
    def quantum(self) -> float:
        """CKKS release precision: outputs are multiples of ``10**-decimals``."""
        return 10.0 ** -self.decimals

    @property
    def scale(self) -> float:
        return float(2**self.scale_bits)

    def ciphertext_bound(self) -> int:
        """Upper bound on one serialized fresh ciphertext (compression may only shrink it)."""
        raw = 2 * self.poly_modulus_degree * self.data_primes * 8
        return raw + raw // 128 + 4096

    def context_bound(self) -> int:
        """Upper bound on a serialized context holding a public key and possibly a secret key."""
        key = 2 * self.poly_modulus_degree * len(self.coeff_mod_bit_sizes) * 8
        return 2 * (key + key // 128) + 65536

    # -- encoding and fingerprint ----------------------------------------------------------
    def to_obj(self) -> dict:
        return {
            "scheme": self.scheme,
            "n": self.poly_modulus_degree,
            "coeff": list(self.coeff_mod_bit_sizes),
            "t": self.plain_modulus,
            "scale_bits": self.scale_bits,
            "decimals": self.decimals,
            "insecure": self.insecure_opt_out,
        }

    @classmethod
    def from_obj(cls, obj: object) -> HEParams:
        if not isinstance(obj, dict) or list(obj) != ["scheme", "n", "coeff", "t", "scale_bits", "decimals", "insecure"]:
            raise EnvelopeFormatError("HE parameters: expected a map with keys scheme, n, coeff, t, scale_bits, decimals, insecure")
        coeff = obj["coeff"]
        if not isinstance(coeff, list) or len(coeff) > 64:
            raise EnvelopeFormatError("HE parameters: coeff must be a list of at most 64 ints")
        for key in ("n", "t", "scale_bits", "decimals"):
            if type(obj[key]) is not int:
                raise EnvelopeFormatError(f"HE parameters: {key} must be an int")
        if type(obj["insecure"]) is not bool or type(obj["scheme"]) is not str:
            raise EnvelopeFormatError("HE parameters: scheme must be a str and insecure a bool")
        try:
            params = cls(
                scheme=obj["scheme"],  # type: ignore[arg-type]
                poly_modulus_degree=obj["n"],
                coeff_mod_bit_sizes=tuple(coeff),
                plain_modulus=obj["t"],
                scale_bits=obj["scale_bits"],
                decimals=obj["decimals"],
                insecure_opt_out=obj["insecure"],
            )
        except InsecureParametersError:
            raise
        except InvalidInputError as exc:
            raise EnvelopeFormatError(f"HE parameters: {exc}") from exc
        # the encoding carries no name: a decoded preset gets its name back (equality ignores it)
        return next((preset for preset in PRESETS.values() if preset == params), params)

    def fingerprint(self) -> bytes:
        """SHA-256 over the canonical encoding: what envelopes declare as their parameters."""
        body = msgpack.packb(self.to_obj(), use_bin_type=True)
        return hashlib.sha256(b"zkgate.he.params.v1\x00" + body).digest()


# -- batching primes ---------------------------------------------------------------------------
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)  # deterministic below 3.3e24


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in _MR_BASES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def batching_prime(poly_modulus_degree: int, bits: int) -> int:
    """The largest prime ``t < 2**bits`` with ``t ≡ 1 (mod 2N)`` (as SEAL's ``PlainModulus::Batching``)."""
    if not _MIN_PLAIN_BITS <= bits <= _MAX_PLAIN_BITS:
        raise InvalidInputError(f"plain modulus bits must be in [{_MIN_PLAIN_BITS}, {_MAX_PLAIN_BITS}], got {bits}")
    step = 2 * poly_modulus_degree
    candidate = ((2**bits - 2) // step) * step + 1
    while candidate >= 2 ** (bits - 1):
        if _is_prime(candidate):
            return candidate
        candidate -= step
    raise InvalidInputError(f"no batching prime of {bits} bits for N={poly_modulus_degree}")


# -- presets -------------------------------------------------------------------------------------
def bfv_preset(poly_modulus_degree: int = 8192, sum_bits: int | None = None) -> HEParams:
    """BFV at 128 bits with a batching plain modulus able to hold any slot sum below ``2**sum_bits``."""
    if poly_modulus_degree not in _BFV_COEFF_BITS:
        raise InvalidInputError(f"BFV presets exist for N in {sorted(_BFV_COEFF_BITS)}, got {poly_modulus_degree}")
    if sum_bits is None:
        sum_bits = _BFV_DEFAULT_SUM_BITS[poly_modulus_degree]
    if type(sum_bits) is not int or not 8 <= sum_bits <= _MAX_PLAIN_BITS - 2:
        raise InvalidInputError(f"sum_bits must be an int in [8, {_MAX_PLAIN_BITS - 2}], got {sum_bits!r}")
    # (t - 1)/2 >= 2**(bits - 2) > 2**sum_bits needs bits = sum_bits + 2 (t has exactly `bits` bits).
    bits = max(sum_bits + 2, _MIN_PLAIN_BITS)
    return HEParams(
        scheme="bfv",
        poly_modulus_degree=poly_modulus_degree,
        coeff_mod_bit_sizes=_BFV_COEFF_BITS[poly_modulus_degree],
        plain_modulus=batching_prime(poly_modulus_degree, bits),
        name=f"bfv-{poly_modulus_degree}",
    )


def ckks_preset(poly_modulus_degree: int = 8192, decimals: int | None = None) -> HEParams:
    """CKKS at 128 bits for real vectors, released rounded to ``decimals`` decimal places."""
    if poly_modulus_degree not in _CKKS_COEFF_BITS:
        raise InvalidInputError(f"CKKS presets exist for N in {sorted(_CKKS_COEFF_BITS)}, got {poly_modulus_degree}")
    return HEParams(
        scheme="ckks",
        poly_modulus_degree=poly_modulus_degree,
        coeff_mod_bit_sizes=_CKKS_COEFF_BITS[poly_modulus_degree],
        scale_bits=_CKKS_SCALE_BITS[poly_modulus_degree],
        decimals=_CKKS_DECIMALS[poly_modulus_degree] if decimals is None else decimals,
        name=f"ckks-{poly_modulus_degree}",
    )


PRESETS: dict[str, HEParams] = {
    "bfv-4096": bfv_preset(4096),
    "bfv-8192": bfv_preset(8192),
    "bfv-16384": bfv_preset(16384),
    "ckks-8192": ckks_preset(8192),
    "ckks-16384": ckks_preset(16384),
}


def get_preset(preset: str | HEParams) -> HEParams:
    """Resolve a preset name (``"bfv-8192"`` ...) or pass :class:`HEParams` through."""
    if isinstance(preset, HEParams):
        if preset.insecure_opt_out:
            _log.warning("zkgate.he: using parameters outside the 128-bit bounds (opt-out recorded): %s",
                         preset.security_message())
        return preset
    if isinstance(preset, str) and preset in PRESETS:
        return PRESETS[preset]
    raise InvalidInputError(f"unknown HE preset {preset!r}; choose one of {sorted(PRESETS)} or pass HEParams")
