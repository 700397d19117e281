#!/usr/bin/env python3
"""Gateway memory under load: RSS of a real `zkgate serve` process as accepted submissions pile up.

Issue 15's scenario: five studies of 2,000 participants (BFV-4096), RSS after 1,000 and after
10,000 accepted submissions; target: within +50 MiB.  Every submission is honest (a Groth16
chunk proof under the study's development key, a Pedersen commitment, a full-size BFV-4096
ciphertext, signed) and goes through the real Submit RPC of a real gateway child process over
gRPC, and must be accepted.  Proofs are made before each study's submissions, in parallel,
on a tiny schema (one column, one statistic, one record per participant): the gateway does the
same work per submission whatever the schema, and keeps (or leaks) a ciphertext of the same size.

Proving costs ~0.4 CPU-s per submission, so the full scenario needs ~70 CPU-minutes of
preparation; --participants scales it down (the first figure is then taken after a tenth of the
submissions, as 1,000 is a tenth of 10,000) and the per-submission growth is printed beside the
target's 50 MiB / 9,000 = 5.7 KiB.  After the last figure the studies are closed and RSS is
measured again (a closed study's state is released).

--shared-data makes the full scenario affordable: every holder registers the same one-record
data set (same record and commitment seed, so the same root), one chunk proof and commitment per
study is made once, and each holder's submission carries it with a fresh BFV ciphertext of its
own (its name in the envelope), a fresh submission id and its own (hybrid) signature; the gateway
still verifies every submission in full, stores it, signs a receipt and appends an audit leaf.
Preparing is then ~10-20 ms of encryption and signing per submission.

--heap-profile DIR runs the gateway with ZKGATE_HEAP_PROFILE=DIR (tracemalloc in the gateway
process, off by default; started at the first RSS mark, slower from then on: CreateStudy most),
takes a snapshot at each RSS mark and after closing, and prints the Python allocations that grew
from the first mark to the last and to after closing.

Usage: python -P benchmarks/bench_memory.py [--studies 5] [--participants 2000] [--workers N] [--shared-data]
       [--heap-profile DIR]
"""

from __future__ import annotations

import argparse
import os
import pickle
import signal
import tempfile
import time
from pathlib import Path

from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayClient
from zkgate.services.gateway.memory import HEAP_PROFILE_ENV
from zkgate.services.parties.load import (
    GatewayProcess,
    make_holders,
    open_tiny_study,
    prepare_shared_submissions,
    prepare_submissions,
)

