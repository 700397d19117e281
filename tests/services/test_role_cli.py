"""The role commands (zkgate holder|requester|keyholder) end to end through a real gateway on
localhost: three hospitals, a requester, a key holder and a regulator, each with its own
folder, as separate shells would run them; then the refusals a person meets."""

from __future__ import annotations

import csv
import json
import shutil
import socket
import stat
import time

import numpy as np
import pytest

from testsupport import dev_gateway
from testsupport import run_cli as run
from testsupport import run_cli_json as run_json
from zkgate.study.simulate import PATIENT_SCHEMA, STUDY_FILTER, STUDY_STATISTICS, ground_truth, patient_table
from zkgate.study.spec import StudySpec

pytestmark = pytest.mark.slow  # proves several chunks: native backend only

HOSPITALS = ("hospital-a", "hospital-b", "hospital-c")
RECORDS = 12
CHUNK = 8


def fails(*args) -> str:
    """The command fails with a one-line message (no traceback); returns the message."""
    result = run(*args, ok=False)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


@pytest.fixture(scope="module")
def study(gateway, tmp_path_factory):
    """Every party in its own folder: key holder, three holders, a requester's study, submissions."""
    root = tmp_path_factory.mktemp("roles")
    gw = ("--gateway", gateway.address)
    schema = root / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": c.name, "min": c.lo, "max": c.hi} for c in PATIENT_SCHEMA.columns]}))

    kh = root / "keyholder"
    card = run_json("keyholder", "init", "--home", kh)
    assert card["he_preset"] == "bfv-4096"

    rng = np.random.default_rng(5)
    tables, homes = [], []
    for name in HOSPITALS:
        table = patient_table(rng, RECORDS)
        data = root / f"{name}.csv"
        with open(data, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["patient", *PATIENT_SCHEMA.names])  # an extra column is ignored
            writer.writerows([[i, *row] for i, row in enumerate(table.tolist())])
        home = root / name
        run("holder", "init", "--home", home, "--org", name)
        registered = run_json("holder", "register-dataset", "--home", home, data, "--schema", schema,
                              "--chunk", CHUNK, *gw)
        assert registered["records"] == RECORDS and registered["chunks"] == 2
        tables.append(table)
        homes.append(home)

    request = root / "study.json"
    request.write_text(json.dumps({
        "title": "cholesterol of women aged 40-65",
        "participants": list(HOSPITALS),
        "filter": {"ranges": [{"column": r.column, "min": r.lo, "max": r.hi} for r in STUDY_FILTER.ranges],
                   "equals": [{"column": e.column, "value": e.value} for e in STUDY_FILTER.equals]},
        "statistics": [{"kind": "variance", "column": "cholesterol"},
                       {"kind": "histogram", "column": "sbp", "edges": list(STUDY_STATISTICS[2].edges)}],
        "deadline_in": "1h",
    }))
    zkey = root / "study.zkey"
    opened = run_json("requester", "create-study", "--spec", request, "--key-holder", kh / "keyholder.card",
                      "--dev-circuit-key", zkey, *gw)
    study_id = opened["study_id"]
    assert opened["dev_keys"] and opened["quorum"] == 3 and zkey.exists()
    return dict(root=root, gw=gw, kh=kh, homes=homes, tables=tables, study_id=study_id, zkey=zkey, schema=schema)


