#!/usr/bin/env python3
"""Gateway trust (issue 11): what mutual TLS and the audit log cost.

1. Ingest: N client threads submit small contributions (one chunk proof, a BFV-4096 envelope each)
   to a gateway over mutual TLS, and to the same gateway set-up without TLS (both log every
   submission in the audit log, in the same SQLite transaction as its row, synchronous=FULL).
   Both gateways share one study signing key, so the same prepared submissions go to both; runs
   alternate (plain, TLS, plain, TLS, ...) and the best of each is reported.
2. Audit proofs at 10^6 leaves: inclusion and consistency proof generation and verification on
   the in-memory MerkleLog and on the SQLite node store, and both proofs over gRPC (mTLS) from a
   gateway whose log holds 10^6 leaves.

Usage: python benchmarks/bench_trust.py [--participants 60] [--clients 8] [--rounds 2] [--leaves 1000000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from zkgate.audit import MerkleLog, verify_consistency, verify_inclusion
from zkgate.audit.merkle import leaf_hash
from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayClient
from zkgate.services.client.tls import ClientTls
from zkgate.services.gateway.security import ServerTls
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.services.gateway.servicers.study import GATEWAY_KEY_FILE, load_or_create_gateway_key
from zkgate.services.gateway.store import AuditEntry, SqliteStore
from zkgate.services.parties.certs import OrgSpec, init_certs
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# -- 1. ingest -----------------------------------------------------------------------------------
def prepare(args, tls_dir: Path, gateway_key: SigningKey):
    rng = np.random.default_rng(5)
    names = [f"clinic-{i:04d}" for i in range(args.participants)]
    init_certs(tls_dir, [OrgSpec(n) for n in names] + [OrgSpec("pharma", ("requester",))])
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, 4)), 4) for _ in names]
    keys = [SigningKey.generate() for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    he = KeyHolder.create("bfv-4096")
    context = he.public_context()
    spec, circuit_keys = open_study(
        title="trust load", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
        quorum=1, deadline=int(time.time()) + 7200, public_context=context, gateway_key=gateway_key.public,
        key_holder_key=SigningKey.generate().public, keys="dev", dev_mode=True,
    )
    submissions = [
        Contributor(n, c, k, dev_mode=True).contribute(spec, context, circuit_keys).submission.to_bytes()
        for n, c, k in zip(names, commitments, keys)
    ]
    return names, registrations, (spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes()), submissions


def ingest_run(tls: bool, args, tls_dir: Path, key_file: Path, names, registrations, upload, submissions) -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        shutil.copy(key_file, Path(data_dir) / GATEWAY_KEY_FILE)
        config = ServerConfig(data_dir=data_dir, port=0, dev_mode=True, workers=max(8, args.clients),
                              tls=ServerTls.from_dir(tls_dir) if tls else None)
        gateway = Gateway(config).start()
        address = f"127.0.0.1:{gateway.port}"

        def client_for(org: str) -> GatewayClient:
            return GatewayClient(address, timeout=600, tls=ClientTls.from_dir(tls_dir, org) if tls else None)

        try:
            for name, registration in zip(names, registrations):
                with client_for(name) as c:
                    c.register_dataset(registration.to_bytes())
            with client_for("pharma") as c:
                study_id = c.create_study(*upload).study_id
            queue = list(zip(names, submissions))
            latencies: list[float] = []
            lock = threading.Lock()
            errors: list[BaseException] = []
            # one connection per client thread per organisation would be unrealistic to set up in the timed
            # region: each thread keeps a channel per organisation it serves, created before the clock starts
            per_thread = [queue[i:: args.clients] for i in range(args.clients)]
            channels = [[(client_for(n), data) for n, data in part] for part in per_thread]
            for part in channels:  # connect (TLS handshakes) before timing
                for c, _ in part:
                    c.gateway_info()

            def worker(part):
                for c, data in part:
                    start = time.perf_counter()
                    try:
                        c.submit(study_id, data)
                    except BaseException as exc:  # noqa: BLE001
                        with lock:
                            errors.append(exc)
                        continue
                    with lock:
                        latencies.append(time.perf_counter() - start)

            threads = [threading.Thread(target=worker, args=(part,)) for part in channels]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            for part in channels:
                for c, _ in part:
                    c.close()
            with client_for("pharma") as c:
                accepted = c.get_study(study_id).accepted
                head, entries = c.verify_whole_log()
            if errors or accepted != len(submissions):
                raise RuntimeError(f"lost submissions: {len(errors)} errors, {accepted} of {len(submissions)} stored")
            return dict(throughput=len(latencies) / wall, p50=statistics.median(latencies),
                        p99=percentile(latencies, 0.99), tree_size=head.tree_size)
        finally:
            gateway.stop(grace=1)


def bench_ingest(args) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        key = load_or_create_gateway_key(scratch)
        key_file = scratch / GATEWAY_KEY_FILE
        print(f"preparing {args.participants} contributions ...", flush=True)
        t0 = time.perf_counter()
        prepared = prepare(args, scratch / "tls", key)
        print(f"prepared in {time.perf_counter() - t0:.1f} s", flush=True)
        results: dict[bool, list[dict]] = {False: [], True: []}
        for _ in range(args.rounds):
            for tls in (False, True):
                r = ingest_run(tls, args, scratch / "tls", key_file, *prepared)
                results[tls].append(r)
                print(f"  {'mTLS ' if tls else 'plain'}: {r['throughput']:.1f} submissions/s, "
                      f"p50 {r['p50'] * 1000:.1f} ms, p99 {r['p99'] * 1000:.1f} ms", flush=True)
        plain = max(results[False], key=lambda r: r["throughput"])
        tls = max(results[True], key=lambda r: r["throughput"])
        print(f"ingest, {args.participants} submissions, {args.clients} clients, audit log on in both, best of {args.rounds}:")
        print(f"  without TLS: {plain['throughput']:.1f}/s (p50 {plain['p50'] * 1000:.1f} ms, p99 {plain['p99'] * 1000:.1f} ms)")
        print(f"  mutual TLS:  {tls['throughput']:.1f}/s (p50 {tls['p50'] * 1000:.1f} ms, p99 {tls['p99'] * 1000:.1f} ms)")
        print(f"  overhead {plain['throughput'] / tls['throughput']:.2f}x (target <= 1.3x)")


# -- 2. proofs at 10^6 leaves ----------------------------------------------------------------------
def time_per_call(fn, repeats: int) -> float:
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats


def bench_proofs(args) -> None:
    n = args.leaves
    rnd = random.Random(1)
    data = [b"leaf %d" % i for i in range(n)]
    t0 = time.perf_counter()
    memory = MerkleLog()
    for item in data:
        memory.append(item)
    build = time.perf_counter() - t0
    root = memory.root()
    indices = [rnd.randrange(n) for _ in range(args.samples)]
    olds = [rnd.randrange(1, n) for _ in range(args.samples)]
    print(f"audit log of {n} leaves (in memory built in {build:.1f} s, {n / build:,.0f} appends/s)")

    def report(label, log_read):
        it_i, it_c = iter(indices * 4), iter(olds * 4)
        incl = time_per_call(lambda: log_read(lambda log: log.inclusion_proof(next(it_i), n)), args.samples)
        cons = time_per_call(lambda: log_read(lambda log: log.consistency_proof(next(it_c), n)), args.samples)
        print(f"  {label}: inclusion proof {incl * 1e6:.0f} us, consistency proof {cons * 1e6:.0f} us")

    report("memory MerkleLog   ", lambda fn: fn(memory))
    proofs = [(i, memory.inclusion_proof(i, n)) for i in indices]
    it = iter(proofs * 2)

    def check_inclusion():
        i, path = next(it)
        verify_inclusion(leaf_hash(data[i]), i, n, path, root)

    conses = [(m, memory.consistency_proof(m, n), memory.root(m)) for m in olds[:200]]
    itc = iter(conses * 2)

    def check_consistency():
        m, path, old_root = next(itc)
        verify_consistency(m, n, old_root, root, path)

    print(f"  verification (client side): inclusion {time_per_call(check_inclusion, len(proofs)) * 1e6:.0f} us, "
          f"consistency {time_per_call(check_consistency, len(conses)) * 1e6:.0f} us "
          f"(paths of {len(proofs[0][1])} and {len(conses[0][1])} hashes)")

    with tempfile.TemporaryDirectory() as data_dir:
        store = SqliteStore(data_dir)
        t0 = time.perf_counter()
        store._db.execute("BEGIN IMMEDIATE")  # one bulk transaction (a benchmark shortcut, not the append path)
        store._db.executemany("INSERT INTO audit_leaves (leaf_index, kind, data) VALUES (?, 'bench', ?)",
                              ((i, b"leaf %d" % i) for i in range(n)))
        for item in data:
            store._log.append(AuditEntry("bench", item).leaf_bytes())
        store._db.execute("COMMIT")
        print(f"  SQLite node store filled in {time.perf_counter() - t0:.1f} s")
        sroot = store.audit_read(lambda log: log.root())
        report("SQLite node store  ", store.audit_read)
        t0 = time.perf_counter()
        store.append_audit(AuditEntry("bench", b"one more"))
        print(f"  one durable append at 10^6 leaves (own transaction, synchronous=FULL): "
              f"{(time.perf_counter() - t0) * 1000:.1f} ms")
        store.close()

        tls_dir = Path(data_dir) / "tls"
        init_certs(tls_dir, [OrgSpec("fda", ("regulator",))])
        gateway = Gateway(ServerConfig(data_dir=data_dir, port=0, tls=ServerTls.from_dir(tls_dir))).start()
        try:
            with GatewayClient(f"127.0.0.1:{gateway.port}", tls=ClientTls.from_dir(tls_dir, "fda")) as client:
                head, _ = client.tree_head()
                from zkgate.services.v1 import audit_pb2

                lat_i, lat_c = [], []
                for i, m in zip(indices[: args.rpc_samples], olds):
                    t0 = time.perf_counter()
                    reply = client.audit.GetInclusionProof(
                        audit_pb2.InclusionProofRequest(leaf_index=i, tree_size=head.tree_size))
                    expected = AuditEntry("bench", b"leaf %d" % i).leaf_bytes()
                    verify_inclusion(leaf_hash(expected), i, head.tree_size, list(reply.path), head.root)
                    lat_i.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    reply = client.audit.GetConsistencyProof(
                        audit_pb2.ConsistencyProofRequest(first_size=m, second_size=head.tree_size))
                    lat_c.append(time.perf_counter() - t0)
                assert head.tree_size == n + 1 and sroot
                print(f"  over gRPC with mTLS (fetch + verify), p50: inclusion {statistics.median(lat_i) * 1000:.2f} ms, "
                      f"consistency {statistics.median(lat_c) * 1000:.2f} ms; p99: {percentile(lat_i, 0.99) * 1000:.2f} / "
                      f"{percentile(lat_c, 0.99) * 1000:.2f} ms")
        finally:
            gateway.stop(grace=0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000, help="proofs timed per kind (in process)")
    parser.add_argument("--rpc-samples", type=int, default=300)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-proofs", action="store_true")
    args = parser.parse_args()
    if not args.skip_ingest:
        bench_ingest(args)
    if not args.skip_proofs:
        bench_proofs(args)


if __name__ == "__main__":
    main()
