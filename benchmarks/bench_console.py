"""Console page render for a study with many participants: cold (the first render verifies every
proof) and warm (verification cached per record digest), side by side in one run.

A dev-mode gateway runs in this process; N hospitals (8 records each, one chunk, one proof each)
register, prove, submit; the study is closed and released.  Then the study page
(``/studies/{id}``, HTML with charts) is rendered through the console's Starlette app:

* cold: a fresh console (empty cache): fetch the public record, verify all N submissions
  (signatures, chunk sets, Groth16 proofs -- batched per submission), the aggregate and the release,
  render;
* warm: the same page again: fetch the record, hash it, find the report in the cache, render
  (median of --repeat renders).

Target (#24): warm <= 300 ms for N = 100.  Prints a Markdown table (ratio = cold / warm).

Usage: python -P benchmarks/bench_console.py [--participants 100] [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings

import numpy as np


def run_study(address: str, participants: int, records: int, chunk: int) -> str:
    from zkgate.he import KeyHolder
    from zkgate.services.client.gateway_client import GatewayClient
    from zkgate.study.catalog import Registration
    from zkgate.study.commitment import DatasetCommitment
    from zkgate.study.contributor import Contributor
    from zkgate.study.dataset import Dataset
    from zkgate.study.identity import SigningKey
    from zkgate.study.messages import Aggregate
    from zkgate.study.release import StudyKeyHolder
    from zkgate.study.requester import open_study
    from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table
    from zkgate.study.verification import PublicRecord

    rng = np.random.default_rng(1)
    names = [f"hospital-{i:03d}" for i in range(participants)]
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, records)), chunk) for _ in names]
    keys = [SigningKey.generate() for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    with GatewayClient(address, timeout=600) as client:
        for registration in registrations:
            client.register_dataset(registration.to_bytes())
        info = client.gateway_info()
        he = KeyHolder.create("bfv-4096")
        context = he.public_context()
        key_holder_key = SigningKey.generate()
        spec, circuit_keys = open_study(
            title="console benchmark", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
            quorum=participants, deadline=int(time.time()) + 7200, public_context=context,
            gateway_key=info.study_signing_key, key_holder_key=key_holder_key.public, keys="dev", dev_mode=True)
        study_id = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes()).study_id
        for name, commitment, key in zip(names, commitments, keys):
            contribution = Contributor(name, commitment, key, dev_mode=True).contribute(spec, context, circuit_keys)
            client.submit(study_id, contribution.submission.to_bytes())
        client.close_study(study_id)
        aggregate = Aggregate.from_bytes(client.aggregate(study_id))
        record = PublicRecord.from_bytes(client.public_record(study_id))
        release = StudyKeyHolder(spec, he, key_holder_key).release(aggregate, list(record.submissions))
        client.publish_release(study_id, release.to_bytes())
    return study_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--records", type=int, default=8)
    parser.add_argument("--chunk", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from zkgate import kernels
    from zkgate.services.client.gateway_client import GatewayClient
    from zkgate.services.console.app import create_app
    from zkgate.services.console.source import ConsoleSource
    from zkgate.services.gateway.server import Gateway, ServerConfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with tempfile.TemporaryDirectory(prefix="zkgate-bench-console-") as folder:
        gateway = Gateway(ServerConfig(data_dir=folder, port=0, dev_mode=True)).start()
        try:
            started = time.perf_counter()
            study_id = run_study(gateway.address, args.participants, args.records, args.chunk)
            setup = time.perf_counter() - started
            path = f"/studies/{study_id}"
            with GatewayClient(gateway.address, timeout=600) as client:
                source = ConsoleSource(client, dev_mode=True)
                web = TestClient(create_app(source))
                started = time.perf_counter()
                page = web.get(path)
                cold = time.perf_counter() - started
                if page.status_code != 200 or "VERIFIED" not in page.text:
                    raise SystemExit(f"the cold render did not verify the study: {page.status_code} {page.text[:500]}")
                warm_times = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    again = web.get(path)
                    warm_times.append(time.perf_counter() - started)
                    if again.status_code != 200 or "verification cached" not in again.text:
                        raise SystemExit("a warm render did not come from the cache")
                api_times = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    web.get(f"/api{path}")
                    api_times.append(time.perf_counter() - started)
        finally:
            gateway.stop(grace=1)
    warm = statistics.median(warm_times)
    api = statistics.median(api_times)
    print(f"backend {kernels.BACKEND}; {args.participants} participants x {args.records} records "
          f"(chunk {args.chunk}: {args.participants} proofs); study set up in {setup:.1f} s; page {len(page.text)} bytes")
    print()
    print("| render of /studies/{id} | seconds |")
    print("| --- | --- |")
    print(f"| cold (first render: verify every proof) | {cold:.3f} |")
    print(f"| warm (cached per record digest), median of {args.repeat} | {warm:.3f} (min {min(warm_times):.3f}, max {max(warm_times):.3f}) |")
    print(f"| warm /api/studies/{{id}} (JSON), median | {api:.3f} |")
    print(f"| ratio cold / warm | {cold / warm:.1f} |")
    print(f"target warm <= 0.300 s: {'MET' if warm <= 0.300 else 'NOT MET'}")


if __name__ == "__main__":
    main()
