"""The gateway's bad-input matrix (issue 15, part 2; gateway items of issue 16): every case a user
can cause over gRPC or at `zkgate serve` start-up is refused with a specific status or exit code
and a message naming the field, file, folder or port, and the server keeps serving.

Each test is named after the case it guards; all run against real servers on localhost.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkgate.circuits.compile import compile_circuit
from zkgate.errors import FormatError
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.errors import PreconditionError
from zkgate.services.gateway.server import SERVICE_NAMES, Gateway, ServerConfig
from zkgate.services.v1 import prover_pb2, study_pb2, study_pb2_grpc

CALL_TIMEOUT = 20


# -- circuits (zkgate-built, development keys: no node tools needed) -------------------------
def _times(api):
    a = api.public_input("a")
    b = api.private_input("b")
    api.output("c", api.mul(a, b))


def _plus_times(api):  # same counts as _times (4 wires, 2 public, 1 constraint), another constraint
    a = api.public_input("a")
    b = api.private_input("b")
    api.output("c", api.mul(a, api.add(a, b)))


def _three_factors(api):  # 6 wires
    a = api.public_input("a")
    b = api.private_input("b")
    c = api.private_input("c")
    api.output("d", api.mul(api.mul(a, b), c))


def _circuit_files(fn, folder: Path) -> tuple[bytes, bytes]:
    from zkgate.prover.groth16.setup import dev_setup

    folder.mkdir(parents=True, exist_ok=True)
    compiled = compile_circuit(fn, cache=False)
    compiled.write_r1cs(folder / "c.r1cs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dev_setup(folder / "c.r1cs", folder / "c.zkey")
    return (folder / "c.zkey").read_bytes(), (folder / "c.r1cs").read_bytes()


@pytest.fixture(scope="module")
def circuits(tmp_path_factory):
    root = tmp_path_factory.mktemp("circuits")
    return {fn.__name__.strip("_"): _circuit_files(fn, root / fn.__name__) for fn in (_times, _plus_times, _three_factors)}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    config = ServerConfig(data_dir=str(tmp_path_factory.mktemp("gw")), port=0, dev_mode=True)
    server = Gateway(config).start()
    yield server
    server.stop(grace=1)


@pytest.fixture()
def client(gateway):
    with GatewayClient(gateway.address, timeout=CALL_TIMEOUT) as c:
        yield c


def _identity(data: bytes) -> bytes:
    return data


def _health(address: str, timeout: float = 3.0) -> int:
    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        return reply.status


def _refused(call, *args, **kwargs) -> GatewayCallError:
    with pytest.raises(GatewayCallError) as err:
        call(*args, **kwargs)
    return err.value


def _zkgate(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zkgate", *args], capture_output=True, text=True, timeout=timeout)


# -- 1. garbage bytes as a request ---------------------------------------------------------------
def test_garbage_request_bytes_are_invalid_argument_without_a_logged_traceback(gateway, caplog):
    caplog.set_level(logging.ERROR)
    with grpc.insecure_channel(gateway.address) as channel:
        unary = channel.unary_unary("/zkgate.v1.StudyService/GetGatewayInfo", request_serializer=_identity,
                                    response_deserializer=_identity)
        with pytest.raises(grpc.RpcError) as err:
            unary(b"\xff\xff\xff\xff", timeout=CALL_TIMEOUT)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "GetGatewayInfoRequest" in err.value.details()
        stream = channel.stream_unary("/zkgate.v1.StudyService/Submit", request_serializer=_identity,
                                      response_deserializer=_identity)
        with pytest.raises(grpc.RpcError) as err:
            stream(iter([b"\x0a\xff\xff\xff"]), timeout=CALL_TIMEOUT)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "SubmissionUpload" in err.value.details()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert _health(gateway.address) == health_pb2.HealthCheckResponse.SERVING


# -- 2. context.abort inside an @rpc handler keeps its status ------------------------------------
def test_abort_inside_rpc_handler_keeps_its_status_and_logs_no_internal_error(tmp_path, caplog):
    caplog.set_level(logging.ERROR)
    server = Gateway(ServerConfig(data_dir=str(tmp_path), port=0, stream_idle_seconds=0.5)).start()
    release = threading.Event()
    try:
        def header_then_silence():
            yield study_pb2.SubmissionUpload(header=study_pb2.SubmissionHeader(study_id="ab" * 32, submission_size=10))
            release.wait(10)

        with grpc.insecure_channel(server.address) as channel:
            with pytest.raises(grpc.RpcError) as err:  # the abort happens inside Submit's @rpc wrapper
                study_pb2_grpc.StudyServiceStub(channel).Submit(header_then_silence(), timeout=CALL_TIMEOUT)
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, err.value.details()
        assert "no message arrived" in err.value.details()
        assert "internal error" not in caplog.text
    finally:
        release.set()
        server.stop(grace=1)


def test_rpc_wrapper_lets_an_aborted_status_through():
    """Unit level: the exception grpc's ``context.abort`` raises is re-raised, never re-wrapped."""
    from zkgate.services.gateway.servicers.common import check_deadline, rpc

    class Context:  # records what a grpc ServicerContext would send
        def __init__(self):
            self.aborts = []
            self._code = None

        def abort(self, code, details):
            self.aborts.append((code, details))
            self._code = code
            raise Exception()  # what grpc's _Context.abort raises

        def code(self):
            return self._code

        def time_remaining(self):
            return 0.0

        def is_active(self):
            return True

    class Servicer:
        @rpc
        def Work(self, request, context):
            check_deadline(context, "working")

    context = Context()
    with pytest.raises(Exception):
        Servicer().Work(None, context)
    assert [code for code, _ in context.aborts] == [grpc.StatusCode.DEADLINE_EXCEEDED]


