#!/usr/bin/env python3
"""Circuit benchmarks: constraint counts beside circomlib, and a 2^20-constraint
Poseidon-heavy circuit beside circom2 (compile + wasm witness) in the same run.

    python benchmarks/bench_circuits.py [--hashes 4369] [--circom-opt O2] [--skip-circom]

Statement: h_0 = a, h_{i+1} = Poseidon(h_i, b), output h_N (benchmarks/circom/poseidon_chain.circom).
4369 hashes x 240 constraints = 1,048,560 ~ 2^20 constraints.  Times are wall clock of
separate processes measured with /usr/bin/time -v (peak RSS of the whole process).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / "node_modules" / ".bin"
WORK = REPO / "build" / "bench-circuits"

ZK_CHAIN = """
import sys, time, json
from zkgate.circuits import compile_circuit
from zkgate.circuits.gadgets.poseidon import poseidon
from zkgate import _native

def chain(api, n):
    a = api.private_input("a"); b = api.private_input("b"); h = a
    for _ in range(n):
        h = poseidon(api, [h, b])
    api.output("h", h)

t0 = time.perf_counter()
c = compile_circuit(chain, n={n}, cache={cache!r})
t1 = time.perf_counter()
w = c.solve({{"a": 1, "b": 2}}, check=False)
t2 = time.perf_counter()
ok = c.r1cs.is_satisfied(w)
t3 = time.perf_counter()
print(json.dumps({{"backend": _native.BACKEND, "from_cache": c.from_cache, "constraints": c.r1cs.n_constraints,
                  "nnz": c.r1cs.nnz, "compile_s": t1 - t0, "witness_s": t2 - t1, "check_s": t3 - t2, "ok": ok}}))
