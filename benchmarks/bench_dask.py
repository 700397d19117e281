#!/usr/bin/env python3
"""Chunk proofs on Dask (issue 25): per-task overhead, local:2 against in-process, a projection.

    python benchmarks/bench_dask.py [--chunk 1024] [--chunks 6] [--projection-records 10000000]
                                    [--projection-workers 64]

One data set of ``--chunks`` chunks of ``--chunk`` records (the simulated patient table and
study, development key), proved four ways in one run, each a whole contribution's chunk work
(statistics, ρ, commitment, witness, Groth16 proof):

1. in-process, one chunk after the other (``Contributor.contribute`` without workers);
2. with ``--pool``, in-process with ``workers=2`` (the local process pool, spawned);
3. ``--dask local:1``: one worker process — the wall time per chunk minus the witness + proof
   time measured inside each task is the per-task overhead (scheduling, pickling the chunk's
   records and the result, transfers, the client's bookkeeping);
4. ``--dask local:2``: throughput beside (1) on the same cores.

The runs are interleaved over ``--rounds`` (ABBA order, the best round of each kept): the
machine is shared, and its load drifts.

Also an empty round trip: a task that takes the same arguments as a chunk (its records) and
returns a result of a chunk proof's size, one at a time, on one worker — Dask's own cost per
task with no proving.  The Dask runs start after a warm-up task on every worker (the circuit
compiled or loaded from the disk cache, the proving key scattered once), which a long run
pays once.  Then the projection: ``--projection-records`` in chunks of ``--chunk`` on
``--projection-workers`` single-core workers, from the measured per-chunk cost and overhead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import time

import numpy as np

from zkgate import _native
from zkgate.he import KeyHolder
from zkgate.study import Contributor, Dataset, DatasetCommitment, Registration, SigningKey, open_study
from zkgate.study.distributed import DaskProver, parse_target, prove_chunk
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table


def echo_chunk(spec, pk, index, rows, elements, salt, root, size):
    """Dask's cost alone: the chunk's arguments in, a chunk-proof-sized result out."""
    return index, os.urandom(size)


def setup(chunk: int, chunks: int):
    rng = np.random.default_rng(25)
    com = DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, chunk * chunks)), chunk)
    key = SigningKey.generate()
    reg = Registration.create("hospital-a", com, key)
    he = KeyHolder.create("bfv-4096")
    pub = he.public_context()
    gw, kh = SigningKey.generate(), SigningKey.generate()
    t0 = time.perf_counter()
    spec, ckeys = open_study(title="bench dask", registrations=[reg], filter=STUDY_FILTER,
                             statistics=STUDY_STATISTICS, quorum=1, deadline=int(time.time()) + 86400,
                             public_context=pub, gateway_key=gw.public, key_holder_key=kh.public, keys="dev",
                             dev_mode=True)
    print(f"setup: {chunks} chunks of {chunk} records, circuit + development key in {time.perf_counter() - t0:.1f} s")
    return com, key, spec, ckeys, pub


def timed_contribution(contributor, spec, pub, ckeys, **kw):
    t0 = time.perf_counter()
    c = contributor.contribute(spec, pub, ckeys, **kw)
    return time.perf_counter() - t0, c


def warm_up(prover: DaskProver, spec, ckeys, com) -> None:
    """One chunk task on every worker: the circuit compiled/loaded there and the key scattered."""
    client = prover.client
    pk = prover._scatter_key(ckeys.pk)
    args = (com.chunk_rows(0), com.chunk_elements[0], com.chunk_salts[0], com.chunk_roots[0])
    futures = [client.submit(prove_chunk, spec, pk, 0, *args, workers=[w], pure=False)
               for w in prover.worker_pids()]
    client.gather(futures)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunk", type=int, default=1024)
    ap.add_argument("--chunks", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds of the three runs (best of each kept)")
    ap.add_argument("--echo", type=int, default=40, help="empty round trips to time")
    ap.add_argument("--projection-records", type=int, default=10_000_000)
    ap.add_argument("--projection-workers", type=int, default=64)
    ap.add_argument("--pool", action="store_true", help="also time in-process workers=2 (the local process pool)")
    args = ap.parse_args()
    print(f"backend {_native.BACKEND}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    com, key, spec, ckeys, pub = setup(args.chunk, args.chunks)
    n = com.n_chunks
    recs = n * args.chunk
    holder = Contributor("hospital-a", com, key, dev_mode=True)
    res: dict = {"chunk": args.chunk, "chunks": n, "backend": _native.BACKEND}
    pk_bytes = len(pickle.dumps(ckeys.pk, protocol=pickle.HIGHEST_PROTOCOL))
    res["proving_key_pickled_mib"] = round(pk_bytes / 2**20, 1)
    prove_chunk(spec, ckeys.pk, 0, com.chunk_rows(0), com.chunk_elements[0], com.chunk_salts[0], com.chunk_roots[0])

    with DaskProver(parse_target("local:1")) as d1, DaskProver(parse_target("local:2")) as d2:
        for p in (d1, d2):
            warm_up(p, spec, ckeys, com)  # circuit compiled/loaded on each worker, the key scattered once
        # Dask's own cost: an empty round trip, one task at a time, on one worker
        client = d1.client
        pk = d1._scatter_key(ckeys.pk)
        size = 1200  # a pickled chunk result: the proof, statistics, rho, point, timings
        a = (com.chunk_rows(0), com.chunk_elements[0], com.chunk_salts[0], com.chunk_roots[0])
        client.submit(echo_chunk, spec, pk, 0, *a, size, pure=False).result()
        t0 = time.perf_counter()
        for i in range(args.echo):
            client.submit(echo_chunk, spec, pk, i, *a, size, pure=False).result()
        res["echo_task_ms"] = (time.perf_counter() - t0) / args.echo * 1000
        print(f"empty round trip (a chunk's records in, a chunk result out), one at a time: "
              f"{res['echo_task_ms']:.1f} ms per task")

        runs: dict[str, list] = {"in_process": [], "dask1": [], "dask2": []}
        overheads, inside_per_chunk, local_chunk = [], [], []
        if args.pool:
            runs["in_process_workers2"] = []
        for r in range(args.rounds):
            order = list(runs) if r % 2 == 0 else list(reversed(runs))  # ABBA: load drifts evenly
            for name in order:
                if name == "in_process":
                    wall, c = timed_contribution(holder, spec, pub, ckeys)
                    local_chunk.append((c.timings.witness + c.timings.prove) / n)
                elif name == "in_process_workers2":
                    wall, c = timed_contribution(holder, spec, pub, ckeys, workers=2)
                elif name == "dask1":
                    t0 = time.perf_counter()
                    chunks = d1.prove_chunks(spec, ckeys.pk, com)
                    wall = time.perf_counter() - t0
                    inside = sum(x.witness_s + x.prove_s for x in chunks)
                    inside_per_chunk.append(inside / n)
                    overheads.append((wall - inside) / n)
                else:
                    wall, c = timed_contribution(holder, spec, pub, ckeys, dask=d2)
                runs[name].append(wall)
                print(f"  round {r + 1}: {name:<20} {wall:7.2f} s  ({recs / wall:6.0f} records/s, "
                      f"load {os.getloadavg()[0]:.1f})", flush=True)

    best = {name: min(v) for name, v in runs.items()}
    res.update({f"{name}_best_s": v for name, v in best.items()})
    res.update({f"{name}_records_per_s": recs / v for name, v in best.items()})
    res["in_process_chunk_s"] = min(local_chunk)
    res["dask1_task_s"] = min(inside_per_chunk)
    res["overhead_per_task_s"] = min(overheads)
    res["overhead_per_task_median_s"] = sorted(overheads)[len(overheads) // 2]
    res["overhead_fraction"] = res["overhead_per_task_s"] / res["dask1_task_s"]
    print(f"in-process: {res['in_process_chunk_s']:.3f} s of witness + proof per chunk of {args.chunk} (best round)")
    print(f"--dask local:1: per task {res['dask1_task_s']:.3f} s inside; overhead (wall - inside) / chunks "
          f"{res['overhead_per_task_s'] * 1000:.1f} ms = {100 * res['overhead_fraction']:.2f} % of a chunk's "
          f"witness + proof (target <= 5 %); rounds: {', '.join(f'{o * 1000:.0f} ms' for o in overheads)}")
    print("throughput, best round, records/s: " + ", ".join(f"{k} {recs / v:.0f}" for k, v in best.items())
          + f"; local:2 / in-process = {best['in_process'] / best['dask2']:.2f}x")

    # projection: single-core workers of this machine's speed, the measured cost and overhead
    per = res["in_process_chunk_s"]
    total_chunks = math.ceil(args.projection_records / args.chunk)
    waves = math.ceil(total_chunks / args.projection_workers)
    one_core = total_chunks * per
    cluster = waves * (per + res["overhead_per_task_s"])
    res["projection"] = {"records": args.projection_records, "workers": args.projection_workers,
                         "chunks": total_chunks, "waves": waves, "one_core_h": one_core / 3600,
                         "cluster_min": cluster / 60}
    print(f"projection: {args.projection_records:,} records = {total_chunks} chunks; one core "
          f"{one_core / 3600:.1f} h; {args.projection_workers} single-core workers: {waves} waves x "
          f"({per:.2f} s + {res['overhead_per_task_s'] * 1000:.0f} ms) = {cluster / 60:.1f} min of proving "
          f"(plus the key, {res['proving_key_pickled_mib']} MiB, sent once to each worker)")
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.items()}))


if __name__ == "__main__":
    main()
