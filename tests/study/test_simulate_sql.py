"""`zkgate study simulate --sql ... --export-data DIR --json`: a GROUP BY question with a correlation,
a regression and a histogram runs through a real study; the last line holds verified, results and
truth keyed by alias; the exported CSV files give the same answers to numpy; refused SQL costs nothing."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from zkgate.cli import cli
from zkgate.study.patients import PATIENT_SCHEMA
from zkgate.study.simulate import max_relative_error

SQL = ("SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS chol, VAR_SAMP(sbp) AS v, CORR(age, cholesterol) AS r, "
       "OLS(cholesterol, age, bmi) AS fit, HISTOGRAM(sbp, 80, 130, 221) AS h FROM patients "
       "WHERE age BETWEEN 30 AND 80 AND (sex = 1 OR diagnosis IN (2, 3)) AND NOT bmi > 45 GROUP BY diagnosis")


def _run(*args):
    res = CliRunner().invoke(cli, ["study", "simulate", "--holders", "2", "--records", "24", "--chunk", "16",
                                   "--seed", "5", *args])
    return res


@pytest.mark.slow  # a real study (proofs, BFV): minutes on the pure-Python twins
def test_simulate_sql_json_and_export(tmp_path):
    res = _run("--sql", SQL, "--export-data", str(tmp_path / "data"), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out["verified"] is True and out["status"] == "verified"
    assert out["results"] == out["truth"] and out["sql"] == SQL
    assert set(out["results"]) == {"n", "chol", "v", "r", "fit", "h"}
    assert set(out["results"]["n"]) == {"1", "2", "3", "4"}  # group value → result
    fit = out["results"]["fit"]["4"]
    assert set(fit) == {"coef", "se", "r2", "n"} and len(fit["coef"]) == 3
    assert all(len(h) == 2 for h in out["results"]["h"].values())

    # the exported tables answer the same question independently (numpy on the pooled rows)
    files = sorted((tmp_path / "data").glob("*.csv"))
    assert [f.name for f in files] == ["hospital-a.csv", "hospital-b.csv"] and out["exported"]
    rows = []
    for f in files:
        with open(f, newline="") as fh:
            reader = csv.reader(fh)
            assert next(reader) == list(PATIENT_SCHEMA.names)
            rows += [[int(v) for v in r] for r in reader]
    t = np.array(rows)
    c = {name: t[:, i] for i, name in enumerate(PATIENT_SCHEMA.names)}
    keep = ((c["age"] >= 30) & (c["age"] <= 80) & ((c["sex"] == 1) | np.isin(c["diagnosis"], [2, 3]))
            & ~(c["bmi"] > 45))
    for dx in range(1, 5):
        sel = keep & (c["diagnosis"] == dx)
        n = int(sel.sum())
        assert out["results"]["n"][str(dx)] == n
        if n >= 3:
            assert out["results"]["chol"][str(dx)] == pytest.approx(c["cholesterol"][sel].mean(), rel=1e-12)
            assert out["results"]["v"][str(dx)] == pytest.approx(c["sbp"][sel].var(ddof=1), rel=1e-9)
            assert out["results"]["r"][str(dx)] == pytest.approx(
                np.corrcoef(c["age"][sel], c["cholesterol"][sel])[0, 1], rel=1e-9)
            x = np.column_stack([np.ones(n), c["age"][sel], c["bmi"][sel]])
            beta = np.linalg.lstsq(x, c["cholesterol"][sel], rcond=None)[0]
            assert out["results"]["fit"][str(dx)]["coef"] == pytest.approx(beta.tolist(), rel=1e-6, abs=1e-9)
        sbp = c["sbp"][sel]
        assert out["results"]["h"][str(dx)] == [int(((sbp >= 80) & (sbp < 130)).sum()), int((sbp >= 130).sum())]


@pytest.mark.parametrize("sql,needle", [
    ("SELECT COUNT(*) AS n FROM patients WHERE bmi IS NULL", "no NULLs"),
    ("SELECT MAX(age) AS m FROM patients", "MAX"),
    ("SELECT COUNT(*) AS n FROM patients WHERE weight > 3", "unknown column 'weight'"),
    ("SELECT COUNT(*) AS n FROM patients WHERE age > 200", "outside its declared range"),
])
def test_simulate_refuses_sql_before_running(tmp_path, sql, needle):
    res = _run("--sql", sql, "--export-data", str(tmp_path / "data"))
    assert res.exit_code == 2 and needle in res.output and "--sql" in res.output
    assert not (tmp_path / "data").exists()  # nothing ran


def test_max_relative_error_walks_groups_and_fits():
    truth = {"n": {"1": 3, "2": 0}, "fit": {"1": {"coef": [1.0, 2.0], "se": [None, 0.5], "r2": 0.5, "n": 3}},
             "h": [1, 2]}
    assert max_relative_error(truth, truth) == 0.0
    off = json.loads(json.dumps(truth))
    off["fit"]["1"]["coef"][1] = 2.2
    assert max_relative_error(off, truth) == pytest.approx(0.1)
    off["n"] = {"1": 3}
    assert max_relative_error(off, truth) == float("inf")
    assert max_relative_error(None, truth) is None
