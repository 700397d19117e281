#!/usr/bin/env python3
"""Soak test: submissions, closes and SIGKILL restarts against one real `zkgate serve`, for N minutes.

One gateway child process (SQLite, --dev) on a fixed port and data folder.  Until the time is up,
each round opens a small study, submits every participant's honest submission over gRPC (a few
client threads) and closes the study; every --restart-every rounds it SIGKILLs the gateway in
the middle of the round and restarts it on the same store, and retries the last acknowledged submission (it must get back the very same receipt).  Checked, and the script exits 1 if any fails:

* nothing acknowledged is lost: after every restart, every receipt a client got verifies under the
  gateway's key and its submission is in the audit log (a `submission` leaf with its digest), and
  each study's accepted count is at least what was acknowledged;
* the audit log verifies: `zkgate audit verify` against the gateway at the end (exit 0);
* RSS stays flat: the gateway's RSS is sampled at the end of every round; the growth between the
  first round of a process lifetime and the last must stay under --rss-slack-mib.

Proofs are made before each round in spawned worker processes (tiny schema; see
zkgate.services.parties.load), so the gateway's own work is what runs under the clock.

Usage: python scripts/soak.py [--minutes 2] [--participants 6] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayClient
from zkgate.services.parties.load import GatewayProcess, make_holders, open_tiny_study, prepare_submissions
from zkgate.study.messages import Receipt, Submission

MIB = 1 << 20


class SoakFailure(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=2.0, help="wall time to keep starting rounds (default 2)")
    parser.add_argument("--participants", type=int, default=6, help="participants per study (default 6)")
    parser.add_argument("--clients", type=int, default=3, help="client threads submitting")
    parser.add_argument("--restart-every", type=int, default=2, help="SIGKILL and restart in every Nth round (default 2)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes preparing proofs")
    parser.add_argument("--preset", default="bfv-4096")
    parser.add_argument("--rss-slack-mib", type=float, default=50.0,
                        help="allowed RSS growth within one gateway lifetime (default 50)")
    parser.add_argument("--data-dir", default=None, help="keep the gateway's data here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.participants < 2:
        parser.error("--participants must be at least 2 (the gateway is killed between two submissions)")

    with tempfile.TemporaryDirectory(prefix="zkgate-soak-") as tmp:
        data_dir = args.data_dir or os.path.join(tmp, "data")
        os.makedirs(data_dir, exist_ok=True)
        gateway = GatewayProcess(data_dir, log_path=os.path.join(tmp, "serve.log"))
        try:
            gateway.start()
            summary = soak(gateway, args)
        except SoakFailure as exc:
            print(f"SOAK FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            gateway.stop()
    print(json.dumps(summary))
    return 0


def soak(gateway: GatewayProcess, args) -> dict:
    deadline = time.monotonic() + args.minutes * 60
    holders = make_holders(args.participants, seed=int(time.time()))
    with GatewayClient(gateway.address, timeout=120) as client:
        info = client.gateway_info()
        for holder in holders:
            client.register_dataset(holder.registration.to_bytes())
    context = KeyHolder.create(args.preset).public_context()
    circuit_keys = "dev"
    acknowledged: dict[bytes, tuple[str, Receipt]] = {}  # submission digest -> (study, receipt)
    rss_rounds: list[list[float]] = [[]]  # per gateway lifetime: RSS (MiB) after each round
    rounds = restarts = 0
    started = time.monotonic()
    while rounds == 0 or time.monotonic() < deadline:
        spec, circuit_keys = open_tiny_study(holders, title=f"soak round {rounds}", gateway_key=info.study_signing_key,
                                             context=context, circuit_keys=circuit_keys, quorum=len(holders))
        submissions = prepare_submissions(spec, context, circuit_keys, holders, workers=args.workers)
        with GatewayClient(gateway.address, timeout=120) as client:
            study_id = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes()).study_id
        half = len(submissions) // 2
        _submit_all(gateway, study_id, submissions[:half], args.clients, info.study_signing_key, acknowledged)

        killed = rounds % args.restart_every == 0
        if killed:
            gateway.restart()  # SIGKILL mid-study, then the same port and store
            restarts += 1
            rss_rounds.append([])
            _check_nothing_lost(gateway, info.study_signing_key, acknowledged)
        last = submissions[half - 1]
        digest = Submission.from_bytes(last).digest
        with GatewayClient(gateway.address, timeout=120) as client:
            again, _ = client.submit(study_id, last)
        if Receipt.from_bytes(again) != acknowledged[digest][1]:
            raise SoakFailure(f"round {rounds}: a retry got another receipt than the acknowledged one")

        _submit_all(gateway, study_id, submissions[half:], args.clients, info.study_signing_key, acknowledged)
        with GatewayClient(gateway.address, timeout=120) as client:
            closed = client.close_study(study_id)
        if closed.accepted != len(holders):
            raise SoakFailure(f"round {rounds}: the closed study counts {closed.accepted} of {len(holders)} submissions")
        rss_rounds[-1].append(gateway.rss() / MIB)
        rounds += 1
        print(f"round {rounds}: {len(holders)} submissions{', a SIGKILL restart' if killed else ''}, closed; "
              f"gateway RSS {rss_rounds[-1][-1]:.1f} MiB", file=sys.stderr, flush=True)

    gateway.restart()
    restarts += 1
    _check_nothing_lost(gateway, info.study_signing_key, acknowledged)
    verify = subprocess.run([sys.executable, "-P", "-m", "zkgate", "audit", "verify", "--gateway", gateway.address],
                            capture_output=True, text=True, timeout=600)
    if verify.returncode != 0:
        raise SoakFailure(f"zkgate audit verify exited {verify.returncode}: {verify.stdout[-2000:]}{verify.stderr[-2000:]}")
    growth = max((max(r) - r[0] for r in rss_rounds if r), default=0.0)
    samples = [x for r in rss_rounds for x in r]
    if growth > args.rss_slack_mib:
        raise SoakFailure(f"gateway RSS grew {growth:.1f} MiB within one process lifetime (allowed {args.rss_slack_mib})")
    return {
        "ok": True, "minutes": round((time.monotonic() - started) / 60, 2), "rounds": rounds, "restarts": restarts,
        "acknowledged": len(acknowledged), "audit_verify": next((ln for ln in verify.stdout.splitlines() if ln.startswith("OK")), ""),
        "rss_mib": {"min": round(min(samples), 1), "max": round(max(samples), 1),
                    "max_growth_within_a_lifetime": round(growth, 1)},
    }


def _submit_all(gateway: GatewayProcess, study_id: str, submissions: list[bytes], clients: int, gateway_key: bytes,
                acknowledged: dict) -> None:
    queue = list(submissions)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        with GatewayClient(gateway.address, timeout=120) as client:
            while True:
                with lock:
                    if not queue or errors:
                        return
                    data = queue.pop(0)
                try:
                    receipt_bytes, _ = client.submit(study_id, data)
                    receipt = Receipt.from_bytes(receipt_bytes)
                    receipt.verify_signature(gateway_key)
                except BaseException as exc:  # noqa: BLE001
                    with lock:
                        errors.append(exc)
                    return
                with lock:
                    acknowledged[receipt.submission_digest] = (study_id, receipt)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SoakFailure(f"a submission was refused: {errors[0]}")


def _check_nothing_lost(gateway: GatewayProcess, gateway_key: bytes, acknowledged: dict) -> None:
    with GatewayClient(gateway.address, timeout=120) as client:
        head, entries = client.verify_whole_log()
        logged = set()
        for entry in entries:
            if entry.kind == "submission":
                logged.add(bytes.fromhex(json.loads(entry.data)["submission_digest"]))
        missing = [r.participant for d, (_, r) in acknowledged.items() if d not in logged]
        if missing:
            raise SoakFailure(f"{len(missing)} acknowledged submission(s) missing from the audit log after a restart "
                              f"(e.g. {missing[0]!r})")
        per_study: dict[str, int] = {}
        for study_id, _ in acknowledged.values():
            per_study[study_id] = per_study.get(study_id, 0) + 1
        for study_id, count in per_study.items():
            stored = client.get_study(study_id).accepted
            if stored < count:
                raise SoakFailure(f"study {study_id[:16]}...: {stored} stored, {count} acknowledged")


if __name__ == "__main__":
    sys.exit(main())
