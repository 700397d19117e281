"""Groth16 keys and proofs as typed, frozen dataclasses.

Points use the plain shapes of :mod:`zkgate.bn254` (G1 ``(x, y)``, G2
``((x0, x1), (y0, y1))``, ``None`` for infinity).  The large point sections of a proving key
stay packed: numpy ``uint64`` arrays in the ``.zkey``'s own layout (affine, Montgomery form,
little endian; 8 words per G1 point, 16 per G2 point), never one Python object per point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zkgate.bn254 import G1Point, G2Point

COEFFICIENT_DTYPE = np.dtype(
    [("matrix", "<u4"), ("constraint", "<u4"), ("signal", "<u4"), ("value", "<u8", (4,))]
)
"""One entry of a ``.zkey`` coefficient section: matrix (0 = A, 1 = B), row, wire, c*R^2 mod r."""


@dataclass(frozen=True)
class VerifyingKey:
    """A Groth16 verifying key (snarkjs ``verification_key.json``)."""

    n_public: int
    alpha1: G1Point
    beta2: G2Point
    gamma2: G2Point
    delta2: G2Point
    ic: tuple[G1Point, ...]  # n_public + 1 points
    curve: str = "bn128"
    protocol: str = "groth16"


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof (snarkjs ``proof.json``): A, C in G1 and B in G2."""

    a: G1Point
    b: G2Point
    c: G1Point
    curve: str = "bn128"
    protocol: str = "groth16"


@dataclass(frozen=True, eq=False)
class ProvingKey:
    """A Groth16 proving key as a ``.zkey`` holds it (sections kept packed).

    ``coefficients`` holds matrices A and B of the QAP, including the ``n_public + 1`` extra
    rows snarkjs adds for the public inputs; C's evaluations are derived as A∘B.
    ``h_points`` are the odd-indexed points of the size-2n Lagrange basis (snarkjs evaluates
    H on the odd coset of the doubled domain).
    """

    n_vars: int
    n_public: int
    domain_size: int
    alpha1: G1Point
    beta1: G1Point
    beta2: G2Point
    gamma2: G2Point
    delta1: G1Point
    delta2: G2Point
    ic: tuple[G1Point, ...]
    coefficients: np.ndarray = field(repr=False)  # COEFFICIENT_DTYPE
    a_points: np.ndarray = field(repr=False)  # (n_vars, 8) uint64
    b1_points: np.ndarray = field(repr=False)  # (n_vars, 8)
    b2_points: np.ndarray = field(repr=False)  # (n_vars, 16)
    c_points: np.ndarray = field(repr=False)  # (n_vars - n_public - 1, 8)
    h_points: np.ndarray = field(repr=False)  # (domain_size, 8)
    contributions: bytes = field(default=b"", repr=False)  # section 10, kept verbatim

    @property
    def verifying_key(self) -> VerifyingKey:
        return VerifyingKey(
            n_public=self.n_public,
            alpha1=self.alpha1,
            beta2=self.beta2,
            gamma2=self.gamma2,
            delta2=self.delta2,
            ic=self.ic,
        )

    @property
    def domain_log(self) -> int:
        return self.domain_size.bit_length() - 1
