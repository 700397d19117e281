"""Two different questions through a real gateway with ONE universal circuit key (issue 21):
`zkgate schema circuit` prints the key's parameters, `requester create-study --universal KEY.json`
opens the first study with a new development key of that circuit and the second with the same key
file (no new key, no ceremony), holders prove both with it, the key holder releases the second and
verify-study agrees; a question beyond the key's maxima is refused naming the limit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from testsupport import dev_gateway
from testsupport import run_cli as run
from testsupport import run_cli_json as run_json
from zkgate.study.patients import PATIENT_SCHEMA, export_tables, patient_table
from zkgate.study.spec import StudySpec
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json

pytestmark = pytest.mark.slow  # proves chunks for two holders: native backend only

HOSPITALS = ("hospital-a", "hospital-b")
FIRST = "SELECT COUNT(*) AS n, AVG(cholesterol) AS chol FROM patients WHERE age BETWEEN 40 AND 80"
SECOND = ("SELECT diagnosis, COUNT(*) AS n, CORR(age, sbp) AS r FROM patients WHERE sex = 1 AND bmi >= 18 "
          "GROUP BY diagnosis")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


def test_two_questions_one_universal_key(gateway, tmp_path):
    gw = ("--gateway", gateway.address)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": c.name, "min": c.lo, "max": c.hi} for c in PATIENT_SCHEMA.columns]}))
    printed = run("schema", "circuit", "--schema", schema, "--capacity", 8, "--max-terms", 10, "--max-cells", 4,
                  "--max-moments", 6, "--max-bins", 1, "--max-surv-bins", 1, "--max-coordinates", 24,
                  "--out", tmp_path / "universal.r1cs").stdout
    key_json = tmp_path / "universal.json"
    key_json.write_text(printed)
    kh = tmp_path / "keyholder"
    run_json("keyholder", "init", "--home", kh)
    rng = np.random.default_rng(5)
    tables = {name: patient_table(rng, 10) for name in HOSPITALS}
    files = export_tables(tmp_path / "data", PATIENT_SCHEMA, tables)
    homes = []
    for name, data in zip(HOSPITALS, files):
        home = tmp_path / name
        run("holder", "init", "--home", home, "--org", name)
        run_json("holder", "register-dataset", "--home", home, data, "--schema", schema, "--chunk", 8, *gw)
        homes.append(home)
    parts = [a for h in HOSPITALS for a in ("--participant", h)]
    card = ("--key-holder", kh / "keyholder.card")

    too_big = run("requester", "create-study", "--sql", "SELECT sex, diagnosis, COUNT(*) AS n FROM patients "
                  "GROUP BY sex, diagnosis", *parts, *card, "--universal", key_json, "--dev-circuit-key",
                  tmp_path / "x.zkey", *gw, ok=False)
    assert too_big.exit_code != 0 and "--max-cells" in too_big.output

    zkey = tmp_path / "universal.zkey"
    first = run_json("requester", "create-study", "--sql", FIRST, *parts, *card, "--universal", key_json,
                     "--dev-circuit-key", zkey, *gw)
    second = run_json("requester", "create-study", "--sql", SECOND, *parts, *card, "--universal", key_json,
                      "--circuit-key", zkey, *gw)  # the same key: no new ceremony
    from zkgate.services.client.gateway_client import GatewayClient

    with GatewayClient(gateway.address) as client:
        specs = [StudySpec.from_bytes(client.get_study(s["study_id"]).spec) for s in (first, second)]
    assert all(s.universal is not None for s in specs) and specs[0].vk_hash == specs[1].vk_hash
    for opened in (first, second):
        for home in homes:
            run_json("holder", "submit", "--home", home, opened["study_id"], "--circuit-key", zkey, "--dev", *gw)
    study_id = second["study_id"]
    run_json("requester", "close", study_id, *gw)
    released = run_json("keyholder", "release", "--home", kh, study_id, *gw)
    rows = [dict(zip(PATIENT_SCHEMA.names, r)) for t in tables.values() for r in t.tolist()]
    truth = to_json(moments.truth(specs[1].question, PATIENT_SCHEMA, rows))
    assert {k: released["statistics"][k] for k in truth} == truth
    verified = run("gateway", *gw, "verify-study", study_id, "--dev")
    assert verified.stdout.splitlines()[0] == "VERIFIED"
