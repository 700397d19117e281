"""Release hygiene: what leaves the key holder after decryption.

CKKS decryptions are approximate, and the low-order error they carry depends on the
secret key: SEAL's security note warns that sharing raw CKKS decryptions can leak it
(Li–Micciancio, 2021).  Before a CKKS aggregate leaves :meth:`KeyHolder.decrypt`,
every slot is *noise-flooded* with fresh uniform noise of one release quantum
(``10**-decimals``) and then rounded to that quantum.  The output is an unbiased,
randomized rounding of the value; its distance to the exact sum is below one quantum
plus the CKKS error, and the CKKS error (≈ 2^(20−scale_bits)) is at most ≈ 2^-4 of a
quantum by construction of :class:`HEParams`, so each released slot's dependence on the
error is correspondingly small.  This is a mitigation, not a proof: exact, verifiable
releases use BFV, which is the default for counts and sums.

Noise budgets are never computed or exposed by zkgate.
"""

from __future__ import annotations

import os

import numpy as np

from zkgate.he.presets import HEParams

__all__ = ["flood_and_round"]


def _uniform_centered(n: int) -> np.ndarray:
    """``n`` floats uniform in [-1/2, 1/2) from the operating system's CSPRNG."""
    raw = np.frombuffer(os.urandom(8 * n), dtype=np.uint64) >> np.uint64(11)  # 53 random bits
    return raw.astype(np.float64) / float(1 << 53) - 0.5


def flood_and_round(values: list[float], params: HEParams) -> list[float]:
    """Flood each value with one quantum of uniform noise, then round it to the quantum."""
    q = params.quantum
    v = np.asarray(values, dtype=np.float64)
    flooded = v + _uniform_centered(len(v)) * q
    rounded = np.round(flooded / q)
    return [round(float(x) * q, params.decimals) for x in rounded]
