#!/usr/bin/env python3
"""Gateway load: N concurrent clients submitting small contributions to one server.

Each contribution is one chunk proof (a few public inputs) with a BFV-4096 envelope, from its own
participant of one study.  Contributions are prepared before the clock starts; then N client
threads submit them over gRPC to a gateway started in this process (SQLite, synchronous=FULL).
Reports throughput of verified, durably stored submissions, p50/p99 latency, and checks that
nothing was lost (every receipt verifies, the store and the audit log hold every submission).

With ``--metrics-port P`` the gateway also serves Prometheus metrics (0: a free port) and a
scraper reads them every second while the clients submit.  ``--compare-metrics ROUNDS`` measures
what metrics cost: the same prepared contributions ingested by fresh gateways (copies of one
data folder, so the study's gateway key matches) without and with the metrics endpoint,
interleaved (ABBA order), and prints each side's median throughput and their ratio.

``--compare-signatures ROUNDS`` measures what hybrid signatures cost (issue 22): two worlds, one
with Ed25519-only keys everywhere (participants, key holder, the gateway's study and log keys) and
one with hybrid Ed25519 + ML-DSA-65 keys, each ingested by fresh gateways (copies of its data
folder) in interleaved rounds (ABBA order); prints each side's median throughput and their ratio.

Usage: python benchmarks/bench_gateway.py [--participants 120] [--clients 8] [--metrics-port P]
       python benchmarks/bench_gateway.py --participants 120 --compare-metrics 4
       python benchmarks/bench_gateway.py --participants 120 --compare-signatures 4
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import grpc
import numpy as np

from zkgate.audit import TreeHeadSigner
from zkgate.fileio import SECRET_FILE_MODE, atomic_write
from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayClient
from zkgate.services.gateway.metrics import GatewayMetrics, RpcObserver
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.services.gateway.servicers.audit import LOG_KEY_FILE
from zkgate.services.gateway.servicers.study import GATEWAY_KEY_FILE
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
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="serve Prometheus metrics on this port (0: a free one) and scrape them every second")
    parser.add_argument("--compare-metrics", type=int, default=0, metavar="ROUNDS",
                        help="ROUNDS interleaved ingests without and with a metrics endpoint; prints the ratio")
    parser.add_argument("--compare-signatures", type=int, default=0, metavar="ROUNDS",
                        help="ROUNDS interleaved ingests with Ed25519-only and with hybrid keys; prints the ratio")
    args = parser.parse_args()

    if args.compare_metrics:
        compare_metrics(args)
        return
    if args.compare_signatures:
        compare_signatures(args)
        return
    with tempfile.TemporaryDirectory() as data_dir:
        gateway = start_gateway(data_dir, args, args.metrics_port)
        try:
            run(gateway, args)
        finally:
            gateway.stop(grace=1)


def start_gateway(data_dir: str, args, metrics_port: int | None) -> Gateway:
    return Gateway(ServerConfig(data_dir=data_dir, port=0, dev_mode=True, workers=max(8, args.clients),
                                metrics_port=metrics_port)).start()


def run(gateway: Gateway, args) -> None:
    world = prepare(gateway, args)
    ingest(gateway, world, args, report=True)


def prepare(gateway: Gateway, args, hybrid: bool = True) -> dict:
    """Registrations, an open study's spec and keys, and every participant's submission (not sent);
    the participants' and the key holder's keys are hybrid unless ``hybrid=False``."""
    rng = np.random.default_rng(5)
    names = [f"clinic-{i:04d}" for i in range(args.participants)]
    print(f"preparing {args.participants} contributions (one chunk of {args.records} records each) ...", flush=True)
    t0 = time.perf_counter()
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, args.records)), args.records)
                   for _ in names]
    keys = [SigningKey.generate(hybrid=hybrid) for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    with GatewayClient(gateway.address, timeout=600) as client:
        info = client.gateway_info()
    he = KeyHolder.create("bfv-4096")
    context = he.public_context()
    spec, circuit_keys = open_study(
        title="load", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
        quorum=1, deadline=int(time.time()) + 7200, public_context=context, gateway_key=info.study_signing_key,
        key_holder_key=SigningKey.generate(hybrid=hybrid).public, keys="dev", dev_mode=True,
    )
    submissions = [
        Contributor(n, c, k, dev_mode=True).contribute(spec, context, circuit_keys).submission.to_bytes()
        for n, c, k in zip(names, commitments, keys)
    ]
    print(f"prepared in {time.perf_counter() - t0:.1f} s; submission size {len(submissions[0])} bytes", flush=True)
    return dict(registrations=registrations, spec=spec, circuit_keys=circuit_keys, context=context, info=info,
                submissions=submissions)


def ingest(gateway: Gateway, world: dict, args, report: bool = False, stats: dict | None = None) -> float:
    """Register the data sets, open the study and submit every contribution from N client threads;
    returns the throughput (verified, stored submissions per second).  ``stats`` (a dict) receives
    ``cpu``: the CPU seconds this process (gateway and clients) spent while the clients submitted."""
    client = GatewayClient(gateway.address, timeout=600)
    for registration in world["registrations"]:
        client.register_dataset(registration.to_bytes())
    info, submissions = world["info"], world["submissions"]
    study_id = client.create_study(world["spec"].to_bytes(), world["circuit_keys"].public().to_bytes(),
                                   world["context"].to_bytes()).study_id
    scraping = threading.Event()
    scraper = None
    if gateway.metrics_address is not None:  # as Prometheus would, only far more often (1 s, not 15-60 s)
        scraper = threading.Thread(target=scrape_until, args=(gateway.metrics_address, scraping), daemon=True)
        scraper.start()

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
    start, cpu_start = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if stats is not None:
        stats["cpu"] = time.process_time() - cpu_start
    scraping.set()
    if scraper is not None:
        scraper.join()
        accepted = scrape_value(gateway.metrics_address, 'zkgate_submissions_total{outcome="accepted"}')
        if accepted != len(receipts):
            raise SystemExit(f"metrics: zkgate_submissions_total{{outcome=\"accepted\"}} is {accepted}, "
                             f"but {len(receipts)} submissions were accepted")

    for receipt in receipts:
        Receipt.from_bytes(receipt).verify_signature(info.study_signing_key)
    stored = client.get_study(study_id).accepted
    head, entries = client.verify_whole_log()
    logged = sum(1 for e in entries if e.kind == "submission")
    if not report:
        client.close()
        if errors or stored != len(submissions) or logged != len(submissions):
            raise SystemExit(f"lost or refused submissions: errors {len(errors)}, stored {stored}, logged {logged}")
        return len(receipts) / wall
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(f"clients {args.clients}, submissions {len(submissions)}, errors {len(errors)}")
    print(f"throughput {len(receipts) / wall:.1f} verified submissions/s (target >= 100), wall {wall:.2f} s")
    print(f"latency p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"nothing lost: receipts {len(receipts)}, stored {stored}, audit leaves {logged} "
          f"({'OK' if len(receipts) == stored == logged == len(submissions) else 'MISMATCH'})")
    if gateway.metrics_address is not None:
        print(f"metrics on http://{gateway.metrics_address}/metrics agreed with the receipts")
    client.close()
    return len(receipts) / wall


def scrape_value(address: str, series: str) -> float:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
    return 0.0


def scrape_until(address: str, done: threading.Event) -> None:
    while not done.wait(1.0):
        urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read()


def compare_metrics(args) -> None:
    """Interleaved ingests of the same contributions, without and with the metrics endpoint."""
    with tempfile.TemporaryDirectory() as root:
        template = str(Path(root) / "template")
        gateway = start_gateway(template, args, None)  # creates the gateway's keys; the study names its key
        try:
            world = prepare(gateway, args)
        finally:
            gateway.stop(grace=1)
        rates: dict[bool, list[float]] = {False: [], True: []}
        probes: dict[bool, list[float]] = {False: [], True: []}
        for round_ in range(args.compare_metrics):
            for metrics in ((False, True) if round_ % 2 == 0 else (True, False)):
                data_dir = str(Path(root) / f"run-{round_}-{int(metrics)}")
                shutil.copytree(template, data_dir)
                gateway = start_gateway(data_dir, args, 0 if metrics else None)
                try:
                    rate = ingest(gateway, world, args)
                    probe = unary_seconds(gateway)
                finally:
                    gateway.stop(grace=1)
                shutil.rmtree(data_dir)
                rates[metrics].append(rate)
                probes[metrics].append(probe)
                print(f"round {round_ + 1}: {'with' if metrics else 'without'} metrics {rate:.1f} submissions/s, "
                      f"GetGatewayInfo {probe * 1e6:.0f} us", flush=True)
    without, with_ = statistics.median(rates[False]), statistics.median(rates[True])
    paired = statistics.median(w / wo for w, wo in zip(rates[True], rates[False]))  # same round: same load
    print(f"median throughput without metrics {without:.1f}/s, with metrics {with_:.1f}/s "
          f"({args.participants} submissions, {args.clients} clients, {args.compare_metrics} rounds each)")
    print(f"ratio with/without {with_ / without:.3f} (median of the rounds' own ratios {paired:.3f}): "
          f"metrics overhead {100 * (1 - with_ / without):+.1f}% (target <= 5%)")
    cheap_without, cheap_with = statistics.median(probes[False]), statistics.median(probes[True])
    print(f"GetGatewayInfo (the cheapest RPC, {PROBE_CALLS} calls, median of the rounds): without metrics "
          f"{cheap_without * 1e6:.0f} us, with {cheap_with * 1e6:.0f} us ({(cheap_with - cheap_without) * 1e6:+.0f} us a call)")
    bare, metered = observer_seconds(None), observer_seconds(GatewayMetrics())
    print(f"the metrics interceptor alone (in process, no network, {OBSERVER_CALLS} calls): {metered * 1e6:.1f} us a call "
          f"with metrics, {bare * 1e6:.1f} us without; per accepted submission ({without:.0f}/s on "
          f"{os.cpu_count()} CPUs: {os.cpu_count() / without * 1e3:.1f} ms of CPU at most) that is "
          f"{100 * (metered - bare) / (os.cpu_count() / without):.3f}% per RPC")


def compare_signatures(args) -> None:
    """Interleaved ingests of two worlds: Ed25519-only keys everywhere, and hybrid keys."""
    with tempfile.TemporaryDirectory() as root:
        worlds, templates = {}, {}
        for hybrid in (False, True):
            template = Path(root) / f"template-{'hybrid' if hybrid else 'ed25519'}"
            template.mkdir()
            if not hybrid:  # a data folder whose study and log keys are Ed25519-only (as before issue 22)
                atomic_write(template / GATEWAY_KEY_FILE, SigningKey.generate(hybrid=False).raw, mode=SECRET_FILE_MODE)
                atomic_write(template / LOG_KEY_FILE, TreeHeadSigner.generate(hybrid=False).to_pem(), mode=SECRET_FILE_MODE)
            gateway = start_gateway(str(template), args, None)
            try:
                worlds[hybrid] = prepare(gateway, args, hybrid=hybrid)
                assert len(gateway.gateway_key.public) == (1984 if hybrid else 32)
            finally:
                gateway.stop(grace=1)
            templates[hybrid] = template
        rates: dict[bool, list[float]] = {False: [], True: []}
        cpus: dict[bool, list[float]] = {False: [], True: []}
        for round_ in range(args.compare_signatures):
            for hybrid in ((False, True) if round_ % 2 == 0 else (True, False)):
                data_dir = str(Path(root) / f"run-{round_}-{int(hybrid)}")
                shutil.copytree(templates[hybrid], data_dir)
                gateway = start_gateway(data_dir, args, None)
                stats: dict = {}
                try:
                    rate = ingest(gateway, worlds[hybrid], args, stats=stats)
                finally:
                    gateway.stop(grace=1)
                shutil.rmtree(data_dir)
                rates[hybrid].append(rate)
                cpus[hybrid].append(stats["cpu"] / args.participants)
                print(f"round {round_ + 1}: {'hybrid' if hybrid else 'Ed25519-only'} {rate:.1f} submissions/s, "
                      f"{cpus[hybrid][-1] * 1e3:.2f} ms CPU a submission", flush=True)
    classical, hybrid = statistics.median(rates[False]), statistics.median(rates[True])
    paired = statistics.median(h / c for h, c in zip(rates[True], rates[False]))
    sizes = {h: len(worlds[h]["submissions"][0]) for h in (False, True)}
    print(f"median throughput Ed25519-only {classical:.1f}/s, hybrid Ed25519+ML-DSA-65 {hybrid:.1f}/s "
          f"({args.participants} submissions, {args.clients} clients, {args.compare_signatures} rounds each; "
          f"submission {sizes[False]} vs {sizes[True]} bytes)")
    print(f"ratio hybrid/Ed25519-only {hybrid / classical:.3f} (median of the rounds' own ratios {paired:.3f}; "
          f"target >= 0.90)")
    cpu_c, cpu_h = statistics.median(cpus[False]) * 1e3, statistics.median(cpus[True]) * 1e3
    print(f"CPU a submission (gateway and clients in this process, median): Ed25519-only {cpu_c:.2f} ms, hybrid "
          f"{cpu_h:.2f} ms: CPU-bound throughput ratio {cpu_c / cpu_h:.3f}")


PROBE_CALLS = 500
OBSERVER_CALLS = 100_000


def observer_seconds(metrics: GatewayMetrics | None) -> float:
    """Mean time RpcObserver adds to one unary call: the handler lookup, the wrapper and, with
    metrics, the started/handled counters and the latency histogram (a trivial handler)."""
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: request)
    details = SimpleNamespace(method="/zkgate.v1.StudyService/GetGatewayInfo", invocation_metadata=())
    context = SimpleNamespace(code=lambda: None)
    observer = RpcObserver(metrics)
    start = time.perf_counter()
    for _ in range(OBSERVER_CALLS):
        observer.intercept_service(lambda _: handler, details).unary_unary(None, context)
    return (time.perf_counter() - start) / OBSERVER_CALLS


def unary_seconds(gateway: Gateway) -> float:
    """Mean time of one GetGatewayInfo call (one client, sequential): where a per-call cost shows most."""
    with GatewayClient(gateway.address, timeout=60) as client:
        client.gateway_info()
        start = time.perf_counter()
        for _ in range(PROBE_CALLS):
            client.gateway_info()
        return (time.perf_counter() - start) / PROBE_CALLS


if __name__ == "__main__":
    main()
