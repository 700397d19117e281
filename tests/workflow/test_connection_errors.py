"""Connection failures told apart, from real failures with real certificates (`zkgate certs init`):
each prints what happened and what to do, never "is zkgate serve running?" for a TLS refusal."""

from __future__ import annotations

import shutil
import socket
import stat

import pytest
from click.testing import CliRunner

from zkgate.cli import cli

STUDY = "ab" * 32


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def error_of(*args) -> str:
    result = run(*args)
    assert result.exit_code != 0 and "Traceback" not in result.output
    return result.output


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Two `certs init` folders (two CAs), a mutual-TLS gateway from the first one's gateway bundle,
    and a plaintext gateway."""
    from zkgate.services.gateway.security import ServerTls
    from zkgate.services.gateway.server import Gateway, ServerConfig

    root = tmp_path_factory.mktemp("tls")
    result = run("certs", "init", "--out", root / "a", "--org", "hospital-a", "--org", "fda:regulator")
    assert result.exit_code == 0, result.output
    assert run("certs", "init", "--out", root / "b", "--org", "hospital-a").exit_code == 0
    tls = Gateway(ServerConfig(data_dir=str(root / "gw"), port=0,
                               tls=ServerTls.from_dir(root / "a" / "gateway-bundle"))).start()
    plain = Gateway(ServerConfig(data_dir=str(root / "gw2"), port=0, dev_mode=True)).start()
    # hospital-a's certificate from CA b beside CA a's ca.pem: trusts the gateway, but the gateway refuses it
    mixed = root / "mixed"
    shutil.copytree(root / "a" / "bundles" / "hospital-a", mixed)
    shutil.copy(root / "b" / "clients" / "hospital-a.pem", mixed / "clients" / "hospital-a.pem")
    shutil.copy(root / "b" / "clients" / "hospital-a.key", mixed / "clients" / "hospital-a.key")
    yield dict(root=root, tls=tls.address, plain=plain.address, init_output=result.output, mixed=mixed)
    tls.stop(grace=0)
    plain.stop(grace=0)


def test_certs_init_writes_one_bundle_per_party_and_says_where_it_goes(world):
    a = world["root"] / "a"
    out = world["init_output"]
    assert f"send {a / 'gateway-bundle'}/ to the gateway's operator" in out
    assert f"send {a / 'bundles' / 'hospital-a'}/ to hospital-a" in out and "never send it" in out
    for name in ("ca.pem", "server.pem", "server.key", "README.txt"):
        assert (a / "gateway-bundle" / name).is_file()
    bundle = a / "bundles" / "fda"
    assert sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()) == [
        "README.txt", "ca.pem", "clients/fda.key", "clients/fda.pem"]
    assert stat.S_IMODE((bundle / "clients" / "fda.key").stat().st_mode) == 0o600
    assert not (bundle / "ca.key").exists() and not list(bundle.rglob("hospital-a*"))


def test_a_bundle_is_a_tls_dir(world):
    bundle = world["root"] / "a" / "bundles" / "fda"
    result = run("gateway", "studies", "--gateway", world["tls"], "--tls-dir", bundle, "--org", "fda")
    assert result.exit_code == 0, result.output


def test_client_certificate_from_another_ca(world):
    text = error_of("gateway", "--gateway", world["tls"], "--tls-dir", world["mixed"], "--org", "hospital-a", "studies")
    assert "refused this client's TLS certificate" in text and "clients/hospital-a.pem" in text
    assert "was not issued by the CA in" in text and "zkgate serve running" not in text


def test_gateway_certificate_from_another_ca(world):
    b = world["root"] / "b"
    text = error_of("gateway", "--gateway", world["tls"], "--tls-dir", b, "--org", "hospital-a", "studies")
    assert "refused the gateway at" in text and f"not issued by the CA in {b / 'ca.pem'}" in text


def test_plaintext_client_against_a_tls_gateway(world):
    text = error_of("requester", "close", STUDY, "--gateway", world["tls"])
    assert "requires mutual TLS" in text and "--tls-dir" in text and "zkgate serve running" not in text


def test_tls_client_against_a_plaintext_gateway(world):
    bundle = world["root"] / "a" / "bundles" / "fda"
    text = error_of("gateway", "studies", "--gateway", world["plain"], "--tls-dir", bundle, "--org", "fda")
    assert "does not speak TLS" in text


def test_nothing_listening(world):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    text = error_of("gateway", "studies", "--gateway", f"127.0.0.1:{port}")
    assert "cannot reach the gateway" in text and "nothing is listening there" in text


def test_refusal_names_the_certificate_presented(world):
    bundle = world["root"] / "a" / "bundles" / "hospital-a"
    text = error_of("requester", "close", STUDY, "--gateway", world["tls"], "--tls-dir", bundle, "--org", "hospital-a")
    assert "PERMISSION_DENIED" in text and f"presented {bundle / 'clients' / 'hospital-a.pem'}" in text


def test_unknown_organisation_in_the_tls_dir(world):
    bundle = world["root"] / "a" / "bundles" / "fda"
    text = error_of("gateway", "studies", "--gateway", world["tls"], "--tls-dir", bundle, "--org", "hospital-z")
    assert "no client certificate for organisation 'hospital-z'" in text and "it has fda" in text


def test_audit_verify_could_not_check_a_tls_gateway(world):
    b = world["root"] / "b"
    result = run("audit", "verify", "--gateway", world["tls"], "--tls-dir", b, "--org", "hospital-a")
    assert result.exit_code == 2 and result.output.startswith("COULD NOT CHECK") and "not issued by the CA" in result.output
    fda = world["root"] / "a" / "bundles" / "fda"
    result = run("audit", "verify", "--gateway", world["tls"], "--tls-dir", fda, "--org", "fda")
    assert result.exit_code == 0 and result.output.startswith("OK"), result.output
