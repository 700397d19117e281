"""Data directories and homes made before hybrid signatures (issue #22) keep working.

``tests/fixtures/legacy_classical_datadir.tar.xz`` was made by the release before hybrid
signatures (tests/fixtures/make_legacy_datadir.py): a gateway data directory (SQLite, blobs,
PKCS#8 Ed25519 log key, 32-byte study signing key) with two classical holders' registrations
and a released study, the holders' and the key holder's homes.  This release serves and
verifies it, labels its signatures classical, refuses it under --require-pq, and makes new keys
hybrid beside it."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from zkgate.cli import cli
from zkgate.services.errors import PreconditionError
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.signing import HYBRID_PUBLIC_KEY_BYTES, PUBLIC_KEY_BYTES

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "legacy_classical_datadir.tar.xz"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    root = tmp_path_factory.mktemp("legacy")
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(root, filter="tar")  # keeps the homes private (0700; "data" would widen them)
    study_id = (root / "study_id.txt").read_text().strip()
    server = Gateway(ServerConfig(data_dir=str(root / "gateway-data"), port=0, dev_mode=True)).start()
    yield dict(root=root, study_id=study_id, server=server, gw=("--gateway", server.address))
    server.stop(grace=1)


def test_an_old_data_directory_is_served_with_its_classical_keys(legacy):
    from zkgate.services.client.gateway_client import GatewayClient

    with GatewayClient(legacy["server"].address) as client:
        info = client.gateway_info()
        assert len(info.study_signing_key) == PUBLIC_KEY_BYTES and len(info.log_public_key) == PUBLIC_KEY_BYTES
    verified = run("audit", "verify", *legacy["gw"])
    assert verified.exit_code == 0, verified.output
    assert "OK: tree size 7" in verified.output and "head signed with Ed25519 (classical)" in verified.output
    refused = run("audit", "verify", *legacy["gw"], "--require-pq")
    assert refused.exit_code == 1 and "FAILED" in refused.output and "ML-DSA-65" in refused.output
    checked = run("store", "check", "--data-dir", legacy["root"] / "gateway-data")
    assert checked.exit_code == 0, checked.output


def test_old_homes_load_and_a_new_hybrid_holder_registers_beside_them(legacy, tmp_path):
    root = legacy["root"]
    shown = run("holder", "show", "--home", root / "hospital-a", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output.strip().splitlines()[-1])["studies"][0]["study_id"] == legacy["study_id"]
    home = tmp_path / "hospital-c"
    assert run("holder", "init", "--home", home, "--org", "hospital-c").exit_code == 0
    assert len((home / "signing.key").read_bytes()) == 85  # new keys are hybrid
    registered = run("holder", "register-dataset", "--home", home, root / "hospital-a.csv", "--schema",
                     root / "schema.json", "--chunk", 4, *legacy["gw"], "--json")
    assert registered.exit_code == 0, registered.output
    from zkgate.study.catalog import Registration

    reg = Registration.from_bytes(next((home / "datasets").iterdir()).joinpath("registration.bin").read_bytes())
    assert reg.version == 2 and len(reg.verify_key) == HYBRID_PUBLIC_KEY_BYTES


@pytest.mark.slow  # verifies the study's Groth16 proofs: slow on the pure-Python twins
def test_the_old_study_still_verifies_and_is_labelled_classical(legacy):
    verified = run("gateway", *legacy["gw"], "verify-study", legacy["study_id"], "--dev")
    assert verified.exit_code == 0, verified.output
    lines = verified.output.splitlines()
    assert lines[0] == "VERIFIED"
    for name in ("submission of hospital-a", "submission of hospital-b", "aggregate", "release"):
        assert f"  {name}: Ed25519 (classical)" in lines
    refused = run("gateway", *legacy["gw"], "verify-study", legacy["study_id"], "--dev", "--require-pq")
    assert refused.exit_code == 1
    assert "post-quantum signatures" in refused.output and "submission of hospital-a" in refused.output


def test_require_pq_refuses_the_old_keys_and_classical_registrations(legacy, tmp_path):
    root = legacy["root"]
    with pytest.raises(PreconditionError, match="require-pq.*classical Ed25519-only"):
        _start_pq(root / "gateway-data")
    fresh = Gateway(ServerConfig(data_dir=str(tmp_path / "pq"), port=0, dev_mode=True, require_pq=True)).start()
    try:
        refused = run("holder", "register-dataset", "--home", root / "hospital-b", root / "hospital-b.csv",
                      "--schema", root / "schema.json", "--chunk", 4, "--gateway", fresh.address)
        assert refused.exit_code != 0
        assert "registration of 'hospital-b'" in refused.output and "ML-DSA-65" in refused.output
    finally:
        fresh.stop(grace=1)


def _start_pq(data_dir: Path):
    """Open the legacy data directory under --require-pq (a second gateway on the same folder is
    refused by its lock first, so this copies the key files into a folder of their own)."""
    import shutil

    copy = data_dir.parent / "pq-copy"
    copy.mkdir(exist_ok=True)
    for name in ("log_signing_key.pem", "gateway_signing_key"):
        shutil.copy(data_dir / name, copy / name)
    Gateway(ServerConfig(data_dir=str(copy), port=0, dev_mode=True, require_pq=True))