MIB = 1 << 20
TARGET_MIB = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", type=int, default=5)
    parser.add_argument("--participants", type=int, default=2000, help="per study")
    parser.add_argument("--preset", default="bfv-4096")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes preparing proofs")
    parser.add_argument("--clients", type=int, default=4, help="client threads submitting")
    parser.add_argument("--shared-data", action="store_true",
                        help="every holder registers the same one-record data set (same records and seed, so the "
                             "same root): one chunk proof per study serves every holder, each still with its own "
                             "key, registration, fresh ciphertext, submission id, signature, receipt and audit leaf")
    parser.add_argument("--heap-profile", metavar="DIR",
                        help="tracemalloc snapshots of the gateway at each mark (slower); prints what grew")
    args = parser.parse_args()
    if args.heap_profile:
        os.environ[HEAP_PROFILE_ENV] = os.path.abspath(args.heap_profile)
    total = args.studies * args.participants
    first_mark = max(1, total // 10)
    # RSS after every tenth of the submissions (the first is the "after 1,000")

    with tempfile.TemporaryDirectory(prefix="zkgate-bench-memory-") as tmp:
        gateway = GatewayProcess(os.path.join(tmp, "data"), log_path=os.path.join(tmp, "serve.log"), workers=8)
        os.makedirs(gateway.data_dir)
        with gateway:
            run(gateway, args, total, first_mark)


def run(gateway: GatewayProcess, args, total: int, first_mark: int) -> None:
    import threading

    client = GatewayClient(gateway.address, timeout=600)
    info = client.gateway_info()
    t0 = time.perf_counter()
    holders = make_holders(args.participants, seed=11, shared_data=args.shared_data)
    for holder in holders:
        client.register_dataset(holder.registration.to_bytes())
    he = KeyHolder.create(args.preset)
    context = he.public_context()
    rss_start = gateway.rss()
    print(f"gateway pid {gateway.pid}: RSS {rss_start / MIB:.1f} MiB after start and {len(holders)} registrations "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)

    circuit_keys = "dev"
    submitted = 0
    marks: dict[int, int] = {}
    study_ids = []
    snapshots: dict[int, Path] = {}
    prepare_s = submit_s = 0.0
    for s in range(args.studies):
        t0 = time.perf_counter()
        spec, circuit_keys = open_tiny_study(holders, title=f"memory benchmark study {s}", gateway_key=info.study_signing_key,
                                             context=context, circuit_keys=circuit_keys, quorum=len(holders))
        study_id = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes()).study_id
        study_ids.append(study_id)
        prepare = prepare_shared_submissions if args.shared_data else prepare_submissions
        submissions = prepare(spec, context, circuit_keys, holders, workers=args.workers)
        prepare_s += time.perf_counter() - t0
        print(f"study {s}: {len(submissions)} submissions proved and encrypted in {time.perf_counter() - t0:.1f} s "
              f"({len(submissions[0])} bytes each)", flush=True)

        # submit in order so the RSS marks fall exactly; a few client threads keep the gateway's workers busy
        t0 = time.perf_counter()
        lock = threading.Lock()
        queue = list(submissions)
        queue.reverse()
        errors: list[BaseException] = []

        def worker() -> None:
            nonlocal submitted
            with GatewayClient(gateway.address, timeout=600) as c:
                while True:
                    with lock:
                        if not queue or errors:
                            return
                        data = queue.pop()
                    try:
                        c.submit(study_id, data)
                    except BaseException as exc:  # noqa: BLE001
                        with lock:
                            errors.append(exc)
                        return
                    with lock:
                        submitted += 1
                        if submitted % first_mark == 0 or submitted == total:
                            marks[submitted] = gateway.rss()
                            if args.heap_profile:
                                snapshots[submitted] = heap_snapshot(gateway, args.heap_profile)

        threads = [threading.Thread(target=worker) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        submit_s += time.perf_counter() - t0
        if errors:
            raise SystemExit(f"a submission was refused: {errors[0]}")
        del submissions, queue
        accepted = client.get_study(study_id).accepted
        print(f"study {s}: {accepted} accepted in {time.perf_counter() - t0:.1f} s; gateway RSS {gateway.rss() / MIB:.1f} MiB",
              flush=True)
        if accepted != len(holders):
            raise SystemExit(f"study {s}: {accepted} of {len(holders)} submissions accepted")

    t0 = time.perf_counter()
    for study_id in study_ids:
        client.close_study(study_id)
    close_s = time.perf_counter() - t0
    time.sleep(1)
    rss_closed = gateway.rss()
    closed_snapshot = heap_snapshot(gateway, args.heap_profile) if args.heap_profile else None
    client.close()

    before, after = marks[first_mark], marks[total]
    growth = after - before
    per_sub = growth / max(1, total - first_mark)
    print()
    print(f"{args.studies} studies x {args.participants} participants, {args.preset}"
          f"{' (shared data: one proof per study)' if args.shared_data else ''}; proofs prepared in {prepare_s:.0f} s, "
          f"submitted in {submit_s:.0f} s ({total / submit_s:.0f}/s), closed in {close_s:.1f} s")
    print(f"{'':28}{'RSS (MiB)':>12}")
    print(f"{'after start':28}{rss_start / MIB:12.1f}")
    for count, rss in sorted(marks.items()):
        print(f"{f'after {count} submissions':28}{rss / MIB:12.1f}")
    print(f"{'after closing the studies':28}{rss_closed / MIB:12.1f}")
    print(f"growth {growth / MIB:+.1f} MiB over {total - first_mark} submissions = {per_sub / 1024:.2f} KiB per submission "
          f"(ratio after/before {after / before:.3f}); target +{TARGET_MIB} MiB over 9,000 = "
          f"{TARGET_MIB * MIB / 9000 / 1024:.2f} KiB per submission: "
          f"{'met' if per_sub * 9000 <= TARGET_MIB * MIB else 'NOT met'}; extrapolated to 9,000: {per_sub * 9000 / MIB:+.1f} MiB")
    half = min(marks, key=lambda c: abs(c - total // 2))
    if half < total:
        slope = (after - marks[half]) / (total - half)
        print(f"second half ({half} -> {total}): {(after - marks[half]) / MIB:+.1f} MiB = {slope / 1024:.2f} KiB per submission "
              f"(extrapolated to 9,000: {slope * 9000 / MIB:+.1f} MiB)")


    if args.heap_profile:
        first, last = snapshots[first_mark], snapshots[total]
        heap_growth(first, last, f"after {first_mark} -> after {total} submissions")
        heap_growth(first, closed_snapshot, f"after {first_mark} submissions -> after closing the studies")


def heap_snapshot(gateway: GatewayProcess, folder: str, timeout: float = 600.0) -> Path:
    """Ask the gateway (SIGUSR1) for its next tracemalloc snapshot and wait for the file."""
    before = set(Path(folder).glob(f"heap-{gateway.pid}-*.tracemalloc"))
    os.kill(gateway.pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = set(Path(folder).glob(f"heap-{gateway.pid}-*.tracemalloc")) - before
        if new:
            return new.pop()
        time.sleep(0.05)
    raise SystemExit(f"the gateway wrote no heap snapshot into {folder} within {timeout:.0f} s")


def heap_growth(first: Path, last: Path, title: str, top: int = 15) -> None:
    """Print the allocation sites that grew most from one snapshot to another (Python objects only)."""
    with open(first, "rb") as f:
        a = pickle.load(f)  # noqa: S301 - our own gateway's snapshot, written by this run
    with open(last, "rb") as f:
        b = pickle.load(f)  # noqa: S301
    diff = b.compare_to(a, "lineno")
    total = sum(d.size_diff for d in diff)
    print()
    print(f"heap profile (tracemalloc), {title}: {total / MIB:+.2f} MiB of Python allocations in all; top sites:")
    for d in diff[:top]:
        print(f"  {d.size_diff / 1024:+10.1f} KiB {d.count_diff:+8d} blocks  {d.traceback[0]}")
    print("  largest growing tracebacks:")
    for d in b.compare_to(a, "traceback")[:3]:
        print(f"  {d.size_diff / 1024:+10.1f} KiB {d.count_diff:+8d} blocks")
        for line in d.traceback.format()[-8:]:
            print(f"      {line}")


if __name__ == "__main__":
    main()
