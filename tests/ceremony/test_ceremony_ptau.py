"""Powers of tau: `new` and `prepare phase2` byte-identical to snarkjs."""

from __future__ import annotations

import numpy as np
import pytest
from ceremony_fixture import ceremony, snarkjs, zkgate  # noqa: F401  (fixture)

from zkgate.bn254 import G1_GENERATOR, G2_GENERATOR, R_MOD, fr_root_of_unity, g1_mul, g2_mul
from zkgate.bn254.arrays import G1Affine, G2Affine
from zkgate.prover.ceremony import group_ops
from zkgate.prover.formats.ptau import new_ptau, read_ptau


def test_lagrange_kernel_matches_direct_evaluation():
    tau = 123456789
    n = 4
    powers = G1Affine.from_ints([g1_mul(G1_GENERATOR, pow(tau, j, R_MOD)) for j in range(n)]).limbs
    basis = G1Affine(group_ops.lagrange(powers, 1), check=False).to_ints()
    w = fr_root_of_unity(2)
    for i in range(n):
        others = [pow(w, j, R_MOD) for j in range(n) if j != i]
        value = 1
        for x in others:
            value = value * (tau - x) * pow(pow(w, i, R_MOD) - x, -1, R_MOD) % R_MOD
        assert basis[i] == g1_mul(G1_GENERATOR, value)
    g2_powers = G2Affine.from_ints([g2_mul(G2_GENERATOR, pow(tau, j, R_MOD)) for j in range(2)]).limbs
    g2_basis = G2Affine(group_ops.lagrange(g2_powers, 2), check=False).to_ints()
    half = pow(2, -1, R_MOD)
    assert g2_basis[0] == g2_mul(G2_GENERATOR, (1 + tau) * half % R_MOD)


def test_new_ptau_layout(tmp_path):
    new_ptau(3, tmp_path / "p.ptau")
    p = read_ptau(tmp_path / "p.ptau")
    assert p.power == 3 and not p.prepared
    assert np.all(p.points(2, 0, 15, 1) == G1Affine.from_ints([G1_GENERATOR]).limbs)


@pytest.mark.interop
def test_new_equals_snarkjs(tmp_path):
    zkgate("powersoftau", "new", "bn128", "4", "ours.ptau", cwd=tmp_path)
    snarkjs("powersoftau", "new", "bn128", "4", "theirs.ptau", cwd=tmp_path)
    assert (tmp_path / "ours.ptau").read_bytes() == (tmp_path / "theirs.ptau").read_bytes()


@pytest.mark.interop
@pytest.mark.slow  # pure-Python group FFT / setup at 2^6 take minutes
def test_prepare_phase2_equals_snarkjs(ceremony, tmp_path):
    zkgate("powersoftau", "prepare", "phase2", str(ceremony.ptau_raw), "ours.ptau", cwd=tmp_path)
    assert (tmp_path / "ours.ptau").read_bytes() == ceremony.ptau.read_bytes()
    out = snarkjs("powersoftau", "verify", "ours.ptau", cwd=tmp_path)
    assert "Powers of Tau Ok!" in out.stdout + out.stderr
