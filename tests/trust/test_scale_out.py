"""Scale-out: three ``zkgate serve`` processes on one PostgreSQL serve one study; 8 clients submit
300 prepared contributions round-robin over the three (one ``GatewayClient`` on a list of
addresses each); one process is SIGKILLed mid-load and restarted.  Every acknowledged submission
is stored exactly once, the aggregate (rebuilt from the store by whichever process closes) decrypts
to the exact sum of the stored contributions, the audit log is dense and verifies against heads
signed by every process with the one log key, and an identical retry is answered with the original
receipt by every process.  Skipped (saying why) only when no PostgreSQL server answers."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import numpy as np
import pytest

from testsupport import fresh_postgres_database, postgres_missing_reason
from zkgate.audit.tree_head import TreeHeadSigner
from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.client.targets import channel_target
from zkgate.services.gateway.servicers.audit import LOG_KEY_FILE
from zkgate.services.gateway.servicers.study import GATEWAY_KEY_FILE
from zkgate.services.gateway.shared_keys import key_mismatch
from zkgate.services.gateway.store import AuditEntry, open_store
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Aggregate, Receipt
from zkgate.study.release import StudyKeyHolder
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, patient_table
from zkgate.study.verification import PublicRecord

pytestmark = pytest.mark.slow  # proves 300 contributions

PROCESSES = 3
CLIENTS = 8
PARTICIPANTS = 300
KILL_AFTER = 60  # acknowledged submissions before one process is killed (others are in flight)


class ServeProcess:
    """``zkgate serve --store URL`` in a subprocess; ``address`` once it listens."""

    def __init__(self, data_dir: Path, url: str, port: int = 0) -> None:
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zkgate", "serve", "--data-dir", str(data_dir), "--port", str(port), "--dev",
             "--workers", "8", "--store", url],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
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

    @property
    def port(self) -> int:
        return int(self.address.rpartition(":")[2])

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


def test_several_addresses_make_one_round_robin_target():
    one = channel_target("127.0.0.1:50051")
    assert (one.target, one.spread, one.options()) == ("127.0.0.1:50051", False, [])
    many = channel_target("127.0.0.1:50051, 127.0.0.1:50052,localhost:50053")
    assert many.target == "ipv4:127.0.0.1:50051,127.0.0.1:50052,127.0.0.1:50053"
    assert ("grpc.lb_policy_name", "round_robin") in many.options()
    assert ("grpc.default_authority", "127.0.0.1:50051") in many.options()
    assert channel_target(["[::1]:1", "[::1]:2"]).target == "ipv6:[::1]:1,[::1]:2"
    assert channel_target("dns:///gateways.example:50051").spread
    with pytest.raises(Exception, match="HOST:PORT"):
        channel_target("127.0.0.1:1,nothing")


def test_a_process_with_other_keys_is_told_which_files_to_copy(tmp_path):
    store = open_store(tmp_path, None)
    try:
        signer, other = TreeHeadSigner.generate(), TreeHeadSigner.generate()
        gateway = SigningKey.generate().public
        assert key_mismatch(store, other.public_key_bytes, gateway) is None  # nothing signed yet
        store.append_audit(AuditEntry("test", b"{}"))
        store.save_tree_head(signer.sign(1, store.audit_read(lambda t: t.root())))
        assert key_mismatch(store, signer.public_key_bytes, gateway) is None
        told = key_mismatch(store, other.public_key_bytes, gateway)
        assert "another log key" in told and LOG_KEY_FILE in told and GATEWAY_KEY_FILE in told
    finally:
        store.close()


@pytest.fixture
def postgres_url():
    reason = postgres_missing_reason()
    if reason:
        pytest.skip(reason)
    url, drop = fresh_postgres_database()
    try:
        yield url
    finally:
        drop()


def test_three_processes_one_postgres_survive_a_sigkill(tmp_path, postgres_url):
    # one log key and one study signing key for every process: made by the first, copied to the others
    dirs = [tmp_path / f"gw{i}" for i in range(PROCESSES)]
    servers = [ServeProcess(dirs[0], postgres_url)]
    for d in dirs[1:]:
        d.mkdir()
        for name in (LOG_KEY_FILE, GATEWAY_KEY_FILE):
            shutil.copy2(dirs[0] / name, d / name)
        servers.append(ServeProcess(d, postgres_url))
    addresses = ",".join(s.address for s in servers)
    try:
        rng = np.random.default_rng(25)
        names = [f"clinic-{i:03d}" for i in range(PARTICIPANTS)]
        commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, 4)), 4) for _ in names]
        keys = [SigningKey.generate() for _ in names]
        registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
        with GatewayClient(addresses, timeout=120) as client:
            for registration in registrations:  # spread over the three: one catalog
                client.register_dataset(registration.to_bytes())
            info = client.gateway_info()
            he = KeyHolder.create("bfv-4096")
            context = he.public_context()
            key_holder_key = SigningKey.generate()
            spec, circuit_keys = open_study(
                title="scale-out", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
                quorum=PARTICIPANTS // 2, deadline=int(time.time()) + 3600, public_context=context,
                gateway_key=info.study_signing_key, key_holder_key=key_holder_key.public, keys="dev", dev_mode=True,
            )
            study_id = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes()).study_id
        contributions = {n: Contributor(n, c, k, dev_mode=True).contribute(spec, context, circuit_keys)
                         for n, c, k in zip(names, commitments, keys)}
        submissions = {n: c.submission.to_bytes() for n, c in contributions.items()}

        acknowledged: dict[str, tuple[bytes, int]] = {}
        failed: list[str] = []
        heads = []
        lock = threading.Lock()
        killed = threading.Event()
        queue = list(names)
        victim = servers[1]

        def submitter():
            with GatewayClient(addresses, timeout=60) as c:
                while True:
                    with lock:
                        if not queue:
                            return
                        name = queue.pop(0)
                    try:
                        answer = c.submit(study_id, submissions[name])
                    except GatewayCallError as exc:  # not acknowledged (retried on UNAVAILABLE already)
                        with lock:
                            failed.append(f"{name}: {exc}")
                        continue
                    with lock:
                        acknowledged[name] = answer
                        if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                            killed.set()
                            victim.kill()  # SIGKILL with submissions in flight on it

        def head_watcher():
            with GatewayClient(addresses, timeout=10) as c:
                while len(acknowledged) + len(failed) < PARTICIPANTS:
                    time.sleep(0.02)
                    try:
                        head, key = c.tree_head()
                    except GatewayCallError:
                        continue  # the killed process answered (round-robin moves on)
                    with lock:
                        heads.append((head, key))

        threads = [threading.Thread(target=submitter) for _ in range(CLIENTS)]
        watcher = threading.Thread(target=head_watcher)
        for t in (*threads, watcher):
            t.start()
        for t in threads:
            t.join(300)
        assert killed.is_set() and victim.proc.returncode == -signal.SIGKILL
        assert not failed, failed[:3]
        watcher.join(30)

        # the killed process restarts on its data folder and the same database
        servers[1] = ServeProcess(victim.data_dir, postgres_url, port=victim.port)
        assert len(acknowledged) == PARTICIPANTS and len(heads) > 1
        singles = [GatewayClient(s.address, timeout=120) for s in servers]
        try:
            record = PublicRecord.from_bytes(singles[0].public_record(study_id))
            stored = [s.participant for s in record.submissions]
            assert sorted(stored) == sorted(names)  # every acknowledged submission, exactly once
            new_head, key = singles[2].tree_head()
            assert key == info.log_public_key
            for old, old_key in heads:  # heads signed by any of the processes: prefixes of one log
                assert old_key == info.log_public_key  # every process signs with the one log key
                singles[1].check_consistency(old, new_head)
            head, entries = singles[1].verify_whole_log()  # dense, every leaf's inclusion proof checked
            logged = [json.loads(e.data) for e in entries if e.kind == "submission"]
            assert sorted(x["participant"] for x in logged) == sorted(names)
            assert sorted(x["sequence"] for x in logged) == list(range(PARTICIPANTS))
            for i, name in enumerate(names):
                receipt, leaf = acknowledged[name]
                Receipt.from_bytes(receipt).verify_signature(info.study_signing_key)
                assert json.loads(entries[leaf].data)["participant"] == name
                if i % 25 == 0:  # an identical retry: the original receipt, from every process
                    for single in singles:
                        assert single.submit(study_id, submissions[name]) == (receipt, leaf)
            other = Contributor(names[0], commitments[0], keys[0], dev_mode=True).contribute(spec, context, circuit_keys)
            with pytest.raises(GatewayCallError) as refused:  # another submission of a participant: refused
                singles[2].submit(study_id, other.submission.to_bytes())
            assert refused.value.code == grpc.StatusCode.ALREADY_EXISTS

            # closed by one process from what is stored; the aggregate decrypts to the exact sum
            assert singles[2].close_study(study_id).state == 2
            assert singles[0].get_study(study_id).state == 2 and singles[0].get_study(study_id).accepted == PARTICIPANTS
            aggregate = Aggregate.from_bytes(singles[0].aggregate(study_id))
            assert sorted(n for n, _ in aggregate.included) == sorted(names)
            record = PublicRecord.from_bytes(singles[1].public_record(study_id))
            release = StudyKeyHolder(spec, he, key_holder_key).release(aggregate, list(record.submissions))
            expected = [sum(contributions[n].values[j] for n in names) for j in range(len(release.values))]
            assert list(release.values) == expected
            assert singles[1].publish_release(study_id, release.to_bytes()).state == 3
            assert singles[0].publish_release(study_id, release.to_bytes()).state == 3  # the same again: idempotent
            assert singles[2].verify_study(study_id).ok
            receipt, leaf = acknowledged[names[-1]]
            assert singles[0].submit(study_id, submissions[names[-1]]) == (receipt, leaf)  # after the release too
            final, _ = singles[0].tree_head()
            singles[2].check_consistency(new_head, final)
            # a fourth process started with keys of its own is told at start which files to copy
            stranger = ServeProcess(tmp_path / "stranger", postgres_url)
            servers.append(stranger)
            time.sleep(0.5)
            assert any("another log key" in line for line in stranger.lines), "".join(stranger.lines)
        finally:
            for single in singles:
                single.close()
    finally:
        for server in servers:
            server.stop()
