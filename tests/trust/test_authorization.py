"""mTLS and roles: the authorization matrix (every identity x every RPC), handshake refusals,
bearer tokens, and the refusal to serve without TLS beyond localhost."""

from __future__ import annotations

import grpc
import pytest

from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.client.tls import ClientTls
from zkgate.services.errors import PreconditionError
from zkgate.services.gateway.security import POLICY, ServerTls
from zkgate.services.gateway.server import SERVICE_NAMES, Gateway, ServerConfig
from zkgate.services.parties.certs import OrgSpec, init_certs, make_client_cert
from zkgate.services.v1 import audit_pb2, committee_pb2, prover_pb2, study_pb2

NOWHERE = "0" * 64
IDENTITIES = {  # organisation -> roles
    "hospital-a": ("participant",),
    "pharma": ("requester",),
    "fda": ("regulator",),
    "ops": ("admin",),
}


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tls")
    init_certs(out, [OrgSpec(name, roles) for name, roles in IDENTITIES.items()])
    return out


@pytest.fixture(scope="module")
def gateway(tls_dir, tmp_path_factory):
    config = ServerConfig(data_dir=str(tmp_path_factory.mktemp("gw")), port=0, dev_mode=True,
                          tls=ServerTls.from_dir(tls_dir))
    server = Gateway(config).start()
    yield server
    server.stop(grace=0.5)


