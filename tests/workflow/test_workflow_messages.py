"""Issue #17, part 1: what a hospital's IT person reads when something is wrong, and the
refusals that keep a study from getting stuck (no proving here: every test runs in seconds)."""

from __future__ import annotations

import io
import json
import socket
import time

import numpy as np
import pytest
from click.testing import CliRunner

from zkgate.bn254 import G1_GENERATOR, G2_GENERATOR, g2_mul
from zkgate.cli import cli
from zkgate.prover.groth16.keys import VerifyingKey
from zkgate.study import Dataset, DatasetCommitment, Registration, Schema, SigningKey, Statistic
from zkgate.study.dataset import MAX_REPORTED_PROBLEMS, DatasetValuesError
from zkgate.study.errors import RecordOutOfRangeError, SchemaError, SpecError
from zkgate.study.key_policy import UncontributedKeyError, refuse_uncontributed
from zkgate.study.keys import CircuitKeys
from zkgate.study.spec import Filter, check_registrations, legacy_question, schema_difference

SCHEMA = Schema.of(("age", 0, 120), ("temp", -40, 50), ("flag", 0, 1))


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# -- CSV: every bad value in one run -------------------------------------------------------------
def test_csv_reports_every_bad_row_and_column_up_to_a_cap():
    rows = ["age,temp,flag", "30,0,1", "121,0,1", "30,x,2", "1,2", "40,1_000,1", "50,١٢,1", "60,,1"]
    with pytest.raises(DatasetValuesError) as caught:
        Dataset.from_csv(SCHEMA, io.StringIO("\n".join(rows) + "\n"))
    err = caught.value
    text = str(err)
    assert err.total == 7 and isinstance(err, RecordOutOfRangeError) and isinstance(err, SchemaError)
    for where in ("row 2, column 'age'", "row 3, column 'temp'", "row 3, column 'flag'", "row 4 has 2 fields",
                  "row 5, column 'temp'", "row 6, column 'temp'", "row 7, column 'temp': the value is empty"):
        assert where in text, where
    assert (err.row, err.column) == (2, "age")  # the first problem
    assert "4 in 'temp'" in text.splitlines()[0]


def test_csv_problems_beyond_the_cap_are_counted():
    body = "".join(f"{200 + i},0,1\n" for i in range(MAX_REPORTED_PROBLEMS + 15))
    with pytest.raises(DatasetValuesError) as caught:
        Dataset.from_csv(SCHEMA, io.StringIO("age,temp,flag\n" + body))
    lines = str(caught.value).splitlines()
    assert caught.value.total == MAX_REPORTED_PROBLEMS + 15
    assert len(lines) == 1 + MAX_REPORTED_PROBLEMS + 1 and lines[-1].strip() == "... and 15 more"
    with pytest.raises(DatasetValuesError) as caught:  # the vectorised array path too
        Dataset.from_array(SCHEMA, np.array([[200, 0, 5]] * 30))
    assert caught.value.total == 60 and caught.value.by_column == {"age": 30, "flag": 30}


def test_csv_one_bad_value_keeps_the_one_line_message():
    with pytest.raises(RecordOutOfRangeError) as caught:
        Dataset.from_csv(SCHEMA, io.StringIO("age,temp,flag\n30,0,1\n121,0,1\n"))
    assert str(caught.value) == "row 2, column 'age': 121 is outside the declared range [0, 120]"
    assert Dataset.from_csv(SCHEMA, io.StringIO("age,temp,flag\n 3 ,-40,+1\n")).stored.tolist() == [[3, 0, 1]]


# -- schema mismatch between participants ---------------------------------------------------------
def test_schema_difference_names_the_column_and_the_capacity():
    other = Schema.of(("age", 0, 100), ("temp", -40, 50), ("weight", 0, 300))
    text = schema_difference(SCHEMA, 4, other, 8)
    assert "column 'age' has range [0, 100] instead of [0, 120]" in text
    assert "column 'flag' is missing" in text and "column 'weight' is extra" in text
    assert "chunk capacity 8 instead of 4" in text
    reordered = Schema.of(("temp", -40, 50), ("age", 0, 120), ("flag", 0, 1))
    assert "another order" in schema_difference(SCHEMA, 4, reordered, 4)


