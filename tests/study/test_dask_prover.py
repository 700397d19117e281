"""Chunk proofs on a Dask LocalCluster (issue #25): identical to in-process proving, fresh
randomness in every task on every worker, a worker killed by PID mid-run, the --dask checks."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from zkgate.bn254 import FrArray
from zkgate.prover.groth16.prove import prove
from zkgate.prover.groth16.verify import verify
from zkgate.study import Contributor, Dataset, DatasetCommitment, Registration, SigningKey
from zkgate.study.circuit import circuit_inputs, commit, compile_contribution
from zkgate.study.distributed import (
    DaskProver,
    DaskProvingError,
    DaskSetupError,
    DaskTarget,
    parse_target,
    prove_chunk,
)

distributed = pytest.importorskip("distributed")

TIMEOUT = 180  # seconds to wait for each next chunk: bounded, generous for the loaded CI machine
CHUNKS = 8


def _table(rng, n):
    return np.stack([rng.integers(0, 16, n), rng.integers(0, 2, n), rng.integers(-8, 8, n)], axis=1)


@pytest.fixture(scope="module")
def study(world):
    """One holder with CHUNKS chunks (the last one padded), in a study of its own under the world's keys."""
    com = DatasetCommitment(Dataset.from_array(world.spec.schema, _table(np.random.default_rng(11), 4 * CHUNKS - 2)),
                            world.spec.capacity)
    assert com.n_chunks == CHUNKS
    key = SigningKey.generate()
    spec, ckeys = world.open(registrations=[Registration.create("delta", com, key)], quorum=1)
    local = Contributor("delta", com, key, dev_mode=True).contribute(spec, world.public_context, ckeys)
    return world, com, key, spec, ckeys, local


@pytest.fixture(scope="module")
def prover():
    with DaskProver(parse_target("local:2"), timeout=TIMEOUT) as p:
        yield p


def _accepted(world, spec, ckeys, contribution):
    """The aggregator checks every proof, each chunk exactly once (the data set root) and the commitment sum."""
    agg = world.aggregator(spec)
    receipt = agg.submit(contribution.submission)
    Contributor.accept_receipt(contribution, receipt, spec)
    return agg


# ----------------------------------------------------------------------------------------------------------------
def test_parse_target_and_refusals(tmp_path):
    assert parse_target("local:2") == DaskTarget(None, 2)
    assert parse_target("tcp://127.0.0.1:8786").address == "tcp://127.0.0.1:8786"
    assert parse_target("localhost:8786").address == "tcp://localhost:8786"
    for bad in ("local:0", "local:x", "local:", "", "http://127.0.0.1:8786", "tcp://127.0.0.1"):
        with pytest.raises(DaskSetupError):
            parse_target(bad)
    with pytest.raises(DaskSetupError, match="--dask-tls"):
        parse_target("tcp://10.1.2.3:8786")  # beyond localhost without TLS: refused
    with pytest.raises(DaskSetupError, match="--dask-tls"):
        parse_target("scheduler.example:8786")
    with pytest.raises(DaskSetupError, match="local:N cluster"):
        parse_target("local:2", str(tmp_path / "tls.yaml"))
    cfg = tmp_path / "tls.yaml"
    cfg.write_text("distributed:\n  comm:\n    tls:\n      ca-file: ca.pem\n      client:\n        cert: c.pem\n"
                   "        key: c.key\n")
    with pytest.raises(DaskSetupError, match="tls://"):
        parse_target("tcp://10.1.2.3:8786", str(cfg))
    with pytest.raises(DaskSetupError, match="does not exist"):
        parse_target("tls://10.1.2.3:8786", str(cfg))
    for name in ("ca.pem", "c.pem", "c.key"):
        (tmp_path / name).write_text("x")
    target = parse_target("tls://10.1.2.3:8786", str(cfg))
    assert target.address == "tls://10.1.2.3:8786" and target.tls_config == str(cfg)
    (tmp_path / "bad.yaml").write_text("distributed: {comm: {}}\n")
    with pytest.raises(DaskSetupError, match="ca-file"):
        parse_target("tls://10.1.2.3:8786", str(tmp_path / "bad.yaml"))


