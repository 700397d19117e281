"""CatalogService and StudyService through the real gRPC server: the whole protocol, and refusals."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import grpc
import numpy as np
import pytest

from testsupport import dev_gateway
from zkgate.he import KeyHolder
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.study.catalog import Registration
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.contributor import Contributor
from zkgate.study.dataset import Dataset
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Aggregate, Receipt
from zkgate.study.release import StudyKeyHolder
from zkgate.study.requester import open_study
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, ground_truth, patient_table
from zkgate.study.verification import PublicRecord, verify_record

pytestmark = pytest.mark.slow  # proves several chunks: native backend only


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


@pytest.fixture(scope="module")
def world(gateway):
    """Three hospitals registered, a study opened, each hospital's contribution computed."""
    rng = np.random.default_rng(11)
    names = ["hospital-a", "hospital-b", "hospital-c"]
    tables = [patient_table(rng, 20) for _ in names]
    commitments = [DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, t), 8) for t in tables]
    keys = [SigningKey.generate() for _ in names]
    registrations = [Registration.create(n, c, k) for n, c, k in zip(names, commitments, keys)]
    with GatewayClient(gateway.address) as client:
        for registration in registrations:
            client.register_dataset(registration.to_bytes())
        info = client.gateway_info()
        he = KeyHolder.create("bfv-4096")
        context = he.public_context()
        key_holder_key = SigningKey.generate()
        spec, circuit_keys = open_study(
            title="test study", registrations=registrations, filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
            quorum=3, deadline=int(time.time()) + 3600, public_context=context,
            gateway_key=info.study_signing_key, key_holder_key=key_holder_key.public, keys="dev", dev_mode=True,
        )
        study = client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), context.to_bytes())
        contributions = [
            Contributor(n, c, k, dev_mode=True).contribute(spec, context, circuit_keys)
            for n, c, k in zip(names, commitments, keys)
        ]
    return dict(names=names, tables=tables, commitments=commitments, signing_keys=keys, registrations=registrations, spec=spec, keys=circuit_keys, he=he,
                context=context, key_holder_key=key_holder_key, study_id=study.study_id, info=info,
                contributions=contributions)


def test_catalog_lists_and_refuses_forged_registrations(gateway, world):
    with GatewayClient(gateway.address) as client:
        owners = {d.owner for d in client.list_datasets()}
        assert set(world["names"]) <= owners
        again = client.register_dataset(world["registrations"][0].to_bytes())  # idempotent
        assert again.owner == "hospital-a"
        forged = bytearray(world["registrations"][0].to_bytes())
        forged[-1] ^= 1  # signature byte
        with pytest.raises(GatewayCallError) as err:
            client.register_dataset(bytes(forged))
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(GatewayCallError) as err:
            client.register_dataset(b"\x00garbage")
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(GatewayCallError) as err:
            client.get_dataset("f" * 64)
        assert err.value.code == grpc.StatusCode.NOT_FOUND


