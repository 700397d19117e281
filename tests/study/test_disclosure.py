"""Suppression applied to a study's layout (zkgate.study.disclosure): the key holder withholds the
cells below k with a proof; the verifier checks whole cells, the proof, and that no published cell
is below k; derived results of withheld cells are null."""

from __future__ import annotations

import secrets
from types import SimpleNamespace

import numpy as np

from zkgate.circuits import pedersen as ped
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.study import disclosure
from zkgate.study.dataset import Schema
from zkgate.study.question import Aggregate, Between, Question
from zkgate.study.statistics import moments as mom
from zkgate.study.statistics.numbers import Null

SCHEMA = Schema.of(("age", 0, 120), ("diagnosis", 1, 4), ("temp", -8, 7))
QUESTION = Question(Between("age", 40, 65), ("diagnosis",),
                    (Aggregate("n", "COUNT", ()), Aggregate("t", "AVG", ("temp",))))


def spec_of(k: int):
    """What disclosure reads of a StudySpec (the same functions the spec delegates to)."""
    q, s = QUESTION, SCHEMA
    return SimpleNamespace(question=q, schema=s, min_cell_size=k, study_id=0xABCDEF, n_cells=len(q.cells(s)),
                           moments=lambda: q.moments(s), derive=lambda v: mom.derive(q, s, [int(x) for x in v]),
                           value_names=lambda: mom.coordinate_names(q, s),
                           value_bounds=lambda: [10**6] * (len(q.cells(s)) * sum(m.width for m in q.moments(s))))


def released(k: int):
    rng = np.random.default_rng(3)
    rows = [{"age": int(a), "diagnosis": int(d), "temp": int(t)}
            for a, d, t in zip(rng.integers(40, 66, 40), rng.choice([1, 2, 3], 40, p=[0.6, 0.35, 0.05]),
                               rng.integers(-8, 8, 40))]
    rows.append({"age": 50, "diagnosis": 3, "temp": 1})  # diagnosis 3 is rare, 4 is empty
    spec = spec_of(k)
    values = _coordinates(rows)
    rho = secrets.randbelow(L)
    total = ped.commit(values, rho)
    return spec, values, rho, total


def _coordinates(rows):
    q, s = QUESTION, SCHEMA
    cells = q.cells(s)
    width = sum(m.width for m in q.moments(s))
    out = [0] * (len(cells) * width)
    for r in rows:
        base = cells.index((r["diagnosis"],)) * width
        out[base] += 1
        out[base + 1] += s.column("temp").store(r["temp"])
    return out


def test_no_cell_below_k_withholds_nothing():
    spec, values, rho, total = released(0)
    assert disclosure.withhold(spec, values, rho, total) is None


def test_withheld_cells_verify_and_derive_to_null():
    spec, values, rho, total = released(5)
    counts = values[0::2]
    w = disclosure.withhold(spec, values, rho, total)
    assert w is not None and w.cells == tuple(c for c, n in enumerate(counts) if n < 5)
    assert 3 in w.cells  # diagnosis 4: empty
    checks = disclosure.check_withholding(spec, w.withheld, w.published, w.proof, total)
    assert all(ok for _, ok, _ in checks), checks
    derived = disclosure.derive_published(spec, w.withheld, w.published)
    labels = [QUESTION.cell_label(k) for k in QUESTION.cells(SCHEMA)]
    for c, label in enumerate(labels):
        if c in w.cells:
            assert isinstance(derived["n"][label], Null) and "k = 5" in derived["n"][label].reason
        else:
            assert derived["n"][label] == mom.derive(QUESTION, SCHEMA, values)["n"][label]
    assert disclosure.published_names(spec, w.withheld)[0] == spec.value_names()[0]
    assert len(disclosure.published_bounds(spec, w.withheld)) == len(w.published)


def test_verifier_rejects_a_wrong_published_value_partial_cells_and_small_published_cells():
    spec, values, rho, total = released(5)
    w = disclosure.withhold(spec, values, rho, total)
    forged = list(w.published)
    forged[1] += 1
    checks = dict((n, ok) for n, ok, _ in disclosure.check_withholding(spec, w.withheld, forged, w.proof, total))
    assert checks["suppression proof"] is False
    partial = w.withheld[1:]
    checks = dict((n, ok) for n, ok, _ in disclosure.check_withholding(spec, partial, w.published, w.proof, total))
    assert checks["withheld coordinates are whole cells"] is False
    # a key holder that withholds only the empty cell publishes a cell below k: flagged
    spec3 = spec_of(5)
    w_empty = disclosure.withhold(spec_of(1), values, rho, total)
    assert w_empty.cells == (3,)
    checks = dict((n, ok) for n, ok, _ in disclosure.check_withholding(spec3, w_empty.withheld, w_empty.published,
                                                                         w_empty.proof, total))
    assert checks["suppression proof"] is True and checks["published cells meet the minimum cell size"] is False
