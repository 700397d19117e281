"""Batch Groth16 verification: random linear combination, bisection, malformed input.

Proofs come from a simulated key (tests/pairing/sim.py: a verifying key with a known trapdoor,
so valid proofs are cheap) and, in the interop test, from snarkjs's circuit fixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zkgate import _native, bn254
from zkgate.errors import InvalidInputError, NotOnCurveError
from zkgate.prover.groth16.batch import verify_batch, verify_batch_detailed
from zkgate.prover.groth16.keys import Proof
from zkgate.prover.groth16.verify import verify

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pairing"))
from sim import SimulatedKey  # noqa: E402

K = 8 if _native.BACKEND == "native" else 3


@pytest.fixture(scope="module")
def sim():
    return SimulatedKey(n_public=3, seed=42)


@pytest.fixture(scope="module")
def items(sim):
    return sim.items(K)


def broken(proof: Proof) -> Proof:
    return Proof(a=proof.a, b=proof.b, c=bn254.g1_add(proof.c, bn254.G1_GENERATOR))


class FixedWeights:
    """A deterministic 'rng' that always draws weight 1 (what a naive batch would do)."""

    def getrandbits(self, bits):
        return 1


def test_all_valid_batch_takes_one_equation(sim, items):
    assert all(verify(sim.vk, x, p) for x, p in items)
    results, checks = verify_batch_detailed(sim.vk, items)
    assert results == [True] * K and checks == 1
    assert verify_batch(sim.vk, []) == []
    assert verify_batch(sim.vk, items[:1]) == [True]


@pytest.mark.parametrize("position", range(K))
def test_one_bad_proof_at_any_position_is_named(sim, items, position):
    batch = list(items)
    x, p = batch[position]
    batch[position] = (x, broken(p))
    results = verify_batch(sim.vk, batch)
    assert results == [i != position for i in range(K)]


def test_wrong_public_input_and_several_bad_proofs(sim, items):
    batch = list(items)
    x, p = batch[0]
    batch[0] = ([(x[0] + 1) % bn254.R_MOD, *x[1:]], p)
    x, p = batch[-1]
    batch[-1] = (x, broken(p))
    expected = [False] + [True] * (K - 2) + [False]
    assert verify_batch(sim.vk, batch) == expected
    assert verify_batch(sim.vk, [(x, broken(p)) for x, p in items]) == [False] * K


def test_bad_proofs_crafted_to_cancel_under_fixed_weights_are_caught(sim, items):
    """C_0 + D and C_1 - D: the unweighted sum of the C's is unchanged, so a batch with fixed
    weights (all 1) accepts both forgeries; random weights reject and name them."""
    d = bn254.g1_mul(bn254.G1_GENERATOR, 987654321)
    batch = list(items)
    (x0, p0), (x1, p1) = batch[0], batch[1]
    batch[0] = (x0, Proof(a=p0.a, b=p0.b, c=bn254.g1_add(p0.c, d)))
    batch[1] = (x1, Proof(a=p1.a, b=p1.b, c=bn254.g1_add(p1.c, bn254.g1_neg(d))))
    assert not verify(sim.vk, *batch[0]) and not verify(sim.vk, *batch[1])
    fooled, checks = verify_batch_detailed(sim.vk, batch, rng=FixedWeights())
    assert fooled == [True] * K and checks == 1  # why the weights must be random
    assert verify_batch(sim.vk, batch) == [False, False] + [True] * (K - 2)


def test_malformed_items_raise_with_their_index(sim, items):
    x, p = items[1]
    with pytest.raises(InvalidInputError, match="batch item 1: .*outside"):
        verify_batch(sim.vk, [items[0], ([x[0] + bn254.R_MOD, *x[1:]], p)])
    with pytest.raises(InvalidInputError, match="batch item 1: expected 3 public inputs"):
        verify_batch(sim.vk, [items[0], (x[:2], p)])
    with pytest.raises(InvalidInputError, match="batch item 1: proof point C is the point at infinity"):
        verify_batch(sim.vk, [items[0], (x, Proof(a=p.a, b=p.b, c=None))])
    with pytest.raises(NotOnCurveError, match="batch item 1: proof point A"):
        verify_batch(sim.vk, [items[0], (x, Proof(a=(p.a[0], p.a[1] + 1), b=p.b, c=p.c))])
    with pytest.raises(InvalidInputError, match="batch item 0"):
        verify_batch(sim.vk, [(x, "not a proof")])


def test_b_outside_g2_is_refused(sim, items):
    from zkgate.bn254 import fields

    x0 = (3, 0)
    while True:
        y = fields.fq2_sqrt(fields.fq2_add(fields.fq2_mul(fields.fq2_sqr(x0), x0), bn254.G2_B))
        if y is not None:
            break
        x0 = (x0[0] + 1, 0)
    x, p = items[0]
    with pytest.raises(NotOnCurveError, match="batch item 0: .*subgroup"):
        verify_batch(sim.vk, [(x, Proof(a=p.a, b=(x0, y), c=p.c))])


@pytest.mark.slow
def test_larger_batch_with_two_bad_proofs(sim):
    """Above PARALLEL_MIN proofs: the OpenMP paths (subgroup tests, chunked Miller loops)."""
    from zkgate.prover.groth16.batch import PARALLEL_MIN

    many = sim.items(PARALLEL_MIN + 9)
    results, checks = verify_batch_detailed(sim.vk, many)
    assert all(results) and checks == 1
    for i in (5, 100):
        x, p = many[i]
        many[i] = (x, broken(p))
    results, checks = verify_batch_detailed(sim.vk, many)
    assert [i for i, ok in enumerate(results) if not ok] == [5, 100]
    assert checks < 40  # bisection, not one check per proof


# -- CLI and interop with snarkjs ---------------------------------------------------------------


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "zkgate", *args], capture_output=True, text=True, cwd=cwd,
                          env=dict(os.environ))


def test_cli_verify_batch(sim, items, tmp_path):
    from zkgate.prover.formats.snarkjs_json import proof_to_json, public_to_json, verifying_key_to_json, write_json

    write_json(tmp_path / "vk.json", verifying_key_to_json(sim.vk))
    proofs = tmp_path / "proofs"
    proofs.mkdir()
    for i, (x, p) in enumerate(items[:3]):
        write_json(proofs / f"p{i}.proof.json", proof_to_json(broken(p) if i == 1 else p))
        write_json(proofs / f"p{i}.public.json", public_to_json(x))
    out = run_cli("groth16", "verify-batch", "vk.json", "proofs", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == ["p0: OK", "p1: INVALID", "p2: OK"]
    (proofs / "p1.proof.json").write_text(json.dumps(proof_to_json(items[1][1])))
    out = run_cli("groth16", "verify-batch", "vk.json", "proofs", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.splitlines() == ["p0: OK", "p1: OK", "p2: OK"]
    (proofs / "p2.public.json").write_text('["1"]')
    out = run_cli("groth16", "verify-batch", "vk.json", "proofs", cwd=tmp_path)
    assert out.returncode == 2 and "p2" in out.stdout + out.stderr
    (proofs / "p3.proof.json").write_text("{}")
    out = run_cli("groth16", "verify-batch", "vk.json", "proofs", cwd=tmp_path)
    assert out.returncode == 2 and "p3.public.json" in out.stderr


def test_cli_reports_malformed_proof_files(sim, items, tmp_path):
    from zkgate.prover.formats.snarkjs_json import proof_to_json, public_to_json, verifying_key_to_json, write_json

    write_json(tmp_path / "vk.json", verifying_key_to_json(sim.vk))
    proofs = tmp_path / "proofs"
    proofs.mkdir()
    x, p = items[0]
    bad = proof_to_json(p)
    bad["pi_b"][0][0] = str((int(bad["pi_b"][0][0]) + 1) % bn254.Q_MOD)  # B off the twist
    write_json(proofs / "a.proof.json", bad)
    write_json(proofs / "a.public.json", public_to_json(x))
    write_json(proofs / "b.proof.json", proof_to_json(p))
    write_json(proofs / "b.public.json", public_to_json(x))
    out = run_cli("groth16", "verify-batch", "vk.json", "proofs", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout.splitlines() == ["a: ERROR", "b: OK"]
    assert "a.proof.json" in out.stderr and "twist" in out.stderr


@pytest.mark.interop
def test_batch_of_snarkjs_and_zkgate_proofs(tmp_path_factory):
    from snarkjs_fixture import build_mul_circuit

    from zkgate.circuits.r1cs import limbs_to_ints
    from zkgate.circuits.wtnsfile import read_wtns
    from zkgate.prover.formats.snarkjs_json import read_proof, read_public, read_verifying_key
    from zkgate.prover.formats.zkey import read_zkey
    from zkgate.prover.groth16.prove import prove

    circuit = build_mul_circuit(tmp_path_factory.mktemp("mulbatch"))
    vk = read_verifying_key(circuit.vk)
    key = read_zkey(circuit.zkey)
    witness = limbs_to_ints(read_wtns(circuit.wtns))
    batch = [(read_public(circuit.public), read_proof(circuit.proof))]
    for _ in range(3):
        proof, public = prove(key, witness)
        batch.append((public, proof))
    assert verify_batch(vk, batch) == [True] * 4
    public, proof = batch[2]
    batch[2] = ([public[0], public[1] + 1], proof)
    assert verify_batch(vk, batch) == [True, True, False, True]
