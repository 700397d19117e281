"""Groth16 prove/verify against real snarkjs and circom2, with every hardening rule tested."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from snarkjs_fixture import build_mul_circuit, snarkjs

from zkgate import _native, bn254
from zkgate.bn254 import FrArray
from zkgate.circuits.r1cs import limbs_to_ints
from zkgate.circuits.wtnsfile import read_wtns
from zkgate.errors import ConstraintError, FormatError, InvalidInputError, NotOnCurveError
from zkgate.prover.formats.snarkjs_json import (
    proof_to_json,
    public_to_json,
    read_proof,
    read_public,
    read_verifying_key,
    verifying_key_to_json,
    write_json,
)
from zkgate.prover.formats.zkey import read_zkey, write_zkey
from zkgate.prover.groth16.keys import Proof
from zkgate.prover.groth16.prove import prove, prove_with
from zkgate.prover.groth16.verify import InsecureKeyError, prepare_verifying_key, verify

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def circuit(tmp_path_factory):
    return build_mul_circuit(tmp_path_factory.mktemp("mul"))


@pytest.fixture(scope="module")
def key(circuit):
    return read_zkey(circuit.zkey)


@pytest.fixture(scope="module")
def witness(circuit):
    return limbs_to_ints(read_wtns(circuit.wtns))


def test_zkey_round_trips_byte_for_byte(circuit, key, tmp_path):
    copy = tmp_path / "copy.zkey"
    write_zkey(copy, key)
    assert copy.read_bytes() == circuit.zkey.read_bytes()


def test_verification_key_export_equals_snarkjs(circuit, key):
    assert verifying_key_to_json(key.verifying_key) == json.loads(circuit.vk.read_text())


def test_zkgate_verifies_snarkjs_proof(circuit):
    vk = read_verifying_key(circuit.vk)
    public = read_public(circuit.public)
    assert public == [3 * 11 * 5 + 3, 5]
    assert verify(vk, public, read_proof(circuit.proof)) is True
    assert verify(vk, [public[0] + 1, public[1]], read_proof(circuit.proof)) is False


def test_snarkjs_verifies_zkgate_proof(circuit, key, witness, tmp_path):
    proof, public = prove(key, witness)
    write_json(tmp_path / "proof.json", proof_to_json(proof))
    write_json(tmp_path / "public.json", public_to_json(public))
    out = snarkjs("groth16", "verify", str(circuit.vk), "public.json", "proof.json", cwd=tmp_path)
    assert "OK" in out.stdout


def test_prove_with_is_deterministic_and_backends_agree(circuit, key, witness, tmp_path):
    first = prove_with(key, witness, 5, 7)
    assert prove_with(key, witness, 5, 7) == first
    assert prove_with(key, witness, 5, 8) != first
    # The other backend, in a fresh process, gives the same proof for the same r and s.
    script = tmp_path / "other.py"
    script.write_text(
        "import sys, json\n"
        "from zkgate.prover.formats.zkey import read_zkey\n"
        "from zkgate.prover.groth16.prove import prove_with\n"
        "from zkgate.prover.formats.snarkjs_json import proof_to_json\n"
        f"w = {witness!r}\n"
        f"print(json.dumps(proof_to_json(prove_with(read_zkey({str(circuit.zkey)!r}), w, 5, 7))))\n"
    )
    env = dict(os.environ, ZKGATE_PUREPYTHON="0" if _native.BACKEND == "python" else "1")
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == proof_to_json(first)


def test_witness_that_does_not_satisfy_is_refused(key, witness):
    bad = list(witness)
    bad[-1] = (bad[-1] + 1) % bn254.R_MOD
    with pytest.raises(ConstraintError, match="does not satisfy"):
        prove(key, bad)
    with pytest.raises(InvalidInputError, match="witness has"):
        prove(key, witness[:-1])
    with pytest.raises(InvalidInputError, match=r"not an int in \[0, r\)"):
        prove(key, [1] + [bn254.R_MOD] * (len(witness) - 1))
    with pytest.raises(InvalidInputError, match="outside"):
        prove(key, FrArray(np.array([[1, 0, 0, 0]] + [[2**64 - 1] * 4] * (len(witness) - 1), dtype=np.uint64), check=False))


def test_rerandomized_proof_still_verifies(circuit):
    """Groth16 proofs are malleable: (tA, B/t, C) verifies too, so proofs are never identifiers."""
    vk = read_verifying_key(circuit.vk)
    proof = read_proof(circuit.proof)
    t = 123456789
    mauled = Proof(a=bn254.g1_mul(proof.a, t), b=bn254.g2_mul(proof.b, pow(t, -1, bn254.R_MOD)), c=proof.c)
    assert mauled != proof
    assert verify(vk, read_public(circuit.public), mauled) is True


# -- hardening: each rule has a test that fails without it ------------------------------------


@pytest.fixture(scope="module")
def valid(circuit):
    return read_verifying_key(circuit.vk), read_public(circuit.public), read_proof(circuit.proof)


def test_public_input_plus_r_is_refused_not_reduced(valid):
    vk, public, proof = valid
    with pytest.raises(InvalidInputError, match="outside"):
        verify(vk, [public[0] + bn254.R_MOD, public[1]], proof)


def test_wrong_number_of_public_inputs_is_refused(valid):
    vk, public, proof = valid
    with pytest.raises(InvalidInputError, match="expected 2 public inputs"):
        verify(vk, public[:1], proof)
    with pytest.raises(InvalidInputError, match="expected 2 public inputs"):
        verify(vk, public + [0], proof)


def test_off_curve_and_infinite_and_out_of_range_points_are_refused(valid):
    vk, public, proof = valid
    with pytest.raises(NotOnCurveError):
        verify(vk, public, Proof(a=(proof.a[0], (proof.a[1] + 1) % bn254.Q_MOD), b=proof.b, c=proof.c))
    with pytest.raises(InvalidInputError, match="infinity"):
        verify(vk, public, Proof(a=None, b=proof.b, c=proof.c))
    with pytest.raises(InvalidInputError, match="infinity"):
        verify(vk, public, Proof(a=proof.a, b=proof.b, c=None))
    with pytest.raises(InvalidInputError, match="outside"):
        verify(vk, public, Proof(a=(proof.a[0] + bn254.Q_MOD, proof.a[1]), b=proof.b, c=proof.c))


def _twist_point_outside_g2():
    from zkgate.bn254 import fields

    x = (1, 0)
    while True:
        y = fields.fq2_sqrt(fields.fq2_add(fields.fq2_mul(fields.fq2_sqr(x), x), bn254.G2_B))
        if y is not None and not bn254.g2_in_subgroup((x, y)):
            return (x, y)
        x = (x[0] + 1, 0)


def test_b_outside_the_g2_subgroup_is_refused(valid):
    vk, public, proof = valid
    with pytest.raises(NotOnCurveError, match="subgroup"):
        verify(vk, public, Proof(a=proof.a, b=_twist_point_outside_g2(), c=proof.c))


def test_key_without_phase2_contribution_is_refused(circuit):
    initial = read_zkey(circuit.initial_zkey)
    assert initial.gamma2 == initial.delta2
    with pytest.raises(InsecureKeyError, match="gamma2 == delta2"):
        prepare_verifying_key(initial.verifying_key)


def test_json_files_with_bad_fields_name_the_field(circuit, tmp_path):
    proof = json.loads(circuit.proof.read_text())
    proof["pi_a"][0] = str(bn254.Q_MOD)
    bad = tmp_path / "bad_proof.json"
    bad.write_text(json.dumps(proof))
    with pytest.raises(FormatError, match=r"bad_proof.json.pi_a\[0\]"):
        read_proof(bad)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(FormatError, match="broken.json: not valid JSON"):
        read_verifying_key(tmp_path / "broken.json")
    (tmp_path / "public.json").write_text(json.dumps([str(bn254.R_MOD), "5"]))
    with pytest.raises(FormatError, match="not below"):
        read_public(tmp_path / "public.json")


def test_truncated_zkey_names_the_file_and_section(circuit, tmp_path):
    data = circuit.zkey.read_bytes()
    truncated = tmp_path / "truncated.zkey"
    truncated.write_bytes(data[: len(data) - 100])
    with pytest.raises(FormatError, match="truncated.zkey"):
        read_zkey(truncated)
    wrong = tmp_path / "wrong.zkey"
    wrong.write_bytes(b"r1cs" + data[4:])
    with pytest.raises(FormatError, match="magic"):
        read_zkey(wrong)


def test_cli_prove_verify_and_exit_codes(circuit, tmp_path):
    def zkgate(*args):
        return subprocess.run([sys.executable, "-m", "zkgate", *map(str, args)], capture_output=True, text=True, cwd=tmp_path)

    done = zkgate("groth16", "prove", circuit.zkey, circuit.wtns, "p.json", "pub.json")
    assert done.returncode == 0, done.stderr
    ok = zkgate("groth16", "verify", circuit.vk, "pub.json", "p.json")
    assert (ok.returncode, ok.stdout.strip()) == (0, "OK")
    (tmp_path / "other.json").write_text(json.dumps(["1", "5"]))
    invalid = zkgate("groth16", "verify", circuit.vk, "other.json", "p.json")
    assert (invalid.returncode, invalid.stdout.strip()) == (1, "INVALID")
    (tmp_path / "short.json").write_text(json.dumps(["1"]))
    malformed = zkgate("groth16", "verify", circuit.vk, "short.json", "p.json")
    assert malformed.returncode == 2 and "short.json" in malformed.stderr
    exported = zkgate("zkey", "export", "verificationkey", circuit.zkey, "vk.json")
    assert exported.returncode == 0
    assert json.loads((tmp_path / "vk.json").read_text()) == json.loads(circuit.vk.read_text())
    info = zkgate("zkey", "info", circuit.zkey)
    assert "public inputs (nPublic): 2" in info.stdout
