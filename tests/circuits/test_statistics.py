"""Statistics gadget: equals the plain computation; a forged count fails."""

from __future__ import annotations

import random

import pytest

from zkgate.circuits import UnsatisfiedConstraintError, compile_circuit
from zkgate.circuits.gadgets.statistics import Filter, StatSpec, block_statistics, reference_statistics

rng = random.Random(3)
COL_BITS = (8, 4, 16)  # age, diagnosis code, cholesterol
STAT = StatSpec(column=2, histogram_edges=(0, 150, 200, 250, 65536))


def _stats(api, n):
    recs = [api.private_input(f"rec{i}", 3) for i in range(n)]
    valid = api.private_input("valid", n)
    lo, hi = api.public_input("lo"), api.public_input("hi")
    diag = api.public_input("diag")
    res = block_statistics(api, recs, COL_BITS, Filter(ranges=((0, lo, hi),), equals=((1, diag),)), STAT, valid)
    api.output("count", res["count"])
    api.output("sum", res["sum"])
    api.output("sumsq", res["sumsq"])
    api.output("hist", res["hist"])


def _records(n):
    return [[rng.randrange(20, 90), rng.randrange(0, 4), rng.randrange(100, 300)] for _ in range(n)]


def test_statistics_equal_reference():
    n = 6
    c = compile_circuit(_stats, n=n)
    for _ in range(3):
        recs = _records(n)
        valid = [1] * (n - 1) + [0]
        inputs = {f"rec{i}": r for i, r in enumerate(recs)}
        inputs.update(valid=valid, lo=40, hi=60, diag=2)
        out = c.outputs(c.solve(inputs))
        ref = reference_statistics(recs, Filter(ranges=((0, 40, 60),), equals=((1, 2),)), STAT, valid)
        assert out == ref


def test_statistics_sound():
    n = 4
    c = compile_circuit(_stats, n=n)
    recs = [[50, 2, 180], [45, 2, 220], [70, 2, 100], [50, 1, 150]]
    inputs = {f"rec{i}": r for i, r in enumerate(recs)}
    inputs.update(valid=[1, 1, 1, 1], lo=40, hi=60, diag=2)
    w = c.solve(inputs)
    assert c.outputs(w)["count"] == 2
    # out-of-range cell (column 1 is 4 bits)
    bad = dict(inputs, rec3=[50, 16, 150])
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(bad)
    # forging the comparison bits of record 2 ("70 <= 60") breaks a constraint
    for first, k in c.program.ops_of_kind("bits"):
        forged = c.solve(inputs, overrides={first + k - 1: 0})
        if c.outputs(forged)["count"] != 2:
            assert not c.r1cs.is_satisfied(forged)