def _registration(name: str, schema: Schema, capacity: int, rows) -> Registration:
    data = Dataset.from_rows(schema, rows)
    return Registration.create(name, DatasetCommitment(data, capacity), SigningKey.generate())


def test_study_over_mismatched_registrations_says_which_column_differs():
    from zkgate.study.spec import StudySpec

    first = _registration("hospital-a", SCHEMA, 2, [[30, 0, 1]])
    other = _registration("hospital-b", Schema.of(("age", 0, 90), ("temp", -40, 50), ("flag", 0, 1)), 2, [[30, 0, 1]])
    from zkgate.study.spec import Participant

    zero = b"\x00" * 32
    draft = StudySpec(title="t", schema=first.schema, capacity=first.capacity, question=legacy_question(Filter((), ()), (Statistic("sum", "temp"),)),
                      participants=tuple(Participant.from_registration(r) for r in (first, other)), quorum=2,
                      deadline=int(time.time()) + 60, he_preset="bfv-4096", he_key_id=zero, he_context_digest=zero,
                      vk_hash=zero, transcript_hash=zero, gateway_key=zero, key_holder_key=zero, nonce=b"\x00" * 16)
    with pytest.raises(SpecError) as caught:
        check_registrations(draft, [first, other])
    assert "'hospital-b'" in str(caught.value) and "column 'age' has range [0, 90] instead of [0, 120]" in str(caught.value)


# -- an uncontributed circuit key ----------------------------------------------------------------
def _verifying_key(n_public: int, *, contributed: bool) -> VerifyingKey:
    """A well-formed verifying key; without a contribution delta2 equals gamma2 (as `groth16 setup` leaves it)."""
    gamma2 = g2_mul(G2_GENERATOR, 5)
    delta2 = g2_mul(G2_GENERATOR, 7) if contributed else gamma2
    return VerifyingKey(n_public, G1_GENERATOR, g2_mul(G2_GENERATOR, 3), gamma2, delta2,
                        tuple(G1_GENERATOR for _ in range(n_public + 1)))


def test_uncontributed_key_is_refused_naming_the_reason_and_the_remedy():
    keys = CircuitKeys(_verifying_key(3, contributed=False), b"")
    with pytest.raises(UncontributedKeyError) as caught:
        refuse_uncontributed(keys, "final.zkey")
    text = str(caught.value)
    assert "final.zkey" in text and "gamma2 == delta2" in text and "zkgate zkey contribute" in text
    refuse_uncontributed(CircuitKeys(_verifying_key(3, contributed=True), b""))  # a contributed key passes


# -- a live gateway ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    from testsupport import dev_gateway

    yield from dev_gateway(tmp_path_factory)


