#!/usr/bin/env python3
"""Gateway load: N concurrent clients submitting small contributions to one server.

Each contribution is one chunk proof (a few public inputs) with a BFV-4096 envelope, from its own
participant of one study.  Contributions are prepared before the clock starts; then N client
threads submit them over gRPC to a gateway started in this process (SQLite, synchronous=FULL).
Reports throughput of verified, durably stored submissions, p50/p99 latency, and checks that
nothing was lost (every receipt verifies, the store and the audit log hold every submission).

Usage: python benchmarks/bench_gateway.py [--participants 120] [--clients 8]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time

import numpy as np

from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayClient
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Receipt
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=120)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--records", type=int, default=4, help="records per participant (one chunk)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        gateway = Gateway(ServerConfig(data_dir=data_dir, port=0, dev_mode=True, workers=max(8, args.clients))).start()
        try:
            run(gateway, args)
        finally:
            gateway.stop(grace=1)


def run(gateway: Gateway, args) -> None:
    rng = np.random.default_rng(5)
    names = [f"clinic-{i:04d}" for i in range(args.participants)]
    print(f"preparing {args.participants} contributions (one chunk of {args.records} records each) ...", flush=True)
    t0 = time.perf_counter()
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, args.records)), args.records)
                   for _ in names]
    keys = [SigningKey.generate() for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    client = GatewayClient(gateway.address, timeout=600)
    for registration in registrations:
        client.register_dataset(registration.to_bytes())
    info = client.gateway_info()
    he = KeyHolder.create("bfv-4096")
    context = he.public_context()
    spec, circuit_keys = open_study(
        title="load", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
        quorum=1, deadline=int(time.time()) + 7200, public_context=context, gateway_key=info.study_signing_key,
        key_holder_key=SigningKey.generate().public, keys="dev", dev_mode=True,
    )
    study_id = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes()).study_id
    submissions = [
        Contributor(n, c, k, dev_mode=True).contribute(spec, context, circuit_keys).submission.to_bytes()
        for n, c, k in zip(names, commitments, keys)
    ]
    print(f"prepared in {time.perf_counter() - t0:.1f} s; submission size {len(submissions[0])} bytes", flush=True)

    latencies: list[float] = []
    receipts: list[bytes] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    queue = list(enumerate(submissions))

    def worker() -> None:
        with GatewayClient(gateway.address, timeout=600) as c:
            while True:
                with lock:
                    if not queue:
                        return
                    _, data = queue.pop()
                start = time.perf_counter()
                try:
                    receipt, _ = c.submit(study_id, data)
                except BaseException as exc:  # noqa: BLE001
                    with lock:
                        errors.append(exc)
                    continue
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    receipts.append(receipt)

    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start

    for receipt in receipts:
        Receipt.from_bytes(receipt).verify_signature(info.study_signing_key)
    stored = client.get_study(study_id).accepted
    head, entries = client.verify_whole_log()
    logged = sum(1 for e in entries if e.kind == "submission")
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(f"clients {args.clients}, submissions {len(submissions)}, errors {len(errors)}")
    print(f"throughput {len(receipts) / wall:.1f} verified submissions/s (target >= 100), wall {wall:.2f} s")
    print(f"latency p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"nothing lost: receipts {len(receipts)}, stored {stored}, audit leaves {logged} "
          f"({'OK' if len(receipts) == stored == logged == len(submissions) else 'MISMATCH'})")
    client.close()


if __name__ == "__main__":
    main()