def test_whole_study_over_grpc_with_refusals(gateway, world):
    study_id, spec = world["study_id"], world["spec"]
    first, second, third = world["contributions"]
    with GatewayClient(gateway.address) as client:
        assert client.get_study(study_id).state == 1  # OPEN
        with pytest.raises(GatewayCallError) as err:
            client.get_study("0" * 64)
        assert err.value.code == grpc.StatusCode.NOT_FOUND
        with pytest.raises(GatewayCallError) as err:
            client.get_study("not-hex")
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(GatewayCallError) as err:
            client.close_study(study_id)  # quorum not reached
        assert err.value.code == grpc.StatusCode.FAILED_PRECONDITION

        receipt_bytes, leaf = client.submit(study_id, first.submission.to_bytes())
        Contributor.accept_receipt(first, Receipt.from_bytes(receipt_bytes), spec)
        # an identical retry gets the original receipt; nothing is logged twice
        retry_bytes, retry_leaf = client.submit(study_id, first.submission.to_bytes())
        assert (retry_bytes, retry_leaf) == (receipt_bytes, leaf)
        # a different submission by the same participant is refused
        # (the same data proved again: fresh commitment randomness, so another submission)
        again = Contributor("hospital-a", world["commitments"][0], world["signing_keys"][0], dev_mode=True)
        with pytest.raises(GatewayCallError) as err:
            client.submit(study_id, again.contribute(spec, world["context"], world["keys"]).submission.to_bytes())
        assert err.value.code == grpc.StatusCode.ALREADY_EXISTS
        # a truncated submission is refused and the server keeps serving
        with pytest.raises(GatewayCallError) as err:
            client.submit(study_id, second.submission.to_bytes()[:-10])
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT

        client.submit(study_id, second.submission.to_bytes())
        client.submit(study_id, third.submission.to_bytes())
        assert client.get_study(study_id).accepted == 3
        closed = client.close_study(study_id)
        assert closed.state == 2  # CLOSED
        with pytest.raises(GatewayCallError) as err:
            client.publish_release(study_id, b"\x01")
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT

        aggregate = Aggregate.from_bytes(client.aggregate(study_id))
        record = PublicRecord.from_bytes(client.public_record(study_id))
        release = StudyKeyHolder(spec, world["he"], world["key_holder_key"]).release(aggregate, list(record.submissions))
        assert client.publish_release(study_id, release.to_bytes()).state == 3  # RELEASED
        _, stats = client.release(study_id)
        assert stats["count"] == ground_truth(spec, world["tables"])["count"]
        assert verify_record(PublicRecord.from_bytes(client.public_record(study_id)), dev_mode=True).ok
        assert client.verify_study(study_id).ok
        head, entries = client.verify_whole_log()
        kinds = [e.kind for e in entries]
        assert kinds.count("submission") == 3 and "aggregate" in kinds and "release" in kinds
        assert all(b"envelope\"" not in e.data for e in entries)  # hashes only, never ciphertexts


def test_study_naming_another_gateway_is_refused(gateway, world):
    spec, circuit_keys = open_study(
        title="other gateway", registrations=world["registrations"], filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
        quorum=3, deadline=int(time.time()) + 3600, public_context=world["context"],
        gateway_key=SigningKey.generate().public, key_holder_key=world["key_holder_key"].public,
        keys=world["keys"], dev_mode=True,
    )
    with GatewayClient(gateway.address) as client:
        with pytest.raises(GatewayCallError) as err:
            client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), world["context"].to_bytes())
        assert err.value.code == grpc.StatusCode.FAILED_PRECONDITION and "gateway key" in err.value.details


def test_dev_keys_refused_outside_dev_mode(tmp_path, world):
    server = Gateway(ServerConfig(data_dir=str(tmp_path / "prod"), port=0, dev_mode=False)).start()
    try:
        with GatewayClient(server.address) as client:
            for registration in world["registrations"]:
                client.register_dataset(registration.to_bytes())
            info = client.gateway_info()
            spec, circuit_keys = open_study(
                title="prod", registrations=world["registrations"], filter=STUDY_FILTER, statistics=STUDY_STATISTICS,
                quorum=3, deadline=int(time.time()) + 3600, public_context=world["context"],
                gateway_key=info.study_signing_key, key_holder_key=world["key_holder_key"].public,
                keys=world["keys"], dev_mode=True,
            )
            with pytest.raises(GatewayCallError) as err:
                client.create_study(spec.to_bytes(), circuit_keys.public().to_bytes(), world["context"].to_bytes())
            assert err.value.code == grpc.StatusCode.FAILED_PRECONDITION
    finally:
        server.stop(grace=0.5)


def test_demo_command_json(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "zkgate", "demo", "--records", "24", "--chunk", "8", "--json"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["verified"] is True
    assert result["released"] == result["truth"]
    assert result["audit_tree_size"] >= 3 + 1 + 3 + 2


def test_regulator_cli_lists_and_verifies_the_released_study(gateway, world):
    """Runs after the whole-study test released the study (tests in a module run in order)."""
    def zkgate(*args):
        return subprocess.run([sys.executable, "-m", "zkgate", "gateway", "--gateway", gateway.address, *args],
                              capture_output=True, text=True, timeout=300)

    listed = zkgate("studies")
    assert listed.returncode == 0 and world["study_id"] in listed.stdout and "RELEASED" in listed.stdout
    assert "hospital-a" in zkgate("datasets").stdout
    verified = zkgate("verify-study", world["study_id"], "--dev")
    assert verified.returncode == 0 and verified.stdout.splitlines()[0] == "VERIFIED", verified.stderr
    assert "released (exact, verifiable):" in verified.stdout  # the released numbers beside the verdict
    refused = zkgate("verify-study", world["study_id"])  # dev keys are refused outside --dev
    assert refused.returncode == 1 and "FAILED" in refused.stdout