@pytest.fixture(scope="module")
def open_study_id(gateway):
    """A study opened on the gateway (one registered participant, quorum 1, nothing submitted)."""
    from zkgate.he import KeyHolder
    from zkgate.services.client.gateway_client import GatewayClient
    from zkgate.study import open_study

    reg = _registration("hospital-a", SCHEMA, 2, [[30, 0, 1], [41, 5, 0]])
    he = KeyHolder.create("bfv-4096")
    with GatewayClient(gateway.address) as client:
        client.register_dataset(reg.to_bytes())
        info = client.gateway_info()
        common = dict(title="open study", registrations=[reg], filter=Filter((), ()),
                      statistics=(Statistic("sum", "temp"), Statistic("histogram", "age", (0, 40, 121))), quorum=1,
                      deadline=int(time.time()) + 3600, public_context=he.public_context(),
                      gateway_key=info.study_signing_key, key_holder_key=SigningKey.generate().public)
        # a key straight from `groth16 setup` is refused by the gateway itself (whatever the client checked)
        from zkgate.study.circuit import compile_contribution

        spec_draft, _ = open_study(**common, keys=CircuitKeys(_verifying_key(3, contributed=True), b""))
        n_public = compile_contribution(spec_draft.shape()).r1cs.n_public
        bad = CircuitKeys(_verifying_key(n_public, contributed=False), b"")
        spec, keys = open_study(**common, keys=bad)
        from zkgate.services.client.gateway_client import GatewayCallError

        with pytest.raises(GatewayCallError) as caught:
            client.create_study(spec.to_bytes(), keys.to_bytes(), he.public_context().to_bytes())
        assert caught.value.code.name == "FAILED_PRECONDITION"
        assert "phase-2 contribution" in caught.value.details and "zkgate zkey contribute" in caught.value.details
        good = CircuitKeys(_verifying_key(n_public, contributed=True), b"")
        spec, keys = open_study(**common, keys=good)
        study = client.create_study(spec.to_bytes(), keys.to_bytes(), he.public_context().to_bytes())
    return study.study_id


def test_verify_study_on_a_study_never_closed_says_it_is_open(gateway, open_study_id):
    result = run("gateway", "verify-study", open_study_id, "--gateway", gateway.address, "--dev")
    assert result.exit_code == 1
    assert result.output.startswith("OPEN, NOT RELEASED YET") and "FAILED" not in result.output
    assert "0 of 1 participant(s) submitted, quorum 1, 1 more needed" in result.output
    # --json: the stage, no detail on passing checks, options before the subcommand work as well
    result = run("gateway", "--gateway", gateway.address, "verify-study", open_study_id, "--dev", "--json")
    report = json.loads(result.output)
    assert report["status"] == "open" and report["stage"] == "open" and report["released"] is None
    assert report["title"] == "open study"
    assert all("detail" not in c for c in report["checks"] if c["ok"])
    assert {"check": "distinct participants", "ok": True} in report["checks"]


def test_report_details_only_where_they_explain_the_outcome():
    from zkgate.study.verification import VerificationReport

    report = VerificationReport()
    report.add("distinct participants", True, "")
    report.add("quorum", False, "1 submissions, quorum 2")
    report.wait("closed", "not released: ...")
    d = report.to_dict()
    assert d["checks"] == [{"check": "distinct participants", "ok": True},
                           {"check": "quorum", "ok": False, "detail": "1 submissions, quorum 2"}]
    assert d["status"] == "failed" and not d["verified"]  # a failed check wins over "not released yet"


def test_released_lines_show_histogram_bins_half_open():
    from zkgate.services.cli.gateway_cli import _released_lines

    lines = _released_lines({"mode": "exact", "verifiable": True,
                             "statistics": {"count": 5, "hist_age": [2, 3]},
                             "histogram_bins": {"age": ["[0, 40)", "[40, 121)"]}})
    assert lines[0] == "released (exact, verifiable):" and "  count: 5" in lines
    assert "    [0, 40): 2" in lines and "    [40, 121): 3" in lines and "[a, b)" in lines[2]


def test_gateway_info_shows_the_log_key(gateway):
    result = run("gateway", "info", "--gateway", gateway.address, "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["log_key"] == gateway.signer.public_key_bytes.hex() and info["dev_mode"] is True
    text = run("gateway", "--gateway", gateway.address, "info").output
    assert info["log_key"] in text and "--log-key" in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_audit_verify_could_not_check_is_not_failed():
    result = run("audit", "verify", "--gateway", f"127.0.0.1:{_free_port()}")
    assert result.exit_code == 2
    assert result.output.startswith("COULD NOT CHECK") and "FAILED" not in result.output
    assert "nothing is listening there" in result.output


def test_audit_verify_ok_against_a_live_gateway(gateway):
    result = run("audit", "verify", "--gateway", gateway.address)
    assert result.exit_code == 0 and result.output.startswith("OK")
