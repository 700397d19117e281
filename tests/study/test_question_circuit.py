"""The contribution circuit of compiled questions: every predicate node, GROUP BY (one and two
columns, a categorical column whose first category is not 0), each moment kind.

Completeness: the circuit's committed coordinates equal the numpy twin (``moments.chunk_values``)
and, derived, the plain truth over the real records (padding excluded, also under ``NOT``).
Soundness: a commitment to the same records' coordinates with one coordinate shifted by ±1 fails
the constraint check for every kind; a prover whose hints put a record in another cell, or flip a
comparison, fails too; other constants than the study's fail."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from testsupport import chunk_inputs, draft_spec
from zkgate.circuits import UnsatisfiedConstraintError, compile_circuit
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.study import circuit as circuit_module
from zkgate.study import gadgets
from zkgate.study.circuit import compile_contribution, value_bits
from zkgate.study.commitment import DatasetCommitment
from zkgate.study.dataset import Dataset, Schema
from zkgate.study.question import Aggregate, And, Between, Compare, InSet, Not, Or, Question
from zkgate.study.spec import StudySpec
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json

SCHEMA = Schema.of(("age", 0, 15), ("sex", 0, 1), ("temp", -8, 7), ("dx", 1, 3))
CAPACITY = 4
Z = b"\x00" * 32
A = Aggregate

QUESTIONS = {
    "compare-ops": Question(And((Compare("age", ">=", 3), Compare("age", "<", 14), Compare("temp", "<=", 5),
                                 Compare("temp", ">", -7), Compare("sex", "<>", 0))), (),
                            (A("n", "COUNT", ()), A("s", "SUM", ("temp",)))),
    "not-or-in": Question(Or((Not(InSet("age", (2, 5, 9, 11))), Compare("dx", "=", 2))), (),
                          (A("n", "COUNT", ()), A("v", "VAR_POP", ("temp",)), A("h", "HISTOGRAM", ("age",), (0, 4, 9, 16)))),
    "group-dx": Question(Between("age", 2, 13), ("dx",),
                         (A("n", "COUNT", ()), A("r", "CORR", ("age", "temp")), A("h", "HISTOGRAM", ("temp",), (-8, 0, 8)))),
    "group-two": Question(None, ("sex", "dx"), (A("n", "COUNT", ()), A("fit", "OLS", ("temp", "age")))),
}


def make_rows(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, 16, n), rng.integers(0, 2, n), rng.integers(-8, 8, n), rng.integers(1, 4, n)],
                    axis=1)


@pytest.fixture(scope="module")
def data() -> DatasetCommitment:
    return DatasetCommitment(Dataset.from_array(SCHEMA, make_rows(5, 7)), CAPACITY)  # 2 chunks; the last padded


def spec_of(question: Question) -> StudySpec:
    return draft_spec(question, SCHEMA, CAPACITY)


def inputs(spec, com, k, values=None, rho=None):
    return chunk_inputs(spec, com, k, values, rho)


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_circuit_equals_the_twin_and_the_plain_truth(name, data):
    spec = spec_of(QUESTIONS[name])
    c = compile_contribution(spec.shape())
    assert c.r1cs.n_public == 4
    total = None
    for k in range(data.n_chunks):
        s, _, inp = inputs(spec, data, k)
        assert len(s) == len(value_bits(spec.shape())) == len(spec.value_names())
        w = c.solve(inp)  # satisfiable: the commitment opens to the twin's coordinates
        assert c.public_signals(w)[:2] == [data.chunk_roots[k], spec.study_id]
        total = s if total is None else [a + b for a, b in zip(total, s)]
    rows = [dict(zip(SCHEMA.names, map(int, r))) for r in make_rows(5, 7).tolist()]
    assert to_json(spec.derive(total)) == to_json(moments.truth(spec.question, SCHEMA, rows))


def test_padding_never_counts_under_not(data):
    # NOT (age >= 0) holds for no real record; padding records (flag 0, all values 0) must not count either
    spec = spec_of(Question(Not(Compare("age", ">=", 0)), (), (A("n", "COUNT", ()),)))
    c = compile_contribution(spec.shape())
    s, _, inp = inputs(spec, data, 1)  # chunk 1: 3 real records and 1 padding record
    assert s == [0]
    c.solve(inp)
    _, _, inp = inputs(spec, data, 1, values=[1])
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(inp)


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_every_coordinate_shifted_by_one_fails(name, data):
    spec = spec_of(QUESTIONS[name])
    c = compile_contribution(spec.shape())
    s, rho, _ = inputs(spec, data, 0)
    kinds = {}
    for j, label in enumerate(spec.value_names()):
        kind = label.split("]")[-1].split("(")[0]  # count, sum, prod, hist
        kinds.setdefault(kind, []).append(j)
    assert set(kinds) >= {"count"}
    for positions in kinds.values():
        for j in (positions[0], positions[-1]):
            for delta in (1, -1):
                bad = list(s)
                bad[j] = (bad[j] + delta) % L  # -1 of a zero: the commitment to l - 1 ≡ -1
                _, _, inp = inputs(spec, data, 0, values=bad, rho=rho)
                with pytest.raises(UnsatisfiedConstraintError):
                    c.solve(inp)


def test_other_constants_than_the_studys_fail(data):
    spec = spec_of(QUESTIONS["not-or-in"])
    c = compile_contribution(spec.shape())
    _, _, inp = inputs(spec, data, 0)
    for i in range(len(inp["constants"])):
        bad = list(inp["constants"])
        bad[i] += 1
        with pytest.raises(UnsatisfiedConstraintError):
            c.solve(dict(inp, constants=bad))


_HONEST_SUMS = circuit_module._grouped_sums
_HONEST_LOW_BITS = gadgets._low_bits


def _rotated_sums(*args, coords, n_cols, keys):
    honest = _HONEST_SUMS(*args, coords=coords, n_cols=n_cols, keys=keys)
    n = len(keys)
    out = []
    for t in range(len(coords)):
        row = honest[t * n : (t + 1) * n]
        out += row[-1:] + row[:-1]  # every cell's sums claimed by the next cell
    return out


def _flipped_low_bits(d, *, n):
    return [1 - b for b in _HONEST_LOW_BITS(d, n=n)]


def _solve_with(monkeypatch, module, attr, fake, spec, inp):
    monkeypatch.setattr(module, attr, fake)
    src = gadgets.source_digest() + "/malicious"
    c = compile_circuit(circuit_module.contribution_circuit, cache=False, src=src, **spec.shape().params())
    return c.solve(inp)


def test_a_record_in_another_cell_fails(monkeypatch, data):
    spec = spec_of(QUESTIONS["group-dx"])
    rows = data.chunk_rows(0)
    # the commitment to what the moved records would give: the cells rotated
    width = len(spec.value_names()) // spec.n_cells
    s, rho, _ = inputs(spec, data, 0)
    moved = s[-width:] + s[:-width]
    assert moved != s and rows.shape[0] == CAPACITY
    _, _, inp = inputs(spec, data, 0, values=moved, rho=rho)
    with pytest.raises(UnsatisfiedConstraintError):
        _solve_with(monkeypatch, circuit_module, "_grouped_sums", _rotated_sums, spec, inp)


def test_a_flipped_comparison_fails(monkeypatch, data):
    spec = spec_of(QUESTIONS["compare-ops"])
    _, _, inp = inputs(spec, data, 0)
    with pytest.raises(UnsatisfiedConstraintError):
        _solve_with(monkeypatch, gadgets, "_low_bits", partial(_flipped_low_bits), spec, inp)


_HONEST_ROW = moments._histogram_row


def _next_row_bounds(x, *edges, col_bits):
    j, _lo, _hi = _HONEST_ROW(x, *edges, col_bits=col_bits)
    rows = moments.histogram_rows(list(edges), col_bits)
    _, lo, hi = rows[(j + 1) % len(rows)]
    return [(j + 1) % len(rows), lo, hi]  # a row that does not hold x


def _other_bin_same_bounds(x, *edges, col_bits):
    j, lo, hi = _HONEST_ROW(x, *edges, col_bits=col_bits)
    return [j + 1, lo, hi]  # x's bounds, another bin index: not a row of the table


@pytest.mark.parametrize("fake", [_next_row_bounds, _other_bin_same_bounds])
def test_a_histogram_row_that_is_not_xs_fails(monkeypatch, data, fake):
    spec = spec_of(QUESTIONS["not-or-in"])  # HISTOGRAM(age, 0, 4, 9, 16)
    s, rho, _ = inputs(spec, data, 0)
    monkeypatch.setattr(moments, "_histogram_row", fake)
    src = gadgets.source_digest() + "/malicious-row"
    c = compile_circuit(circuit_module.contribution_circuit, cache=False, src=src, **spec.shape().params())
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(inputs(spec, data, 0, rho=rho)[2])
