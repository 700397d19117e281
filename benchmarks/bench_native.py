"""Benchmarks of zkgate's native BN254 kernels beside ffjavascript (snarkjs's math library).

    python benchmarks/bench_native.py [--quick] [--no-ffjs] [--threads 2] [--only g1,g2,ntt,field]

Both sides get identical inputs (random scalars, points and field elements in the raw
Montgomery layout a .zkey uses), timed in the same run; each figure is the best of a few
repetitions.  The results of both sides are compared, and the ratio zkgate/ffjavascript is
printed.  ffjavascript runs through node (benchmarks/ffjs_bench.js) with its default worker
threads (one per core).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from zkgate._native import _curve, _field, _ntt  # noqa: E402

R_MOD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
Q_MOD = 21888242871839275222246405745257275088696311157297823662689037894645226208583
G1_GEN = (1, 2)
G2_GEN = (
    (10857046999023057135944570762232829481370756359578518086990519993285655852781,
     11559732032986387107991004021392285783925812861821192530917403151452391805634),
    (8495653923123431417604973247489272438418190587263600148770280649306958101930,
     4082367875863433681332203403145435568316851327593401208105741076214120093531),
)


def mont_rows(values: list[int], width: int) -> np.ndarray:
    return _field.to_montgomery(_field.ints_to_limbs(values), False).reshape(-1, width)


def random_scalars(n: int, rng: np.random.Generator) -> np.ndarray:
    s = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    s[:, 3] &= np.uint64((1 << 61) - 1)  # < 2^253 < r
    return s


def random_points(n: int, group: int, rng: np.random.Generator, distinct: int = 1 << 16) -> np.ndarray:
    """n points (affine Montgomery rows): pairwise sums of k random multiples of the
    generator, tiled when n exceeds ``distinct`` (repeats do not change the MSM's work)."""
    if group == 1:
        gen = mont_rows(list(G1_GEN), 8)
    else:
        gen = mont_rows([G2_GEN[0][0], G2_GEN[0][1], G2_GEN[1][0], G2_GEN[1][1]], 16)
    m = min(n, distinct)
    k = max(2, int(np.ceil(np.sqrt(m))))
    multiples = _curve.mul_scalar(np.repeat(gen, k, axis=0), random_scalars(k, rng), group)
    a = np.repeat(multiples, k, axis=0)[:m]
    b = np.tile(multiples, (k, 1))[:m]
    pts = _curve.add(a, b, group)
    if n > m:
        pts = np.tile(pts, (-(-n // m), 1))[:n]
    return np.ascontiguousarray(pts)


def rss_peak_mib() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_rss_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def best_of(fn, reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_ffjs(args: list[str]) -> dict | None:
    script = ROOT / "benchmarks" / "ffjs_bench.js"
    try:
        out = subprocess.run(["node", str(script), *args], cwd=ROOT, capture_output=True, text=True,
                             timeout=3600, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"  ffjavascript failed: {exc}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(name: str, ours: float, theirs: dict | None, target: float | None, same: bool | None) -> dict:
    row = {"name": name, "zkgate_s": ours}
    line = f"{name:<22} zkgate {ours * 1e3:10.2f} ms"
    if theirs is not None:
        ratio = ours / theirs["seconds"]
        row.update(ffjs_s=theirs["seconds"], ratio=ratio, results_agree=same)
        line += f"   ffjavascript {theirs['seconds'] * 1e3:10.2f} ms   ratio {ratio:6.3f}"
        if target is not None:
            row["target"] = target
            line += f"  (target <= {target})  {'MET' if ratio <= target else 'MISSED'}"
        if same is not None:
            line += "" if same else "   RESULTS DIFFER"
    print(line, flush=True)
    return row


def bench_msm(group: int, logn: int, threads: int, reps: int, ffjs: bool, tmp: Path, target) -> dict:
    rng = np.random.default_rng(logn * 10 + group)
    n = 1 << logn
    bases = random_points(n, group, rng)
    scalars = random_scalars(n, rng)
    result = {}

    def go():
        result["r"] = _curve.msm(bases, scalars, group, nthreads=threads)

    base_rss = None
    if reset_rss_peak():
        base_rss = rss_peak_mib()
    ours = best_of(go, reps)
    extra = None
    if base_rss is not None:
        extra = rss_peak_mib() - base_rss
        print(f"  peak memory beyond the inputs: {extra:.1f} MiB (window {_curve.choose_window(n, threads)})")
    theirs = same = None
    if ffjs:
        (tmp / "bases.bin").write_bytes(bases.tobytes())
        (tmp / "scalars.bin").write_bytes(scalars.tobytes())
        theirs = run_ffjs([f"g{group}msm", str(tmp / "bases.bin"), str(tmp / "scalars.bin"), str(reps)])
        if theirs is not None:
            same = theirs["result"] == result["r"].tobytes().hex()
    row = report(f"G{group} MSM 2^{logn}", ours, theirs, target, same)
    row["extra_mib"] = extra
    return row


def bench_ntt(logn: int, threads: int, reps: int, ffjs: bool, tmp: Path, target) -> dict:
    rng = np.random.default_rng(logn)
    n = 1 << logn
    values = _field.to_montgomery(random_scalars(n, rng), True)
    work = values.copy()

    def go():
        np.copyto(work, values)
        _ntt.ntt_inplace(work, nthreads=threads)

    ours = best_of(go, reps)
    theirs = same = None
    if ffjs:
        (tmp / "values.bin").write_bytes(values.tobytes())
        theirs = run_ffjs(["fft", str(tmp / "values.bin"), "-", str(reps)])
        if theirs is not None:
            same = theirs["result"] == work[:2].tobytes().hex()
    return report(f"NTT 2^{logn}", ours, theirs, target, same)


def bench_field() -> list[dict]:
    rows = []
    for label, field in (("Fq", 1), ("Fr", 0)):
        chain = min(_field.mul_chain_ns(5_000_000, field) for _ in range(3))
        batch = min(_field.mul_batch_ns(4096, 500, field) for _ in range(3))
        print(f"{label} mul                 dependent chain {chain:6.2f} ns   independent batch {batch:6.2f} ns"
              f"  (target chain <= 20 ns) {'MET' if chain <= 20 else 'MISSED'}", flush=True)
        rows.append({"name": f"{label} mul", "chain_ns": chain, "batch_ns": batch})
    portable = min(_field.mul_chain_ns(5_000_000, 1, 1) for _ in range(3))
    print(f"Fq mul (portable C)    dependent chain {portable:6.2f} ns   ADX active: {_field.has_adx()}")
    rows.append({"name": "Fq mul portable", "chain_ns": portable})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (2^12, 2^16)")
    ap.add_argument("--no-ffjs", action="store_true", help="skip ffjavascript")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default="field,g1,g2,ntt")
    ap.add_argument("--json", help="write the rows to this file")
    args = ap.parse_args()
    only = set(args.only.split(","))
    ffjs = not args.no_ffjs
    rows = []
    print(f"threads={args.threads} reps={args.reps} cpus={os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if "field" in only:
            rows += bench_field()
        if "g1" in only:
            for logn in (12, 16) if args.quick else (12, 16, 18, 20):
                target = 0.09 if logn in (16, 20) else None
                rows.append(bench_msm(1, logn, args.threads, args.reps if logn < 20 else 2, ffjs, tmp, target))
        if "g2" in only:
            rows.append(bench_msm(2, 12 if args.quick else 16, args.threads, args.reps, ffjs, tmp, 0.09))
        if "ntt" in only:
            for logn in (16,) if args.quick else (16, 20):
                rows.append(bench_ntt(logn, args.threads, args.reps, ffjs, tmp, 0.15 if logn == 20 else None))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
