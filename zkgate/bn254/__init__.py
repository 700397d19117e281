"""BN254 (snarkjs ``bn128``): fields, curve groups G1/G2 and multi-scalar multiplication.

The names exported here are zkgate's public BN254 API.  Points use plain Python shapes:
G1 ``(x, y)``, G2 ``((x0, x1), (y0, y1))`` with ``x = x0 + x1*u`` (py_ecc's order), and
``None`` for the point at infinity.  ``msm_g1`` / ``msm_g2`` dispatch to the compiled
kernels when :data:`BACKEND` is ``"native"`` (chosen once, in :mod:`zkgate.bn254.compiled`).
"""

from __future__ import annotations

from zkgate.bn254.arrays import FrArray, G1Affine, G2Affine
from zkgate.bn254.compiled import BACKEND
from zkgate.bn254.constants import (
    FR_TWO_ADICITY,
    G1_B,
    G1_GENERATOR,
    G2_B,
    G2_GENERATOR,
    Q_MOD,
    R_MOD,
)
from zkgate.bn254.curve import (
    G1,
    G2,
    G1Point,
    G2Point,
    g1_add,
    g1_double,
    g1_is_on_curve,
    g1_mul,
    g1_neg,
    g2_add,
    g2_double,
    g2_is_on_curve,
    g2_mul,
    g2_neg,
)
from zkgate.bn254.fields import (
    check_element,
    fq2_add,
    fq2_inv,
    fq2_mul,
    fq2_sqrt,
    fq2_sub,
    fq_sqrt,
    fr_root_of_unity,
    fr_sqrt,
    inverse,
)
from zkgate.bn254.msm import msm_g1, msm_g1_reference, msm_g2, msm_g2_reference
from zkgate.bn254.ntt import coset_intt, coset_ntt, intt, ntt
from zkgate.bn254.pairing import g2_in_subgroup, pairing, pairing_check, pairing_product
from zkgate.bn254.twist import BN_X
from zkgate.bn254.validation import check_g1, check_g2

__all__ = [
    "BACKEND", "FrArray", "G1Affine", "G2Affine", "ntt", "intt", "coset_ntt", "coset_intt",
    "BN_X", "pairing", "pairing_check", "pairing_product",
    "FR_TWO_ADICITY", "G1", "G1Point", "G1_B", "G1_GENERATOR", "G2", "G2Point", "G2_B",
    "G2_GENERATOR", "Q_MOD", "R_MOD", "check_element", "check_g1", "check_g2", "fq2_add",
    "fq2_inv", "fq2_mul", "fq2_sqrt", "fq2_sub", "fq_sqrt", "fr_root_of_unity", "fr_sqrt",
    "g1_add", "g1_double", "g1_is_on_curve", "g1_mul", "g1_neg", "g2_add", "g2_double",
    "g2_in_subgroup", "g2_is_on_curve", "g2_mul", "g2_neg", "inverse", "msm_g1",
    "msm_g1_reference", "msm_g2", "msm_g2_reference",
]
