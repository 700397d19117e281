"""snarkjs's QAP reduction: from a witness to the scalars of the H multi-exponentiation.

With n the domain size and the ``.zkey`` coefficient section (matrices A and B, including the
extra rows for the public inputs):

1. evaluate A·w and B·w on every row, and C·w as their element-wise product;
2. interpolate each (inverse NTT) and evaluate it on the odd coset g·H of the doubled domain,
   g the primitive 2n-th root of unity (:func:`zkgate.bn254.coset_ntt`'s default shift);
3. P = A'·B' − C' on that coset.  Z is the constant −2 there, which snarkjs folds into the
   key's H points, so P itself is the scalar vector of the H MSM.

The transforms are :mod:`zkgate.bn254.ntt`'s (native or reference by backend); the row
evaluation and the element-wise steps are the ``_qap`` kernels, with a pure-Python twin here.
"""

from __future__ import annotations

from zkgate import _native
from zkgate.bn254 import R_MOD, FrArray, coset_ntt, intt
from zkgate.prover.groth16.keys import ProvingKey
from zkgate.prover.formats.curve_points import fr_from_r2_words


def _evaluate_rows_reference(pk: ProvingKey, witness: list[int]) -> tuple[list[int], list[int]]:
    n = pk.domain_size
    a, b = [0] * n, [0] * n
    for entry in pk.coefficients:
        value = fr_from_r2_words(entry["value"]) * witness[int(entry["signal"])] % R_MOD
        target = a if entry["matrix"] == 0 else b
        row = int(entry["constraint"])
        target[row] = (target[row] + value) % R_MOD
    return a, b


def h_scalars(pk: ProvingKey, witness: FrArray, threads: int | None = None) -> FrArray:
    """The H MSM scalars for a witness (plain form)."""
    if _native.BACKEND != "native":
        a, b = _evaluate_rows_reference(pk, witness.to_ints())
        c = [x * y % R_MOD for x, y in zip(a, b)]
        a, b, c = (coset_ntt(intt(v)) for v in (a, b, c))
        return FrArray.from_ints((x * y - z) % R_MOD for x, y, z in zip(a, b, c))
    from zkgate._native import _qap

    a_rows, b_rows = _qap.evaluate_ab(pk.coefficients, witness.plain().limbs, pk.domain_size)
    c_rows = _qap.mul(a_rows, b_rows)
    a, b, c = (
        coset_ntt(intt(FrArray(rows, True, check=False), threads=threads), threads=threads)
        for rows in (a_rows, b_rows, c_rows)
    )
    return FrArray(_qap.mul_sub(a.limbs, b.limbs, c.limbs), True, check=False).plain()
