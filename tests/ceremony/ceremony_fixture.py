"""Fixtures of the trusted-setup tests: a circom circuit and snarkjs powers of tau (small)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from testsupport import NODE_MODULES, REPO_ROOT, require_node_peer

SNARKJS = NODE_MODULES / ".bin" / "snarkjs"
CIRCOM = NODE_MODULES / ".bin" / "circom2"
PTAU_POWER = 6


def run(tool: Path, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(tool), *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{tool.name} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def snarkjs(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    return run(SNARKJS, *args, cwd=cwd, check=check)


def zkgate(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "zkgate", *args], cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"zkgate {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@dataclass(frozen=True)
class Ceremony:
    directory: Path
    r1cs: Path
    wasm: Path
    input_json: Path
    ptau_raw: Path  # contributed, not prepared
    ptau: Path  # prepared for phase 2
    snark_zkey: Path  # snarkjs's initial key


@pytest.fixture(scope="session")
def ceremony(tmp_path_factory) -> Ceremony:
    require_node_peer("snarkjs")
    require_node_peer("circom2")
    d = tmp_path_factory.mktemp("ceremony")
    (d / "mul.circom").write_text((REPO_ROOT / "tests" / "prover" / "data" / "mul.circom").read_text())
    run(CIRCOM, "mul.circom", "--r1cs", "--wasm", "-o", ".", cwd=d)
    (d / "input.json").write_text('{"a": 3, "b": 11, "c": 5}')
    snarkjs("powersoftau", "new", "bn128", str(PTAU_POWER), "p0.ptau", cwd=d)
    snarkjs("powersoftau", "contribute", "p0.ptau", "p1.ptau", "--name=first", "-e=entropy", cwd=d)
    snarkjs("powersoftau", "prepare", "phase2", "p1.ptau", "pot.ptau", cwd=d)
    snarkjs("groth16", "setup", "mul.r1cs", "pot.ptau", "snark_0000.zkey", cwd=d)
    return Ceremony(d, d / "mul.r1cs", d / "mul_js" / "mul.wasm", d / "input.json", d / "p1.ptau", d / "pot.ptau",
                    d / "snark_0000.zkey")


PHASE1_POWER = 4  # phase-1 tests: small, snarkjs needs seconds per step even here


@dataclass(frozen=True)
class Phase1Chain:
    directory: Path
    new: Path  # `snarkjs powersoftau new` (no contribution)
    one: Path  # one snarkjs contribution
    two: Path  # two snarkjs contributions
    prepared: Path  # `two` prepared for phase 2 by snarkjs


@pytest.fixture(scope="session")
def phase1_chain(tmp_path_factory) -> Phase1Chain:
    """A snarkjs powers-of-tau chain at 2^PHASE1_POWER."""
    require_node_peer("snarkjs")
    d = tmp_path_factory.mktemp("phase1")
    snarkjs("powersoftau", "new", "bn128", str(PHASE1_POWER), "s0.ptau", cwd=d)
    snarkjs("powersoftau", "contribute", "s0.ptau", "s1.ptau", "--name=snarkjs one", "-e=one", cwd=d)
    snarkjs("powersoftau", "contribute", "s1.ptau", "s2.ptau", "--name=snarkjs two", "-e=two", cwd=d)
    snarkjs("powersoftau", "prepare", "phase2", "s2.ptau", "s2p.ptau", cwd=d)
    return Phase1Chain(d, d / "s0.ptau", d / "s1.ptau", d / "s2.ptau", d / "s2p.ptau")
