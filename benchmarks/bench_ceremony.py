"""Trusted-setup benchmarks beside snarkjs, in the same run (ratios are what counts on a
shared machine).

* ``powersoftau prepare phase2`` at 2^12 and 2^14 (snarkjs ``new`` + one contribution first);
* ``powersoftau contribute`` (and ``verify`` of the result) at 2^12 (``--contribute 12``): both
  tools contribute to the same snarkjs file; each output is verified by the other tool;
* ``groth16 setup`` and ``zkey contribute`` for a Poseidon-chain circuit of about 2^16
  constraints (needs a prepared 2^16 .ptau, e.g. ``--ptau /work/ptau/pot16.ptau``).

Usage: python benchmarks/bench_ceremony.py [--prepare 12,14] [--contribute 12] [--ptau POT16.ptau --hashes 260]
Prints a Markdown table (times in seconds, ratio = zkgate / snarkjs).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / "node_modules" / ".bin"
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def timed(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return time.perf_counter() - started


def zkgate(*args: str) -> list[str]:
    return [sys.executable, "-P", "-m", "zkgate", *args]  # -P: the installed zkgate, not ./zkgate


def snarkjs(*args: str) -> list[str]:
    return [str(BIN / "snarkjs"), *args]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prepare", default="12,14", help="powers for prepare phase2 ('' to skip)")
    parser.add_argument("--contribute", default="", help="powers for powersoftau contribute/verify (e.g. 12)")
    parser.add_argument("--ptau", type=Path, help="prepared powers of tau for setup/contribute (2^16)")
    parser.add_argument("--hashes", type=int, default=260, help="Poseidon hashes in the chain (~240 constraints each)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for power in [int(p) for p in args.prepare.split(",") if p]:
            timed(snarkjs("powersoftau", "new", "bn128", str(power), f"p{power}_0.ptau"), work)
            timed(snarkjs("powersoftau", "contribute", f"p{power}_0.ptau", f"p{power}.ptau", "--name=b", "-e=bench"), work)
            t_z = timed(zkgate("powersoftau", "prepare", "phase2", f"p{power}.ptau", f"z{power}.ptau"), work)
            t_s = timed(snarkjs("powersoftau", "prepare", "phase2", f"p{power}.ptau", f"s{power}.ptau"), work)
            same = (work / f"z{power}.ptau").read_bytes() == (work / f"s{power}.ptau").read_bytes()
            rows.append((f"prepare phase2 2^{power}", t_s, t_z, "identical" if same else "DIFFERENT"))
            print(rows[-1], flush=True)
        for power in [int(p) for p in args.contribute.split(",") if p]:
            timed(snarkjs("powersoftau", "new", "bn128", str(power), f"c{power}_0.ptau"), work)
            timed(snarkjs("powersoftau", "contribute", f"c{power}_0.ptau", f"c{power}.ptau", "--name=a", "-e=bench"), work)
            t_z = timed(zkgate("powersoftau", "contribute", f"c{power}.ptau", f"cz{power}.ptau", "--name=z", "-e=bench"), work)
            t_s = timed(snarkjs("powersoftau", "contribute", f"c{power}.ptau", f"cs{power}.ptau", "--name=s", "-e=bench"), work)
            rows.append((f"powersoftau contribute 2^{power}", t_s, t_z, "-"))
            print(rows[-1], flush=True)
            # each tool verifies the other's output (a failure stops the benchmark)
            t_zv = timed(zkgate("powersoftau", "verify", f"cs{power}.ptau"), work)
            t_sv = timed(snarkjs("powersoftau", "verify", f"cz{power}.ptau"), work)
            rows.append((f"powersoftau verify 2^{power} (2 contributions)", t_sv, t_zv, "both OK"))
            print(rows[-1], flush=True)
        if args.ptau:
            source = (REPO / "benchmarks" / "circom" / "poseidon_chain.circom").read_text()
            (work / "chain.circom").write_text(source.replace("N_HASHES", str(args.hashes)))
            # circom2 (wasm) cannot follow paths outside its working directory: copy circomlib in
            import shutil

            shutil.copytree(REPO / "node_modules" / "circomlib" / "circuits", work / "circomlib" / "circuits")
            subprocess.run([str(BIN / "circom2"), "chain.circom", "--r1cs", "-l", ".", "-o", "."],
                           cwd=work, check=True, capture_output=True)
            from zkgate.circuits.r1csfile import read_r1cs

            m = read_r1cs(work / "chain.r1cs").n_constraints
            ptau = str(args.ptau.resolve())
            t_z = timed(zkgate("groth16", "setup", "chain.r1cs", ptau, "z0.zkey"), work)
            t_s = timed(snarkjs("groth16", "setup", "chain.r1cs", ptau, "s0.zkey"), work)
            same = (work / "z0.zkey").read_bytes() == (work / "s0.zkey").read_bytes()
            rows.append((f"groth16 setup ({m} constraints)", t_s, t_z, "identical" if same else "DIFFERENT"))
            print(rows[-1], flush=True)
            t_z = timed(zkgate("zkey", "contribute", "s0.zkey", "z1.zkey", "--name=z", "-e=bench"), work)
            t_s = timed(snarkjs("zkey", "contribute", "s0.zkey", "s1.zkey", "--name=s", "-e=bench"), work)
            rows.append((f"zkey contribute ({m} constraints)", t_s, t_z, "-"))
            print(rows[-1], flush=True)
            t_v = timed(zkgate("zkey", "verify", "chain.r1cs", ptau, "z1.zkey"), work)
            t_sv = timed(snarkjs("zkey", "verify", "chain.r1cs", ptau, "z1.zkey"), work)
            rows.append((f"zkey verify ({m} constraints)", t_sv, t_v, "both OK"))
            print(rows[-1], flush=True)
    print("\n| step | snarkjs (s) | zkgate (s) | ratio | output |\n| --- | ---: | ---: | ---: | --- |")
    for name, t_s, t_z, note in rows:
        print(f"| {name} | {t_s:.2f} | {t_z:.2f} | {t_z / t_s:.3f}x | {note} |")


if __name__ == "__main__":
    main()
