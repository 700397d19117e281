"""Durability: SIGKILL the gateway during a stream of concurrent submissions, restart it on the
same data directory, and find every acknowledged submission, nothing half written, and a log
consistent with every head signed before the kill."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from testsupport import fresh_postgres_database, postgres_missing_reason
from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Receipt, Submission
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table
from zkgate.study.verification import PublicRecord

pytestmark = pytest.mark.slow  # proves a dozen contributions

PARTICIPANTS = 12
KILL_AFTER = 4  # acknowledged submissions before the kill (others are in flight)


class ServeProcess:
    """``zkgate serve`` in a subprocess; ``address`` once it listens."""

    def __init__(self, data_dir: Path, cwd: Path, store_url: str | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zkgate", "serve", "--data-dir", str(data_dir), "--port", "0", "--dev",
             "--workers", "8", *(["--store", store_url] if store_url else [])],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=cwd,
        )
        self.lines: list[str] = []
        found = threading.Event()
        self.address = ""

        def read():
            for line in self.proc.stderr:
                self.lines.append(line)
                m = re.search(r"listening on (\S+)", line)
                if m and not found.is_set():
                    self.address = m.group(1)
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(120):
            self.proc.kill()
            raise RuntimeError("zkgate serve did not start:\n" + "".join(self.lines))

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request):
    if request.param == "sqlite":
        yield None
        return
    reason = postgres_missing_reason()
    if reason:
        pytest.skip(reason)
    url, drop = fresh_postgres_database()
    try:
        yield url
    finally:
        drop()


def test_acknowledged_submissions_survive_sigkill(tmp_path, store_url):
    data_dir = tmp_path / "data"
    rng = np.random.default_rng(17)
    names = [f"clinic-{i:02d}" for i in range(PARTICIPANTS)]
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, 4)), 4) for _ in names]
    keys = [SigningKey.generate() for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]

    server = ServeProcess(data_dir, tmp_path, store_url)
    try:
        with GatewayClient(server.address, timeout=120) as client:
            for registration in registrations:
                client.register_dataset(registration.to_bytes())
            info = client.gateway_info()
            he = KeyHolder.create("bfv-4096")
            context = he.public_context()
            spec, circuit_keys = open_study(
                title="sigkill", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
                quorum=1, deadline=int(time.time()) + 3600, public_context=context,
                gateway_key=info.study_signing_key, key_holder_key=SigningKey.generate().public, keys="dev",
                dev_mode=True,
            )
            study_id = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes()).study_id
        submissions = {
            n: Contributor(n, c, k, dev_mode=True).contribute(spec, context, circuit_keys).submission.to_bytes()
            for n, c, k in zip(names, commitments, keys)
        }

        acknowledged: dict[str, tuple[bytes, int]] = {}
        heads = []
        lock = threading.Lock()
        killed = threading.Event()
        queue = list(names)

        def submitter():
            with GatewayClient(server.address, timeout=60) as c:
                while not killed.is_set():
                    with lock:
                        if not queue:
                            return
                        name = queue.pop(0)
                    try:
                        receipt, leaf = c.submit(study_id, submissions[name])
                    except GatewayCallError:
                        return  # the server died under us: not acknowledged
                    with lock:
                        acknowledged[name] = (receipt, leaf)
                        if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                            killed.set()
                            server.kill()  # SIGKILL with other submissions in flight

        def head_watcher():
            with GatewayClient(server.address, timeout=10) as c:
                while not killed.is_set():
                    try:
                        head, key = c.tree_head()
                    except GatewayCallError:
                        return
                    with lock:
                        heads.append(head)
                    time.sleep(0.01)

        threads = [threading.Thread(target=submitter) for _ in range(4)] + [threading.Thread(target=head_watcher)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert killed.is_set() and server.proc.returncode == -signal.SIGKILL
        assert len(acknowledged) >= KILL_AFTER and heads

        # a blob write the kill cut short (as if it had landed mid-write) is cleared at start
        (data_dir / "blobs").mkdir(exist_ok=True)
        (data_dir / "blobs" / f".{'ab' * 32}.1234.tmp").write_bytes(b"half a ciphertext")
        # restart on the same data directory
        server = ServeProcess(data_dir, tmp_path, store_url)
        with GatewayClient(server.address, timeout=120) as client:
            new_head, key = client.tree_head()
            assert key == info.log_public_key
            for old in heads:  # every head signed before the kill is a prefix of the new log
                client.check_consistency(old, new_head)
            head, entries = client.verify_whole_log()
            record = PublicRecord.from_bytes(client.public_record(study_id))
            stored = {s.participant: s for s in record.submissions}
            logged = [json.loads(e.data) for e in entries if e.kind == "submission"]
            assert sorted(x["participant"] for x in logged) == sorted(stored)  # one leaf per stored submission
            assert client.get_study(study_id).accepted == len(stored)
            for name, (receipt, leaf) in acknowledged.items():
                assert name in stored, f"acknowledged submission of {name} lost"
                assert stored[name].digest == Submission.from_bytes(submissions[name]).digest
                Receipt.from_bytes(receipt).verify_signature(info.study_signing_key)
                assert json.loads(entries[leaf].data)["participant"] == name
                client.check_inclusion(entries[leaf], leaf, new_head)
                # a retry returns the original receipt and leaf: stored exactly as acknowledged
                assert client.submit(study_id, submissions[name]) == (receipt, leaf)
            # the rest go through after the restart, and the study completes and verifies
            for name in names:
                if name not in acknowledged:
                    client.submit(study_id, submissions[name])
            assert client.get_study(study_id).accepted == PARTICIPANTS
            assert client.close_study(study_id).state == 2
            final, _ = client.tree_head()
            client.check_consistency(new_head, final)
            first = names[0]
            if first in acknowledged:  # after the close, a retry still gets the original receipt
                assert client.submit(study_id, submissions[first]) == acknowledged[first]
    finally:
        server.stop()

    if store_url:
        _check_postgres(store_url)
        return
    # nothing half written: the database is intact, every referenced blob is whole, no temporary files
    db = sqlite3.connect(data_dir / "zkgate.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    blobs = [r[0] for r in db.execute("SELECT submission_blob FROM submissions")]
    blobs += [r[0] for r in db.execute("SELECT context_blob FROM studies")]
    for blob in blobs:
        assert hashlib.sha256((data_dir / "blobs" / blob).read_bytes()).hexdigest() == blob
    leaves = db.execute("SELECT COUNT(*), MAX(leaf_index) FROM audit_leaves").fetchone()
    assert leaves[0] == leaves[1] + 1  # no gaps
    assert not [p for p in (data_dir / "blobs").iterdir() if p.name.endswith(".tmp")]


def _check_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        for blob_id, data in conn.execute(
            "SELECT b.blob_id, b.data FROM blobs b JOIN submissions s ON s.submission_blob = b.blob_id"
        ).fetchall():
            assert hashlib.sha256(bytes(data)).hexdigest() == blob_id
        count, last = conn.execute("SELECT COUNT(*), MAX(leaf_index) FROM audit_leaves").fetchone()
        assert count == last + 1  # no gaps
        leaves = conn.execute("SELECT COUNT(*) FROM audit_nodes WHERE level = 0").fetchone()[0]
        assert leaves == count