# -- 3. idle upload streams do not starve health ------------------------------------------------
def test_idle_upload_streams_do_not_starve_health_or_gateway_info(tmp_path):
    server = Gateway(ServerConfig(data_dir=str(tmp_path), port=0, workers=4, stream_idle_seconds=2.0)).start()
    release = threading.Event()
    try:
        def header_only():
            yield study_pb2.SubmissionUpload(header=study_pb2.SubmissionHeader(study_id="cd" * 32, submission_size=10))
            release.wait(30)

        with grpc.insecure_channel(server.address) as channel:
            stub = study_pb2_grpc.StudyServiceStub(channel)
            calls = [stub.Submit.future(header_only(), timeout=CALL_TIMEOUT) for _ in range(8)]
            time.sleep(0.5)
            assert _health(server.address, timeout=2) == health_pb2.HealthCheckResponse.SERVING
            info = stub.GetGatewayInfo(study_pb2.GetGatewayInfoRequest(), timeout=2)
            assert info.max_upload_streams == 2 and info.stream_idle_seconds == 2.0
            codes = []
            for call in calls:
                with pytest.raises(grpc.RpcError) as err:
                    call.result(timeout=CALL_TIMEOUT)
                codes.append(err.value.code())
            assert codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) == 6, codes
            assert codes.count(grpc.StatusCode.DEADLINE_EXCEEDED) == 2, codes
        assert _health(server.address) == health_pb2.HealthCheckResponse.SERVING
        deadline = time.monotonic() + 5  # the helper threads reading the streams end with their calls
        while any(t.name == "zkgate-stream-reader" for t in threading.enumerate()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(t.name == "zkgate-stream-reader" for t in threading.enumerate())
    finally:
        release.set()
        server.stop(grace=1)


# -- 4. a second gateway on a port in use ------------------------------------------------------
def test_second_gateway_on_the_same_port_is_refused(gateway, tmp_path):
    with pytest.raises(PreconditionError, match=f"{gateway.port}.*in use"):
        Gateway(ServerConfig(data_dir=str(tmp_path / "second"), port=gateway.port))
    result = _zkgate("serve", "--data-dir", str(tmp_path / "third"), "--port", str(gateway.port))
    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{gateway.port}" in result.stderr and "in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert _health(gateway.address) == health_pb2.HealthCheckResponse.SERVING


# -- 5. two gateways on one SQLite data folder ------------------------------------------------
def test_second_gateway_on_the_same_data_dir_is_refused_naming_the_pid(tmp_path):
    first = Gateway(ServerConfig(data_dir=str(tmp_path), port=0)).start()
    try:
        with pytest.raises(PreconditionError) as err:
            Gateway(ServerConfig(data_dir=str(tmp_path), port=0))
        assert str(tmp_path) in str(err.value) and f"pid {os.getpid()}" in str(err.value)
        result = _zkgate("serve", "--data-dir", str(tmp_path), "--port", "0")
        assert result.returncode == 2 and f"pid {os.getpid()}" in result.stderr, result.stderr
        assert _health(first.address) == health_pb2.HealthCheckResponse.SERVING
    finally:
        first.stop(grace=1)
    Gateway(ServerConfig(data_dir=str(tmp_path), port=0)).start().stop(grace=0)  # the lock went with the first


# -- 6. a .zkey with the .r1cs of another circuit --------------------------------------------
def test_register_circuit_with_the_r1cs_of_another_circuit_is_refused(client, circuits):
    times_zkey, times_r1cs = circuits["times"]
    err = _refused(client.register_circuit, times_zkey, circuits["three_factors"][1], "mismatch")
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "6 wires" in err.details and "4" in err.details
    err = _refused(client.register_circuit, times_zkey, circuits["plus_times"][1], "same counts")
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "coefficient" in err.details
    assert client.register_circuit(times_zkey, times_r1cs, "times").has_r1cs


# -- 7. nested, huge and deep JSON over gRPC -----------------------------------------------------
def test_nested_huge_and_deep_json_inputs_are_invalid_argument(client, gateway):
    circuit = client.register_builtin_circuit("less-than")
    header = prover_pb2.ProveHeader
    cases = {
        "nested inputs_json": '{"bound": ' + "[" * 5000 + "]" * 5000 + ', "value": "1"}',
        "5000-digit input": '{"bound": "' + "9" * 5000 + '", "value": "1"}',
        "5000-digit JSON number": '{"bound": ' + "9" * 5000 + ', "value": 1}',
        "50k-deep keys": '{"a":' * 50000 + "1" + "}" * 50000,
        "Unicode digits": '{"bound": "\u0967\u0966", "value": "1"}',
    }
    for case, text in cases.items():
        upload = prover_pb2.ProveUpload(header=header(circuit_id=circuit.circuit_id, inputs_json=text))
        with pytest.raises(grpc.RpcError) as err:
            client.prover.Prove(iter([upload]), timeout=CALL_TIMEOUT)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (case, err.value.details())
        assert "inputs_json" in err.value.details(), case
    huge = prover_pb2.VerifyRequest(circuit_id=circuit.circuit_id)
    huge.proof.proof_json = '{"pi_a": ' + "[" * 50000 + "]" * 50000 + "}"
    huge.proof.public_inputs.append("7" * 5000)
    with pytest.raises(grpc.RpcError) as err:
        client.prover.Verify(huge, timeout=CALL_TIMEOUT)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert _health(gateway.address) == health_pb2.HealthCheckResponse.SERVING


# -- 8. damaged key files at start-up ----------------------------------------------------------
@pytest.mark.parametrize("file_name, content", [
    ("gateway_signing_key", b"7 bytes"),
    ("log_signing_key.pem", b"-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n"),
])
def test_damaged_key_file_at_startup_names_the_file_and_serve_exits_2(tmp_path, file_name, content):
    (tmp_path / file_name).write_bytes(content)
    with pytest.raises(FormatError, match=str(tmp_path / file_name)):
        Gateway(ServerConfig(data_dir=str(tmp_path), port=0))
    result = _zkgate("serve", "--data-dir", str(tmp_path), "--port", "0")
    assert result.returncode == 2, result.stderr
    assert str(tmp_path / file_name) in result.stderr and "backup" in result.stderr
    assert "Traceback" not in result.stderr
    Gateway(ServerConfig(data_dir=str(tmp_path / "fresh"), port=0)).start().stop(grace=0)


# -- 9. re-registering identical content --------------------------------------------------------
def test_reregistering_an_identical_zkey_or_builtin_returns_the_first_registration(client, circuits):
    zkey, r1cs = circuits["plus_times"]
    first = client.register_circuit(zkey, r1cs, "first-name")
    assert not first.already_registered
    for again in (client.register_circuit(zkey, r1cs, "second-name"), client.register_circuit(zkey, b"", "third")):
        assert again.already_registered and again.circuit_id == first.circuit_id
        assert again.name == "first-name" and again.has_r1cs
    err = _refused(client.register_circuit, zkey, circuits["three_factors"][1], "other r1cs")
    assert err.code == grpc.StatusCode.ALREADY_EXISTS and "another .r1cs" in err.details  # a registration never changes
    builtin = client.register_builtin_circuit("poseidon-preimage", name="hash-a")
    renamed = client.register_builtin_circuit("poseidon-preimage", name="hash-b")
    assert renamed.already_registered and renamed.circuit_id == builtin.circuit_id
    assert renamed.name == builtin.name


def test_register_circuit_command_says_when_the_gateway_already_had_the_circuit(gateway, tmp_path):
    zkey, _ = _circuit_files(_times, tmp_path / "fresh")  # a fresh development key: a circuit id no other test uses
    (tmp_path / "times.zkey").write_bytes(zkey)
    args = ("gateway", "--gateway", gateway.address, "register-circuit", str(tmp_path / "times.zkey"))
    first = _zkgate(*args, "--name", "times-first")
    assert first.returncode == 0, first.stderr
    assert "already had" not in first.stderr
    again = _zkgate(*args, "--name", "times-again")
    assert again.returncode == 0 and again.stdout == first.stdout  # the same id
    assert "already had this circuit, registered as 'times-first'" in again.stderr


# -- 10. no server paths in error messages -------------------------------------------------------
def test_upload_errors_name_the_field_not_a_server_temp_path(client, circuits):
    err = _refused(client.register_circuit, b"junk" * 10, b"", "junk")
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "zkey_chunk" in err.details and "/tmp" not in err.details and "upload" in err.details
    zkey, _ = circuits["three_factors"]
    err = _refused(client.register_circuit, zkey, b"r1cs" + b"\0" * 40, "junk r1cs")
    assert "r1cs_chunk" in err.details and "/tmp" not in err.details
    info = client.register_circuit(zkey, b"", "three")
    err = _refused(client.prove, info.circuit_id, b"wtns" + b"\1" * 30)
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "wtns_chunk" in err.details and "/tmp" not in err.details


# -- 11. advertised chunk size and message limit -----------------------------------------------
def test_gateway_info_advertises_chunk_size_and_the_client_uses_it(tmp_path, circuits):
    limit = 16 << 10
    server = Gateway(ServerConfig(data_dir=str(tmp_path), port=0, dev_mode=True, max_message_bytes=limit)).start()
    try:
        with GatewayClient(server.address, timeout=CALL_TIMEOUT) as c:
            info = c.gateway_info()
            assert info.max_message_bytes == limit and 0 < info.chunk_size < limit
            assert info.max_upload_bytes > 0 and info.stream_idle_seconds == 30.0
            assert c.chunk_size == info.chunk_size
            # three messages' worth: in 1 MiB chunks it would break the message limit (RESOURCE_EXHAUSTED);
            # in the advertised chunks it arrives whole and is refused for what it is (not a .zkey)
            err = _refused(c.register_circuit, bytes(3 * limit), b"", "big")
            assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "zkey_chunk" in err.details
            zkey, r1cs = circuits["three_factors"]
            assert c.register_circuit(zkey, r1cs, "small").has_r1cs
    finally:
        server.stop(grace=1)


# -- 12. built-in circuit inputs ---------------------------------------------------------------
def test_builtin_wrong_inputs_name_the_input_and_the_condition(client):
    less = client.register_builtin_circuit("less-than")
    err = _refused(client.prove_inputs, less.circuit_id, {"bound": 10, "value": 30})
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "value = 30 is not below bound = 10" in err.details and len(err.details) < 400
    err = _refused(client.prove_inputs, less.circuit_id, {"x": 3})
    assert "unknown input(s) 'x'" in err.details and "missing input(s) 'bound', 'value'" in err.details
    err = _refused(client.prove_inputs, less.circuit_id, {"bound": 2**64, "value": 1})
    assert "inputs_json.bound" in err.details and "2^64" in err.details
    poseidon = client.register_builtin_circuit("poseidon-preimage")
    err = _refused(client.prove_inputs, poseidon.circuit_id, {"x": [1]})
    assert "inputs_json.x" in err.details and "list of 2" in err.details
    docs = (Path(__file__).resolve().parents[2] / "docs" / "gateway.md").read_text()
    for name in ("less-than", "poseidon-preimage", "`bound`", "`value`", "`x`"):
        assert name in docs


# -- fuzz: every protobuf request type through the real server ------------------------------------
def _methods():
    from google.protobuf import descriptor_pool

    pool = descriptor_pool.Default()
    for service_name in SERVICE_NAMES:
        service = pool.FindServiceByName(service_name)
        for method in service.methods:
            yield f"/{service.full_name}/{method.name}", method.client_streaming, method.input_type.full_name


METHODS = sorted(_methods())


def _mutate(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in flips:
        if out:
            out[position % len(out)] = value
    return bytes(out)


def _valid_example(type_name: str) -> bytes:
    """A plausible serialized request: the message's default with a few fields filled."""
    from google.protobuf import descriptor_pool, message_factory

    cls = message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(type_name))
    message = cls()
    for field in message.DESCRIPTOR.fields:
        repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED
        if field.type == field.TYPE_STRING and not repeated:
            setattr(message, field.name, "ab" * 32)
        elif field.type == field.TYPE_MESSAGE and not repeated:
            getattr(message, field.name).SetInParent()
        if field.containing_oneof is not None:
            break
    return message.SerializeToString()


@pytest.fixture(scope="module")
def fuzz_channel(gateway):
    channel = grpc.insecure_channel(gateway.address)
    yield channel
    channel.close()


_payload = st.one_of(
    st.binary(max_size=64),
    st.tuples(st.sampled_from(METHODS), st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=4))
    .map(lambda t: _mutate(_valid_example(t[0][2]), t[1])),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(METHODS), payloads=st.lists(_payload, min_size=1, max_size=3))
def test_fuzz_every_request_type_ends_in_ok_or_a_non_internal_status(gateway, fuzz_channel, method, payloads):
    path, client_streaming, _ = method
    if client_streaming:
        call = fuzz_channel.stream_unary(path, request_serializer=_identity, response_deserializer=_identity)
        request = iter(payloads)
    else:
        call = fuzz_channel.unary_stream(path, request_serializer=_identity, response_deserializer=_identity) \
            if path.endswith(("GetPublicContext", "GetAggregate", "GetPublicRecord")) else \
            fuzz_channel.unary_unary(path, request_serializer=_identity, response_deserializer=_identity)
        request = payloads[0]
    try:
        reply = call(request, timeout=10)
        if not isinstance(reply, bytes):
            list(reply)
    except grpc.RpcError as err:
        assert err.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (path, payloads, err.details())
        assert err.code() != grpc.StatusCode.DEADLINE_EXCEEDED, (path, payloads)
    assert _health(gateway.address) == health_pb2.HealthCheckResponse.SERVING
