"""The console's pages and /api/ against a gateway that ran real studies (Starlette TestClient), its
own verification (soundness: a forged record fails), the audit checks, and its access rules."""

from __future__ import annotations

import dataclasses
import json
import ssl
import subprocess
import sys
import warnings

import httpx
import pytest

with warnings.catch_warnings():  # starlette's TestClient still runs on httpx (it suggests httpx2)
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from console_support import HOSTILE_TITLE, ServedConsole, run_study

from zkgate.errors import InvalidInputError
from zkgate.services.client.gateway_client import GatewayClient
from zkgate.services.client.tls import ClientTls
from zkgate.services.console.app import CONTENT_SECURITY_POLICY, create_app
from zkgate.services.console.server import ConsoleTls, RegulatorGate, check_binding
from zkgate.services.console.source import ConsoleSource
from zkgate.services.gateway.security import ServerTls
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.services.parties.certs import OrgSpec, init_certs
from zkgate.study.messages import Receipt
from zkgate.study.verification import PublicRecord


@pytest.fixture(scope="module")
def source(gateway, studies):
    client = GatewayClient(gateway.address)
    yield ConsoleSource(client, dev_mode=True)
    client.close()


@pytest.fixture(scope="module")
def web(source):
    return TestClient(create_app(source))


@pytest.mark.slow
def test_every_page_and_api_route_answers_with_the_security_headers(web, studies):
    released = studies["released"]
    for path in ["/", "/catalog", "/studies", f"/studies/{released}", f"/studies/{studies['open']}", "/audit",
                 "/audit?start=2", "/static/console.css", "/api/overview", "/api/catalog", "/api/studies",
                 f"/api/studies/{released}", "/api/audit"]:
        reply = web.get(path)
        assert reply.status_code == 200, (path, reply.text[:500])
        assert reply.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert reply.headers["x-frame-options"] == "DENY" and reply.headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in CONTENT_SECURITY_POLICY and "default-src 'none'" in CONTENT_SECURITY_POLICY
    for method in ("post", "put", "delete", "patch"):  # no state-changing routes
        assert getattr(web, method)(f"/api/studies/{released}").status_code == 405
        assert getattr(web, method)("/").status_code == 405


@pytest.mark.slow
def test_study_verdict_is_the_consoles_own_and_cached_per_record_digest(web, source, studies):
    released = studies["released"]
    first = web.get(f"/api/studies/{released}").json()
    assert first["title"] == HOSTILE_TITLE and first["state"] == "RELEASED"
    assert first["verdict"]["status"] == "verified" and first["verdict"]["computed_by"] == "console"
    assert [c["proofs_verified"] for c in first["contributions"]] == [True, True]
    assert first["released"]["statistics"]["count"] == sum(first["charts"][0]["counts"])
    assert "COUNT(*)" in first["question"]["sql"] and "WHERE" in first["question"]["sql"]
    hits = source.cache_hits
    again = web.get(f"/api/studies/{released}").json()
    assert again["verdict"]["cached"] is True and source.cache_hits == hits + 1
    assert again["record_digest"] == first["record_digest"]

    opened = web.get(f"/api/studies/{studies['open']}").json()
    assert opened["state"] == "OPEN" and opened["verdict"]["status"] == "open"
    assert len(opened["contributions"]) == 1 and opened["contributions"][0]["proofs_verified"]
    page = web.get(f"/studies/{studies['open']}").text
    assert "Not submitted: h4-1" in page and "Nothing released yet" in page


@pytest.mark.slow
def test_party_strings_are_escaped(web, studies):
    page = web.get(f"/studies/{studies['released']}").text
    assert HOSTILE_TITLE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<svg" in page and "<script" not in page.lower()
    listing = web.get("/studies").text
    assert "<b>blood pressure</b>" not in listing and "&lt;b&gt;blood pressure&lt;/b&gt;" in listing
    assert "<script" not in listing.lower()


@pytest.mark.slow
def test_a_forged_record_fails_in_the_console(gateway, studies):
    """The console verifies what it is served: a release whose numbers were altered is FAILED, and a
    console that does not accept development keys refuses the dev-key study."""

    class ForgingClient(GatewayClient):
        def public_record(self, study_id):
            record = PublicRecord.from_bytes(super().public_record(study_id))
            values = list(record.release.values)
            values[0] += 1
            forged = dataclasses.replace(record, release=dataclasses.replace(record.release, values=tuple(values)))
            return forged.to_bytes()

    with ForgingClient(gateway.address) as client:
        report = ConsoleSource(client, dev_mode=True).study(studies["released"])["verdict"]
    assert report["status"] == "failed"
    assert any("release signature" in f for f in report["failures"])
    with GatewayClient(gateway.address) as client:
        strict = ConsoleSource(client, dev_mode=False).study(studies["released"])["verdict"]
    assert strict["status"] == "failed" and any("circuit keys" in f for f in strict["failures"])


