"""snarkjs's QAP reduction: from a witness to the scalars of the H multi-exponentiation.

With n the domain size and the ``.zkey`` coefficient section (matrices A and B, including the
extra rows for the public inputs):

1. evaluate A·w and B·w on every row, and C·w as their element-wise product;
2. interpolate each (inverse NTT) and evaluate it on the odd coset g·H of the doubled domain,
   g the primitive 2n-th root of unity (:func:`zkgate.bn254.coset_ntt`'s default shift);
3. P = A'·B' − C' on that coset.  Z is the constant −2 there, which snarkjs folds into the
   key's H points, so P itself is the scalar vector of the H MSM.

The transforms are :mod:`zkgate.bn254.ntt`'s (native or reference by backend); the row
evaluation and the element-wise steps are :mod:`zkgate.kernels.qap`'s (native or twin, chosen once).
"""

from __future__ import annotations

from zkgate.bn254 import FrArray, coset_ntt, intt
from zkgate.kernels import qap as qap_kernels
from zkgate.prover.groth16.keys import ProvingKey


def h_scalars(pk: ProvingKey, witness: FrArray, threads: int | None = None) -> FrArray:
    """The H MSM scalars for a witness (plain form)."""
    a_rows, b_rows = qap_kernels.evaluate_ab(pk.coefficients, witness.plain().limbs, pk.domain_size)
    c_rows = qap_kernels.mul(a_rows, b_rows)
    a, b, c = (
        coset_ntt(intt(FrArray(rows, True, check=False), threads=threads), threads=threads)
        for rows in (a_rows, b_rows, c_rows)
    )
    return FrArray(qap_kernels.mul_sub(a.limbs, b.limbs, c.limbs), True, check=False).plain()
