"""Disclosure control through the role commands and a real gateway (issue 19, section 4): a
holder's policy refuses a study by rule name (review and submit), the key holder's own policy
refuses before decrypting, and a study with min_cell_size releases its small cells withheld, with
a proof that verify-study checks."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from testsupport import REPO_ROOT, dev_gateway
from zkgate.cli import cli
from zkgate.study.patients import PATIENT_SCHEMA, patient_table

pytestmark = pytest.mark.slow  # proves chunks: native backend only

HOSPITALS = ("hospital-a", "hospital-b")
SQL = "SELECT sex, COUNT(*) AS n, AVG(cholesterol) AS chol FROM patients WHERE age BETWEEN 18 AND 90 GROUP BY sex"


def run(*args, code=0):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def run_json(*args, code=0):
    return json.loads(run(*args, "--json", code=code).stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


def test_policies_refuse_by_rule_and_small_cells_are_withheld(gateway, tmp_path):
    gw = ("--gateway", gateway.address)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"columns": [{"name": c.name, "min": c.lo, "max": c.hi} for c in PATIENT_SCHEMA.columns]}))
    kh = tmp_path / "keyholder"
    run_json("keyholder", "init", "--home", kh)
    homes = []
    table = patient_table(np.random.default_rng(11), 12)
    table[:, PATIENT_SCHEMA.index("sex")] = [0] * 10 + [1] * 2  # 20 women, 4 men in all: k = 5 withholds the men
    for name in HOSPITALS:
        data = tmp_path / f"{name}.csv"
        with open(data, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(PATIENT_SCHEMA.names)
            writer.writerows(table.tolist())
        home = tmp_path / name
        run("holder", "init", "--home", home, "--org", name)
        run_json("holder", "register-dataset", "--home", home, data, "--schema", schema, "--chunk", 16, *gw)
        homes.append(home)
    request = tmp_path / "study.json"
    request.write_text(json.dumps({"title": "cholesterol by sex", "participants": list(HOSPITALS), "sql": SQL,
                                   "min_cell_size": 5, "deadline_in": "1h"}))
    opened = run_json("requester", "create-study", "--spec", request, "--key-holder", kh / "keyholder.card",
                      "--dev-circuit-key", tmp_path / "study.zkey", *gw)
    study_id = opened["study_id"]
    assert opened["min_cell_size"] == 5

    # hospital-a never discloses cholesterol: review says so (exit 1) and submit refuses, naming the rule
    (homes[0] / "policy.json").write_text('{"forbidden_columns": ["cholesterol"], "min_cell_size": 5}')
    review = run_json("holder", "review", "--home", homes[0], study_id, *gw, code=1)
    assert not review["accepted"] and [v["rule"] for v in review["violations"]] == ["forbidden_columns"]
    assert review["cells"] == ["0", "1"] and review["min_cell_size"] == 5 and "GROUP BY sex" in review["question"]
    refused = run("holder", "submit", "--home", homes[0], study_id, "--dev", *gw, code=1).output
    assert "forbidden_columns" in refused and "nothing was proved" in refused
    assert not (homes[0] / "answered.json").exists()

    (homes[0] / "policy.json").write_text('{"min_cell_size": 5}')
    text = run("holder", "review", "--home", homes[0], study_id, *gw).stdout
    assert "verdict: ACCEPTED" in text and "cells: 2 (0, 1)" in text
    for home in homes:
        run_json("holder", "submit", "--home", home, study_id, "--dev", *gw)
    assert json.loads((homes[0] / "answered.json").read_text())[0]["study_id"] == study_id
    run_json("requester", "close", study_id, *gw)

    # the key holder's own policy asks k >= 10: refused before decrypting
    (kh / "policy.json").write_text('{"min_cell_size": 10}')
    refused = run("keyholder", "release", "--home", kh, study_id, *gw, code=1).output
    assert "min_cell_size" in refused and "nothing was decrypted" in refused
    (kh / "policy.json").write_text('{"min_cell_size": 5}')
    released = run_json("keyholder", "release", "--home", kh, study_id, *gw)
    assert released["withheld_coordinates"] and released["statistics"]["n"] == {"0": 20, "1": None}

    verified = run_json("gateway", *gw, "verify-study", study_id, "--dev")
    assert verified["verified"], verified["failures"]
    checks = {c["check"]: c["ok"] for c in verified["checks"]}
    assert checks["suppression proof"] and checks["published cells meet the minimum cell size"]
    assert verified["released"]["withheld_cells"] == ["1"]

    # the Node auditor (no zkgate code) parses the version-3/4 release and checks the proof
    auditor = REPO_ROOT / "examples" / "node-auditor"
    if shutil.which("node") is None or not (auditor / "node_modules" / "circomlibjs").is_dir():
        return  # tests/interop/test_node_auditor.py installs it where node and npm exist
    proc = subprocess.run(["node", str(auditor / "audit.js"), "--gateway", gateway.address, "--study", study_id, "--dev",
                           "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    names = [c.get("check", c.get("name", "")) for c in report["checks"]]
    assert any(n.startswith("suppression proof") for n in names), names
