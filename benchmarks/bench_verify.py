#!/usr/bin/env python3
"""Verification: zkgate's native pairing, single and batch Groth16 verification beside
snarkjs's ``groth16.verify`` (in-process, node), and the gas of zkgate's Solidity verifier
beside snarkjs's generated verifier for the same key -- all in one run.

The circuit is tests/prover/data/mul.circom (2 public inputs), compiled by circom2 with keys
from snarkjs (one phase-2 contribution).  Distinct valid proofs come from zkgate's prover.

Usage: python benchmarks/bench_verify.py [--proofs 1000] [--repeat 50] [--no-gas]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "prover"))


def timed(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def best(fn, repeat: int = 3) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proofs", type=int, default=1000, help="size of the large batch")
    parser.add_argument("--repeat", type=int, default=50, help="runs of each single operation (median)")
    parser.add_argument("--fresh", type=int, default=20, help="proofs from the prover (the rest re-randomized)")
    parser.add_argument("--no-gas", action="store_true", help="skip the EVM gas comparison")
    args = parser.parse_args()

    import importlib

    from snarkjs_fixture import build_mul_circuit, snarkjs

    from zkgate import _native, bn254
    from zkgate.bn254 import pairing as _unused  # noqa: F401

    pairing_mod = importlib.import_module("zkgate.bn254.pairing")
    from zkgate.circuits.r1cs import limbs_to_ints
    from zkgate.circuits.wtnsfile import read_wtns
    from zkgate.prover.formats.snarkjs_json import proof_to_json, public_to_json, read_verifying_key
    from zkgate.prover.formats.zkey import read_zkey
    from zkgate.prover.groth16.batch import verify_batch_detailed
    from zkgate.prover.groth16.keys import Proof
    from zkgate.prover.groth16.prove import prove
    from zkgate.prover.groth16.verify import _prepare_cached, prepare_verifying_key, verify, verify_prepared

    work = Path(tempfile.mkdtemp(prefix="zkgate-bench-verify-"))
    circuit = build_mul_circuit(work)
    vk = read_verifying_key(circuit.vk)
    key = read_zkey(circuit.zkey)
    witness = limbs_to_ints(read_wtns(circuit.wtns))
    t = time.perf_counter()
    items = []
    for _ in range(min(args.fresh, args.proofs)):
        proof, public = prove(key, witness, check=False)
        items.append((public, proof))
    prove_s = time.perf_counter() - t
    # the rest: re-randomized copies (t A, B / t, C) -- distinct valid proofs, made natively
    import random

    from zkgate._native import _curve
    from zkgate.bn254.arrays import FrArray, G1Affine, G2Affine

    rng = random.Random(1)
    extra = args.proofs - len(items)
    if extra > 0:
        base = [items[i % len(items)] for i in range(extra)]
        ts = [rng.randrange(1, bn254.R_MOD) for _ in range(extra)]
        a_rows = _curve.mul_scalar(G1Affine.from_ints([p.a for _, p in base]).limbs, FrArray.from_ints(ts).limbs, 1)
        b_rows = _curve.mul_scalar(G2Affine.from_ints([p.b for _, p in base]).limbs,
                                   FrArray.from_ints([pow(t_, -1, bn254.R_MOD) for t_ in ts]).limbs, 2)
        a_pts = G1Affine(a_rows, check=False).to_ints()
        b_pts = G2Affine(b_rows, check=False).to_ints()
        for (x, p), a_, b_ in zip(base, a_pts, b_pts):
            items.append((x, Proof(a=a_, b=b_, c=p.c)))
    print(f"backend {_native.BACKEND}; {min(args.fresh, args.proofs)} proofs made by zkgate's prover in "
          f"{prove_s:.1f} s, {max(extra, 0)} re-randomized; circuit mul.circom ({vk.n_public} public inputs)",
          file=sys.stderr)

    # snarkjs in-process (node), same proofs
    node_in = {"vk": json.loads(circuit.vk.read_text()),
               "items": [[public_to_json(x), proof_to_json(p)] for x, p in items[:100]],
               "repeat": args.repeat}
    out = subprocess.run(["node", str(REPO / "benchmarks" / "verify_bench.js")], input=json.dumps(node_in),
                         capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    sj = json.loads(out.stdout)
    assert sj["all_ok"]
    sj_single = statistics.median(sj["single_ms"]) / 1000
    sj_100 = sj["batch_ms"] / 1000

    p, q = bn254.g1_mul(bn254.G1_GENERATOR, 12345), bn254.g2_mul(bn254.G2_GENERATOR, 67890)
    pairing_s = timed(lambda: bn254.pairing(p, q), args.repeat)
    pairing_ref_s = timed(lambda: pairing_mod.pairing_reference(p, q), 3)
    pvk = prepare_verifying_key(vk)
    public, proof = items[0]
    assert verify(vk, public, proof)
    verify_s = timed(lambda: verify(vk, public, proof), args.repeat)  # cached prepared key
    verify_prepared_s = timed(lambda: verify_prepared(pvk, public, proof), args.repeat)
    cold_s = timed(lambda: verify_prepared(_prepare_cached.__wrapped__(vk), public, proof), max(3, args.repeat // 10))
    res100, _ = verify_batch_detailed(pvk, items[:100])
    assert all(res100)
    b100 = best(lambda: verify_batch_detailed(pvk, items[:100]))
    bn = best(lambda: verify_batch_detailed(pvk, items))
    bad = list(items)
    x, pr = bad[len(bad) // 3]
    bad[len(bad) // 3] = (x, Proof(a=pr.a, b=pr.b, c=bn254.g1_add(pr.c, bn254.G1_GENERATOR)))
    t = time.perf_counter()
    res_bad, checks = verify_batch_detailed(pvk, bad)
    bad_s = time.perf_counter() - t
    assert [i for i, ok in enumerate(res_bad) if not ok] == [len(bad) // 3]

    # the same snarkjs measurement again at the end, to bracket the zkgate timings
    out2 = subprocess.run(["node", str(REPO / "benchmarks" / "verify_bench.js")], input=json.dumps(node_in),
                          capture_output=True, text=True, cwd=REPO)
    sj2 = json.loads(out2.stdout)
    sj_single = min(sj_single, statistics.median(sj2["single_ms"]) / 1000)
    sj_100 = min(sj_100, sj2["batch_ms"] / 1000)

    ms = lambda s: f"{s * 1000:.2f} ms"  # noqa: E731
    rows = [
        ("pairing e(P, Q), native (plain-Python points in/out)", ms(pairing_s), ""),
        ("pairing e(P, Q), pure-Python reference", ms(pairing_ref_s), ""),
        ("snarkjs groth16.verify, single, in-process", ms(sj_single), "1.00x"),
        ("zkgate verify(vk, public, proof) (prepared key cached)", ms(verify_s), f"{verify_s / sj_single:.3f}x"),
        ("zkgate verify_prepared(pvk, ...)", ms(verify_prepared_s), f"{verify_prepared_s / sj_single:.3f}x"),
        ("zkgate verify, cold (validate + prepare key each time)", ms(cold_s), f"{cold_s / sj_single:.3f}x"),
        ("snarkjs 100 proofs, one by one", f"{sj_100:.3f} s ({100 / sj_100:.0f} proofs/s)", ""),
        ("zkgate verify_batch, 100 proofs", f"{b100:.3f} s ({100 / b100:.0f} proofs/s)", f"{b100 / sj_100:.3f}x"),
        (f"zkgate verify_batch, {args.proofs} proofs", f"{bn:.3f} s ({args.proofs / bn:.0f} proofs/s)", ""),
        (f"zkgate verify_batch, {args.proofs} proofs, 1 invalid (bisection: {checks} equations)",
         f"{bad_s:.3f} s ({args.proofs / bad_s:.0f} proofs/s)", ""),
    ]

    if not args.no_gas:
        from test_solidity import run_evm

        from zkgate.prover.formats.solidity import calldata_words, solidity_verifier

        snarkjs("zkey", "export", "solidityverifier", str(circuit.zkey), "snarkjs_verifier.sol", cwd=work)
        calls = [calldata_words(public, proof)]
        ours = run_evm(solidity_verifier(vk), vk.n_public, calls)
        theirs = run_evm((work / "snarkjs_verifier.sol").read_text(), vk.n_public, calls)
        assert ours["results"][0]["ok"] and theirs["results"][0]["ok"]
        og, tg = ours["results"][0], theirs["results"][0]
        rows += [
            ("gas: snarkjs verifier, verifyProof (execution / whole tx)", f"{tg['gasUsed']} / {tg['txGas']}", "1.00x"),
            ("gas: zkgate verifier, verifyProof (execution / whole tx)", f"{og['gasUsed']} / {og['txGas']}",
             f"{og['gasUsed'] / tg['gasUsed']:.3f}x"),
            ("deploy gas: snarkjs / zkgate", f"{theirs['deployGas']} / {ours['deployGas']}", ""),
        ]
    print("| measurement | time / value | vs snarkjs |")
    print("| --- | --- | --- |")
    for name, value, ratio in rows:
        print(f"| {name} | {value} | {ratio} |")


if __name__ == "__main__":
    main()
