"""Builds a small circom circuit and its snarkjs keys once per test session.

Used by the Groth16 interop tests: circom2 compiles ``tests/prover/data/mul.circom``, snarkjs
makes a 2^4 powers-of-tau, the initial zkey (no phase-2 contribution: gamma2 == delta2) and a
contributed zkey, the verification key, a witness and a proof.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from testsupport import NODE_MODULES, REPO_ROOT, require_node_peer

SNARKJS = NODE_MODULES / ".bin" / "snarkjs"
CIRCOM = NODE_MODULES / ".bin" / "circom2"


def run_node_tool(tool: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([str(tool), *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"{tool.name} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def snarkjs(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_node_tool(SNARKJS, *args, cwd=cwd)


@dataclass(frozen=True)
class SnarkjsCircuit:
    directory: Path
    r1cs: Path
    initial_zkey: Path  # phase-2 not contributed: gamma2 == delta2
    zkey: Path
    vk: Path
    wtns: Path
    proof: Path
    public: Path
    inputs: dict


def build_mul_circuit(directory: Path) -> SnarkjsCircuit:
    require_node_peer("snarkjs")
    require_node_peer("circom2")
    source = REPO_ROOT / "tests" / "prover" / "data" / "mul.circom"
    (directory / "mul.circom").write_text(source.read_text())
    run_node_tool(CIRCOM, "mul.circom", "--r1cs", "--wasm", "-o", ".", cwd=directory)
    inputs = {"a": 3, "b": 11, "c": 5}
    (directory / "input.json").write_text(json.dumps(inputs))
    snarkjs("wtns", "calculate", "mul_js/mul.wasm", "input.json", "mul.wtns", cwd=directory)
    snarkjs("powersoftau", "new", "bn128", "4", "pot0.ptau", cwd=directory)
    snarkjs("powersoftau", "contribute", "pot0.ptau", "pot1.ptau", "--name=test", "-e=entropy one", cwd=directory)
    snarkjs("powersoftau", "prepare", "phase2", "pot1.ptau", "pot.ptau", cwd=directory)
    snarkjs("groth16", "setup", "mul.r1cs", "pot.ptau", "mul_0000.zkey", cwd=directory)
    snarkjs("zkey", "contribute", "mul_0000.zkey", "mul.zkey", "--name=test", "-e=entropy two", cwd=directory)
    snarkjs("zkey", "export", "verificationkey", "mul.zkey", "vk.json", cwd=directory)
    snarkjs("groth16", "prove", "mul.zkey", "mul.wtns", "proof.json", "public.json", cwd=directory)
    return SnarkjsCircuit(
        directory=directory,
        r1cs=directory / "mul.r1cs",
        initial_zkey=directory / "mul_0000.zkey",
        zkey=directory / "mul.zkey",
        vk=directory / "vk.json",
        wtns=directory / "mul.wtns",
        proof=directory / "proof.json",
        public=directory / "public.json",
        inputs=inputs,
    )
