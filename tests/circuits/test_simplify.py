"""Linear-constraint elimination at compile time (zkgate.circuits.simplify): counts,
completeness against the unsimplified system, soundness, cache and file round trips."""

from __future__ import annotations

import random

import numpy as np
import pytest

from zkgate.circuits import Builder, UnsatisfiedConstraintError, compile_circuit, read_r1cs, write_r1cs
from zkgate.circuits.field import R
from zkgate.circuits.gadgets import comparators, mux
from zkgate.circuits.r1cs import limbs_to_ints
from zkgate.circuits.solver import solve

rng = random.Random(77)


def _lt(api, n):
    a, b = api.private_input("x", 2)
    api.output("o", comparators.less_than(api, n, a, b))


def _n2b(api, n, out=False):
    x = api.private_input("x")
    bits = api.to_bits(x, n)
    if out:  # every bit an output: nothing left to eliminate
        api.output("b", bits)


def _affine(x, y):
    return (x + 2 * y) % R


def _mix(api):
    """Linear constraints of every kind: to_bits sums, LC outputs, assert_equal between
    internal values, a hint pinned only linearly, a linear constraint on inputs only."""
    a, b = api.private_input("a"), api.private_input("b")
    pub = api.public_input("p")
    p = api.mul(a, b)
    bits = api.to_bits(p + 3, 40)
    h = api.hint(_affine, a, b)
    api.assert_equal(h, a + 2 * b)
    api.assert_equal(a + b, pub)  # inputs only: stays
    q = api.mul(h, h)
    api.output("lt", comparators.less_than(api, 40, api.from_bits(bits[:20]), b))
    api.output("sum", q + api.from_bits(bits[5:9]) + a)
    api.output("m", mux.mux(api, bits[:2], [a, b, p, q]))


def test_counts_match_circom_o2():
    assert compile_circuit(_lt, n=32, cache=False).r1cs.n_constraints == 33  # circomlib --O2: 33
    assert compile_circuit(_n2b, n=64, cache=False).r1cs.n_constraints == 64
    api = Builder()
    _lt(api, 32)
    assert api.num_constraints == 35  # before elimination
    r, _ = api.finalize(simplify=False)
    assert r.n_constraints == 35


def _inputs():
    a, b = rng.randrange(1, 1 << 18), rng.randrange(1, 1 << 18)
    return {"a": a, "b": b, "p": a + b}


def test_simplified_matches_unsimplified():
    c = compile_circuit(_mix, cache=False)
    api = Builder()
    _mix(api)
    r0, p0 = api.finalize(simplify=False)
    assert c.r1cs.n_constraints < r0.n_constraints
    assert c.r1cs.n_wires < r0.n_wires and c.program.n_wires == r0.n_wires
    assert int(c.r1cs.lc_wires.max()) < c.r1cs.n_wires
    gone = sorted(set(range(c.program.n_wires)) - set(c.program.witness_wires.tolist()))
    assert gone and all(c.program.r1cs_wire(g) is None for g in gone)
    # the constraint on inputs only is kept
    for _ in range(4):
        inp = _inputs()
        w = c.solve(inp)
        assert w.shape == (c.r1cs.n_wires, 4) and c.r1cs.is_satisfied(w)
        w0 = solve(r0, p0, inp)
        assert r0.is_satisfied(w0)
        # the R1CS's wires are the program's minus the eliminated ones, in the same order
        assert limbs_to_ints(w) == limbs_to_ints(w0[c.program.witness_wires])
        assert c.outputs(w) == {"lt": int(limbs_to_ints(w0[c.program.outputs["lt"][0]])[0]),
                                "sum": c.outputs(w0)["sum"], "m": c.outputs(w0)["m"]}
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve({"a": 1, "b": 2, "p": 4})


def test_forged_witness_fails():
    c = compile_circuit(_lt, n=16, cache=False)
    good = c.solve({"x": [3, 200]})
    assert c.outputs(good)["o"] == 1
    out = c.program.outputs["o"][0][0]
    vals = limbs_to_ints(good)
    for v in (0, 2, R - 1):
        forged = good.copy()
        forged[out] = np.array([(v >> (64 * i)) & (2**64 - 1) for i in range(4)], dtype=np.uint64)
        assert not c.r1cs.is_satisfied(forged)
    # every remaining bit wire, flipped, breaks a constraint
    first, n = c.program.ops_of_kind("bits")[0]
    kept = [first + i for i in range(n) if c.program.r1cs_wire(first + i) is not None]
    assert len(kept) == n - 2  # substituted away: one by the sum, one by the output
    for wire in kept:
        forged = c.solve({"x": [3, 200]}, overrides={wire: 1 - vals[c.program.r1cs_wire(wire)]})
        assert not c.r1cs.is_satisfied(forged)
    # bits of another number fail, with or without the sum substituted away
    for out in (False, True):
        c2 = compile_circuit(_n2b, n=8, out=out, cache=False)
        assert c2.r1cs.n_constraints == 8 + out
        first, n = c2.program.ops_of_kind("bits")[0]
        bad = c2.solve({"x": 5}, overrides={first + i: (6 >> i) & 1 for i in range(n)})
        assert not c2.r1cs.is_satisfied(bad)
        assert not c2.r1cs.is_satisfied(c2.solve({"x": 5}, overrides={first: 0}))


def test_cache_and_files_round_trip(tmp_path):
    c = compile_circuit(_mix, cache=tmp_path)
    from zkgate.circuits.compile import clear_memory_cache

    clear_memory_cache()
    d = compile_circuit(_mix, cache=tmp_path)
    assert d.from_cache == "disk"
    assert d.r1cs.n_constraints == c.r1cs.n_constraints and d.program.n_wires == c.program.n_wires
    inp = _inputs()
    w = d.solve(inp)
    assert limbs_to_ints(w) == limbs_to_ints(c.solve(inp))
    path = tmp_path / "mix.r1cs"
    write_r1cs(c.r1cs, path)
    r = read_r1cs(path)
    assert r.n_wires == c.r1cs.n_wires and r.n_constraints == c.r1cs.n_constraints
    assert r.is_satisfied(w)


def test_unchecked_mux_is_circomlib_mux3():
    def circ(api, checked):
        s = api.private_input("s", 3)
        api.output("o", mux.mux(api, s, api.private_input("c", 8), checked=checked))

    assert compile_circuit(circ, checked=False, cache=False).r1cs.n_constraints == 7  # circomlib Mux3: 8
    assert compile_circuit(circ, checked=True, cache=False).r1cs.n_constraints == 10  # + 3 boolean checks
    c = compile_circuit(circ, checked=False, cache=False)
    vals = [rng.randrange(R) for _ in range(8)]
    for i in range(8):
        assert c.outputs(c.solve({"s": [(i >> j) & 1 for j in range(3)], "c": vals}))["o"] == vals[i]
