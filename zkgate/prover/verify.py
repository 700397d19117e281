"""Groth16 verification, hardened.

``verify(vk, public, proof)`` returns True or False for a well-formed proof and raises a
specific error for malformed input:

* every public input is an int with 0 <= x < r (never reduced mod r), and there are exactly
  ``vk.n_public`` of them;
* proof points have coordinates below q, lie on the curve, are not the point at infinity, and
  B lies in the order-r subgroup G2;
* a verifying key whose gamma2 equals delta2 (a key nobody contributed to in phase 2: anyone
  could forge proofs) or whose points are invalid is refused.

The check is e(A, B) = e(alpha, beta) * e(L, gamma) * e(C, delta) with
L = IC[0] + sum x_i * IC[i]: three Miller loops on the prepared key (e(alpha, beta) is
precomputed) and one final exponentiation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkgate import bn254
from zkgate.bn254.pairing import final_exponentiation, miller_loop
from zkgate.bn254.tower import FQ12_ONE, Fq12, fq12_mul
from zkgate.errors import InvalidInputError
from zkgate.prover.keys import Proof, VerifyingKey


class InsecureKeyError(InvalidInputError):
    """A verifying key that must not be trusted (e.g. gamma2 == delta2)."""


@dataclass(frozen=True)
class PreparedVerifyingKey:
    """A validated verifying key with e(alpha, beta) precomputed."""

    vk: VerifyingKey
    alphabeta: Fq12


def prepare_verifying_key(vk: VerifyingKey) -> PreparedVerifyingKey:
    """Validate every point of ``vk`` and precompute e(alpha, beta)."""
    if not isinstance(vk, VerifyingKey):
        raise InvalidInputError(f"expected a VerifyingKey, got {type(vk).__name__}")
    if len(vk.ic) != vk.n_public + 1:
        raise InvalidInputError(f"verifying key has {len(vk.ic)} IC points for {vk.n_public} public inputs")
    for name in ("alpha1",):
        if bn254.check_g1(getattr(vk, name), f"verifying key {name}") is None:
            raise InvalidInputError(f"verifying key {name} is the point at infinity")
    for name in ("beta2", "gamma2", "delta2"):
        if bn254.check_g2(getattr(vk, name), f"verifying key {name}") is None:
            raise InvalidInputError(f"verifying key {name} is the point at infinity")
    for i, point in enumerate(vk.ic):
        bn254.check_g1(point, f"verifying key IC[{i}]")
    if vk.gamma2 == vk.delta2:
        raise InsecureKeyError(
            "verifying key has gamma2 == delta2: the key had no phase-2 contribution and proofs "
            "for it can be forged; run a phase-2 ceremony (zkgate zkey contribute) first"
        )
    return PreparedVerifyingKey(vk=vk, alphabeta=bn254.pairing(vk.alpha1, vk.beta2))


def check_public_inputs(vk: VerifyingKey, public: Sequence[int]) -> list[int]:
    """Validate count and range of the public inputs (never reduced mod r)."""
    values = list(public)
    if len(values) != vk.n_public:
        raise InvalidInputError(f"expected {vk.n_public} public inputs, got {len(values)}")
    for i, value in enumerate(values):
        bn254.check_element(value, bn254.R_MOD, f"public input {i}")
    return values


def check_proof(proof: Proof) -> Proof:
    """Validate the points of a proof: on the curve, not infinity, B in G2."""
    if not isinstance(proof, Proof):
        raise InvalidInputError(f"expected a Proof, got {type(proof).__name__}")
    for name, point in (("A", proof.a), ("C", proof.c)):
        if point is None:
            raise InvalidInputError(f"proof point {name} is the point at infinity")
        bn254.check_g1(point, f"proof point {name}")
    if proof.b is None:
        raise InvalidInputError("proof point B is the point at infinity")
    bn254.check_g2(proof.b, "proof point B")
    return proof


def public_input_commitment(vk: VerifyingKey, public: Sequence[int]) -> bn254.G1Point:
    """L = IC[0] + sum_i public[i] * IC[i + 1]."""
    return bn254.msm_g1(list(vk.ic), [1, *public])


def verify_prepared(pvk: PreparedVerifyingKey, public: Sequence[int], proof: Proof) -> bool:
    vk = pvk.vk
    values = check_public_inputs(vk, public)
    check_proof(proof)
    commitment = public_input_commitment(vk, values)
    f = FQ12_ONE
    for p, q in ((bn254.g1_neg(proof.a), proof.b), (commitment, vk.gamma2), (proof.c, vk.delta2)):
        f = fq12_mul(f, miller_loop(p, q))
    return fq12_mul(final_exponentiation(f), pvk.alphabeta) == FQ12_ONE


def verify(vk: VerifyingKey | PreparedVerifyingKey, public: Sequence[int], proof: Proof) -> bool:
    """Verify a Groth16 proof; False for a false proof, an error for malformed input."""
    pvk = vk if isinstance(vk, PreparedVerifyingKey) else prepare_verifying_key(vk)
    return verify_prepared(pvk, public, proof)
