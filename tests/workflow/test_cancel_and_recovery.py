"""Issue #17, part 2: ending a stuck study (requester/admin cancel, logged, visible, final, durable)
and a data holder recovering its receipt after losing its studies/ folder.

Real gateways on localhost with bearer tokens (so that roles and organisations are checked), the
role commands as separate shells run them.  Only the receipt test proves (one small chunk)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import grpc
import pytest

from testsupport import fresh_postgres_database, postgres_missing_reason
from testsupport import run_cli as run
from testsupport import run_cli_json as run_json
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.gateway.server import Gateway, ServerConfig
from zkgate.study.cancellation import CANCEL_LEAF_KIND

AUDITOR = Path(__file__).resolve().parents[2] / "examples" / "node-auditor"
HOSPITALS = ("hospital-a", "hospital-b")
TOKENS = {"cro": ("requester", "cro"), "pharma": ("requester", "pharma"), "ops": ("admin", "ops"),
          "hospital-a": ("participant", "hospital-a"), "hospital-b": ("participant", "hospital-b"),
          "fda": ("regulator", "fda")}
REASON = "hospital-b withdrew its consent; the quorum cannot be reached"


def fails(*args) -> str:
    result = run(*args, ok=False)
    assert result.exit_code != 0 and "Traceback" not in result.output
    return result.output


def start(data_dir, tokens, store_url=None) -> Gateway:
    return Gateway(ServerConfig(data_dir=str(data_dir), port=0, dev_mode=True, tokens_file=str(tokens),
                                store_url=store_url)).start()


def open_study(root, gw_args, title: str, quorum: int) -> str:
    request = root / f"{title}.json"
    request.write_text(json.dumps({"title": title, "participants": list(HOSPITALS), "quorum": quorum,
                                   "statistics": [{"kind": "sum", "column": "x"}], "deadline_in": "1h"}))
    zkey = root / "study.zkey"  # every study here has one shape: one development key serves them all
    key_option = "--circuit-key" if zkey.exists() else "--dev-circuit-key"
    opened = run_json("requester", "create-study", "--spec", request, "--key-holder", root / "kh" / "keyholder.card",
                      key_option, zkey, *gw_args("cro"))
    return opened["study_id"]


def build_world(root, store_url=None) -> dict:
    """Tokens, a gateway, a key holder, two holders with one small data set each."""
    tokens = root / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [{"token": f"tok-{name}", "organisation": org, "roles": [role]}
                                             for name, (role, org) in TOKENS.items()]}))
    gateway = start(root / "gw", tokens, store_url)
    world = dict(root=root, tokens=tokens, gateway=gateway, store_url=store_url)

    def gw_args(who: str) -> tuple:
        return ("--gateway", world["gateway"].address, "--token", f"tok-{who}")

    world["gw"] = gw_args
    run("keyholder", "init", "--home", root / "kh")
    schema = root / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": "x", "min": 0, "max": 100}]}))
    for i, name in enumerate(HOSPITALS):
        data = root / f"{name}.csv"
        with open(data, "w", newline="") as handle:
            csv.writer(handle).writerows([["x"], [3 + i], [40 + i]])
        run("holder", "init", "--home", root / name, "--org", name)
        run("holder", "register-dataset", "--home", root / name, data, "--schema", schema, "--chunk", 2, *gw_args(name))
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("cancel"))
    yield world
    world["gateway"].stop(grace=0)


def client_as(world, who: str) -> GatewayClient:
    return GatewayClient(world["gateway"].address, token=f"tok-{who}")


def refused(call) -> GatewayCallError:
    with pytest.raises(GatewayCallError) as caught:
        call()
    return caught.value


# -- cancel -----------------------------------------------------------------------------------------
def test_cancel_by_its_requester_is_logged_visible_and_final(world):
    gw = world["gw"]
    study_id = open_study(world["root"], gw, "stuck", quorum=2)

    # another requester organisation, and a participant, may not cancel it
    assert "PERMISSION_DENIED" in fails("requester", "cancel", study_id, "--reason", REASON, *gw("pharma"))
    assert "PERMISSION_DENIED" in fails("requester", "cancel", study_id, "--reason", REASON, *gw("hospital-a"))
    assert "empty" in fails("requester", "cancel", study_id, "--reason", "  ", *gw("cro"))

    done = run_json("requester", "cancel", study_id, "--reason", REASON, *gw("cro"))
    assert done["state"] == "CANCELLED" and done["reason"] == REASON
    assert done["cancelled_by"] == "cro" and done["state_before"] == "OPEN"
    again = run_json("requester", "cancel", study_id, "--reason", REASON, *gw("cro"))  # idempotent
    assert again == done
    other = fails("requester", "cancel", study_id, "--reason", "another reason", *gw("cro"))
    assert "ALREADY_EXISTS" in other and REASON in other

    # visible to everyone
    with client_as(world, "fda") as regulator:
        study = regulator.get_study(study_id)
        assert study.cancellation.reason == REASON and study.cancellation.cancelled_by == "cro"
        listed = {s.study_id: s for s in regulator.list_studies()}
        assert listed[study_id].cancellation.reason == REASON
        leaf = study.cancellation.audit_leaf_index
        entry = regulator.audit_entries(leaf, leaf + 1)[0]
    assert entry.kind == CANCEL_LEAF_KIND
    data = json.loads(entry.data)
    assert data["study_id"] == study_id and data["reason"] == REASON and data["cancelled_by"] == "cro"
    assert "CANCELLED" in run("gateway", "studies", *gw("fda")).output

    # it accepts nothing: the gateway's own refusals name the reason
    with client_as(world, "hospital-a") as holder:
        err = refused(lambda: holder.submit(study_id, b"not even a submission"))
    assert err.code == grpc.StatusCode.FAILED_PRECONDITION and f"was cancelled: {REASON}" in err.details
    with client_as(world, "cro") as requester:
        err = refused(lambda: requester.close_study(study_id))
        assert err.code == grpc.StatusCode.FAILED_PRECONDITION and REASON in err.details
        err = refused(lambda: requester.publish_release(study_id, b"junk"))
        assert err.code == grpc.StatusCode.FAILED_PRECONDITION and REASON in err.details
    assert REASON in fails("requester", "close", study_id, *world["gw"]("cro"))
    message = fails("holder", "submit", "--home", world["root"] / "hospital-a", study_id, "--dev",
                    *gw("hospital-a"))
    assert "was cancelled" in message and REASON in message
    assert "nothing is released" in fails("keyholder", "release", "--home", world["root"] / "kh", study_id,
                                          *gw("cro"))

    # the audit log still verifies, with the cancellation in it
    assert "OK" in run("audit", "verify", *gw("fda")).output

    # verify-study: cancelled, not a cryptographic failure (exit 1: nothing was released)
    result = run("gateway", *gw("fda"), "verify-study", study_id, "--dev", ok=False)
    assert result.exit_code == 1
    assert result.output.startswith("CANCELLED, NEVER RELEASED") and REASON in result.output
    assert "not a failure of cryptography" in result.output
    report = json.loads(run("gateway", *gw("fda"), "verify-study", study_id, "--dev",
                            "--json", ok=False).stdout)
    assert report["status"] == "cancelled" and report["verified"] is False
    assert all(check["ok"] for check in report["checks"])
    with client_as(world, "fda") as regulator:
        assert json.loads(regulator.verify_study(study_id).checks_json)["status"] == "cancelled"


def test_an_admin_may_cancel_and_a_released_study_may_not_be(world):
    gw = world["gw"]
    study_id = open_study(world["root"], gw, "admin-ends", quorum=1)
    done = run_json("requester", "cancel", study_id, "--reason", "opened by mistake", *gw("ops"))
    assert done["cancelled_by"] == "ops"


def test_cancellation_survives_a_restart(world):
    study_id = open_study(world["root"], world["gw"], "restart", quorum=2)
    run("requester", "cancel", study_id, "--reason", REASON, *world["gw"]("cro"))
    world["gateway"].stop(grace=0)
    world["gateway"] = start(world["root"] / "gw", world["tokens"], world["store_url"])
    with client_as(world, "fda") as regulator:
        study = regulator.get_study(study_id)
    assert study.cancellation.reason == REASON and study.cancellation.state_before == "OPEN"
    with client_as(world, "hospital-a") as holder:
        assert refused(lambda: holder.submit(study_id, b"x")).code == grpc.StatusCode.FAILED_PRECONDITION


def test_cancellation_survives_a_restart_on_postgresql(tmp_path):
    reason = postgres_missing_reason()
    if reason:
        pytest.skip(reason)
    url, drop = fresh_postgres_database()
    world = build_world(tmp_path, url)
    try:
        test_cancellation_survives_a_restart(world)
    finally:
        world["gateway"].stop(grace=0)
        drop()


# -- receipt recovery ----------------------------------------------------------------------------------
@pytest.mark.slow  # proves one chunk per submission: native backend
def test_a_holder_recovers_its_receipt_after_losing_its_studies_folder(world):
    gw, root = world["gw"], world["root"]
    study_id = open_study(root, gw, "recover", quorum=1)
    home = root / "hospital-a"
    first = run_json("holder", "submit", "--home", home, study_id, "--circuit-key", root / "study.zkey", "--dev",
                     *gw("hospital-a"))

    shutil.rmtree(home / "studies")  # the lost folder: `holder receipt` fetches and checks it
    got = run_json("holder", "receipt", "--home", home, study_id, *gw("hospital-a"))
    assert got["signature"] == first["signature"] and got["recovered"] and got["in_audit_log"]
    assert json.loads((home / "studies" / study_id / "receipt.json").read_text())["signature"] == first["signature"]

    shutil.rmtree(home / "studies")  # `holder submit` again recovers it instead of proving a doomed new one
    again = run("holder", "submit", "--home", home, study_id, "--circuit-key", root / "study.zkey", "--dev",
                *gw("hospital-a"))
    assert "recovered" in again.output and "run holder submit again" not in again.output
    assert (home / "studies" / study_id / "receipt.bin").is_file()

    # nobody else fetches hospital-a's receipt; a participant without one is told there is none
    with client_as(world, "hospital-b") as other:
        err = refused(lambda: other.my_receipt(study_id, "hospital-a"))
        assert err.code == grpc.StatusCode.PERMISSION_DENIED
        assert refused(lambda: other.my_receipt(study_id)).code == grpc.StatusCode.NOT_FOUND
    with client_as(world, "fda") as regulator:
        assert refused(lambda: regulator.my_receipt(study_id, "hospital-a")).code == grpc.StatusCode.PERMISSION_DENIED
    assert "NOT_FOUND" in fails("holder", "receipt", "--home", root / "hospital-b", study_id, *gw("hospital-b"))

    # a study with an accepted submission can still be cancelled before its release
    done = run_json("requester", "cancel", study_id, "--reason", REASON, *gw("cro"))
    assert done["state_before"] == "OPEN"

    # the independent Node.js auditor reports it as cancelled (its audit leaf checked), not as failed
    if shutil.which("node") is None or not (AUDITOR / "node_modules" / "snarkjs").is_dir():
        return
    proc = subprocess.run(["node", str(AUDITOR / "audit.js"), "--gateway", world["gateway"].address, "--study", study_id,
                           "--dev", "--token", "tok-fda"], capture_output=True, text=True, timeout=180)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1 and not [line for line in lines if line.startswith("FAIL")], proc.stdout + proc.stderr
    assert lines[-1].startswith("CANCELLED, NEVER RELEASED") and REASON in lines[-1]
    assert any(line.startswith("PASS  cancellation logged") and "inclusion proof" in line for line in lines)
    assert any(line.startswith("PASS  submission of hospital-a logged") for line in lines)


def test_cancel_of_a_released_study_is_refused(world):
    """A released study needs a submission, a close and a release: here the refusal is checked
    through the servicer's order of checks on a study the store marks RELEASED."""
    from zkgate.services.gateway.servicers.audit import audit_entry

    study_id = open_study(world["root"], world["gw"], "released", quorum=1)
    world["gateway"].store.set_study_state(study_id, "RELEASED", audit_entry("test", study_id=study_id))
    message = fails("requester", "cancel", study_id, "--reason", REASON, *world["gw"]("cro"))
    assert "FAILED_PRECONDITION" in message and "released" in message
