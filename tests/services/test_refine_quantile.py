"""`zkgate requester refine-quantile` through a real gateway (issue 20): a MEDIAN study over two holders'
records, released and verified; the follow-up study (same participants, data sets pinned, quorum = all,
the parent's filter AND the released window, PERCENTILE_REFINE with the parent's counts) is answered,
released and verified, and its interval is narrower and still holds numpy's median — exact once the
bins are one unit wide.  A holder whose policy forbids narrow quantile bins refuses the follow-up."""

from __future__ import annotations

import json

import numpy as np
import pytest

from testsupport import dev_gateway
from testsupport import run_cli as run
from testsupport import run_cli_json as run_json
from zkgate.study.patients import PATIENT_SCHEMA, export_tables, patient_table

pytestmark = pytest.mark.slow  # proves chunks for two holders, twice: native backend only

HOSPITALS = ("hospital-a", "hospital-b")
SQL = "SELECT MEDIAN(followup_days) AS m FROM patients WHERE age BETWEEN 30 AND 90"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


def _answer(study_id, zkey, homes, kh, gw):
    for home in homes:
        run_json("holder", "submit", "--home", home, study_id, "--circuit-key", zkey, "--dev", *gw)
    run_json("requester", "close", study_id, *gw)
    released = run_json("keyholder", "release", "--home", kh, study_id, *gw)
    verified = run("gateway", *gw, "verify-study", study_id, "--dev")
    assert verified.stdout.splitlines()[0] == "VERIFIED", verified.stdout
    report = run_json("gateway", *gw, "verify-study", study_id, "--dev")
    return released["statistics"]["m"], json.dumps(report)


def test_refinement_chain_through_the_gateway(gateway, tmp_path):
    gw = ("--gateway", gateway.address)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": c.name, "min": c.lo, "max": c.hi} for c in PATIENT_SCHEMA.columns]}))
    kh = tmp_path / "keyholder"
    run_json("keyholder", "init", "--home", kh)
    rng = np.random.default_rng(5)
    tables = {name: patient_table(rng, 12) for name in HOSPITALS}
    files = export_tables(tmp_path / "data", PATIENT_SCHEMA, tables)
    homes = []
    for name, data in zip(HOSPITALS, files):
        home = tmp_path / name
        run("holder", "init", "--home", home, "--org", name)
        run_json("holder", "register-dataset", "--home", home, data, "--schema", schema, "--chunk", 16, *gw)
        homes.append(home)
    rows = [dict(zip(PATIENT_SCHEMA.names, map(int, r))) for t in tables.values() for r in t.tolist()]
    true = float(np.median([r["followup_days"] for r in rows if 30 <= r["age"] <= 90]))

    zkey = tmp_path / "parent.zkey"
    parent = run_json("requester", "create-study", "--sql", SQL, *(a for h in HOSPITALS for a in ("--participant", h)),
                      "--key-holder", kh / "keyholder.card", "--dev-circuit-key", zkey, *gw)["study_id"]
    first, _ = _answer(parent, zkey, homes, kh, gw)
    assert first["low"] <= true <= first["high"] and first["high"] - first["low"] + 1 >= 64

    # a holder refusing quantile bins narrower than 8 days refuses the follow-up, naming the rule
    strict = homes[1] / "policy.json"
    strict.write_text(json.dumps({"min_quantile_bin_width": 8}))
    zkey2 = tmp_path / "follow.zkey"
    opened = run_json("requester", "refine-quantile", parent, "m", "--key-holder", kh / "keyholder.card",
                      "--dev-circuit-key", zkey2, *gw)
    assert opened["quorum"] == 2 and "PERCENTILE_REFINE(followup_days" in opened["sql"]
    refused = run("holder", "submit", "--home", homes[1], opened["study_id"], "--circuit-key", zkey2, "--dev", *gw,
                  ok=False)
    assert refused.exit_code != 0 and "min_quantile_bin_width" in refused.output
    strict.unlink()

    second, report = _answer(opened["study_id"], zkey2, homes, kh, gw)
    assert "refinement counts the parent's records" in report
    assert first["low"] <= second["low"] <= true <= second["high"] <= first["high"]
    assert second["high"] - second["low"] < first["high"] - first["low"]
    if "value" in second:
        assert second["value"] == pytest.approx(true)
