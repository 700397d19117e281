"""Solidity verifier size and gas beside snarkjs's, by number of public inputs.

For each count n: a simulated verifying key with n public inputs (tests/pairing/sim.py: a key
whose trapdoor is known, so valid proofs are cheap to make), zkgate's verifier
(`zkgate.prover.formats.solidity.solidity_verifier`) and snarkjs's (its own template,
node_modules/snarkjs/templates/verifier_groth16.sol.ejs, rendered with ejs from the same key's
verification_key.json as `snarkjs zkey export solidityverifier` does), both compiled with solc
0.8.28 (optimizer on, 200 runs) by tests/prover/evm_harness.mjs.  Reports the deployed (runtime)
bytecode size -- EIP-170 refuses more than 24,576 bytes -- and, where deployable, the gas of a
valid verifyProof call and of one with a non-canonical input (x + r) on @ethereumjs/vm.
Also finds the largest deployable n for each verifier (bisection on the compiled size).

Usage: python benchmarks/bench_solidity.py [--counts 1,2,10,50,100,138,200,300] [--no-gas]
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "pairing"))
HARNESS = REPO / "tests" / "prover" / "evm_harness.mjs"
EIP170 = 24_576
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617

RENDER = """
const ejs = require('ejs'); const fs = require('fs');
const vk = JSON.parse(fs.readFileSync(0, 'utf8'));
const t = fs.readFileSync('node_modules/snarkjs/templates/verifier_groth16.sol.ejs', 'utf8');
process.stdout.write(ejs.render(t, vk));
"""


def method(n: int) -> str:
    return "verifyProof(uint256[2],uint256[2][2],uint256[2]" + (f",uint256[{n}])" if n else ")")


def node(args: list[str], payload: str) -> str:
    out = subprocess.run(["node", *args], input=payload, capture_output=True, text=True, cwd=REPO, timeout=600,
                         env={"NODE_PATH": str(REPO / "node_modules"), "PATH": "/usr/local/bin:/usr/bin:/bin"})
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:] + out.stdout[-2000:])
    return out.stdout


def snarkjs_source(vk) -> str:
    from zkgate.prover.formats.snarkjs_json import verifying_key_to_json

    return node(["-e", RENDER], json.dumps(verifying_key_to_json(vk)))


def evm(source: str, n: int, calls: list[list[int]] | None) -> dict:
    request = {"source": source, "contract": "Groth16Verifier", "method": method(n),
               "calls": [[hex(w) for w in c] for c in calls or []], "compileOnly": calls is None}
    return json.loads(node([str(HARNESS)], json.dumps(request)))


def sources(n: int):
    from sim import SimulatedKey

    from zkgate.prover.formats.solidity import solidity_verifier

    key = SimulatedKey(n_public=n, seed=n + 1)
    return key, solidity_verifier(key.vk), snarkjs_source(key.vk)


def largest_deployable(which: int, lo: int, hi: int) -> int:
    """Largest n with a deployed size <= EIP170 (which: 1 zkgate, 2 snarkjs), n in [lo, hi)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        size = evm(sources(mid)[which], mid, None)["deployedSize"]
        lo, hi = (mid, hi) if size <= EIP170 else (lo, mid)
    return lo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", default="1,2,10,50,100,138,200,300")
    parser.add_argument("--no-gas", action="store_true")
    args = parser.parse_args()
    from zkgate.prover.formats.solidity import calldata_words

    print("| public inputs | zkgate deployed bytes | snarkjs deployed bytes | zkgate gas (valid) | snarkjs gas (valid) "
          "| zkgate gas (x + r) | snarkjs gas (x + r) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    sizes = {}
    for n in [int(v) for v in args.counts.split(",")]:
        key, ours_src, theirs_src = sources(n)
        x = key.public()
        proof = key.proof(x)
        calls = [calldata_words(x, proof), calldata_words([x[0] + R] + x[1:], proof)] if n else [calldata_words(x, proof)]
        row = []
        for src in (ours_src, theirs_src):
            size = evm(src, n, None)["deployedSize"]
            gas = ["-", "-"]
            if not args.no_gas and size <= EIP170:
                res = evm(src, n, calls)["results"]
                assert res[0]["ok"], res
                gas = [str(r["gasUsed"]) for r in res] + ["-"] * (2 - len(res))
            row.append((size, gas))
        sizes[n] = (row[0][0], row[1][0])
        print(f"| {n} | {row[0][0]:,} | {row[1][0]:,} | {row[0][1][0]} | {row[1][1][0]} | {row[0][1][1]} | {row[1][1][1]} |",
              flush=True)
    counts = sorted(sizes)
    if len(counts) >= 2:
        a, b = counts[0], counts[-1]
        print(f"\nper public input ({a}..{b}): zkgate {(sizes[b][0] - sizes[a][0]) / (b - a):.1f} bytes, "
              f"snarkjs {(sizes[b][1] - sizes[a][1]) / (b - a):.1f} bytes")
    print(f"largest deployable (EIP-170, {EIP170} bytes): zkgate {largest_deployable(1, 1, 1024)}, "
          f"snarkjs {largest_deployable(2, 1, 1024)} public inputs")


if __name__ == "__main__":
    main()
