"""ProverService through the real gRPC server on localhost."""

from __future__ import annotations

import subprocess
import sys
import threading

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from snarkjs_fixture import build_mul_circuit

from zkgate import bn254
from zkgate.prover.formats.snarkjs_json import read_proof, read_public
from zkgate.prover.groth16.keys import Proof
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.services.gateway.uploads import UploadLimits
from zkgate.services.v1 import prover_pb2

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def circuit(tmp_path_factory):
    return build_mul_circuit(tmp_path_factory.mktemp("mul"))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    config = ServerConfig(
        data_dir=str(tmp_path_factory.mktemp("gateway")),
        port=0,
        limits=UploadLimits(max_payload_bytes=1 << 20, chunk_limit=1 << 20),
    )
    server = Gateway(config).start()
    yield server
    server.stop(grace=1)


@pytest.fixture()
def client(gateway):
    with GatewayClient(gateway.address, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def circuit_id(gateway, circuit):
    with GatewayClient(gateway.address) as c:
        return c.register_circuit_files(circuit.zkey, circuit.r1cs, name="mul").circuit_id


def test_health_and_reflection(gateway):
    with grpc.insecure_channel(gateway.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = stub.Check(health_pb2.HealthCheckRequest(service="zkgate.v1.ProverService"))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_register_is_idempotent_and_listed(client, circuit, circuit_id):
    again = client.register_circuit_files(circuit.zkey, circuit.r1cs, name="mul")
    assert again.circuit_id == circuit_id and again.n_public == 2 and again.has_r1cs and not again.dev_only
    assert circuit_id in [c.circuit_id for c in client.list_circuits()]
    assert client.get_circuit(circuit_id).name == "mul"


def test_prove_verify_and_verify_batch(client, circuit, circuit_id):
    proof, public = client.prove(circuit_id, circuit.wtns.read_bytes())
    assert public == [168, 5]
    assert client.verify(circuit_id, public, proof) is True
    assert client.verify(circuit_id, [169, 5], proof) is False
    snark_proof, snark_public = read_proof(circuit.proof), read_public(circuit.public)
    assert client.verify_batch(circuit_id, [(public, proof), (snark_public, snark_proof), ([1, 5], proof)]) == [True, True, False]
    assert client.verification_key(circuit_id).n_public == 2


def test_bad_inputs_get_specific_status_codes(client, circuit, circuit_id):
    with pytest.raises(GatewayCallError) as err:
        client.get_circuit("0" * 64)
    assert err.value.code == grpc.StatusCode.NOT_FOUND
    proof = read_proof(circuit.proof)
    with pytest.raises(GatewayCallError) as err:
        client.verify(circuit_id, [bn254.R_MOD + 168, 5], proof)
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT and "not below" in err.value.details
    with pytest.raises(GatewayCallError) as err:
        client.verify(circuit_id, [168], proof)
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT and "expected 2 public inputs" in err.value.details
    off_curve = Proof(a=(proof.a[0], (proof.a[1] + 1) % bn254.Q_MOD), b=proof.b, c=proof.c)
    with pytest.raises(GatewayCallError) as err:
        client.verify(circuit_id, [168, 5], off_curve)
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(GatewayCallError) as err:
        client.register_circuit(b"not a zkey at all", name="junk")
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT and "magic" in err.value.details


def test_truncated_and_oversized_uploads_are_refused(client, gateway, circuit):
    data = circuit.zkey.read_bytes()

    def upload(messages):
        return client.prover.RegisterCircuit(iter(messages), timeout=30)

    header = prover_pb2.CircuitHeader(name="short", zkey_size=len(data))
    with pytest.raises(grpc.RpcError) as err:
        upload([prover_pb2.CircuitUpload(header=header), prover_pb2.CircuitUpload(zkey_chunk=data[:100])])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "truncated" in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        upload([prover_pb2.CircuitUpload(header=header), prover_pb2.CircuitUpload(zkey_chunk=data + b"x")])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "past its declared size" in err.value.details()
    huge = prover_pb2.CircuitHeader(name="huge", zkey_size=2 << 20)
    with pytest.raises(grpc.RpcError) as err:
        upload([prover_pb2.CircuitUpload(header=huge)])
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "limit" in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        upload([prover_pb2.CircuitUpload(zkey_chunk=data[:10])])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "must start with" in err.value.details()
    # the server keeps serving
    assert client.list_circuits()


def test_concurrent_clients(gateway, circuit, circuit_id):
    proof, public = read_proof(circuit.proof), read_public(circuit.public)
    results, errors = [], []

    def worker():
        try:
            with GatewayClient(gateway.address) as c:
                results.append(c.verify(circuit_id, public, proof))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [True] * 6


def test_data_survives_restart(tmp_path, circuit):
    config = ServerConfig(data_dir=str(tmp_path / "data"), port=0)
    first = Gateway(config).start()
    with GatewayClient(first.address) as c:
        circuit_id = c.register_circuit_files(circuit.zkey, name="mul").circuit_id
    first.stop(grace=0.5)
    second = Gateway(config).start()
    try:
        with GatewayClient(second.address) as c:
            assert c.get_circuit(circuit_id).n_public == 2
            proof, public = c.prove(circuit_id, circuit.wtns.read_bytes())
            assert c.verify(circuit_id, public, proof)
    finally:
        second.stop(grace=0.5)


def test_audit_log_records_registrations_and_verifies(gateway, circuit, circuit_id):
    from zkgate.audit import ProofError

    with GatewayClient(gateway.address) as c:
        head, entries = c.verify_whole_log()
        assert head.tree_size >= 1 and entries[0].kind == "circuit"
        c.check_inclusion(entries[0], 0, head)
        with pytest.raises(ProofError):
            c.check_inclusion(entries[0], 0, type(head)(head.tree_size, bytes(32), head.timestamp_ms, head.signature))
        first = head
        c.register_circuit(circuit.initial_zkey.read_bytes(), name="initial")  # a new leaf
        second, _ = c.tree_head()
        assert second.tree_size == first.tree_size + 1
        c.check_consistency(first, second)
        with pytest.raises(GatewayCallError) as err:
            c.audit_entries(0, second.tree_size + 5)
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    out = subprocess.run(
        [sys.executable, "-m", "zkgate", "audit", "verify", "--gateway", gateway.address],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0 and f"tree size {second.tree_size}" in out.stdout, out.stderr
    wrong_key = subprocess.run(
        [sys.executable, "-m", "zkgate", "audit", "verify", "--gateway", gateway.address, "--log-key", "00" * 32],
        capture_output=True, text=True, timeout=120,
    )
    assert wrong_key.returncode == 1 and "FAILED" in wrong_key.stdout


def test_builtin_circuits_prove_from_inputs(tmp_path):
    from zkgate.circuits.poseidon import poseidon_hash

    dev = Gateway(ServerConfig(data_dir=str(tmp_path / "dev"), port=0, dev_mode=True)).start()
    prod = Gateway(ServerConfig(data_dir=str(tmp_path / "prod"), port=0)).start()
    try:
        with GatewayClient(dev.address) as c:
            info = c.register_builtin_circuit("poseidon-preimage")
            assert info.builtin == "poseidon-preimage" and info.dev_only and info.n_public == 1
            assert c.register_builtin_circuit("poseidon-preimage").circuit_id == info.circuit_id  # idempotent
            proof, public = c.prove_inputs(info.circuit_id, {"x": [1, 2]})
            assert public == [poseidon_hash([1, 2])]
            assert c.verify(info.circuit_id, public, proof) is True
            assert c.verify(info.circuit_id, [public[0] + 1], proof) is False
            less = c.register_builtin_circuit("less-than")
            proof, public = c.prove_inputs(less.circuit_id, {"bound": 10, "value": 3})
            assert public == [10] and c.verify(less.circuit_id, public, proof)
            with pytest.raises(GatewayCallError) as err:  # 30 is not below 10: no witness exists
                c.prove_inputs(less.circuit_id, {"bound": 10, "value": 30})
            assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
            with pytest.raises(GatewayCallError) as err:
                c.register_builtin_circuit("no-such-circuit")
            assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT and "poseidon-preimage" in err.value.details
            with pytest.raises(GatewayCallError) as err:
                c.prove_inputs(info.circuit_id, {"x": ["one", 2]})
            assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT and "inputs_json.x[0]" in err.value.details
        with GatewayClient(prod.address) as c:
            with pytest.raises(GatewayCallError) as err:
                c.register_builtin_circuit("poseidon-preimage")
            assert err.value.code == grpc.StatusCode.FAILED_PRECONDITION and "dev mode" in err.value.details
    finally:
        dev.stop(grace=0.5)
        prod.stop(grace=0.5)
