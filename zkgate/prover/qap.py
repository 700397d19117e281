"""snarkjs's QAP reduction: from a witness to the scalars of the H multi-exponentiation.

With n the domain size and the ``.zkey`` coefficient section (matrices A and B, including the
extra rows for the public inputs):

1. evaluate A·w and B·w on every row, and C·w as their element-wise product;
2. interpolate each (inverse NTT) and evaluate it on the odd coset g·H of the doubled domain,
   g the primitive 2n-th root of unity (coefficient i scaled by g^i, then a forward NTT);
3. P = A'·B' − C' on that coset.  Z is the constant −2 there, which snarkjs folds into the
   key's H points, so P itself is the scalar vector of the H MSM.

``h_scalars`` runs on the native kernels; ``h_scalars_reference`` is its pure-Python twin.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


from zkgate.bn254 import R_MOD, fr_root_of_unity
from zkgate.prover.keys import ProvingKey
from zkgate.prover.points import fr_from_r2_words


def _ntt_reference(values: list[int], root: int) -> list[int]:
    """Evaluate the polynomial with coefficients ``values`` at root^0..root^(n-1)."""
    n = len(values)
    out = list(values)
    j = 0
    for i in range(1, n):  # bit-reversal permutation
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            out[i], out[j] = out[j], out[i]
    length = 2
    while length <= n:
        step = pow(root, n // length, R_MOD)
        half = length // 2
        twiddles = [1] * half
        for k in range(1, half):
            twiddles[k] = twiddles[k - 1] * step % R_MOD
        for start in range(0, n, length):
            for k in range(half):
                u = out[start + k]
                v = out[start + k + half] * twiddles[k] % R_MOD
                out[start + k] = (u + v) % R_MOD
                out[start + k + half] = (u - v) % R_MOD
        length <<= 1
    return out


def _to_odd_coset_reference(evaluations: list[int], log_n: int) -> list[int]:
    n = len(evaluations)
    omega = fr_root_of_unity(log_n)
    n_inv = pow(n, -1, R_MOD)
    coefficients = [v * n_inv % R_MOD for v in _ntt_reference(evaluations, pow(omega, -1, R_MOD))]
    shift = fr_root_of_unity(log_n + 1)
    power = 1
    for i in range(n):
        coefficients[i] = coefficients[i] * power % R_MOD
        power = power * shift % R_MOD
    return _ntt_reference(coefficients, omega)


def h_scalars_reference(pk: ProvingKey, witness: Sequence[int]) -> list[int]:
    """The H MSM scalars on the pure-Python backend (plain ints)."""
    n = pk.domain_size
    a, b = [0] * n, [0] * n
    for entry in pk.coefficients:
        value = fr_from_r2_words(entry["value"]) * witness[int(entry["signal"])] % R_MOD
        target = a if entry["matrix"] == 0 else b
        row = int(entry["constraint"])
        target[row] = (target[row] + value) % R_MOD
    c = [x * y % R_MOD for x, y in zip(a, b)]
    a_odd, b_odd, c_odd = (_to_odd_coset_reference(v, pk.domain_log) for v in (a, b, c))
    return [(x * y - z) % R_MOD for x, y, z in zip(a_odd, b_odd, c_odd)]


def h_scalars(pk: ProvingKey, witness_limbs: np.ndarray, threads: int) -> np.ndarray:
    """The H MSM scalars on the native kernels: an ``(n, 4)`` array of plain limbs."""
    from zkgate._native import _field, _ntt, _qap

    a, b = _qap.evaluate_ab(pk.coefficients, witness_limbs, pk.domain_size)
    c = _qap.mul(a, b)
    shift = _field.to_montgomery(_field.ints_to_limbs([fr_root_of_unity(pk.domain_log + 1)]), True)[0]
    for values in (a, b, c):
        _ntt.ntt_inplace(values, inverse=True, nthreads=threads)
        _ntt.ntt_inplace(values, shift=shift, nthreads=threads)
    _qap.mul_sub(a, b, c)
    return _field.from_montgomery(a, True)


