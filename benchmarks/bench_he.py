"""Benchmark zkgate.he against raw TenSEAL doing the same operations, in the same run.

Operations (BFV, one 8192-slot vector per contribution by default):

* encrypt   contributor side: encrypt + serialize (zkgate: encode, range checks, envelope);
* aggregate aggregator side: deserialize + add, per contribution (zkgate: strict envelope
  decoding, key/parameter/layout checks, ciphertext level checks, duplicate refusal);
* decrypt   key holder side: deserialize the aggregate + decrypt (zkgate: envelope checks,
  range check, decoding).

The two sides run interleaved (alternating which goes first) on identical inputs, so that
load from other processes hits both alike.  A second phase aggregates only through zkgate,
re-sending a few envelopes under new sender names, and samples the process RSS and the
Python heap (tracemalloc) to show that memory does not grow with the contribution count.

    python benchmarks/bench_he.py            # 1000 contributions
    python benchmarks/bench_he.py --quick    # 100 contributions
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
import tracemalloc
from dataclasses import replace

import numpy as np
import tenseal as ts

from zkgate.he import (  # noqa: E402
    Aggregator,
    ContributionEnvelope,
    Contributor,
    Field,
    KeyHolder,
    SlotLayout,
    bfv_preset,
)


def rss_mib() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100 contributions instead of 1000")
    ap.add_argument("--contributions", type=int, default=None)
    ap.add_argument("--degree", type=int, default=8192, choices=[4096, 8192, 16384])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = args.contributions or (100 if args.quick else 1000)
    degree = args.degree

    params = bfv_preset(degree)
    slots = params.slot_count
    maximum = (params.safe_bound - 1) // n  # the largest per-slot value the guard allows for n participants
    layout = SlotLayout((Field("v", maximum, slots),), max_participants=n)
    rng = np.random.default_rng(args.seed)

    print(f"# zkgate.he vs raw TenSEAL {ts.__version__}: BFV N={degree}, t={params.plain_modulus} "
          f"({params.plain_modulus.bit_length()} bits), {slots} slots, {n} contributions")
    print(f"# python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")

    # -- setup: zkgate -------------------------------------------------------------------
    kh, t_keygen = timed(KeyHolder.create, params)
    pub = kh.public_context()
    agg = Aggregator(pub, layout)
    # -- setup: raw TenSEAL with the same parameters ------------------------------------------
    raw_secret = ts.context(ts.SCHEME_TYPE.BFV, degree, params.plain_modulus, list(params.coeff_mod_bit_sizes))
    raw_pub_bytes = raw_secret.serialize(save_secret_key=False, save_galois_keys=False, save_relin_keys=False)
    raw_contrib_ctx = ts.context_from(raw_pub_bytes)
    raw_agg_ctx = ts.context_from(raw_pub_bytes)
    raw_acc = None

    expected = np.zeros(slots, dtype=np.int64)
    t = {k: ([], []) for k in ("encrypt", "aggregate")}  # per-contribution seconds: (raw, zkgate)
    sizes = {}
    samples = []
    block = 10  # contributions per block; blocks alternate which side runs first
    done = 0
    while done < n:
        batch = [rng.integers(0, maximum + 1, slots, dtype=np.int64) for _ in range(min(block, n - done))]
        for values in batch:
            expected += values
        lists = [v.tolist() for v in batch]
        contributors = [Contributor(pub, sender=f"participant-{done + j:05d}") for j in range(len(lists))]

        def raw_block():
            nonlocal raw_acc
            datas = []
            for vals in lists:
                t0 = time.perf_counter()
                datas.append(ts.bfv_vector(raw_contrib_ctx, vals).serialize())
                t["encrypt"][0].append(time.perf_counter() - t0)
            for data in datas:
                t0 = time.perf_counter()
                vec = ts.bfv_vector_from(raw_agg_ctx, data)
                if raw_acc is None:
                    raw_acc = vec
                else:
                    raw_acc.add_(vec)
                t["aggregate"][0].append(time.perf_counter() - t0)
            sizes["raw_ct"] = len(datas[-1])

        def zk_block():
            envs = []
            for contributor, vals in zip(contributors, lists):
                t0 = time.perf_counter()
                envs.append(contributor.encrypt(layout, {"v": vals}))
                t["encrypt"][1].append(time.perf_counter() - t0)
            for env in envs:
                t0 = time.perf_counter()
                agg.add(env)
                t["aggregate"][1].append(time.perf_counter() - t0)
            sizes["env"] = len(envs[-1])

        for side in ((raw_block, zk_block) if (done // block) % 2 == 0 else (zk_block, raw_block)):
            side()
        done += len(lists)
        if done in (max(1, n // 10), n):
            samples.append((done, rss_mib()))
    env_size, raw_ct_size = sizes["env"], sizes["raw_ct"]

    # -- decrypt: blocks of 5 back-to-back calls per side, alternating; every call timed ---------
    raw_agg_bytes = raw_acc.serialize()
    result = agg.result()
    dec_raw, dec_zk = [], []
    out_raw = ts.bfv_vector_from(raw_secret, raw_agg_bytes).decrypt()  # warm-up, and the answers
    out_zk = kh.decrypt(result)
    for rep in range(4):
        for which in ((0, 1) if rep % 2 == 0 else (1, 0)):
            for _ in range(5):
                if which == 0:
                    _, dt = timed(lambda: ts.bfv_vector_from(raw_secret, raw_agg_bytes).decrypt())
                    dec_raw.append(dt)
                else:
                    _, dt = timed(kh.decrypt, result)
                    dec_zk.append(dt)
    assert out_raw == expected.tolist(), "raw TenSEAL sum is wrong"
    assert out_zk == {"v": expected.tolist()}, "zkgate sum is wrong"

    med = statistics.median
    print()
    print("milliseconds per operation; 'min' is the uncontended cost (timeit's convention), medians and")
    print("means include preemption by other processes on a shared machine")
    print(f"{'operation':<22}{'raw min':>9}{'zk min':>9}{'ratio':>8}{'raw med':>10}{'zk med':>9}{'ratio':>8}"
          f"{'raw mean':>10}{'zk mean':>9}{'ratio':>8}")
    rows = [
        ("encrypt (per contrib.)", t["encrypt"][0], t["encrypt"][1]),
        ("aggregate (per contrib.)", t["aggregate"][0], t["aggregate"][1]),
        ("decrypt (20 runs)", dec_raw, dec_zk),
    ]
    for name, r, z in rows:
        cells = ""
        for fn in (min, med, statistics.fmean):
            a, b = fn(r) * 1e3, fn(z) * 1e3
            cells += f"{a:>{9 if fn is min else 10}.3f}{b:>9.3f}{b / a:>7.3f}x"
        print(f"{name:<22}{cells}")
    lo_raw = n * (min(t["encrypt"][0]) + min(t["aggregate"][0])) + min(dec_raw)
    lo_zk = n * (min(t["encrypt"][1]) + min(t["aggregate"][1])) + min(dec_zk)
    total_raw = sum(t["encrypt"][0]) + sum(t["aggregate"][0]) + med(dec_raw)
    total_zk = sum(t["encrypt"][1]) + sum(t["aggregate"][1]) + med(dec_zk)
    typical_raw = n * (med(t["encrypt"][0]) + med(t["aggregate"][0])) + med(dec_raw)
    typical_zk = n * (med(t["encrypt"][1]) + med(t["aggregate"][1])) + med(dec_zk)
    print(f"end to end, {n} contributions (encrypt all, aggregate all, decrypt), zkgate / raw TenSEAL:")
    print(f"  from per-op minima {lo_zk:.3f} s / {lo_raw:.3f} s = {lo_zk / lo_raw:.3f}x;"
          f" medians {typical_zk:.3f} s / {typical_raw:.3f} s = {typical_zk / typical_raw:.3f}x;"
          f" wall sums {total_zk:.3f} s / {total_raw:.3f} s = {total_zk / total_raw:.3f}x")

    print()
    print("sizes (bytes)")
    print(f"  ciphertext, raw TenSEAL serialization   {raw_ct_size:>10}")
    print(f"  contribution envelope (zkgate)          {env_size:>10}  (+{env_size - raw_ct_size} metadata)")
    print(f"  aggregate envelope ({n} senders)       {len(result):>10}")
    print(f"  public context, raw TenSEAL             {len(raw_pub_bytes):>10}")
    print(f"  public context envelope (zkgate)        {len(pub.to_bytes()):>10}")
    print(f"  secret context envelope (zkgate)        {len(kh.export_secret()):>10}")
    print(f"  key generation (s)                      {t_keygen:>10.3f}")
    print("RSS during the interleaved run (MiB): " + ", ".join(f"{k} -> {v:.1f}" for k, v in samples))

    # -- memory phase: zkgate aggregation only ----------------------------------------------
    del agg, raw_acc
    gc.collect()
    templates = [
        ContributionEnvelope.from_bytes(
            Contributor(pub).encrypt(layout, {"v": rng.integers(0, maximum + 1, slots).tolist()}), params, layout
        )
        for _ in range(4)
    ]
    agg2 = Aggregator(pub, layout)
    tracemalloc.start()
    mem = []
    t0 = time.perf_counter()
    for i in range(n):
        env = replace(templates[i % 4], sender=f"sender-{i:05d}").to_bytes()
        agg2.add(env)
        del env
        if (i + 1) in (max(1, n // 10), n):
            gc.collect()
            mem.append((i + 1, rss_mib(), tracemalloc.get_traced_memory()[0] / 2**20))
    dt = time.perf_counter() - t0
    tracemalloc.stop()
    print()
    print(f"memory phase: aggregated {n} envelopes through zkgate only in {dt:.2f} s")
    for k, rss, py in mem:
        print(f"  after {k:>5} contributions: RSS {rss:8.1f} MiB, Python heap (tracemalloc) {py:7.2f} MiB")
    if len(mem) == 2:
        print(f"  growth {mem[0][0]} -> {mem[1][0]}: RSS {mem[1][1] - mem[0][1]:+.1f} MiB, "
              f"Python heap {mem[1][2] - mem[0][2]:+.3f} MiB (sender names only)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