"""


def timed(cmd, cwd=REPO, env=None):
    """Run under /usr/bin/time -v; returns (stdout, wall seconds, peak RSS KiB)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {p.stdout[-1000:]} {p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return p.stdout, wall, rss


def circom_count(body: str, name: str, opt: str) -> int:
    src = WORK / f"{name}.circom"
    src.write_text('pragma circom 2.0.0;\ninclude "circomlib/circuits/poseidon.circom";\n'
                   'include "circomlib/circuits/comparators.circom";\ninclude "circomlib/circuits/bitify.circom";\n'
                   'include "circomlib/circuits/babyjub.circom";\ninclude "circomlib/circuits/mux3.circom";\n' + body)
    rel = WORK.relative_to(REPO)
    p = subprocess.run([str(BIN / "circom2"), f"{rel}/{name}.circom", "--r1cs", f"--{opt}", "-l", "node_modules",
                        "-o", str(rel)], cwd=REPO, capture_output=True, text=True)
    m = re.search(r"non-linear constraints: (\d+)\s+linear constraints: (\d+)", p.stdout)
    return int(m.group(1)) + int(m.group(2))


def gadget_counts(opt: str, with_circom: bool) -> list[tuple[str, int, int | None]]:
    from zkgate.circuits import Builder
    from zkgate.circuits import babyjubjub as bjj
    from zkgate.circuits.gadgets import babyjubjub as gj
    from zkgate.circuits.gadgets import comparators, mux
    from zkgate.circuits.gadgets.poseidon import poseidon

    def count(fn):
        api = Builder()
        fn(api)
        return api.finalize()[0].n_constraints  # after linear-constraint elimination

    rows = []

    def add(name, fn, circom_body):
        mine = count(fn)
        theirs = circom_count(circom_body, re.sub(r"\W+", "_", name).strip("_"), opt) if with_circom else None
        rows.append((name, mine, theirs))

    for n in (1, 2, 5, 16):
        add(f"Poseidon({n})", lambda api, n=n: api.output("o", poseidon(api, api.private_input("x", n))),
            f"template M() {{ signal input x[{n}]; signal output o; component p = Poseidon({n});"
            f" for (var i=0;i<{n};i++) {{ p.inputs[i] <== x[i]; }} o <== p.out; }}\ncomponent main = M();\n")
    add("LessThan(32)", lambda api: api.output("o", comparators.less_than(api, 32, *api.private_input("x", 2))),
        "template M() { signal input x[2]; signal output o; component c = LessThan(32); c.in[0] <== x[0];"
        " c.in[1] <== x[1]; o <== c.out; }\ncomponent main = M();\n")
    add("Num2Bits(64)", lambda api: api.to_bits(api.private_input("x"), 64),
        "template M() { signal input x; signal output o[64]; component c = Num2Bits(64); c.in <== x;"
        " for (var i=0;i<64;i++) { o[i] <== c.out[i]; } }\ncomponent main = M();\n")
    add("Num2Bits_strict", lambda api: api.to_bits(api.private_input("x"), 254),
        "template M() { signal input x; signal output o[254]; component c = Num2Bits_strict(); c.in <== x;"
        " for (var i=0;i<254;i++) { o[i] <== c.out[i]; } }\ncomponent main = M();\n")
    add("IsEqual", lambda api: api.output("o", api.is_equal(*api.private_input("x", 2))),
        "template M() { signal input x[2]; signal output o; component c = IsEqual(); c.in[0] <== x[0];"
        " c.in[1] <== x[1]; o <== c.out; }\ncomponent main = M();\n")
    add("BabyAdd", lambda api: api.output("o", list(gj.point_add(api, api.private_input("p", 2), api.private_input("q", 2)))),
        "template M() { signal input p[2]; signal input q[2]; signal output o[2]; component c = BabyAdd();"
        " c.x1 <== p[0]; c.y1 <== p[1]; c.x2 <== q[0]; c.y2 <== q[1]; o[0] <== c.xout; o[1] <== c.yout; }\n"
        "component main = M();\n")
    add("BabyPbk (fixed-base mul, 253 bits)",
        lambda api: api.output("o", list(gj.scalar_mul_fixed(api, api.to_bits(api.private_input("k"), 253), bjj.BASE8))),
        "template M() { signal input k; signal output o[2]; component c = BabyPbk(); c.in <== k;"
        " o[0] <== c.Ax; o[1] <== c.Ay; }\ncomponent main = M();\n")
    add("Mux3 (selectors assumed boolean, as circomlib)",
        lambda api: api.output("o", mux.mux(api, api.private_input("s", 3), api.private_input("c", 8), checked=False)),
        "template M() { signal input s[3]; signal input c[8]; signal output o; component m = Mux3();"
        " for (var i=0;i<8;i++) { m.c[i] <== c[i]; } for (var i=0;i<3;i++) { m.s[i] <== s[i]; } o <== m.out; }\n"
        "component main = M();\n")
    add("Mux3 + boolean selector checks",
        lambda api: api.output("o", mux.mux(api, api.private_input("s", 3), api.private_input("c", 8))),
        "template M() { signal input s[3]; signal input c[8]; signal output o; component m = Mux3();"
        " for (var i=0;i<8;i++) { m.c[i] <== c[i]; } for (var i=0;i<3;i++) { s[i] * (s[i] - 1) === 0; m.s[i] <== s[i]; }"
        " o <== m.out; }\ncomponent main = M();\n")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hashes", type=int, default=4369)
    ap.add_argument("--circom-opt", default="O2", choices=["O1", "O2"])
    ap.add_argument("--skip-circom", action="store_true")
    args = ap.parse_args()
    with_circom = not args.skip_circom and (BIN / "circom2").exists()
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)

    print(f"## constraint counts (zkgate vs circomlib compiled by circom2 --{args.circom_opt})")
    print("| gadget | zkgate | circomlib |\n| --- | ---: | ---: |")
    for name, mine, theirs in gadget_counts(args.circom_opt, with_circom):
        print(f"| {name} | {mine} | {theirs if theirs is not None else '-'} |")

    n = args.hashes
    cache_dir = Path(tempfile.mkdtemp(prefix="zkgate-bench-cache-"))
    env = dict(os.environ, ZKGATE_CACHE_DIR=str(cache_dir))
    py = sys.executable
    out, wall_cold, rss_cold = timed([py, "-c", ZK_CHAIN.format(repo=str(REPO), n=n, cache=True)], env=env)
    cold = json.loads(out.strip().splitlines()[-1])
    out, wall_warm, rss_warm = timed([py, "-c", ZK_CHAIN.format(repo=str(REPO), n=n, cache=True)], env=env)
    warm = json.loads(out.strip().splitlines()[-1])
    shutil.rmtree(cache_dir, ignore_errors=True)
    m = cold["constraints"]
    print(f"\n## Poseidon chain: {n} hashes, {m} constraints ({cold['nnz']} non-zeros), backend {cold['backend']}")
    print("| tool | step | time (s) | peak RSS (MiB) | RSS / constraint (B) |\n| --- | --- | ---: | ---: | ---: |")
    print(f"| zkgate | compile (cold, writes cache) | {cold['compile_s']:.2f} | | |")
    print(f"| zkgate | witness (compiled solver) | {cold['witness_s']:.2f} | | |")
    print(f"| zkgate | constraint check | {cold['check_s']:.2f} | | |")
    print(f"| zkgate | whole process, cold (python start + compile + witness + check) | {wall_cold:.2f} | {rss_cold / 1024:.0f} | {rss_cold * 1024 / m:.0f} |")
    print(f"| zkgate | cached: load ({warm['from_cache']}) | {warm['compile_s']:.2f} | | |")
    print(f"| zkgate | cached: witness | {warm['witness_s']:.2f} | | |")
    print(f"| zkgate | whole process, cached | {wall_warm:.2f} | {rss_warm / 1024:.0f} | {rss_warm * 1024 / m:.0f} |")
    if with_circom:
        src = WORK / "chain.circom"
        src.write_text((REPO / "benchmarks" / "circom" / "poseidon_chain.circom").read_text().replace("N_HASHES", str(n)))
        rel = WORK.relative_to(REPO)
        out, wall_cc, rss_cc = timed([str(BIN / "circom2"), f"{rel}/chain.circom", "--r1cs", "--wasm",
                                      f"--{args.circom_opt}", "-l", "node_modules", "-o", str(rel)])
        cm = re.search(r"non-linear constraints: (\d+)\s+linear constraints: (\d+)", out)
        cc = int(cm.group(1)) + int(cm.group(2))
        (WORK / "in.json").write_text(json.dumps({"a": "1", "b": "2"}))
        _, wall_cw, rss_cw = timed([str(BIN / "snarkjs"), "wtns", "calculate", str(WORK / "chain_js" / "chain.wasm"),
                                    str(WORK / "in.json"), str(WORK / "chain.wtns")])
        print(f"| circom2 --{args.circom_opt} | compile ({cc} constraints) | {wall_cc:.2f} | {rss_cc / 1024:.0f} | {rss_cc * 1024 / cc:.0f} |")
        print(f"| circom2 | wasm witness (snarkjs wtns calculate) | {wall_cw:.2f} | {rss_cw / 1024:.0f} | |")
        print(f"\ncompile + witness: zkgate {wall_cold:.2f} s (whole process) vs circom2 {wall_cc + wall_cw:.2f} s")
        print(f"cached witness: zkgate {wall_warm:.2f} s (whole process; solve alone {warm['witness_s']:.2f} s) "
              f"vs circom2 wasm {wall_cw:.2f} s")
    print(f"peak RSS per constraint: zkgate {rss_cold * 1024 / m:.0f} B (target <= 1024 B)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
