"""zkgate.kernels.qap: the compiled QAP kernels against their pure-Python twins."""

from __future__ import annotations

import random

import numpy as np
from native_helpers import R_MOD, native_only

from zkgate.bn254.arrays import FrArray, ints_to_rows
from zkgate.kernels import qap
from zkgate.prover.groth16.keys import COEFFICIENT_DTYPE

pytestmark = native_only

RNG = random.Random(18)


def _coefficients(n_rows: int, n_vars: int, count: int) -> np.ndarray:
    table = np.zeros(count, dtype=COEFFICIENT_DTYPE)
    r2 = pow(1 << 256, 2, R_MOD)
    for i in range(count):
        table[i]["matrix"] = RNG.randrange(2)
        table[i]["constraint"] = RNG.randrange(n_rows)
        table[i]["signal"] = RNG.randrange(n_vars)
        table[i]["value"] = ints_to_rows([RNG.randrange(R_MOD) * r2 % R_MOD]).reshape(4)
    return table


def test_twins_match_compiled_kernels():
    n, n_vars = 16, 9
    table = _coefficients(n, n_vars, 40)
    witness = FrArray.from_ints([RNG.randrange(R_MOD) for _ in range(n_vars)]).limbs
    a, b = qap.evaluate_ab(table, witness, n)
    ta, tb = qap._evaluate_ab_twin(table, witness, n)
    assert np.array_equal(a, ta) and np.array_equal(b, tb)
    assert np.array_equal(qap.mul(a, b), qap._mul_twin(a, b))
    c = qap.mul(a, a)
    expected = qap._mul_sub_twin(a, b, c)  # first: the compiled mul_sub may write into a
    assert np.array_equal(qap.mul_sub(a.copy(), b, c), expected)
    assert FrArray(a, True, check=False).to_ints() != [0] * n  # the table is not trivial