def test_cli_refuses_remote_scheduler_without_tls():
    res = CliRunner().invoke(_cli(), ["study", "simulate", "--dask", "tcp://192.0.2.1:8786"])
    assert res.exit_code == 2 and "--dask-tls" in res.output
    res = CliRunner().invoke(_cli(), ["study", "simulate", "--dask", "local:2", "--workers", "2"])
    assert res.exit_code == 2 and "exclude each other" in res.output


def _cli():
    from zkgate.cli import cli

    return cli


# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.slow  # pure-Python proofs on two workers: slow there; the in-process path covers that backend
def test_local_cluster_identical_to_in_process(study, prover):
    world, com, key, spec, ckeys, local = study
    seen = []
    dask = Contributor("delta", com, key, dev_mode=True).contribute(
        spec, world.public_context, ckeys, dask=prover, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, CHUNKS) and seen[-1] == (CHUNKS, CHUNKS) and len(seen) == CHUNKS + 1
    a, b = local.submission, dask.submission
    assert b.chunk_roots == a.chunk_roots == tuple(com.chunk_roots)  # in chunk order
    assert dask.values == local.values  # the same statistics
    assert len(b.proofs) == CHUNKS and b.root_salt == a.root_salt
    vk = ckeys.pk.verifying_key
    for proof, root, pt in zip(b.proofs, b.chunk_roots, b.chunk_commitments):
        assert verify(vk, [root, spec.study_id, pt[0], pt[1]], proof)
    # soundness: a proof checked against another chunk's root fails
    assert not verify(vk, [b.chunk_roots[1], spec.study_id, *b.chunk_commitments[0]], b.proofs[0])
    _accepted(world, spec, ckeys, local)
    _accepted(world, spec, ckeys, dask)
    # the proving key went to each worker once: one scattered copy per worker, reused by every task
    [(pk, future)] = prover._scattered.values()
    assert pk is ckeys.pk
    holders = prover.client.who_has([future])[future.key]
    assert sorted(holders) == sorted(prover.worker_pids())


@pytest.mark.slow
def test_randomness_differs_across_chunks_and_workers(study, prover):
    """ρ (per chunk task) and the proof's r, s (per proof) come from each worker's OS CSPRNG."""
    world, com, _, spec, ckeys, _ = study
    client = prover.client
    workers = sorted(prover.worker_pids())
    assert len(workers) == 2
    pk = client.scatter(ckeys.pk, broadcast=True)
    chunk = [com.chunk_rows(0), com.chunk_elements[0], com.chunk_salts[0], com.chunk_roots[0]]
    runs = [client.submit(prove_chunk, spec, pk, 0, *chunk, workers=[w], pure=False) for w in workers for _ in (0, 1)]
    runs += [client.submit(prove_chunk, spec, pk, k, com.chunk_rows(k), com.chunk_elements[k], com.chunk_salts[k],
                           com.chunk_roots[k], pure=False) for k in range(1, 4)]
    results = client.gather(runs, errors="raise")
    assert len({r.worker for r in results[:4]}) == 2  # the same chunk on both worker processes
    rhos = [r.rho for r in results]
    assert len(set(rhos)) == len(rhos)  # across repeats, chunks and workers
    # r and s: one fixed witness proved twice on each worker; A = ... + r·δ1 and B = ... + s·δ2
    circuit = compile_contribution(spec.shape())
    s0 = results[0].statistics
    rho, pt = results[0].rho, commit(s0, results[0].rho)
    witness = circuit.solve(circuit_inputs(spec, com.chunk_elements[0], com.chunk_salts[0], com.chunk_roots[0], rho,
                                          pt), check=False)
    w = FrArray(witness, check=False)
    proofs = client.gather([client.submit(prove, pk, w, workers=[wk], pure=False) for wk in workers for _ in (0, 1)])
    assert len({p.a for p, _ in proofs}) == 4 and len({p.b for p, _ in proofs}) == 4
    public = proofs[0][1]
    assert all(verify(ckeys.pk.verifying_key, public, p) for p, _ in proofs)
    for future in (*runs, pk):
        future.release()


