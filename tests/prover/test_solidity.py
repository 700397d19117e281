"""The Solidity verifier, compiled with solc (npm) and executed on @ethereumjs/vm.

Valid proof -> true; altered proof, another public input, an aliased input x + r, a
coordinate >= q or a point off the curve -> false.  Also: zkgate's calldata equals snarkjs's
``zkey export soliditycalldata`` output, and the gas of zkgate's verifier beside snarkjs's
generated verifier for the same key.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testsupport import REPO_ROOT, require_node_peer
from zkgate import bn254
from zkgate.prover.formats.solidity import calldata_words, solidity_calldata, solidity_verifier
from zkgate.prover.groth16.keys import Proof, VerifyingKey
from zkgate.prover.groth16.verify import InsecureKeyError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pairing"))
from sim import SimulatedKey  # noqa: E402

HARNESS = Path(__file__).resolve().parent / "evm_harness.mjs"
R, Q = bn254.R_MOD, bn254.Q_MOD


def method(n_public: int) -> str:
    tail = f",uint256[{n_public}]" if n_public else ""
    return f"verifyProof(uint256[2],uint256[2][2],uint256[2]{tail})"


def run_evm(source: str, n_public: int, calls: list[list[int]], contract: str = "Groth16Verifier") -> dict:
    require_node_peer("solc")
    require_node_peer("@ethereumjs/vm")
    request = {"source": source, "contract": contract, "method": method(n_public),
               "calls": [[hex(w) for w in c] for c in calls]}
    out = subprocess.run(["node", str(HARNESS)], input=json.dumps(request), capture_output=True, text=True,
                         cwd=REPO_ROOT, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def sim():
    return SimulatedKey(n_public=2, seed=7)


def test_source_is_generated_from_the_template(sim):
    src = solidity_verifier(sim.vk, "MyVerifier")
    assert "contract MyVerifier" in src and "{{" not in src
    assert str(sim.vk.delta2[0][1]) in src  # G2 words present (x.im)
    with pytest.raises(Exception):
        solidity_verifier(sim.vk, "not an identifier")
    insecure = VerifyingKey(n_public=sim.vk.n_public, alpha1=sim.vk.alpha1, beta2=sim.vk.beta2,
                            gamma2=sim.vk.gamma2, delta2=sim.vk.gamma2, ic=sim.vk.ic)
    with pytest.raises(InsecureKeyError):
        solidity_verifier(insecure)


def test_calldata_text_format(sim):
    x = sim.public()
    p = sim.proof(x)
    text = solidity_calldata(x, p)
    parsed = json.loads("[" + text + "]")
    assert [int(v, 16) for v in parsed[0]] == list(p.a)
    assert [int(v, 16) for v in parsed[1][0]] == [p.b[0][1], p.b[0][0]]  # x.im first
    assert [int(v, 16) for v in parsed[3]] == x


@pytest.mark.interop
def test_evm_accepts_valid_and_rejects_altered_proofs(sim):
    x = sim.public()
    p = sim.proof(x)
    x2 = sim.public()
    good = calldata_words(x, p)
    altered_c = calldata_words(x, Proof(a=p.a, b=p.b, c=bn254.g1_add(p.c, bn254.G1_GENERATOR)))
    altered_b = calldata_words(x, Proof(a=p.a, b=bn254.g2_double(p.b), c=p.c))
    swapped_b = list(good)
    swapped_b[2:6] = [p.b[0][0], p.b[0][1], p.b[1][0], p.b[1][1]]  # py_ecc order, not EVM's
    other_input = calldata_words(x2, p)
    aliased = calldata_words([x[0] + R, x[1]], p)
    aliased_2 = calldata_words([x[0], x[1] + R], p)
    big_coord = list(good)
    big_coord[0] += Q  # the same A with x + q
    off_curve = list(good)
    off_curve[1] = (off_curve[1] + 1) % Q
    calls = [good, altered_c, altered_b, swapped_b, other_input, aliased, aliased_2, big_coord, off_curve]
    results = run_evm(solidity_verifier(sim.vk), 2, calls)["results"]
    assert [r["ok"] for r in results] == [True] + [False] * (len(calls) - 1)
    assert all(r["error"] is None for r in results)  # false, never a revert


@pytest.mark.interop
def test_evm_with_one_and_zero_public_inputs():
    one = SimulatedKey(n_public=1, seed=3)
    x = one.public()
    p = one.proof(x)
    results = run_evm(solidity_verifier(one.vk), 1, [calldata_words(x, p), calldata_words([(x[0] + 1) % R], p)])
    assert [r["ok"] for r in results["results"]] == [True, False]
    zero = SimulatedKey(n_public=0, seed=4)
    p = zero.proof([])
    results = run_evm(solidity_verifier(zero.vk), 0, [calldata_words([], p)])
    assert [r["ok"] for r in results["results"]] == [True]


@pytest.mark.interop
def test_cli_exports_and_snarkjs_interop(tmp_path_factory):
    """CLI on snarkjs's circuit; calldata equals snarkjs's; gas beside snarkjs's verifier."""
    from snarkjs_fixture import build_mul_circuit, snarkjs

    from zkgate.prover.formats.snarkjs_json import read_proof, read_public

    circuit = build_mul_circuit(tmp_path_factory.mktemp("mulsol"))
    d = circuit.directory
    out = subprocess.run([sys.executable, "-m", "zkgate", "zkey", "export", "solidityverifier", str(circuit.zkey),
                          "Verifier.sol"], cwd=d, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([sys.executable, "-m", "zkgate", "zkey", "export", "soliditycalldata", str(circuit.public),
                          str(circuit.proof)], cwd=d, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    theirs = snarkjs("zkey", "export", "soliditycalldata", str(circuit.public), str(circuit.proof), cwd=d)
    assert out.stdout.strip() == theirs.stdout.strip()
    public, proof = read_public(circuit.public), read_proof(circuit.proof)
    calls = [calldata_words(public, proof), calldata_words([public[0] + R, public[1]], proof)]
    ours = run_evm((d / "Verifier.sol").read_text(), 2, calls)
    assert [r["ok"] for r in ours["results"]] == [True, False]
    snarkjs("zkey", "export", "solidityverifier", str(circuit.zkey), "snarkjs_verifier.sol", cwd=d)
    theirs_evm = run_evm((d / "snarkjs_verifier.sol").read_text(), 2, calls, contract="Groth16Verifier")
    assert theirs_evm["results"][0]["ok"]
    print(f"\ngas: zkgate {ours['results'][0]['gasUsed']} vs snarkjs {theirs_evm['results'][0]['gasUsed']}")
    assert ours["results"][0]["gasUsed"] <= theirs_evm["results"][0]["gasUsed"] * 1.05


def _compiled_size(source: str, n_public: int) -> int:
    require_node_peer("solc")
    request = {"source": source, "contract": "Groth16Verifier", "method": method(n_public), "calls": [],
               "compileOnly": True}
    out = subprocess.run(["node", str(HARNESS)], input=json.dumps(request), capture_output=True, text=True,
                         cwd=REPO_ROOT, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)["deployedSize"]


@pytest.mark.interop
def test_deployed_size_grows_by_at_most_snarkjs_per_public_input():
    """The IC points live in one constant table read by a loop: 64 bytes per input (snarkjs's
    unrolled verifier: about 95), so 300 public inputs still deploy under EIP-170."""
    require_node_peer("snarkjs")
    from benchmarks_path import snarkjs_verifier_source

    small, large = SimulatedKey(n_public=1, seed=11), SimulatedKey(n_public=41, seed=12)
    ours = [_compiled_size(solidity_verifier(k.vk), k.vk.n_public) for k in (small, large)]
    theirs = [_compiled_size(snarkjs_verifier_source(k.vk), k.vk.n_public) for k in (small, large)]
    per_input_ours, per_input_theirs = (ours[1] - ours[0]) / 40, (theirs[1] - theirs[0]) / 40
    assert per_input_ours <= 65 and per_input_ours <= per_input_theirs, (ours, theirs)
    many = SimulatedKey(n_public=300, seed=13)
    assert _compiled_size(solidity_verifier(many.vk), 300) <= 24_576


@pytest.mark.interop
def test_evm_with_more_public_inputs_than_the_unrolled_verifier_could_deploy():
    """150 inputs (the unrolled verifier stopped deploying at ~138): valid -> true, a changed or
    aliased last input -> false, and a non-canonical input is refused cheaply, before any precompile."""
    key = SimulatedKey(n_public=150, seed=14)
    x = key.public()
    p = key.proof(x)
    calls = [calldata_words(x, p), calldata_words(x[:-1] + [(x[-1] + 1) % R], p),
             calldata_words(x[:-1] + [x[-1] + R], p), calldata_words([x[0] + R] + x[1:], p)]
    results = run_evm(solidity_verifier(key.vk), 150, calls)["results"]
    assert [r["ok"] for r in results] == [True, False, False, False]
    assert all(r["error"] is None for r in results)
    assert results[3]["gasUsed"] < 2_000 and results[2]["gasUsed"] < 20_000