@pytest.mark.slow
def test_audit_heads_consistency_and_inclusion_lookup(gateway, web, source, studies):
    audit = web.get("/api/audit?limit=500").json()
    assert audit["rebuilt_root_matches"] and audit["tree_size"] == len(audit["entries"])
    submission = next(e for e in audit["entries"] if e["kind"] == "submission")
    digest = json.loads(submission["data"])["submission_digest"]
    for query, how in [(str(submission["index"]), "leaf index"), (submission["leaf_hash"], "leaf hash"),
                       (digest, "submission digest")]:
        found = web.get("/api/audit/lookup", params={"q": query}).json()
        assert found["matched_by"] == how and found["index"] == submission["index"] and found["included"], found
    with GatewayClient(gateway.address) as client:  # a participant's receipt, as it would paste it
        receipt, leaf = client.my_receipt(studies["released"], participant="h3-1")
    found = web.get("/api/audit/lookup", params={"q": receipt.hex()}).json()
    assert found["matched_by"] == "receipt (signature verified)" and found["index"] == leaf and found["included"], found
    forged = bytearray(receipt)
    at = receipt.index(Receipt.from_bytes(receipt).submission_digest)
    forged[at] ^= 1  # another submission digest: the gateway's signature no longer covers it
    refused = web.get("/api/audit/lookup", params={"q": forged.hex()})
    assert refused.status_code == 400 and "signature" in refused.json()["error"]
    assert web.get("/api/audit/lookup", params={"q": "ab" * 32}).status_code == 404
    assert web.get("/api/audit/lookup", params={"q": "not hex"}).status_code == 400
    page = web.get("/audit", params={"q": submission["leaf_hash"]}).text
    assert "VERIFIED" in page and "inclusion proof of leaf" in page

    before = len(source.head_history())
    run_study(gateway.address, "a third study", seed=5, release=False, submit=0)  # the log grows
    heads = web.get("/api/audit").json()["heads"]
    assert len(heads) == before + 1
    assert heads[-1]["consistent"] and heads[-1]["consistency"].startswith("consistent with the head of size")
    overview = web.get("/api/overview").json()
    assert overview["head_verified"] and overview["audit_log_size"] == heads[-1]["tree_size"]


def test_the_console_refuses_to_listen_beyond_localhost_without_browser_mtls(tmp_path):
    check_binding("127.0.0.1", None)
    with pytest.raises(InvalidInputError, match="localhost only"):
        check_binding("0.0.0.0", None)
    check_binding("0.0.0.0", ConsoleTls("c", "k", "ca"))
    out = subprocess.run([sys.executable, "-m", "zkgate", "console", "--host", "0.0.0.0", "--gateway", "127.0.0.1:1"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 2 and "localhost only" in out.stderr
    half = subprocess.run([sys.executable, "-m", "zkgate", "console", "--server-cert", __file__], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert half.returncode == 2 and "--client-ca" in half.stderr
    helped = subprocess.run([sys.executable, "-m", "zkgate", "console", "--help"], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert helped.returncode == 0 and "--tls-dir" in helped.stdout and "regulator" in helped.stdout


def test_mtls_both_ways_regulators_only(tmp_path):
    """The console reaches a mutual-TLS gateway as a regulator, and serves only browsers presenting a
    regulator certificate (a participant's gets 403, no certificate no connection)."""
    tls_dir = tmp_path / "tls"
    init_certs(tls_dir, [OrgSpec("fda", ("regulator",)), OrgSpec("hospital-a", ("participant",))])
    gateway = Gateway(ServerConfig(data_dir=str(tmp_path / "gw"), port=0, dev_mode=True,
                                   tls=ServerTls.from_dir(tls_dir))).start()
    client = GatewayClient(gateway.address, tls=ClientTls.from_dir(tls_dir, "fda"))
    served = None
    try:
        source = ConsoleSource(client, dev_mode=True)
        tls = ConsoleTls(str(tls_dir / "server.pem"), str(tls_dir / "server.key"), str(tls_dir / "ca.pem"))
        served = ServedConsole(create_app(source, gate=RegulatorGate), tls)

        def get(org, path="/api/overview"):
            context = ssl.create_default_context(cafile=str(tls_dir / "ca.pem"))
            if org:
                context.load_cert_chain(tls_dir / "clients" / f"{org}.pem", tls_dir / "clients" / f"{org}.key")
            with httpx.Client(verify=context, timeout=30) as browser:
                return browser.get(served.url.replace("127.0.0.1", "localhost") + path)

        reply = get("fda")
        assert reply.status_code == 200 and reply.json()["audit_log_size"] == 0
        assert reply.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert get("fda", "/studies").status_code == 200
        refused = get("hospital-a")
        assert refused.status_code == 403 and "regulator" in refused.text
        assert refused.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            get(None)
    finally:
        if served is not None:
            served.stop()
        client.close()
        gateway.stop(grace=0.5)
