#!/usr/bin/env python3
"""Groth16 proving: zkgate beside snarkjs on the same .zkey and .wtns, in one run.

Compiles a Poseidon-chain circuit with circom2 (N hashes, about 240 constraints each), makes
the witness with circom's wasm, the key with snarkjs (groth16 setup + one phase-2
contribution) from a prepared powers-of-tau file, then times `snarkjs groth16 prove` and
`zkgate groth16 prove` as separate processes and reports wall time and peak RSS (the whole
process, as the kernel's rusage reports it) and the ratios.  Both proofs are verified by
snarkjs.

Usage: python benchmarks/bench_prove.py --ptau POT.ptau [--hashes 270] [--repeat 3]
(270 hashes ≈ 2^16 constraints and needs a 2^16 powers of tau).

With ``--builder zkgate`` the same chain is compiled by zkgate's circuit builder (which
writes the .r1cs and the .wtns) and the key is made by zkgate's ceremony tools
(``groth16 setup`` from the powers of tau, then one ``zkey contribute``): circom2, the wasm
build of circom on npm, runs out of memory on this machine for a chain near 2^20
constraints (4360 hashes).  snarkjs still proves with those very files.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "node_modules" / ".bin"


def run(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Run a command; return (wall seconds, peak RSS in KiB of that child)."""
    wrapper = [sys.executable, "-c", (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter(); rc = subprocess.call(sys.argv[1:]);"
        "dt = time.perf_counter() - t;"
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
    ), *cmd]
    result = subprocess.run(wrapper, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    seconds, rss = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(rss)


BUILD_CHAIN = """
import sys
from zkgate.circuits import compile_circuit
from zkgate.circuits.gadgets.poseidon import poseidon
from zkgate.circuits.wtnsfile import write_wtns

def chain(api, n):
    a = api.private_input("a"); b = api.private_input("b"); h = a
    for _ in range(n):
        h = poseidon(api, [h, b])
    api.output("h", h)

circuit = compile_circuit(chain, n=int(sys.argv[2]), cache=False)
circuit.write_r1cs("chain.r1cs")
write_wtns(circuit.solve({"a": 1, "b": 2}), "chain.wtns")
print(circuit.r1cs.n_constraints, "constraints")
"""


def build_with_zkgate(work: Path, hashes: int, ptau: Path, zkgate: list[str]) -> None:
    """chain.r1cs / chain.wtns from zkgate's builder; chain.zkey from zkgate's ceremony tools."""
    compiled = (work / "chain.r1cs").exists() and (work / "chain.wtns").exists()
    for cmd in (
        *([] if compiled else [[sys.executable, "-c", BUILD_CHAIN, str(REPO), str(hashes)]]),
        [*zkgate, "groth16", "setup", "chain.r1cs", str(ptau), "chain_0.zkey"],
        [*zkgate, "zkey", "contribute", "chain_0.zkey", "chain.zkey", "--name=bench", "-e=bench"],
        [*zkgate, "zkey", "export", "verificationkey", "chain.zkey", "vk.json"],
    ):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=work, check=True)
        print(f"  {' '.join(cmd[:4]) if cmd[1] != '-c' else 'compile + witness'}: {time.perf_counter() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ptau", required=True, type=Path, help="prepared powers of tau (phase 2)")
    parser.add_argument("--hashes", type=int, default=270, help="Poseidon(2) hashes in the chain")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each prover (best is reported)")
    parser.add_argument("--workdir", type=Path, help="keep the build here (default: a temporary folder)")
    parser.add_argument("--builder", choices=("circom", "zkgate"), default="circom",
                        help="who compiles the circuit and makes the key (see above)")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="zkgate-bench-prove-"))
    work.mkdir(parents=True, exist_ok=True)
    source = (REPO / "benchmarks" / "circom" / "poseidon_chain.circom").read_text()
    (work / "chain.circom").write_text(source.replace("N_HASHES", str(args.hashes)))
    snarkjs = str(BIN / "snarkjs")
    zkgate = [sys.executable, "-P", "-m", "zkgate"]  # -P: the installed zkgate, not ./zkgate
    if args.builder == "zkgate" and not (work / "chain.zkey").exists():
        print(f"building the circuit ({args.hashes} Poseidon hashes) and its key with zkgate ...", flush=True)
        build_with_zkgate(work, args.hashes, args.ptau.resolve(), zkgate)
    if not (work / "chain.zkey").exists():
        print(f"building the circuit ({args.hashes} Poseidon hashes) and its key with snarkjs ...", flush=True)
        # circom2 (wasm) cannot read include paths outside its working folder: copy circomlib in
        shutil.copytree(REPO / "node_modules" / "circomlib" / "circuits", work / "circomlib" / "circuits", dirs_exist_ok=True)
        subprocess.run([str(BIN / "circom2"), "chain.circom", "--r1cs", "--wasm", "--O2", "-l", ".", "-o", "."], cwd=work, check=True, capture_output=True)
        (work / "input.json").write_text(json.dumps({"a": 1, "b": 2}))
        subprocess.run([snarkjs, "wtns", "calculate", "chain_js/chain.wasm", "input.json", "chain.wtns"], cwd=work, check=True)
        subprocess.run([snarkjs, "groth16", "setup", "chain.r1cs", str(args.ptau.resolve()), "chain_0.zkey"], cwd=work, check=True, capture_output=True)
        subprocess.run([snarkjs, "zkey", "contribute", "chain_0.zkey", "chain.zkey", "--name=bench", "-e=bench"], cwd=work, check=True, capture_output=True)
        subprocess.run([snarkjs, "zkey", "export", "verificationkey", "chain.zkey", "vk.json"], cwd=work, check=True, capture_output=True)
        if not (work / "chain.zkey").stat().st_size:  # snarkjs exits 0 on some errors
            raise SystemExit("snarkjs could not make the key (is the powers of tau large enough?)")
    # snarkjs's `r1cs info` runs out of node's default heap on a 2^20-constraint .r1cs
    info_cmd = [*zkgate, "r1cs", "info", "chain.r1cs"] if args.builder == "zkgate" else [snarkjs, "r1cs", "info", "chain.r1cs"]
    info = subprocess.run(info_cmd, cwd=work, capture_output=True, text=True).stdout
    constraints = next((line.split(":")[-1].strip() for line in info.splitlines() if "Constraints" in line), "?")

    results = {}
    for name, cmd in (
        ("snarkjs", [snarkjs, "groth16", "prove", "chain.zkey", "chain.wtns", "p_snarkjs.json", "pub_snarkjs.json"]),
        ("zkgate", [*zkgate, "groth16", "prove", "--no-check", "chain.zkey", "chain.wtns", "p_zkgate.json", "pub_zkgate.json"]),
    ):
        runs = [run(cmd, work) for _ in range(args.repeat)]
        results[name] = (min(r[0] for r in runs), max(r[1] for r in runs))
    for name in ("snarkjs", "zkgate"):
        subprocess.run([snarkjs, "groth16", "verify", "vk.json", f"pub_{name}.json", f"p_{name}.json"], cwd=work, check=True, capture_output=True)

    (s_time, s_rss), (z_time, z_rss) = results["snarkjs"], results["zkgate"]
    print(f"circuit: Poseidon chain, {args.hashes} hashes, {constraints} constraints (built by {args.builder}); threads: {os.environ.get('ZKGATE_THREADS', 'all')}")
    print(f"{'prover':10} {'time (s)':>10} {'peak RSS (MiB)':>16}")
    print(f"{'snarkjs':10} {s_time:10.3f} {s_rss / 1024:16.1f}")
    print(f"{'zkgate':10} {z_time:10.3f} {z_rss / 1024:16.1f}")
    print(f"ratio zkgate/snarkjs: time {z_time / s_time:.3f}x (target <= 0.12x), peak RSS {z_rss / s_rss:.3f}x (target <= 0.3x)")
    print("both proofs verified by snarkjs")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
