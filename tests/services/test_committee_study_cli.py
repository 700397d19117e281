"""A key-committee study from separate shells (issue 23), through a real gateway and the CLI only:
three members form a 2-of-3 joint key (`zkgate committee init|roster|join|setup`), the requester
opens the study on the roster (`requester create-study --committee`), three holders commit to their
ciphertexts and upload them after `requester close-commit-phase` (`holder submit`, one waiting, two
run again), member 2 answers with `committee decrypt-share`, `requester open` combines and publishes
a release that verifies; a wrong share from member 2 publishes nothing and names it."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from testsupport import dev_gateway
from testsupport import run_cli as run
from testsupport import run_cli_json as run_json
from zkgate.services.client.committee_client import CommitteeRelay
from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient
from zkgate.services.parties.committee_home import MemberHome
from zkgate.services.parties.committee_party import post_wrong_share
from zkgate.services.parties.committee_study import commit_phase_from_log
from zkgate.study.patients import PATIENT_SCHEMA, export_tables, patient_table
from zkgate.study.spec import StudySpec
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json

pytestmark = pytest.mark.slow  # bfv-8192 committees and real chunk proofs through a gateway

HOSPITALS = ("hospital-a", "hospital-b", "hospital-c")
SQL = "SELECT COUNT(*) AS n, AVG(cholesterol) AS chol FROM patients WHERE age BETWEEN 30 AND 85"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


def _in_thread(*args):
    """``zkgate ARGS...`` in a thread (members and holders that wait for each other); ``box`` gets the outcome."""
    from zkgate.cli import cli

    box: dict = {}

    def target():
        try:
            cli.main([str(a) for a in args], prog_name="zkgate", standalone_mode=False)
            box["ok"] = True
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def _joined(thread, box, timeout=300):
    thread.join(timeout)
    assert not thread.is_alive(), "timed out"
    return box


@pytest.fixture(scope="module")
def holders(gateway, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("holders")
    gw = ("--gateway", gateway.address)
    schema = tmp / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": c.name, "min": c.lo, "max": c.hi} for c in PATIENT_SCHEMA.columns]}))
    rng = np.random.default_rng(23)
    tables = {name: patient_table(rng, 8) for name in HOSPITALS}
    homes = []
    for name, data in zip(HOSPITALS, export_tables(tmp / "data", PATIENT_SCHEMA, tables)):
        home = tmp / name
        run("holder", "init", "--home", home, "--org", name)
        run_json("holder", "register-dataset", "--home", home, data, "--schema", schema, "--chunk", 8, *gw)
        homes.append(home)
    return homes, tables


def _committee(gateway, tmp):
    """Three members' homes, a 2-of-3 roster registered with the gateway, the joint key set up."""
    gw = ("--gateway", gateway.address)
    homes = [tmp / f"m{i}" for i in (1, 2, 3)]
    for home in homes:
        run("committee", "init", "--home", home)
    roster = tmp / "roster.bin"
    run("committee", "roster", *[a for h in homes for a in ("--member", h / "member.json")], "--threshold", 2,
        "--max-participants", 3, "--out", roster, *gw)
    for home in homes:
        run("committee", "join", "--home", home, "--roster", roster, *gw)
    setups = [_in_thread("committee", "setup", "--home", h, "--wait", 120, *gw) for h in homes]
    for thread, box in setups:
        assert _joined(thread, box) == {"ok": True}
    return homes, roster


def _open_study(gateway, tmp, roster, zkey):
    return run_json("requester", "create-study", "--sql", SQL, *(a for h in HOSPITALS for a in ("--participant", h)),
                    "--committee", roster, "--opener", 1, "--dev-circuit-key", zkey, "--gateway", gateway.address)


def _wait_for_commits(client, study_id, count, timeout=300):
    deadline = time.monotonic() + timeout
    while len(commit_phase_from_log(client, study_id, None).commits) < count:
        assert time.monotonic() < deadline, "the holders did not commit"
        time.sleep(0.5)


