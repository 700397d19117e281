#!/usr/bin/env python3
"""Joint-statistics protocol benchmarks (issue 9).

    python benchmarks/bench_study.py [--records 10000] [--holders 3] [--chunk 1024] [--skip-circom] [--skip-e2e]

1. constraints per record of the contribution circuit (marginal, chunks of 64 vs 128 records)
   beside benchmarks/circom/study_contribution.circom (the same per-record statement with
   circomlib) compiled by circom2 --O2 and --O1;
2. witness + prove per chunk of ``--chunk`` records (development key);
3. commitment throughput (packing + chunk roots + data set root), records/s;
4. an end-to-end simulated study, ``--holders`` x ``--records``, timings per phase.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

import numpy as np  # noqa: E402

from zkgate import _native  # noqa: E402
from zkgate.bn254 import FrArray  # noqa: E402
from zkgate.circuits.babyjubjub import SUBORDER as L  # noqa: E402
from zkgate.prover.groth16.prove import prove  # noqa: E402
from zkgate.study.circuit import chunk_statistics, circuit_inputs, commit, compile_contribution  # noqa: E402
from zkgate.study.commitment import DatasetCommitment  # noqa: E402
from zkgate.study.dataset import Dataset  # noqa: E402
from zkgate.study.keys import CircuitKeys  # noqa: E402
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table, simulate  # noqa: E402
from zkgate.study.spec import Participant, StudySpec, legacy_question  # noqa: E402

Z = b"\x00" * 32


def spec_for(cap: int, root: int = 1, chunks: int = 1) -> StudySpec:
    return StudySpec(title="bench", schema=PATIENT_SCHEMA, capacity=cap,
                     question=legacy_question(STUDY_FILTER, STUDY_STATISTICS),
                     participants=(Participant("a", root, chunks, Z),), quorum=1, deadline=1 << 40,
                     he_preset="bfv-4096", he_key_id=Z, he_context_digest=Z, vk_hash=Z, transcript_hash=Z,
                     gateway_key=Z, key_holder_key=Z, nonce=b"\x00" * 16)


def circom_constraints(n: int, opt: str) -> int | None:
    work = REPO / "build" / "bench-study"
    work.mkdir(parents=True, exist_ok=True)
    src = (REPO / "benchmarks" / "circom" / "study_contribution.circom").read_text()
    name = f"sc{n}_{opt}"
    (work / f"{name}.circom").write_text(src + f"\ncomponent main = StudyChunk({n});\n")
    rel = work.relative_to(REPO)
    p = subprocess.run([str(REPO / "node_modules" / ".bin" / "circom2"), f"{rel}/{name}.circom", "--r1cs", f"--{opt}",
                        "-l", "node_modules", "-o", str(rel)], cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stdout[-500:], p.stderr[-500:])
        return None
    nl = int(re.search(r"non-linear constraints: (\d+)", p.stdout).group(1))
    lin = int(re.search(r"(?<!non-)linear constraints: (\d+)", p.stdout).group(1))
    return nl + lin


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--holders", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=1024)
    ap.add_argument("--skip-circom", action="store_true")
    ap.add_argument("--skip-e2e", action="store_true")
    ap.add_argument("--commit-records", type=int, default=100_000)
    args = ap.parse_args()
    print(f"backend {_native.BACKEND}")
    results: dict = {}

    # 1. constraints per record
    zk = {n: compile_contribution(spec_for(n).shape()).r1cs.n_constraints for n in (64, 128)}
    results["zkgate_per_record"] = (zk[128] - zk[64]) / 64
    print(f"zkgate: {zk} constraints -> {results['zkgate_per_record']:.2f} per record")
    if not args.skip_circom and (REPO / "node_modules" / ".bin" / "circom2").exists():
        for opt in ("O2", "O1"):
            cc = {n: circom_constraints(n, opt) for n in (64, 128)}
            if None not in cc.values():
                results[f"circom_{opt}_per_record"] = (cc[128] - cc[64]) / 64
                print(f"circom2 --{opt}: {cc} -> {results[f'circom_{opt}_per_record']:.2f} per record")

    # 2. witness + prove per chunk
    cap = args.chunk
    rng = np.random.default_rng(5)
    ds = Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, cap))
    com = DatasetCommitment(ds, cap)
    spec = spec_for(cap, com.root, com.n_chunks)
    t0 = time.perf_counter()
    circuit = compile_contribution(spec.shape())
    t1 = time.perf_counter()
    keys = CircuitKeys.dev(circuit)
    t2 = time.perf_counter()
    print(f"chunk {cap}: {circuit.r1cs.n_constraints} constraints, compile {t1 - t0:.2f} s ({circuit.from_cache}), "
          f"dev setup {t2 - t1:.2f} s")
    best = None
    for _ in range(2):
        t0 = time.perf_counter()
        s = chunk_statistics(spec, com.chunk_rows(0))
        rho = secrets.randbelow(L)
        pt = commit(s, rho)
        w = circuit.solve(circuit_inputs(spec, com.chunk_elements[0], com.chunk_salts[0], com.chunk_roots[0], rho, pt),
                          check=False)
        t1 = time.perf_counter()
        proof, public = prove(keys.pk, FrArray(w, check=False), check=False)
        t2 = time.perf_counter()
        if best is None or t2 - t0 < best[0] + best[1]:
            best = (t1 - t0, t2 - t1)
    results["witness_s_per_chunk"], results["prove_s_per_chunk"] = best
    results["ms_per_record"] = (best[0] + best[1]) * 1000 / cap
    print(f"witness {best[0]:.3f} s + prove {best[1]:.3f} s per chunk of {cap} = {results['ms_per_record']:.2f} ms/record")

    # 3. commitment throughput
    n = args.commit_records
    raw = patient_table(np.random.default_rng(9), n)
    t0 = time.perf_counter()
    ds = Dataset.from_array(PATIENT_SCHEMA, raw)
    DatasetCommitment(ds, cap)
    dt = time.perf_counter() - t0
    results["commit_records_per_s"] = n / dt
    print(f"commitment: {n} records in {dt:.2f} s = {n / dt:,.0f} records/s")

    # 4. end to end
    if not args.skip_e2e:
        t0 = time.perf_counter()
        res = simulate(args.holders, args.records, 1, cap, log=print)
        total = time.perf_counter() - t0
        results["e2e_total_s"] = total
        results["e2e_verified"] = res.verified
        results["e2e_timings"] = {k: round(v, 2) for k, v in res.timings.items()}
        print(f"end to end {args.holders} x {args.records}: {total:.1f} s, verified={res.verified}, "
              f"released == truth: {res.released == res.truth}")
        print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in res.timings.items()))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
