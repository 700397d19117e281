"""The gateway's TLS key exchange (issue #22, docs/gateway.md "Post-quantum TLS key exchange"):
grpcio offers no TLS group setting, and its bundled BoringSSL negotiates the hybrid
X25519MLKEM768 group with clients that offer it. Checked against a real mutual-TLS gateway with
hand-made TLS 1.3 ClientHellos (scripts/tls_groups_probe.py), and what a grpcio client offers;
a failure here means the grpcio upgrade changed its defaults: rerun the probe, update the docs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from zkgate.services.gateway.security import ServerTls
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.services.parties.certs import OrgSpec, init_certs

PROBE = Path(__file__).resolve().parents[2] / "scripts" / "tls_groups_probe.py"
MLKEM, X25519, P256 = 0x11EC, 0x001D, 0x0017


@pytest.fixture(scope="module")
def probe():
    spec = importlib.util.spec_from_file_location("tls_groups_probe", PROBE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gateway_negotiates_x25519mlkem768_when_offered(probe, tmp_path):
    init_certs(tmp_path / "tls", [OrgSpec("hospital-a")])
    gateway = Gateway(ServerConfig(data_dir=str(tmp_path / "gw"), port=0,
                                   tls=ServerTls.from_dir(tmp_path / "tls" / "gateway-bundle"))).start()
    try:
        assert probe.answer(gateway.port, [MLKEM, X25519, P256], [MLKEM, X25519, P256]) == \
            "ServerHello with X25519MLKEM768"
        assert probe.answer(gateway.port, [MLKEM, X25519], [X25519]) == "HelloRetryRequest asking for X25519MLKEM768"
        assert probe.answer(gateway.port, [X25519, P256], [X25519]) == "ServerHello with X25519"  # classical fallback
    finally:
        gateway.stop(grace=1)


def test_a_grpcio_client_offers_x25519mlkem768_first(probe, capsys):
    probe.client_offer()
    line = capsys.readouterr().out
    assert "offers groups ['X25519MLKEM768', 'X25519'" in line and "key shares ['X25519MLKEM768'" in line
