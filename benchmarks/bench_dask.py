#!/usr/bin/env python3
"""Chunk proofs on Dask (issue 25): per-task overhead, local:2 against in-process, a projection.

    python benchmarks/bench_dask.py [--chunk 1024] [--chunks 6] [--projection-records 10000000]
                                    [--projection-workers 64]

One data set of ``--chunks`` chunks of ``--chunk`` records (the simulated patient table and
study, development key), proved four ways in one run, each a whole contribution's chunk work
(statistics, ρ, commitment, witness, Groth16 proof):

1. in-process, one chunk after the other (``Contributor.contribute`` without workers);
2. with ``--fork-pool``, in-process with ``workers=2`` (the ProcessPoolExecutor path, fork);
3. ``--dask local:1``: one worker process — the wall time per chunk minus the witness + proof
   time measured inside each task is the per-task overhead (scheduling, pickling the chunk's
   records and the result, transfers, the client's bookkeeping);
4. ``--dask local:2``: throughput beside (1) and (2) on the same cores.

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
    ap.add_argument("--echo", type=int, default=40, help="empty round trips to time")
    ap.add_argument("--projection-records", type=int, default=10_000_000)
    ap.add_argument("--projection-workers", type=int, default=64)
    ap.add_argument("--fork-pool", action="store_true",
                    help="also time in-process workers=2 (the fork pool; it hung on the 2-core CI machine)")
    args = ap.parse_args()
    print(f"backend {_native.BACKEND}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    com, key, spec, ckeys, pub = setup(args.chunk, args.chunks)
    n = com.n_chunks
    holder = Contributor("hospital-a", com, key, dev_mode=True)
    res: dict = {"chunk": args.chunk, "chunks": n, "backend": _native.BACKEND}
    pk_bytes = len(pickle.dumps(ckeys.pk, protocol=pickle.HIGHEST_PROTOCOL))
    res["proving_key_pickled_mib"] = round(pk_bytes / 2**20, 1)

    prove_chunk(spec, ckeys.pk, 0, com.chunk_rows(0), com.chunk_elements[0], com.chunk_salts[0], com.chunk_roots[0])
    wall, c = timed_contribution(holder, spec, pub, ckeys)  # after one warm-up chunk here, as the workers get
    res["in_process_s"] = wall
    res["in_process_chunk_s"] = (c.timings.witness + c.timings.prove) / n
    print(f"in-process: {wall:.2f} s for {n} chunks = {res['in_process_chunk_s']:.3f} s of witness + proof per chunk")
    if args.fork_pool:
        wall, _ = timed_contribution(holder, spec, pub, ckeys, workers=2)
        res["in_process_workers2_s"] = wall
        print(f"in-process, workers=2 (fork pool): {wall:.2f} s")

    with DaskProver(parse_target("local:1")) as p:
        warm_up(p, spec, ckeys, com)
        # the empty round trip, one task at a time
        client = p.client
        pk = p._scatter_key(ckeys.pk)
        size = len(pickle.dumps(c.submission.proofs[0])) + 600  # a proof, statistics, rho, point, timings
        a = (com.chunk_rows(1 % n), com.chunk_elements[1 % n], com.chunk_salts[1 % n], com.chunk_roots[1 % n])
        client.submit(echo_chunk, spec, pk, 0, *a, size, pure=False).result()
        t0 = time.perf_counter()
        for i in range(args.echo):
            client.submit(echo_chunk, spec, pk, i, *a, size, pure=False).result()
        res["echo_task_ms"] = (time.perf_counter() - t0) / args.echo * 1000
        print(f"empty round trip (a chunk's records in, a proof-sized result out), one at a time: "
              f"{res['echo_task_ms']:.1f} ms per task")
        chunks = []
        t0 = time.perf_counter()
        chunks = p.prove_chunks(spec, ckeys.pk, com)
        wall = time.perf_counter() - t0
    inside = sum(r.witness_s + r.prove_s for r in chunks)
    res["dask1_s"] = wall
    res["dask1_task_s"] = inside / n
    res["overhead_per_task_s"] = (wall - inside) / n
    res["overhead_fraction"] = res["overhead_per_task_s"] / res["dask1_task_s"]
    print(f"--dask local:1: {wall:.2f} s for {n} chunks; inside the tasks {inside / n:.3f} s per chunk; "
          f"overhead {res['overhead_per_task_s'] * 1000:.1f} ms per task = {100 * res['overhead_fraction']:.2f} % "
          f"of a chunk's witness + proof (target <= 5 %)")

    with DaskProver(parse_target("local:2")) as p:
        warm_up(p, spec, ckeys, com)
        wall, c2 = timed_contribution(holder, spec, pub, ckeys, dask=p)
    res["dask2_s"] = wall
    assert c2.values == c.values and c2.submission.chunk_roots == c.submission.chunk_roots
    recs = n * args.chunk
    rates = {name: recs / res[f"{name}_s"] for name in ("in_process", "in_process_workers2", "dask1", "dask2")
             if f"{name}_s" in res}
    res.update({f"{name}_records_per_s": rate for name, rate in rates.items()})
    print("throughput, records/s: " + ", ".join(f"{name} {rate:.0f}" for name, rate in rates.items())
          + f" (local:2 / in-process = {res['in_process_s'] / res['dask2_s']:.2f}x)")

    # projection
    per = res["dask1_task_s"]
    total_chunks = math.ceil(args.projection_records / args.chunk)
    waves = math.ceil(total_chunks / args.projection_workers)
    one_core = total_chunks * res["in_process_chunk_s"]
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
