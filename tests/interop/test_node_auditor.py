"""The Node.js auditor (examples/node-auditor) against the test vectors and a real dev gateway.

Its decoders, digests, signatures, Poseidon and Baby Jubjub arithmetic must reproduce every test
vector in tests/vectors (and notice a changed one).  Then one small study runs to release over gRPC (two simulated hospitals, a few chunks each); the
auditor, which uses no zkgate code, must accept it (exit 0), reject the same study once the
stored release is replaced by a misreported one that the key holder signed (exit 1, naming the
commitment equation and the audit log), and refuse bad usage or an unreachable gateway (exit 2).
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from testsupport import REPO_ROOT, dev_gateway

AUDITOR = REPO_ROOT / "examples" / "node-auditor"
DATABASE_NAME = "zkgate.sqlite3"  # the SQLite store's file in the gateway's data folder



def _auditor_ready() -> None:
    """Skip without node/npm; install the example's locked dependencies when they are missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the Node.js auditor (CI installs them)")
    if not (AUDITOR / "node_modules" / "snarkjs").is_dir():
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AUDITOR,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            pytest.fail(f"npm ci in {AUDITOR} failed:\n{proc.stderr[-3000:]}")


def test_auditor_reproduces_the_test_vectors():
    _auditor_ready()
    proc = subprocess.run(["node", str(AUDITOR / "check-vectors.js")], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "snarkjs" in proc.stdout and "FAIL" not in proc.stdout


def test_auditor_notices_a_changed_vector(tmp_path):
    _auditor_ready()
    vectors = REPO_ROOT / "tests" / "vectors"
    for path in vectors.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    head = json.loads((vectors / "tree_head.json").read_text())
    head["signature_hex"] = ("0" if head["signature_hex"][0] != "0" else "1") + head["signature_hex"][1:]
    (tmp_path / "tree_head.json").write_text(json.dumps(head))
    pedersen = json.loads((vectors / "pedersen.json").read_text())
    pedersen["generators"][-1]["point"][0] = str(int(pedersen["generators"][-1]["point"][0]) + 1)
    (tmp_path / "pedersen.json").write_text(json.dumps(pedersen))
    proc = subprocess.run(["node", str(AUDITOR / "check-vectors.js"), str(tmp_path)], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL  ")]
    assert failed == ["FAIL  pedersen generator H", "FAIL  signed tree head signature"], proc.stdout


def run_auditor(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(AUDITOR / "audit.js"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO_ROOT)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


@pytest.fixture(scope="module")
def released_study(gateway):
    """Run a small study to release; returns its id, release and the parties' signing keys."""
    _auditor_ready()
    from zkgate.he import KeyHolder
    from zkgate.services.client.gateway_client import GatewayClient
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

    rng = np.random.default_rng(16)
    names = ["hospital-a", "hospital-b"]
    with GatewayClient(gateway.address, timeout=300) as client:
        info = client.gateway_info()
        commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(rng, 20)), 8) for _ in names]
        signing = [SigningKey.generate() for _ in names]
        registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, signing)]
        for registration in registrations:
            client.register_dataset(registration.to_bytes())
        he_key_holder = KeyHolder.create("bfv-4096")
        context = he_key_holder.public_context()
        key_holder_key = SigningKey.generate()
        spec, keys = open_study(
            title="node auditor interop", registrations=registrations, filter=STUDY_FILTER,
            statistics=STUDY_STATISTICS, quorum=2, deadline=int(time.time()) + 3600, public_context=context,
            gateway_key=info.study_signing_key, key_holder_key=key_holder_key.public, keys="dev", dev_mode=True,
        )
        study_id = client.create_study(spec.to_bytes(), keys.public().to_bytes(), context.to_bytes()).study_id
        for name, commitment, key in zip(names, commitments, signing):
            contribution = Contributor(name, commitment, key, dev_mode=True).contribute(spec, client.public_context(study_id), keys)
            receipt, _ = client.submit(study_id, contribution.submission.to_bytes())
            Contributor.accept_receipt(contribution, Receipt.from_bytes(receipt), spec)
        client.close_study(study_id)
        aggregate = Aggregate.from_bytes(client.aggregate(study_id))
        record = PublicRecord.from_bytes(client.public_record(study_id))
        release = StudyKeyHolder(spec, he_key_holder, key_holder_key).release(aggregate, list(record.submissions))
        client.publish_release(study_id, release.to_bytes())
    return SimpleNamespace(study_id=study_id, release=release, key_holder_key=key_holder_key,
                           participant_keys=dict(zip(names, signing)))