@pytest.mark.slow
def test_a_failing_task_is_named(study, prover):
    _, com, _, spec, _, _ = study
    with pytest.raises(DaskProvingError, match=r"chunk \d+'s proof failed on a Dask worker: "):
        prover.prove_chunks(spec, None, com)  # no proving key: every task raises


@pytest.mark.slow
def test_worker_killed_mid_run_still_completes(study):
    """SIGKILL one worker process while chunks are in flight: Dask reschedules its tasks on the
    other worker (and on the nanny's restarted one); every chunk comes back exactly once."""
    world, com, key, spec, ckeys, local = study
    killed = {}
    with DaskProver(parse_target("local:2"), timeout=TIMEOUT) as p:
        pids = p.worker_pids()

        def kill_one(done, total):
            if killed or done < 1:
                return
            processing = p.client.processing()
            victim = max(pids, key=lambda w: len(processing.get(w, ())))
            killed.update(address=victim, pid=pids[victim], done=done, tasks=len(processing.get(victim, ())))
            os.kill(pids[victim], signal.SIGKILL)

        dask = Contributor("delta", com, key, dev_mode=True).contribute(spec, world.public_context, ckeys, dask=p,
                                                                        progress=kill_one)
        after = p.client.run(os.getpid)
    assert killed and killed["done"] < CHUNKS and killed["tasks"] >= 1  # killed mid-run, with chunks in flight
    assert killed["pid"] not in after.values()  # the process is gone (the nanny started another)
    assert dask.submission.chunk_roots == tuple(com.chunk_roots) and dask.values == local.values
    _accepted(world, spec, ckeys, dask)  # every proof verifies, each chunk exactly once