def _roleless_tls(tls_dir, tmp_path) -> ClientTls:
    """A certificate from the gateway's own CA that carries no zkgate role."""
    from cryptography.hazmat.primitives import serialization

    ca_cert = (tls_dir / "ca.pem").read_bytes()
    ca_key = serialization.load_pem_private_key((tls_dir / "ca.key").read_bytes(), None)
    from cryptography import x509

    key, cert = make_client_cert(ca_key, x509.load_pem_x509_certificate(ca_cert), OrgSpec("visitor", ()))
    return ClientTls(ca_cert, cert.public_bytes(serialization.Encoding.PEM),
                     key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


# one call per RPC, with requests that pass the role check and then fail harmlessly (or succeed)
CALLS = {
    "ProverService/RegisterCircuit": lambda c: c.register_circuit(b"not a zkey"),
    "ProverService/GetCircuit": lambda c: c.get_circuit(NOWHERE),
    "ProverService/ListCircuits": lambda c: c.list_circuits(),
    "ProverService/GetVerificationKey": lambda c: c.verification_key(NOWHERE),
    "ProverService/Prove": lambda c: c.prove(NOWHERE, b"wtns"),
    "ProverService/Verify": lambda c: c.prover.Verify(prover_pb2.VerifyRequest(circuit_id=NOWHERE), timeout=30),
    "ProverService/VerifyBatch": lambda c: c.prover.VerifyBatch(prover_pb2.VerifyBatchRequest(circuit_id=NOWHERE), timeout=30),
    "CatalogService/RegisterDataset": lambda c: c.register_dataset(b"\x00garbage"),
    "CatalogService/GetDataset": lambda c: c.get_dataset(NOWHERE),
    "CatalogService/ListDatasets": lambda c: c.list_datasets(),
    "CatalogService/PublishSchema": lambda c: c.publish_schema("nowhere", "{}"),
    "CatalogService/GetSchema": lambda c: c.get_schema("nowhere"),
    "CatalogService/ListSchemas": lambda c: c.list_schemas(),
    "StudyService/GetGatewayInfo": lambda c: c.gateway_info(),
    "StudyService/CreateStudy": lambda c: c.create_study(b"spec", b"", b""),
    "StudyService/GetStudy": lambda c: c.get_study(NOWHERE),
    "StudyService/ListStudies": lambda c: c.list_studies(),
    "StudyService/GetPublicContext": lambda c: c.public_context(NOWHERE),
    "StudyService/GetProvingKey": lambda c: list(c.study.GetProvingKey(study_pb2.StudyRef(study_id=NOWHERE), timeout=30)),
    "StudyService/Submit": lambda c: c.submit(NOWHERE, b"submission"),
    "StudyService/CloseStudy": lambda c: c.close_study(NOWHERE),
    "StudyService/GetAggregate": lambda c: c.aggregate(NOWHERE),
    "StudyService/PublishRelease": lambda c: c.publish_release(NOWHERE, b"release"),
    "StudyService/GetRelease": lambda c: c.release(NOWHERE),
    "StudyService/GetPublicRecord": lambda c: c.public_record(NOWHERE),
    "StudyService/VerifyStudy": lambda c: c.verify_study(NOWHERE),
    "StudyService/CancelStudy": lambda c: c.cancel_study(NOWHERE, "a reason"),
    "StudyService/GetMyReceipt": lambda c: c.my_receipt(NOWHERE, "nobody"),
    "StudyService/RegisterUniversalKey": lambda c: c.register_universal_key("{}", b"not a zkey"),
    "StudyService/ListUniversalKeys": lambda c: c.list_universal_keys(),
    "CommitteeService/RegisterCommittee": lambda c: _committee(c).RegisterCommittee(
        committee_pb2.RegisterCommitteeRequest(roster=b"not a roster"), timeout=30),
    "CommitteeService/GetCommittee": lambda c: _committee(c).GetCommittee(
        committee_pb2.CommitteeRef(committee_id=bytes(32)), timeout=30),
    "CommitteeService/PostCommitteeMessage": lambda c: _committee(c).PostCommitteeMessage(
        committee_pb2.PostCommitteeMessageRequest(message=b"not a message"), timeout=30),
    "CommitteeService/GetCommitteeMessages": lambda c: _committee(c).GetCommitteeMessages(
        committee_pb2.GetCommitteeMessagesRequest(committee_id=bytes(32), kind="round1"), timeout=30),
    "CommitteeService/GetContributions": lambda c: list(_committee(c).GetContributions(
        committee_pb2.GetContributionsRequest(study_id=NOWHERE), timeout=30)),
    "CommitteeService/CommitContribution": lambda c: _committee(c).CommitContribution(
        committee_pb2.CommitContributionRequest(study_id=NOWHERE), timeout=30),
    "CommitteeService/CloseCommitPhase": lambda c: _committee(c).CloseCommitPhase(
        committee_pb2.CloseCommitPhaseRequest(study_id=NOWHERE), timeout=30),
    "AuditService/GetTreeHead": lambda c: c.tree_head(),
    "AuditService/GetInclusionProof": lambda c: c.audit.GetInclusionProof(
        audit_pb2.InclusionProofRequest(leaf_index=0, tree_size=0), timeout=30),
    "AuditService/GetConsistencyProof": lambda c: c.audit.GetConsistencyProof(
        audit_pb2.ConsistencyProofRequest(first_size=0, second_size=0), timeout=30),
    "AuditService/GetEntries": lambda c: c.audit.GetEntries(audit_pb2.GetEntriesRequest(start=0, end=0), timeout=30),
}


def _committee(client):
    from zkgate.services.v1 import committee_pb2_grpc

    return committee_pb2_grpc.CommitteeServiceStub(client.channel)


def _code(call, client) -> grpc.StatusCode:
    try:
        call(client)
    except GatewayCallError as exc:
        return exc.code
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def test_policy_covers_every_rpc():
    from zkgate.services.v1 import audit_pb2 as a
    from zkgate.services.v1 import catalog_pb2, study_pb2
    from zkgate.services.v1 import prover_pb2 as p

    methods = set()
    for module in (p, a, catalog_pb2, study_pb2, committee_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            assert service.full_name in SERVICE_NAMES
            methods |= {f"/{service.full_name}/{m.name}" for m in service.methods}
    assert methods == set(POLICY)
    assert {f"/zkgate.v1.{name}" for name in CALLS} == methods


def test_authorization_matrix(gateway, tls_dir, tmp_path):
    port = gateway.port
    clients = {org: GatewayClient(f"127.0.0.1:{port}", timeout=30, tls=ClientTls.from_dir(tls_dir, org))
               for org in IDENTITIES}
    clients["visitor (no role)"] = GatewayClient(f"127.0.0.1:{port}", timeout=30, tls=_roleless_tls(tls_dir, tmp_path))
    roles = {**{org: set(r) for org, r in IDENTITIES.items()}, "visitor (no role)": set()}
    outcome = {}
    try:
        for name, call in CALLS.items():
            allowed_roles = POLICY[f"/zkgate.v1.{name}"]
            seen = {"allowed": [], "denied": []}
            for who, client in clients.items():
                code = _code(call, client)
                expected_denied = not (roles[who] & allowed_roles)
                if expected_denied:
                    assert code == grpc.StatusCode.PERMISSION_DENIED, f"{who} -> {name}: {code}"
                    seen["denied"].append(who)
                else:
                    assert code not in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED,
                                        grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL), f"{who} -> {name}: {code}"
                    seen["allowed"].append(who)
            assert seen["allowed"] and seen["denied"], (name, seen)
            outcome[name] = seen
        # the message says what was needed and who asked
        with pytest.raises(GatewayCallError) as err:
            clients["fda"].create_study(b"spec", b"", b"")
        assert err.value.code == grpc.StatusCode.PERMISSION_DENIED
        assert "requester" in err.value.details and "'fda' (regulator)" in err.value.details
    finally:
        for client in clients.values():
            client.close()
    # regulators write nothing
    writes = ["ProverService/RegisterCircuit", "CatalogService/RegisterDataset", "StudyService/CreateStudy",
              "StudyService/Submit", "StudyService/CloseStudy", "StudyService/PublishRelease",
              "StudyService/RegisterUniversalKey"]
    assert all("fda" in outcome[w]["denied"] for w in writes)
    # only requesters reach an encrypted aggregate (and the servicer then checks it is the study's own)
    assert outcome["StudyService/GetAggregate"]["allowed"] == ["pharma"]


def _health(client: GatewayClient):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    return health_pb2_grpc.HealthStub(client.channel).Check(health_pb2.HealthCheckRequest(), timeout=10)


def test_handshake_needs_a_client_certificate_from_the_gateways_ca(gateway, tls_dir, tmp_path):
    address = f"127.0.0.1:{gateway.port}"
    ca = (tls_dir / "ca.pem").read_bytes()
    with GatewayClient(address, timeout=10, tls=ClientTls.from_dir(tls_dir, "fda")) as ok:
        assert _health(ok).status == 1  # SERVING: the right certificate gets through
    # no client certificate
    with GatewayClient(address, timeout=10, tls=ClientTls(ca)) as anonymous:
        with pytest.raises(grpc.RpcError) as err:
            _health(anonymous)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        with pytest.raises(GatewayCallError) as err:
            anonymous.list_studies()
        assert err.value.code == grpc.StatusCode.UNAVAILABLE
    # a certificate (with a valid-looking role) from another CA
    other = tmp_path / "other"
    init_certs(other, [OrgSpec("fda", ("regulator",))])
    forged = ClientTls(ca, (other / "clients" / "fda.pem").read_bytes(), (other / "clients" / "fda.key").read_bytes())
    with GatewayClient(address, timeout=10, tls=forged) as client:
        with pytest.raises(GatewayCallError) as err:
            client.list_studies()
        assert err.value.code == grpc.StatusCode.UNAVAILABLE
    # a plaintext client gets nowhere either
    with GatewayClient(address, timeout=10) as plain:
        with pytest.raises(GatewayCallError) as err:
            plain.list_studies()
        assert err.value.code == grpc.StatusCode.UNAVAILABLE
    # and the client refuses a gateway whose certificate its CA did not sign
    with GatewayClient(address, timeout=10, tls=ClientTls.from_dir(other, "fda")) as client:
        with pytest.raises(GatewayCallError) as err:
            client.list_studies()
        assert err.value.code == grpc.StatusCode.UNAVAILABLE


def test_bearer_tokens_on_localhost(tls_dir, tmp_path):
    import json

    tokens = {t["organisation"]: t["token"] for t in json.loads((tls_dir / "tokens.json").read_text())["tokens"]}
    config = ServerConfig(data_dir=str(tmp_path / "gw"), port=0, tokens_file=str(tls_dir / "tokens.json"))
    server = Gateway(config).start()
    try:
        address = server.address
        with GatewayClient(address, timeout=10) as client:
            with pytest.raises(GatewayCallError) as err:
                client.list_studies()
            assert err.value.code == grpc.StatusCode.UNAUTHENTICATED and "bearer token" in err.value.details
        with GatewayClient(address, timeout=10, token="not-a-token") as client:
            with pytest.raises(GatewayCallError) as err:
                client.list_studies()
            assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
        with GatewayClient(address, timeout=10, token=tokens["fda"]) as client:
            assert client.list_studies() == []
            with pytest.raises(GatewayCallError) as err:
                client.create_study(b"spec", b"", b"")
            assert err.value.code == grpc.StatusCode.PERMISSION_DENIED
        with GatewayClient(address, timeout=10, token=tokens["hospital-a"]) as client:
            with pytest.raises(GatewayCallError) as err:  # streamed upload: the token travels too
                client.create_study(b"spec", b"", b"")
            assert err.value.code == grpc.StatusCode.PERMISSION_DENIED
            with pytest.raises(GatewayCallError) as err:
                client.submit(NOWHERE, b"x")
            assert err.value.code == grpc.StatusCode.NOT_FOUND  # past the role check
    finally:
        server.stop(grace=0.5)


def test_no_tls_beyond_localhost_unless_asked(tmp_path, tls_dir):
    with pytest.raises(PreconditionError, match="without TLS"):
        Gateway(ServerConfig(data_dir=str(tmp_path / "a"), host="0.0.0.0", port=0))
    server = Gateway(ServerConfig(data_dir=str(tmp_path / "b"), host="0.0.0.0", port=0, allow_insecure_remote=True))
    assert "NOT localhost" in server.security_summary()
    server.stop(grace=0)
    server = Gateway(ServerConfig(data_dir=str(tmp_path / "c"), host="0.0.0.0", port=0, tls=ServerTls.from_dir(tls_dir)))
    assert "mutual TLS" in server.security_summary()
    server.stop(grace=0)


def test_serve_command_refuses_remote_without_tls(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "zkgate", "serve", "--data-dir", str(tmp_path / "d"), "--host", "0.0.0.0", "--port", "0"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert out.returncode != 0 and "refusing to serve without TLS" in out.stderr


def test_certs_init_command(tmp_path):
    import subprocess
    import sys

    from cryptography import x509

    from zkgate.services.identity import identity_from_certificate

    out = subprocess.run(
        [sys.executable, "-m", "zkgate", "certs", "init", "--out", str(tmp_path / "tls"),
         "--org", "hospital-a", "--org", "pharma:key-holder,participant", "--org", "fda:regulator"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    cert = x509.load_pem_x509_certificate((tmp_path / "tls" / "clients" / "pharma.pem").read_bytes())
    assert identity_from_certificate(cert) == ("pharma", frozenset({"requester", "participant"}))
    assert oct((tmp_path / "tls" / "ca.key").stat().st_mode & 0o777) == "0o600"
    bad = subprocess.run([sys.executable, "-m", "zkgate", "certs", "init", "--out", str(tmp_path / "x"),
                          "--org", "x:wizard"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert bad.returncode != 0 and "unknown role" in bad.stderr
