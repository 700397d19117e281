"""Synthetic patient tables for simulations, demos and benchmarks (seeded, realistic dependencies).

Nothing here is real data.  :func:`patient_table` draws ``n`` records of :data:`PATIENT_SCHEMA`
from a small generative model, so that joint statistics over several hospitals have something to
find:

=================  ============  ==========================================================================
column             range         model
=================  ============  ==========================================================================
``age``            18..90        years; normal(56, 15), clipped
``sex``            0..1          1 = female (probability 1/2)
``diagnosis``      1..4          :data:`DIAGNOSES`; multinomial logit rising with age (hypertension,
                                 coronary disease) and with male sex (coronary disease)
``bmi``            15..50        kg/m²; 25.5 + 0.04·(age−56) + 2.5 if type 2 diabetes, sd 4.5
``sbp``            80..220       mmHg; 100 + 0.55·age + 0.9·(bmi−25) + 10 if hypertension, sd 12
``cholesterol``    100..400      mg/dL; 140 + 0.9·age + 2.2·(bmi−25) − 6·female + 15 if coronary, sd 28
``followup_days``  1..3650       days from inclusion to death or censoring (end of study at a uniform
                                 1..3650 days)
``died``           0..1          1 if the death came first; hazard 1.6e-4/day × exp(0.065·(age−56) +
                                 0.012·(sbp−130) + 0.5 if coronary), rising with age
=================  ============  ==========================================================================

Values are integers in their declared ranges (the study layer's data sets are integer tables).
:func:`export_tables` writes each hospital's table as a CSV with a header row, readable by
:meth:`zkgate.study.dataset.Dataset.from_csv` and by any other tool, so that the ground truth of a
simulated study can be recomputed independently.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from zkgate.fileio import atomic_write
from zkgate.study.dataset import Schema
from zkgate.study.errors import StudyError

PATIENT_SCHEMA = Schema.of(
    ("age", 18, 90),
    ("sex", 0, 1),
    ("diagnosis", 1, 4),
    ("bmi", 15, 50),
    ("sbp", 80, 220),
    ("cholesterol", 100, 400),
    ("followup_days", 1, 3650),
    ("died", 0, 1),
)

#: The diagnosis codes (a categorical column: GROUP BY diagnosis gives 4 cells).
DIAGNOSES = {1: "hypertension", 2: "type 2 diabetes", 3: "coronary heart disease", 4: "other"}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def patient_table(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` synthetic patients as an ``(n, 8)`` int64 array in :data:`PATIENT_SCHEMA`'s column order
    (declared units).  Deterministic for a given generator state."""
    if n < 0:
        raise ValueError("n must be non-negative")
    age = np.clip(np.round(rng.normal(56.0, 15.0, n)), 18, 90)
    sex = rng.integers(0, 2, n)
    a = (age - 56.0) / 10.0
    male = 1 - sex
    logits = np.stack([0.2 + 0.45 * a, -0.3 + 0.2 * a, -0.9 + 0.6 * a + 0.7 * male, np.zeros(n)], axis=1)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dx = 1 + (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
    dx = np.minimum(dx, 4)
    bmi = np.clip(np.round(rng.normal(25.5 + 0.04 * (age - 56) + 2.5 * (dx == 2), 4.5)), 15, 50)
    sbp = np.clip(np.round(rng.normal(100 + 0.55 * age + 0.9 * (bmi - 25) + 10 * (dx == 1), 12.0)), 80, 220)
    chol = np.clip(np.round(rng.normal(140 + 0.9 * age + 2.2 * (bmi - 25) - 6 * sex + 15 * (dx == 3), 28.0)),
                   100, 400)
    hazard = 1.6e-4 * np.exp(0.065 * (age - 56) + 0.012 * (sbp - 130) + 0.5 * (dx == 3))
    death = rng.exponential(1.0, n) / hazard
    censor = rng.integers(1, 3651, n)
    died = (death <= censor).astype(np.int64)
    followup = np.clip(np.where(died == 1, np.ceil(death), censor), 1, 3650)
    cols = [age, sex, dx, bmi, sbp, chol, followup, died]
    return np.stack([np.asarray(c).astype(np.int64) for c in cols], axis=1)


def table_csv(schema: Schema, table: np.ndarray) -> bytes:
    """A table (declared units) as CSV text: a header row with the column names, then one row per record."""
    table = np.asarray(table, dtype=np.int64).reshape(-1, len(schema.columns))
    out = io.StringIO()
    out.write(",".join(schema.names) + "\n")
    for row in table.tolist():
        out.write(",".join(str(v) for v in row) + "\n")
    return out.getvalue().encode()


def export_tables(directory: str | Path, schema: Schema, tables: dict[str, np.ndarray]) -> list[Path]:
    """Write each holder's table as ``DIRECTORY/<holder>.csv`` (header row; atomic writes, mode 0600 like
    any data set a holder keeps).  ``directory`` is created if missing.  Returns the paths written."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StudyError(f"cannot create the export folder {str(directory)!r}: {exc.strerror or exc}") from None
    written = []
    for name, table in tables.items():
        if not _NAME.match(name):
            raise StudyError(f"holder name {name!r} cannot name a file; use letters, digits, '_', '.', '-'")
        path = directory / f"{name}.csv"
        try:
            atomic_write(path, table_csv(schema, table))
        except OSError as exc:
            raise StudyError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
        written.append(path)
    return written


__all__ = ["DIAGNOSES", "PATIENT_SCHEMA", "export_tables", "patient_table", "table_csv"]
