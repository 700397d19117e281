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
precomputed, beta, gamma and delta are prepared once) and one final exponentiation, run by
:mod:`zkgate.bn254.packed` on packed rows (compiled, or its pure-Python twin); L is an MSM.  :func:`prepare_verifying_key` results are
cached per key, so ``verify(vk, ...)`` in a loop prepares once.  Batches of proofs under one
key: :mod:`zkgate.prover.groth16.batch`.  Not constant-time (verification handles public data).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zkgate import bn254
from zkgate.bn254 import packed
from zkgate.bn254.arrays import FrArray, G1Affine, G2Affine
from zkgate.bn254.curve import G2
from zkgate.bn254.pairing import fq12_to_limbs, g2_in_subgroup
from zkgate.bn254.tower import Fq12, fq12_conj
from zkgate.errors import InvalidInputError, NotOnCurveError
from zkgate.prover.groth16.keys import Proof, VerifyingKey


class InsecureKeyError(InvalidInputError):
    """A verifying key that must not be trusted (e.g. gamma2 == delta2)."""


@dataclass(frozen=True, eq=False)
class PackedVerifyingKey:
    """The packed form of a prepared key for :mod:`zkgate.bn254.packed`."""

    ic: Any  # (n_public + 1, 8) uint64 Montgomery rows
    alpha: Any  # (1, 8)
    prepared: Any  # 3 prepared G2 rows (packed.prepare_g2_rows): beta2, gamma2, delta2
    target: Any  # 48 limbs: e(alpha, beta)^-1


@dataclass(frozen=True)
class PreparedVerifyingKey:
    """A validated verifying key with e(alpha, beta) precomputed."""

    vk: VerifyingKey
    alphabeta: Fq12
    packed_key: PackedVerifyingKey = field(compare=False, repr=False)


def check_g2_point(point, what: str):
    """Range, curve and subgroup checks of a G2 point (the fast psi-based subgroup test);
    same errors as :func:`zkgate.bn254.check_g2`."""
    if point is None:
        return None
    (x0, x1), (y0, y1) = point
    for name, value in (("x0", x0), ("x1", x1), ("y0", y0), ("y1", y1)):
        bn254.check_element(value, bn254.Q_MOD, f"{what}.{name}")
    if not G2.is_on_curve(point):
        raise NotOnCurveError(f"{what} is not on the BN254 twist")
    if not g2_in_subgroup(point):
        raise NotOnCurveError(f"{what} is on the twist but not in the order-r subgroup G2")
    return point


def _packed_key(vk: VerifyingKey, alphabeta: Fq12) -> PackedVerifyingKey:
    return PackedVerifyingKey(
        ic=G1Affine.from_ints(list(vk.ic)).limbs,
        alpha=G1Affine.from_ints([vk.alpha1]).limbs,
        prepared=packed.prepare_g2_rows(G2Affine.from_ints([vk.beta2, vk.gamma2, vk.delta2]).limbs),
        target=fq12_to_limbs(fq12_conj(alphabeta)),
    )


@functools.lru_cache(maxsize=32)
def _prepare_cached(vk: VerifyingKey) -> PreparedVerifyingKey:
    if len(vk.ic) != vk.n_public + 1:
        raise InvalidInputError(f"verifying key has {len(vk.ic)} IC points for {vk.n_public} public inputs")
    for name in ("alpha1",):
        if bn254.check_g1(getattr(vk, name), f"verifying key {name}") is None:
            raise InvalidInputError(f"verifying key {name} is the point at infinity")
    for name in ("beta2", "gamma2", "delta2"):
        if check_g2_point(getattr(vk, name), f"verifying key {name}") is None:
            raise InvalidInputError(f"verifying key {name} is the point at infinity")
    for i, point in enumerate(vk.ic):
        bn254.check_g1(point, f"verifying key IC[{i}]")
    if vk.gamma2 == vk.delta2:
        raise InsecureKeyError(
            "verifying key has gamma2 == delta2: the key had no phase-2 contribution and proofs "
            "for it can be forged; run a phase-2 ceremony (zkgate zkey contribute) first"
        )
    alphabeta = bn254.pairing(vk.alpha1, vk.beta2)
    return PreparedVerifyingKey(vk=vk, alphabeta=alphabeta, packed_key=_packed_key(vk, alphabeta))


def prepare_verifying_key(vk: VerifyingKey) -> PreparedVerifyingKey:
    """Validate every point of ``vk`` and precompute e(alpha, beta) and the packed key
    (prepared beta2, gamma2, delta2).  Cached per key."""
    if not isinstance(vk, VerifyingKey):
        raise InvalidInputError(f"expected a VerifyingKey, got {type(vk).__name__}")
    try:
        return _prepare_cached(vk)
    except TypeError:  # unhashable field values (e.g. lists): prepare without the cache
        return _prepare_cached.__wrapped__(vk)


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
    check_g2_point(proof.b, "proof point B")
    return proof


def public_input_commitment(vk: VerifyingKey, public: Sequence[int]) -> bn254.G1Point:
    """L = IC[0] + sum_i public[i] * IC[i + 1]."""
    return bn254.msm_g1(list(vk.ic), [1, *public])


def _verify_packed(pvk: PreparedVerifyingKey, values: list[int], proof: Proof) -> bool:
    nk = pvk.packed_key
    q = bn254.Q_MOD
    # one thread: an OpenMP region costs more than this small MSM (milliseconds on a busy machine)
    commitment = packed.msm_rows(nk.ic, FrArray.from_ints([1, *values]).limbs, 1, 1)
    points = G1Affine.from_ints([(proof.a[0], (q - proof.a[1]) % q), proof.c]).limbs
    b_prep = packed.prepare_g2_rows(G2Affine.from_ints([proof.b]).limbs)
    if not commitment.any():  # L at infinity: e(L, gamma) = 1
        rows, prep = points, np.concatenate([b_prep, nk.prepared[2:3]])
    else:
        rows = np.concatenate([points[:1], commitment.reshape(1, 8), points[1:]])
        prep = np.concatenate([b_prep, nk.prepared[1:3]])
    return packed.product_equals(rows, prep, nk.target)


def verify_prepared(pvk: PreparedVerifyingKey, public: Sequence[int], proof: Proof) -> bool:
    vk = pvk.vk
    values = check_public_inputs(vk, public)
    check_proof(proof)
    return _verify_packed(pvk, values, proof)


def verify(vk: VerifyingKey | PreparedVerifyingKey, public: Sequence[int], proof: Proof) -> bool:
    """Verify a Groth16 proof; False for a false proof, an error for malformed input."""
    pvk = vk if isinstance(vk, PreparedVerifyingKey) else prepare_verifying_key(vk)
    return verify_prepared(pvk, public, proof)
