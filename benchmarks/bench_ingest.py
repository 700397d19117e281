#!/usr/bin/env python3
"""Gateway ingest as a user runs it: ``zkgate serve`` processes, clients in THIS separate process.

Contributions (one study, one participant each) are prepared once and cached in ``--workload``
(proving is not what is measured); every run then starts fresh gateway processes on fresh
storage, registers the data sets, opens the study and times C client threads submitting every
contribution over gRPC (one ``GatewayClient`` per thread, on the list of every process's address:
round-robin).  After each run every receipt's signature is checked, and the store and the audit
log are counted: nothing may be lost.

Two ingest paths are timed side by side in one run (the ratio is printed):

* ``batch``: the gateway's default, proofs of concurrent submissions verified in one batch and
  their rows committed in one transaction (group commit);
* ``one-by-one``: ``ZKGATE_INGEST_BATCH=1``, every submission verified and committed alone.

Stores: SQLite (WAL, ``synchronous=FULL``; one process) or PostgreSQL (``--postgres URL`` of a
server where databases may be created; ``--processes 1,2,3`` processes on one database).

Usage: python -P benchmarks/bench_ingest.py [--store sqlite|postgres] [--processes 1,2,3]
       [--participants 1000] [--clients 8] [--chunks 1] [--postgres URL] [--workload DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.gateway.servicers.audit import LOG_KEY_FILE, load_or_create_signer
from zkgate.services.gateway.servicers.study import GATEWAY_KEY_FILE, load_or_create_gateway_key
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Receipt
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table

CAPACITY = 4  # records per chunk (a tiny circuit: the gateway's work, not proving, is measured)


# -- the workload: prepared once, cached --------------------------------------------------------------
def _write_items(path: Path, items: list[bytes]) -> None:
    with open(path, "wb") as handle:
        for item in items:
            handle.write(struct.pack(">Q", len(item)))
            handle.write(item)


def _read_items(path: Path) -> list[bytes]:
    data = path.read_bytes()
    items, at = [], 0
    while at < len(data):
        (size,) = struct.unpack_from(">Q", data, at)
        items.append(data[at + 8:at + 8 + size])
        at += 8 + size
    return items


def prepare(workload: Path, participants: int, chunks: int) -> Path:
    """The cached workload for (participants, chunks): keys, registrations, study, submissions."""
    folder = workload / f"p{participants}-c{chunks}"
    if (folder / "submissions.bin").is_file():
        return folder
    tmp = workload / f".{folder.name}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "keys").mkdir(parents=True)
    gateway_key = load_or_create_gateway_key(tmp / "keys")
    load_or_create_signer(tmp / "keys")
    rng = np.random.default_rng(25)
    names = [f"clinic-{i:05d}" for i in range(participants)]
    print(f"preparing {participants} contributions ({chunks} chunk(s) of {CAPACITY} records each), once ...",
          flush=True)
    t0 = time.perf_counter()
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, CAPACITY * chunks)), CAPACITY)
                   for _ in names]
    keys = [SigningKey.generate() for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    context = KeyHolder.create("bfv-4096").public_context()
    spec, circuit_keys = open_study(
        title="ingest", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
        quorum=1, deadline=int(time.time()) + 30 * 86400, public_context=context, gateway_key=gateway_key.public,
        key_holder_key=SigningKey.generate().public, keys="dev", dev_mode=True,
    )
    submissions = [Contributor(n, c, k, dev_mode=True).contribute(spec, context, circuit_keys).submission.to_bytes()
                   for n, c, k in zip(names, commitments, keys)]
    _write_items(tmp / "registrations.bin", [r.to_bytes() for r in registrations])
    _write_items(tmp / "study.bin", [spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes()])
    _write_items(tmp / "submissions.bin", submissions)
    tmp.rename(folder)
    print(f"prepared in {time.perf_counter() - t0:.0f} s; submission size {len(submissions[0])} bytes", flush=True)
    return folder


# -- gateway processes -------------------------------------------------------------------------------
SERVE_WORKERS = 16  # each `zkgate serve --workers` (--workers)


class Serve:
    def __init__(self, data_dir: Path, keys: Path, store_url: str | None, batch: int | None) -> None:
        data_dir.mkdir(parents=True)
        for name in (GATEWAY_KEY_FILE, LOG_KEY_FILE):  # one study key and one log key for every process
            shutil.copy2(keys / name, data_dir / name)
        env = dict(os.environ)
        env.pop("ZKGATE_INGEST_BATCH", None)
        if batch is not None:
            env["ZKGATE_INGEST_BATCH"] = str(batch)
        command = [sys.executable, "-P", "-m", "zkgate", "serve", "--data-dir", str(data_dir), "--port", "0", "--dev",
                   "--workers", str(SERVE_WORKERS), "--metrics-port", "0", *(["--store", store_url] if store_url else [])]
        self.proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
        self.address = ""
        found = threading.Event()
        lines: list[str] = []

        def read() -> None:
            for line in self.proc.stderr:
                lines.append(line)
                m = re.search(r"listening on (\S+)", line)
                if m and not found.is_set():
                    self.address = m.group(1)
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(120):
            self.proc.kill()
            raise RuntimeError("zkgate serve did not start:\n" + "".join(lines))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _database(base: str) -> tuple[str, callable]:
    import psycopg

    name = f"zkgate_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(urlsplit(base)._replace(path="/" + name)), drop


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- one run -------------------------------------------------------------------------------------------
def run(folder: Path, processes: int, clients: int, store: str, postgres: str | None, batch: int | None) -> dict:
    registrations = _read_items(folder / "registrations.bin")
    spec, circuit_keys, context = _read_items(folder / "study.bin")
    submissions = _read_items(folder / "submissions.bin")
    url, drop = _database(postgres) if store == "postgres" else (None, lambda: None)
    servers: list[Serve] = []
    with tempfile.TemporaryDirectory(prefix="zkgate-ingest-") as tmp:
        try:
            for i in range(processes):
                servers.append(Serve(Path(tmp) / f"gw{i}", folder / "keys", url, batch))
            addresses = ",".join(s.address for s in servers)
            with GatewayClient(addresses, timeout=600) as client:
                for registration in registrations:
                    client.register_dataset(registration)
                info = client.gateway_info()
                study_id = client.create_study(spec, circuit_keys, context).study_id

            latencies: list[float] = []
            receipts: list[bytes] = []
            errors: list[str] = []
            lock = threading.Lock()
            queue = list(submissions)
            ready = threading.Barrier(clients + 1)

            def worker() -> None:
                with GatewayClient(addresses, timeout=600) as c:
                    c.gateway_info()  # connected (and the chunk size known) before the clock starts
                    ready.wait()
                    while True:
                        with lock:
                            if not queue:
                                return
                            data = queue.pop()
                        start = time.perf_counter()
                        try:
                            receipt, _ = c.submit(study_id, data)
                        except GatewayCallError as exc:
                            with lock:
                                errors.append(str(exc))
                            continue
                        with lock:
                            latencies.append(time.perf_counter() - start)
                            receipts.append(receipt)

            threads = [threading.Thread(target=worker) for _ in range(clients)]
            for t in threads:
                t.start()
            ready.wait()
            start = time.perf_counter()
            cpu_servers, cpu_client = sum(_cpu_seconds(s.proc.pid) for s in servers), time.process_time()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            cpu_servers = sum(_cpu_seconds(s.proc.pid) for s in servers) - cpu_servers
            cpu_client = time.process_time() - cpu_client

            for receipt in receipts:
                Receipt.from_bytes(receipt).verify_signature(info.study_signing_key)
            with GatewayClient(addresses, timeout=600) as client:
                stored = client.get_study(study_id).accepted
                _, entries = client.verify_whole_log()
            logged = sum(1 for e in entries if e.kind == "submission")
        finally:
            for server in servers:
                server.stop()
            drop()
    latencies.sort()
    return {
        "rate": len(receipts) / wall, "wall": wall, "p50": statistics.median(latencies) if latencies else 0.0,
        "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else 0.0,
        "errors": errors, "lost": not (len(receipts) == stored == logged == len(submissions)),
        "counts": (len(receipts), stored, logged, len(submissions)),
        "cpu_server_ms": cpu_servers / len(submissions) * 1000, "cpu_client_ms": cpu_client / len(submissions) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--processes", default="1", help="comma-separated process counts (PostgreSQL only beyond 1)")
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=16, help="each gateway process's RPC worker threads")
    parser.add_argument("--chunks", type=int, default=1, help="chunk proofs per submission")
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs of each variant (best is shown)")
    parser.add_argument("--variants", default="batch,one-by-one", help="batch, one-by-one or both")
    parser.add_argument("--postgres", default=os.environ.get("ZKGATE_TEST_POSTGRES_URL"),
                        help="a PostgreSQL server URL where databases may be created (default: $ZKGATE_TEST_POSTGRES_URL)")
    parser.add_argument("--workload", default=os.path.join(tempfile.gettempdir(), "zkgate-ingest-workload"))
    args = parser.parse_args()
    global SERVE_WORKERS
    SERVE_WORKERS = args.workers
    counts = [int(x) for x in args.processes.split(",")]
    if args.store == "sqlite" and counts != [1]:
        parser.error("SQLite serves from one process: --processes 1 (use --store postgres for more)")
    if args.store == "postgres" and not args.postgres:
        parser.error("--store postgres needs --postgres URL (or ZKGATE_TEST_POSTGRES_URL)")
    folder = prepare(Path(args.workload), args.participants, args.chunks)
    variants = {"batch": None, "one-by-one": 1}
    chosen = [v.strip() for v in args.variants.split(",")]
    print(f"store {args.store}, {args.participants} submissions of {args.chunks} chunk proof(s), "
          f"{args.clients} client threads in this process", flush=True)
    for n in counts:
        best: dict[str, dict] = {}
        for _ in range(args.rounds):
            for variant in chosen:
                result = run(folder, n, args.clients, args.store, args.postgres, variants[variant])
                print(f"  processes {n} {variant:>10}: {result['rate']:7.1f} submissions/s "
                      f"({result['rate'] * args.chunks:7.1f} proofs/s), p50 {result['p50'] * 1000:6.1f} ms, "
                      f"p99 {result['p99'] * 1000:6.1f} ms, errors {len(result['errors'])}, receipts/stored/logged/sent "
                      f"{'/'.join(map(str, result['counts']))} {'LOST' if result['lost'] else 'nothing lost'}", flush=True)
                cpu = result["cpu_server_ms"] + result["cpu_client_ms"]
                print(f"    CPU per submission: gateway {result['cpu_server_ms']:.2f} ms + client "
                      f"{result['cpu_client_ms']:.2f} ms; {os.cpu_count()} idle cores would sustain about "
                      f"{1000 * os.cpu_count() / cpu:.0f}/s; load average now {os.getloadavg()[0]:.1f}", flush=True)
                if result["errors"]:
                    print(f"    first error: {result['errors'][0]}")
                if variant not in best or result["rate"] > best[variant]["rate"]:
                    best[variant] = result
        if len(best) == 2:
            print(f"processes {n}: batch {best['batch']['rate']:.1f}/s vs one-by-one {best['one-by-one']['rate']:.1f}/s: "
                  f"{best['batch']['rate'] / best['one-by-one']['rate']:.2f}x", flush=True)


if __name__ == "__main__":
    main()