@pytest.mark.slow
def test_auditor_accepts_an_honest_study(gateway, released_study):
    study_id = released_study.study_id
    proc = run_auditor("--gateway", gateway.address, "--study", study_id, "--dev")
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "VERIFIED"
    assert not [line for line in lines if line.startswith("FAIL")]
    for expected in ("study id is the Poseidon hash of the spec", "chunk proofs verify (snarkjs)",
                     "commitment equation", "tree head signature", "submission of hospital-b logged: inclusion proof",
                     "release logged: inclusion proof", "chunk roots rebuild the registered data set root"):
        assert any(expected in line and line.startswith("PASS") for line in lines), expected

    as_json = run_auditor("--gateway", gateway.address, "--study", study_id, "--dev", "--json")
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["verified"] is True and report["failures"] == []
    assert len(report["checks"]) > 25

    # without --dev, a study on development keys is refused (exit 1, saying why)
    strict = run_auditor("--gateway", gateway.address, "--study", study_id)
    assert strict.returncode == 1
    assert "FAIL  development keys accepted (--dev)" in strict.stdout


@pytest.mark.slow
def test_auditor_rejects_a_misreported_release(gateway, released_study):
    """The key holder signs a release whose count is one more than the decrypted sum, and the
    gateway's stored release is replaced by it: every signature still verifies, but the commitment
    equation fails and the audit log names another release."""
    study_id, release, key_holder_key = released_study.study_id, released_study.release, released_study.key_holder_key
    database = Path(gateway.config.data_dir) / DATABASE_NAME
    forged = replace(release, values=(release.values[0] + 1, *release.values[1:]), signature=b"").sign(key_holder_key)
    with sqlite3.connect(database) as db:
        db.execute("UPDATE studies SET release = ? WHERE study_id = ?", (forged.to_bytes(), study_id))
    try:
        proc = run_auditor("--gateway", gateway.address, "--study", study_id, "--dev", "--json")
        print(proc.stdout)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        report = json.loads(proc.stdout)
        failed = {c["check"] for c in report["checks"] if not c["ok"]}
        assert failed == {"commitment equation Σ S_j·G_j + (P mod l)·H = Σ C_i (Baby Jubjub)", "release logged"}, failed
        assert "release signature" not in failed
    finally:
        with sqlite3.connect(database) as db:
            db.execute("UPDATE studies SET release = ? WHERE study_id = ?", (release.to_bytes(), study_id))


@pytest.mark.slow
def test_auditor_rejects_a_substituted_proof(gateway, released_study):
    """hospital-a's stored submission is replaced by one whose first two chunk proofs are swapped and
    that hospital-a signed: snarkjs must reject the proofs, and the aggregate and the log name
    another submission."""
    from zkgate.study.messages import Submission

    study_id, store = released_study.study_id, gateway.store
    database = Path(gateway.config.data_dir) / DATABASE_NAME
    with sqlite3.connect(database) as db:
        (blob,) = db.execute("SELECT submission_blob FROM submissions WHERE study_id = ? AND participant = ?",
                             (study_id, "hospital-a")).fetchone()
    original = Submission.from_bytes(store.read_blob(blob))
    assert len(original.proofs) >= 2
    proofs = (original.proofs[1], original.proofs[0], *original.proofs[2:])
    forged = replace(original, proofs=proofs, signature=b"").sign(released_study.participant_keys["hospital-a"])
    forged_blob = store.put_blob(forged.to_bytes())
    with sqlite3.connect(database) as db:
        db.execute("UPDATE submissions SET submission_blob = ? WHERE study_id = ? AND participant = ?",
                   (forged_blob, study_id, "hospital-a"))
    try:
        proc = run_auditor("--gateway", gateway.address, "--study", study_id, "--dev")
        print(proc.stdout)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        failed = {line[6:].split(":")[0] for line in proc.stdout.splitlines() if line.startswith("FAIL  ")}
        assert failed == {
            "submission of hospital-a", "aggregate lists the accepted submissions", "submission of hospital-a logged",
        }, proc.stdout
        assert "FAIL  submission of hospital-a: 3 chunk proofs verify (snarkjs) on chunk root, study id, commitment: chunk 0 does not verify (2 of 3 rejected)" in proc.stdout
        assert "PASS  submission of hospital-a: signature" in proc.stdout
    finally:
        with sqlite3.connect(database) as db:
            db.execute("UPDATE submissions SET submission_blob = ? WHERE study_id = ? AND participant = ?",
                       (blob, study_id, "hospital-a"))


@pytest.mark.slow
def test_auditor_exit_2_on_bad_usage_and_no_gateway(released_study):
    study_id = released_study.study_id
    assert run_auditor("--study", study_id).returncode == 2
    assert run_auditor("--gateway", "localhost:1", "--study", "xyz").returncode == 2
    assert run_auditor("--gateway", "localhost:1", "--study", study_id, "--bogus").returncode == 2
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = run_auditor("--gateway", f"127.0.0.1:{port}", "--study", study_id, "--timeout", "3", timeout=60)
    assert proc.returncode == 2
    assert "cannot connect" in proc.stderr