def test_committee_study_from_the_shell(gateway, holders, tmp_path):
    gw = ("--gateway", gateway.address)
    homes, tables = holders
    members, roster = _committee(gateway, tmp_path)
    neither = run("requester", "create-study", "--sql", SQL, "--participant", "hospital-a", "--dev-circuit-key",
                  tmp_path / "x.zkey", *gw, ok=False)
    assert neither.exit_code == 2 and "--key-holder" in neither.output and "--committee" in neither.output
    zkey = tmp_path / "study.zkey"
    opened = _open_study(gateway, tmp_path, roster, zkey)
    study_id = opened["study_id"]
    with GatewayClient(gateway.address) as client:
        spec = StudySpec.from_bytes(client.get_study(study_id).spec)
        assert spec.committee is not None and spec.committee.threshold == 2
        assert spec.key_holder_key == MemberHome(members[0]).signing.public
        assert opened["he_key_id"] == MemberHome(members[1]).load().public_context.key_id.hex()

        # two holders commit and stop (--wait 0); the third waits for the close
        for home in homes[:2]:
            out = run("holder", "submit", "--home", home, study_id, "--dev", "--wait", 0, *gw, ok=False)
            assert out.exit_code == 1 and "still open" in out.output and "committed" in out.output
        early = run("requester", "close-commit-phase", study_id, *gw, ok=False)  # quorum 3: not yet
        assert early.exit_code == 1 and "2 participant(s) committed" in early.output
        waiting = _in_thread("holder", "submit", "--home", homes[2], study_id, "--dev", "--wait", 240, *gw)
        _wait_for_commits(client, study_id, 3)
        closed = run_json("requester", "close-commit-phase", study_id, *gw)
        assert sorted(closed["committed"]) == list(HOSPITALS)
        assert _joined(*waiting) == {"ok": True}  # it uploaded once the phase closed
        for home in homes[:2]:  # run again: the kept, committed submission is uploaded
            assert run_json("holder", "submit", "--home", home, study_id, "--dev", *gw)["in_audit_log"]
        run_json("requester", "close", study_id, *gw)

        answering = _in_thread("committee", "decrypt-share", "--home", members[1], "--study", study_id,
                               "--wait", 120, *gw)
        released = run_json("requester", "open", study_id, "--home", members[0], "--wait", 120, *gw)
        assert _joined(*answering) == {"ok": True}
    assert released["verifiable"] and released["active"] == [1, 2]
    rows = [dict(zip(PATIENT_SCHEMA.names, r)) for t in tables.values() for r in t.tolist()]
    truth = to_json(moments.truth(spec.question, PATIENT_SCHEMA, rows))
    assert {k: released["statistics"][k] for k in truth} == truth
    verified = run("gateway", *gw, "verify-study", study_id, "--dev")
    assert verified.stdout.splitlines()[0] == "VERIFIED"


def test_wrong_share_publishes_nothing_and_names_the_member(gateway, holders, tmp_path):
    gw = ("--gateway", gateway.address)
    homes, _ = holders
    members, roster = _committee(gateway, tmp_path)
    study_id = _open_study(gateway, tmp_path, roster, tmp_path / "study.zkey")["study_id"]
    submits = [_in_thread("holder", "submit", "--home", h, study_id, "--dev", "--wait", 240, *gw) for h in homes]
    with GatewayClient(gateway.address) as client:
        _wait_for_commits(client, study_id, 3)
        run("requester", "close-commit-phase", study_id, *gw)
        for submit in submits:
            assert _joined(*submit) == {"ok": True}
        run("requester", "close", study_id, *gw)

        # the opener asks and gives its own share; member 2's has not come: nothing yet, the request stands
        first = run("requester", "open", study_id, "--home", members[0], "--wait", 0, *gw, ok=False)
        assert first.exit_code == 1 and "1 of the 2 decryption shares" in first.output

        relay, spec = CommitteeRelay(client), StudySpec.from_bytes(client.get_study(study_id).spec)
        liar = MemberHome(members[1]).load()
        [req_msg] = relay.get(liar.cid, "decryption-request")
        from zkgate.he.committee import DecryptionRequest, Message

        request = DecryptionRequest.from_message(Message.from_bytes(req_msg))
        contributions = relay.contributions(study_id, liar._sign("fetch", [spec.study_id_bytes]))
        post_wrong_share(liar, relay, spec, liar.public_context, contributions, req_msg, request)

        refused = run("requester", "open", study_id, "--home", members[0], "--wait", 10, *gw, ok=False)
        assert refused.exit_code == 1, refused.output
        assert "member 2 posted a wrong decryption share" in refused.output
        assert "nothing was published" in refused.output
        with pytest.raises(GatewayCallError):
            client.release(study_id)