@pytest.mark.slow  # the simulation proves 2 x 2 chunks on two workers (dev setup of the patient circuit)
def test_study_simulate_dask_end_to_end():
    res = CliRunner().invoke(_cli(), ["study", "simulate", "--holders", "2", "--records", "5", "--chunk", "4",
                                      "--seed", "3", "--dask", "local:2", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out["verified"] is True and out["released"] == out["truth"] and out["chunks_per_holder"] == 2
    assert "dask_start" in out["timings"]


@pytest.mark.slow
def test_in_process_workers_pool_completes():
    """--workers 2 (the local process pool, no Dask): its children are spawned, not forked after the
    parent used the OpenMP kernels (a forked child deadlocked in its first NTT); bounded by a timeout."""
    out = subprocess.run([sys.executable, "-m", "zkgate", "study", "simulate", "--holders", "1", "--records", "12",
                          "--chunk", "4", "--workers", "2", "--json"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["verified"] is True and result["chunks_per_holder"] == 3


def test_docs_name_the_commands():
    text = (Path(__file__).resolve().parents[2] / "docs" / "scale.md").read_text()
    for needle in ("--dask local:", "--dask-tls", "dask-jobqueue", "dask-kubernetes", "SLURMCluster", "KubeCluster",
                   "must be the data holder's own"):
        assert needle in text


def _tls_files(tmp_path: Path) -> dict[str, Path]:
    """A throw-away CA and one certificate it signed (for 127.0.0.1), as PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("test CA")).issuer_name(name("test CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(name("dask")).issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(2).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(ca_key, hashes.SHA256()))
    files = {"ca": tmp_path / "ca.pem", "cert": tmp_path / "dask.pem", "key": tmp_path / "dask.key"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return files


@pytest.mark.slow
def test_tls_scheduler_with_dask_tls_config(study, tmp_path):
    """A scheduler that speaks only mutual TLS: --dask tls://... --dask-tls CONFIG proves; without the
    client certificate the connection is refused."""
    world, com, key, spec, ckeys, local = study
    files = _tls_files(tmp_path)
    security = distributed.Security(tls_ca_file=str(files["ca"]), tls_scheduler_cert=str(files["cert"]),
                                    tls_scheduler_key=str(files["key"]), tls_worker_cert=str(files["cert"]),
                                    tls_worker_key=str(files["key"]), tls_client_cert=str(files["cert"]),
                                    tls_client_key=str(files["key"]), require_encryption=True)
    cfg = tmp_path / "dask-tls.yaml"
    cfg.write_text("distributed:\n  comm:\n    require-encryption: true\n    tls:\n      ca-file: ca.pem\n"
                   "      client:\n        cert: dask.pem\n        key: dask.key\n")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, protocol="tls://",
                                  security=security, dashboard_address=":0", host="127.0.0.1") as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tls://")
        with pytest.raises(DaskSetupError, match="--dask-tls"):
            parse_target(address.replace("127.0.0.1", "192.0.2.1"))
        with pytest.raises(DaskSetupError):
            with DaskProver(parse_target(address.replace("tls://", "tcp://")), connect_timeout=5):
                pass  # plain TCP to a TLS scheduler: no connection
        with DaskProver(parse_target(address, str(cfg)), timeout=TIMEOUT) as p:
            dask = Contributor("delta", com, key, dev_mode=True).contribute(spec, world.public_context, ckeys, dask=p)
    assert dask.submission.chunk_roots == local.submission.chunk_roots and dask.values == local.values
    _accepted(world, spec, ckeys, dask)


@pytest.mark.slow  # a universal circuit's dev setup and 2 x 2 proofs
def test_universal_study_on_dask_identical_to_in_process(world, prover):
    """A universal-circuit study (issue 21) proved on the LocalCluster: the workers compile the universal
    circuit and prove with its key; chunk roots, statistics and commitments as in-process, proofs verify
    against the study's public inputs, and the aggregator accepts both submissions."""
    from zkgate.study.aggregator import StudyAggregator
    from zkgate.study.question import Aggregate, Between, Question
    from zkgate.study.universal import UniversalParams

    com = DatasetCommitment(Dataset.from_array(world.spec.schema, _table(np.random.default_rng(3), 7)),
                            world.spec.capacity)
    assert com.n_chunks == 2
    key = SigningKey.generate()
    question = Question(Between("age", 2, 13), ("sex",),
                        (Aggregate("n", "COUNT", ()), Aggregate("t", "SUM", ("temp",))))
    params = UniversalParams.of(world.spec.schema, world.spec.capacity, max_terms=6, max_cells=2, max_moments=3,
                                max_bins=1, max_surv_bins=1)
    spec, ckeys = world.open(registrations=[Registration.create("delta", com, key)], quorum=1, filter=None,
                             statistics=None, question=question, universal=params, keys="dev")
    assert spec.universal == params
    local = Contributor("delta", com, key, dev_mode=True).contribute(spec, world.public_context, ckeys)
    dask = Contributor("delta", com, key, dev_mode=True).contribute(spec, world.public_context, ckeys, dask=prover)
    a, b = local.submission, dask.submission
    assert b.chunk_roots == a.chunk_roots == tuple(com.chunk_roots)
    assert dask.values == local.values  # the same statistics
    vk = ckeys.pk.verifying_key
    for proof, root, pt in zip(b.proofs, b.chunk_roots, b.chunk_commitments):
        assert verify(vk, [root, spec.study_id, pt[0], pt[1]], proof)
    assert not verify(vk, [b.chunk_roots[1], spec.study_id, *b.chunk_commitments[0]], b.proofs[0])
    for contribution in (local, dask):  # the aggregator checks every proof under the universal key
        agg = StudyAggregator(spec, ckeys.public(), world.public_context, world.gateway, dev_mode=True)
        Contributor.accept_receipt(contribution, agg.submit(contribution.submission), spec)
