"""Groth16 proving with snarkjs's reduction.

``prove_with(pk, witness, r, s)`` is deterministic; ``prove`` draws r and s from the OS
CSPRNG and verifies the proof before returning it, so a witness that does not satisfy the
circuit is refused.  A witness is a sequence of ints or an :class:`~zkgate.bn254.FrArray`
(e.g. straight from a ``.wtns`` file, with no per-element Python work).  On the native backend
the key's point sections go to the MSM kernels as the packed arrays they are; on the
pure-Python backend the reference twins do the same work.

    A  = alpha1 + sum w_i A_i + r delta1
    B  = beta2  + sum w_i B2_i + s delta2        (B1 likewise in G1, with beta1 and delta1)
    C  = sum_{private} w_i C_i + sum_j h_j H_j + s A + r B1 - r s delta1
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

from zkgate import bn254
from zkgate.binfile import release_pages
from zkgate.bn254 import FrArray, G1Affine, G2Affine
from zkgate.errors import ConstraintError, InvalidInputError
from zkgate.prover.groth16.keys import Proof, ProvingKey
from zkgate.prover.groth16.qap import h_scalars
from zkgate.prover.groth16.verify import verify

Witness = Sequence[int] | FrArray


def check_witness_shape(pk: ProvingKey, witness: Witness) -> FrArray:
    """Refuse a witness of the wrong length, without the constant 1, or with values >= r."""
    if isinstance(witness, FrArray):
        try:
            array = FrArray(witness.plain().limbs, check=True)
        except InvalidInputError as exc:
            raise InvalidInputError("a witness value is outside [0, r)") from exc
    else:
        for i, value in enumerate(witness):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < bn254.R_MOD:
                raise InvalidInputError(f"witness value {i} ({value!r}) is not an int in [0, r)")
        array = FrArray.from_ints(witness)
    if len(array) != pk.n_vars:
        raise InvalidInputError(f"witness has {len(array)} values, the key needs {pk.n_vars}")
    if len(array) == 0 or array.limbs[0].tolist() != [1, 0, 0, 0]:
        raise ConstraintError("witness[0] must be 1 (the constant wire)")
    return array


def _sum_g1(*points: bn254.G1Point) -> bn254.G1Point:
    total = None
    for point in points:
        total = bn254.g1_add(total, point)
    return total


def _sum_g2(*points: bn254.G2Point) -> bn254.G2Point:
    total = None
    for point in points:
        total = bn254.g2_add(total, point)
    return total


ProgressCallback = Callable[[str], None]
"""Receives the name of each proving step as it starts (for progress displays)."""


def _msms(pk: ProvingKey, w: FrArray, step: ProgressCallback, low_memory: bool = False):
    """The five MSMs of a proof; packed key sections go to the kernels as they are.

    ``low_memory``: once a memory-mapped section has been used, drop its pages, so that the
    process holds one key section at a time (a one-shot prover's peak RSS; a prover that
    reuses the key reads the pages back from the page cache on its next proof)."""
    def done(section) -> None:
        if low_memory:
            release_pages(section)

    step("QAP: evaluate A, B, C and transform to the odd coset")
    h = h_scalars(pk, w)
    done(pk.coefficients)
    private = FrArray(w.limbs[pk.n_public + 1 :], check=False)
    results = []
    for name, points, scalars, msm, array in (
        ("MSM A (G1)", pk.a_points, w, bn254.msm_g1, G1Affine),
        ("MSM B (G2)", pk.b2_points, w, bn254.msm_g2, G2Affine),
        ("MSM B (G1)", pk.b1_points, w, bn254.msm_g1, G1Affine),
        ("MSM C (G1)", pk.c_points, private, bn254.msm_g1, G1Affine),
        ("MSM H (G1)", pk.h_points, h, bn254.msm_g1, G1Affine),
    ):
        step(name)
        results.append(msm(array(points, check=False), scalars))
        done(points)
    return tuple(results)


def _no_progress(_: str) -> None:
    pass


def prove_with(pk: ProvingKey, witness: Witness, r: int, s: int, step: ProgressCallback = _no_progress,
               low_memory: bool = False) -> Proof:
    """A Groth16 proof with the given blinding scalars r and s (deterministic)."""
    values = check_witness_shape(pk, witness)
    r, s = r % bn254.R_MOD, s % bn254.R_MOD
    a_sum, b2_sum, b1_sum, c_sum, h_sum = _msms(pk, values, step, low_memory)
    a = _sum_g1(pk.alpha1, a_sum, bn254.g1_mul(pk.delta1, r))
    b = _sum_g2(pk.beta2, b2_sum, bn254.g2_mul(pk.delta2, s))
    b1 = _sum_g1(pk.beta1, b1_sum, bn254.g1_mul(pk.delta1, s))
    c = _sum_g1(
        c_sum,
        h_sum,
        bn254.g1_mul(a, s),
        bn254.g1_mul(b1, r),
        bn254.g1_neg(bn254.g1_mul(pk.delta1, r * s % bn254.R_MOD)),
    )
    return Proof(a=a, b=b, c=c)


def public_signals(pk: ProvingKey, witness: Witness) -> list[int]:
    """The public signals of a witness (wires 1..nPublic), as snarkjs writes public.json."""
    if isinstance(witness, FrArray):
        return FrArray(witness.plain().limbs[1 : pk.n_public + 1], check=False).to_ints()
    return [int(v) for v in witness[1 : pk.n_public + 1]]


def prove(
    pk: ProvingKey, witness: Witness, check: bool = True, step: ProgressCallback = _no_progress,
    low_memory: bool = False,
) -> tuple[Proof, list[int]]:
    """A Groth16 proof with r and s from the OS CSPRNG, and the public signals.

    With ``check`` (the default) the proof is verified before it is returned: a witness that
    does not satisfy the circuit raises ConstraintError instead of yielding an invalid proof.
    (Naming the failing constraint needs the circuit's R1CS: see ``zkgate wtns check``.)
    ``low_memory``: see :func:`_msms` (the CLI's one-shot prover sets it).
    """
    r, s = secrets.randbelow(bn254.R_MOD - 1) + 1, secrets.randbelow(bn254.R_MOD - 1) + 1
    proof = prove_with(pk, witness, r, s, step, low_memory)
    public = public_signals(pk, witness)
    if check:
        step("self-verification")
    if check and not verify(pk.verifying_key, public, proof):
        raise ConstraintError(
            "the witness does not satisfy the circuit: the proof failed self-verification "
            "(run `zkgate wtns check CIRCUIT.r1cs WITNESS.wtns` to find the first failing constraint)"
        )
    return proof, public