def test_a_whole_study_from_separate_role_folders(gateway, study, monkeypatch):
    """Submit (and an identical retry, and a conflicting one), close, release, verify."""
    gw, study_id, zkey = study["gw"], study["study_id"], study["zkey"]
    # the key holder cannot release before the requester closes the study
    assert "requester close" in fails("keyholder", "release", "--home", study["kh"], study_id, *gw)
    receipts = [run_json("holder", "submit", "--home", home, study_id, "--circuit-key", zkey, "--dev", *gw)
                for home in study["homes"]]
    assert [r["participant"] for r in receipts] == list(HOSPITALS)
    assert all(r["in_audit_log"] and not r["resent"] for r in receipts)

    # an identical retry gets the original receipt (the kept submission is sent again)
    again = run_json("holder", "submit", "--home", study["homes"][0], study_id, *gw)
    assert again["signature"] == receipts[0]["signature"] and again["repeated"]

    # a copy of hospital-a's folder without its studies (a restored backup) proves nothing: the
    # receipt of its accepted submission is recovered from the gateway (issue #17), even late
    copy = study["root"] / "restored"
    shutil.copytree(study["homes"][0], copy, ignore=shutil.ignore_patterns("studies"))
    import zkgate.services.parties.roles as roles

    with monkeypatch.context() as patch:
        patch.setattr(roles, "_now", lambda: time.time() + 2 * 3600)  # the study's deadline is 1 h away
        recovered = run_json("holder", "submit", "--home", copy, study_id, "--circuit-key", zkey, "--dev", *gw)
    assert recovered["recovered"] and recovered["signature"] == receipts[0]["signature"]
    assert not (copy / "studies" / study_id / "submission.bin").exists()  # nothing new was proved
    # past the deadline (by this holder's clock, beyond the slack) a holder without a submission proves nothing
    stranger = study["root"] / "late"
    shutil.copytree(study["homes"][0], stranger, ignore=shutil.ignore_patterns("studies"))
    with monkeypatch.context() as patch:
        patch.setattr(roles, "_now", lambda: time.time() + 2 * 3600)
        patch.setattr(roles, "recover_receipt", lambda *a, **k: None)  # as if the gateway held no submission of it
        late = fails("holder", "submit", "--home", stranger, study_id, "--circuit-key", zkey, "--dev", *gw)
    assert "deadline passed" in late and not (stranger / "studies" / study_id / "submission.bin").exists()

    closed = run_json("requester", "close", study_id, *gw)
    assert closed["state"] == "CLOSED" and closed["accepted"] == 3
    released = run_json("keyholder", "release", "--home", study["kh"], study_id, *gw)
    assert released["verifiable"]

    from zkgate.services.client.gateway_client import GatewayClient

    with GatewayClient(gateway.address) as client:
        spec = StudySpec.from_bytes(client.get_study(study_id).spec)
    truth = ground_truth(spec, study["tables"])
    assert {k: released["statistics"][k] for k in truth} == truth

    # a holder with nothing kept and nothing accepted is told the study takes no more submissions
    with monkeypatch.context() as patch:
        patch.setattr(roles, "recover_receipt", lambda *a, **k: None)
        assert "accepts no more submissions" in fails("holder", "submit", "--home", stranger, study_id, *gw)

    verified = run("gateway", *gw, "verify-study", study_id, "--dev")
    lines = verified.stdout.strip().splitlines()
    assert lines[0] == "VERIFIED" and lines[1] == "released (exact, verifiable):"  # the numbers beside the verdict
    assert f"  count: {truth['count']}" in lines

    shown = run_json("holder", "show", "--home", study["homes"][1])
    assert shown["studies"][0]["receipt"]["sequence"] == receipts[1]["sequence"]


def test_secrets_are_private_files(study):
    home = study["homes"][0]
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    label = next((home / "datasets").iterdir()).name
    for secret in (home / "signing.key", home / "datasets" / label / "seed", home / "datasets" / label / "records.npy",
                   study["kh"] / "he-secret.bin", study["kh"] / "signing.key"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret


def test_errors_name_what_to_fix(gateway, study, tmp_path):
    gw, home = study["gw"], study["homes"][0]
    missing = fails("holder", "submit", "--home", tmp_path / "nowhere", study["study_id"], *gw)
    assert "holder init" in missing
    assert "is a keyholder home" in fails("holder", "show", "--home", study["kh"])
    unknown = fails("holder", "submit", "--home", home, "0" * 64, *gw)
    assert "NOT_FOUND" in unknown and "no study" in unknown
    assert "64 lowercase hex" in fails("requester", "close", "not-a-study", *gw)
    assert "already holds" in fails("holder", "init", "--home", home, "--org", "hospital-a")  # never overwrites keys

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert "cannot reach the gateway" in fails("requester", "close", study["study_id"], "--gateway", f"127.0.0.1:{port}")

    # a CSV value outside its declared range names the file, row and column
    bad = tmp_path / "bad.csv"
    good = {**{c.name: c.lo for c in PATIENT_SCHEMA.columns}, "age": 50}
    bad.write_text("".join(",".join(str(v) for v in row) + "\n" for row in
                           (PATIENT_SCHEMA.names, good.values(), {**good, "age": 17}.values())))
    message = fails("holder", "register-dataset", "--home", home, bad, "--schema", study["schema"], *gw)
    assert "bad.csv" in message and "row 2" in message and "'age'" in message

    # a participant nobody registered, and a schema file with a wrong field
    assert "no registered data set" in fails(
        "requester", "create-study", "--participant", "hospital-z", "--stat", "sum:cholesterol",
        "--key-holder", study["kh"] / "keyholder.card", "--dev-circuit-key", tmp_path / "k.zkey", *gw)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": "age", "min": 18, "max": "90"}]}))
    assert "columns[0].max" in fails("holder", "register-dataset", "--home", home, bad, "--schema", schema, *gw)

    # a damaged file in a home folder is named
    damaged = tmp_path / "damaged"
    shutil.copytree(home, damaged)
    label = next((damaged / "datasets").iterdir()).name
    (damaged / "datasets" / label / "seed").write_bytes(b"short")
    assert "seed" in fails("holder", "show", "--home", damaged)


def test_requester_writes_the_contribution_circuit_for_a_ceremony(study, tmp_path):
    out = tmp_path / "study.r1cs"
    written = run_json("requester", "circuit", "--participant", "hospital-a", "--range", "age:40:65", "--equals", "sex:1",
                       "--stat", "variance:cholesterol", "--stat", "histogram:sbp:80,120,140,160,201", "--out", out,
                       *study["gw"])
    assert out.exists() and written["public"] == 4
