"""Synthetic patient tables (zkgate.study.patients): seeded, in range, with the dependencies the
docstring promises, and exported as CSV files that load back unchanged."""

from __future__ import annotations

import csv
import os
import stat

import numpy as np
import pytest

from zkgate.study.dataset import Dataset
from zkgate.study.errors import StudyError
from zkgate.study.patients import PATIENT_SCHEMA, export_tables, patient_table, table_csv


def col(t, name):
    return t[:, PATIENT_SCHEMA.index(name)]


def test_seeded_and_in_range():
    a = patient_table(np.random.default_rng(7), 500)
    b = patient_table(np.random.default_rng(7), 500)
    c = patient_table(np.random.default_rng(8), 500)
    assert a.shape == (500, len(PATIENT_SCHEMA.columns)) and a.dtype == np.int64
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    Dataset.from_array(PATIENT_SCHEMA, a)  # refuses any value outside its declared range
    assert set(col(a, "diagnosis").tolist()) == {1, 2, 3, 4}
    assert patient_table(np.random.default_rng(1), 0).shape == (0, len(PATIENT_SCHEMA.columns))


def test_realistic_dependencies():
    t = patient_table(np.random.default_rng(19), 6000)
    age, bmi, chol, sbp = (col(t, n).astype(float) for n in ("age", "bmi", "cholesterol", "sbp"))
    assert np.corrcoef(age, chol)[0, 1] > 0.3
    assert np.corrcoef(bmi, chol)[0, 1] > 0.2
    assert np.corrcoef(age, sbp)[0, 1] > 0.4
    # cholesterol depends on age and bmi: both OLS slopes clearly positive
    x = np.column_stack([np.ones_like(age), age, bmi])
    beta, *_ = np.linalg.lstsq(x, chol, rcond=None)
    assert beta[1] > 0.5 and beta[2] > 1.0
    died, fu = col(t, "died"), col(t, "followup_days")
    young, old = age < 45, age >= 70
    assert died[old].mean() > 2 * died[young].mean()  # hazard rises with age
    assert fu[old].mean() < fu[young].mean()
    # follow-up is censored, not only ended by death: some survivors were followed for years, and
    # deaths happen at all follow-up lengths (not all on one day)
    assert (died == 0).sum() > 100 and fu[died == 0].max() > 3 * 365
    assert np.unique(fu[died == 1]).size > 100
    # diabetes (2) comes with a higher BMI
    assert bmi[col(t, "diagnosis") == 2].mean() > bmi[col(t, "diagnosis") != 2].mean() + 1


def test_export_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    tables = {"hospital-a": patient_table(rng, 40), "hospital-b": patient_table(rng, 0)}
    paths = export_tables(tmp_path / "out", PATIENT_SCHEMA, tables)
    assert [p.name for p in paths] == ["hospital-a.csv", "hospital-b.csv"]
    for table, path in zip(tables.values(), paths):
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == list(PATIENT_SCHEMA.names)
        assert [[int(v) for v in r] for r in rows[1:]] == table.tolist()
        loaded = Dataset.from_csv(PATIENT_SCHEMA, path)
        assert np.array_equal(loaded.stored, Dataset.from_array(PATIENT_SCHEMA, table).stored)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert path.read_bytes() == table_csv(PATIENT_SCHEMA, table)


def test_export_refuses_a_name_that_is_not_a_file_name(tmp_path):
    with pytest.raises(StudyError, match="cannot name a file"):
        export_tables(tmp_path, PATIENT_SCHEMA, {"../evil": patient_table(np.random.default_rng(1), 1)})
    (tmp_path / "file").write_text("x")
    with pytest.raises(StudyError, match="cannot create the export folder"):
        export_tables(tmp_path / "file" / "sub", PATIENT_SCHEMA, {})
