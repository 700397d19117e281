"""A study asked in SQL through a real gateway: `zkgate requester create-study --sql` compiles the
question against the participants' schema, the spec carries it compiled over gRPC, holders answer
it (after recompiling its SQL text), the key holder releases per GROUP BY cell, verify-study agrees,
and a spec whose compiled question differs from its SQL text is refused by holders and verifiers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from testsupport import dev_gateway
from testsupport import run_cli as run
from testsupport import run_cli_json as run_json
from zkgate.study.patients import PATIENT_SCHEMA, export_tables, patient_table
from zkgate.study.question import Between, Question
from zkgate.study.spec import StudySpec
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json

pytestmark = pytest.mark.slow  # proves chunks for two holders: native backend only

HOSPITALS = ("hospital-a", "hospital-b")
SQL = ("SELECT sex, COUNT(*) AS n, AVG(cholesterol) AS chol, CORR(age, sbp) AS r, HISTOGRAM(bmi, 15, 25, 30, 51) AS h "
       "FROM patients WHERE age BETWEEN 30 AND 85 AND diagnosis IN (1, 3, 4) GROUP BY sex")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


def test_sql_study_through_the_gateway(gateway, tmp_path):
    gw = ("--gateway", gateway.address)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": c.name, "min": c.lo, "max": c.hi} for c in PATIENT_SCHEMA.columns]}))
    kh = tmp_path / "keyholder"
    run_json("keyholder", "init", "--home", kh)
    rng = np.random.default_rng(11)
    tables = {name: patient_table(rng, 10) for name in HOSPITALS}
    files = export_tables(tmp_path / "data", PATIENT_SCHEMA, tables)  # the holders' CSV files
    homes = []
    for name, data in zip(HOSPITALS, files):
        home = tmp_path / name
        run("holder", "init", "--home", home, "--org", name)
        run_json("holder", "register-dataset", "--home", home, data, "--schema", schema, "--chunk", 16, *gw)
        homes.append(home)

    # refused SQL: named, nothing opened
    bad = run("requester", "create-study", "--sql", "SELECT COUNT(*) AS n FROM patients ORDER BY n",
              *(a for h in HOSPITALS for a in ("--participant", h)), "--key-holder", kh / "keyholder.card",
              "--dev-circuit-key", tmp_path / "bad.zkey", *gw, ok=False)
    assert bad.exit_code != 0 and "ORDER BY" in bad.output and not (tmp_path / "bad.zkey").exists()

    zkey = tmp_path / "study.zkey"
    opened = run_json("requester", "create-study", "--sql", SQL, *(a for h in HOSPITALS for a in ("--participant", h)),
                      "--key-holder", kh / "keyholder.card", "--dev-circuit-key", zkey, *gw)
    study_id = opened["study_id"]
    from zkgate.services.client.gateway_client import GatewayClient

    with GatewayClient(gateway.address) as client:
        spec = StudySpec.from_bytes(client.get_study(study_id).spec)
    assert spec.question.sql == SQL and spec.question.group_by == ("sex",)  # travelled compiled
    assert spec.question.predicate.terms[0] == Between("age", 30, 85)

    for home in homes:
        run_json("holder", "submit", "--home", home, study_id, "--circuit-key", zkey, "--dev", *gw)
    run_json("requester", "close", study_id, *gw)
    released = run_json("keyholder", "release", "--home", kh, study_id, *gw)
    rows = [dict(zip(PATIENT_SCHEMA.names, r)) for t in tables.values() for r in t.tolist()]
    truth = to_json(moments.truth(spec.question, PATIENT_SCHEMA, rows))
    assert {k: released["statistics"][k] for k in truth} == truth
    assert set(truth["n"]) == {"0", "1"} and sum(truth["n"].values()) > 0
    verified = run("gateway", *gw, "verify-study", study_id, "--dev")
    assert verified.stdout.splitlines()[0] == "VERIFIED"


def test_forged_question_is_refused_by_the_verifier(gateway, tmp_path):
    """A spec whose compiled question is not what its SQL text says (the study id covers both, so only
    the requester could have made it): verify-study's check fails naming the difference, the gateway
    refuses to open it, parties fetching it refuse it."""
    from zkgate.he import KeyHolder
    from zkgate.study.catalog import Registration
    from zkgate.study.commitment import DatasetCommitment
    from zkgate.study.dataset import Dataset
    from zkgate.study.identity import SigningKey
    from zkgate.study.requester import open_study
    from zkgate.study.sql import compile_sql
    from zkgate.study.verification import PublicRecord, verify_record

    q = compile_sql("SELECT COUNT(*) AS n FROM patients WHERE age BETWEEN 40 AND 65", PATIENT_SCHEMA)
    forged = Question(Between("age", 18, 90), q.group_by, q.aggregates, q.sql)
    com = DatasetCommitment(Dataset.from_array(PATIENT_SCHEMA, patient_table(np.random.default_rng(1), 2)), 2)
    key = SigningKey.generate()
    reg = Registration.create("hospital-a", com, key)
    kh = KeyHolder.create("bfv-4096")
    checks, specs = {}, {}
    for name, question in (("honest", q), ("forged", forged)):
        spec, ckeys = open_study(title=name, registrations=[reg], question=question, quorum=1,
                                 deadline=2_000_000_000, public_context=kh.public_context(),
                                 gateway_key=SigningKey.generate().public, key_holder_key=key.public, keys="dev",
                                 dev_mode=True)
        rep = verify_record(PublicRecord(spec, ckeys.public(), (), None, None), dev_mode=True)
        checks[name] = {c[0]: (c[1], c[2]) for c in rep.checks}
        specs[name] = spec
    assert checks["honest"]["SQL text compiles to the study's question"] == (True, "")
    ok, detail = checks["forged"]["SQL text compiles to the study's question"]
    assert not ok and "age BETWEEN 18 AND 90 vs age BETWEEN 40 AND 65" in detail

    # a holder (or key holder) fetching the forged spec refuses it before anything else
    from types import SimpleNamespace

    from zkgate.services.parties.roles import RoleError, fetch_spec

    class Client:
        def __init__(self, spec):
            self.spec = spec

        def get_study(self, study_id):
            return SimpleNamespace(spec=self.spec.to_bytes())

    # the gateway refuses to open it: INVALID_ARGUMENT naming the difference
    import grpc

    from zkgate.prover.formats.zkey import write_zkey
    from zkgate.services.client.gateway_client import GatewayCallError, GatewayClient

    zkey = tmp_path / "forged.zkey"
    write_zkey(zkey, ckeys.pk)
    with GatewayClient(gateway.address) as client, pytest.raises(GatewayCallError) as refused:
        client.create_study(specs["forged"].to_bytes(), ckeys.public().to_bytes(), kh.public_context().to_bytes(),
                            zkey.read_bytes())
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "age BETWEEN 18 AND 90 vs age BETWEEN 40 AND 65" in refused.value.details

    honest = specs["honest"]
    assert fetch_spec(Client(honest), honest.study_id_bytes.hex())[1] == honest
    bad = specs["forged"]
    with pytest.raises(RoleError, match="is refused: the compiled question does not match its SQL text"):
        fetch_spec(Client(bad), bad.study_id_bytes.hex())
