"""Builder API, compiler, solver: completeness and soundness of the core operations."""

from __future__ import annotations

import random

import pytest

from zkgate.circuits import CircuitError, CircuitInputError, UnsatisfiedConstraintError, compile_circuit
from zkgate.circuits.field import R, inv

rng = random.Random(1234)


def _arith(api):
    a = api.public_input("a")
    b = api.private_input("b")
    xs = api.private_input("xs", 3)
    s = api.add(a, b, *xs) * 3 - 7  # free
    p = api.mul(a, b)
    q = api.mul_add(p, xs[0], s)
    d = api.div(q, b)
    api.output("s", s)
    api.output("p", p)
    api.output("q", q)
    api.output("d", d)
    api.output("inv", api.inverse(a))


def test_arithmetic_folds_linear_and_solves():
    c = compile_circuit(_arith, cache=False)
    # mul, mul_add, div, inverse = 4; output s needs one linear constraint
    assert c.r1cs.n_constraints == 5
    for _ in range(5):
        a, b = rng.randrange(1, R), rng.randrange(1, R)
        xs = [rng.randrange(R) for _ in range(3)]
        w = c.solve({"a": a, "b": b, "xs": xs})
        out = c.outputs(w)
        s = (3 * (a + b + sum(xs)) - 7) % R
        assert out["s"] == s
        assert out["p"] == a * b % R
        q = (a * b * xs[0] + s) % R
        assert out["q"] == q
        assert out["d"] == q * inv(b) % R
        assert out["inv"] == inv(a)
        assert c.public_signals(w) == [out["s"], out["p"], out["q"], out["d"], out["inv"], a]


def test_wire_order_is_iden3():
    c = compile_circuit(_arith, cache=False)
    r = c.r1cs
    assert (r.n_pub_out, r.n_pub_in, r.n_prv_in) == (5, 1, 4)
    assert c.program.inputs["a"][1] == [6]
    assert c.program.inputs["b"][1] == [7]
    assert c.program.inputs["xs"][1] == [8, 9, 10]


def test_division_by_zero_is_unsatisfiable():
    c = compile_circuit(_arith, cache=False)
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve({"a": 0, "b": 1, "xs": [1, 2, 3]})


def test_input_validation():
    c = compile_circuit(_arith, cache=False)
    with pytest.raises(CircuitInputError, match="missing input 'b'"):
        c.solve({"a": 1, "xs": [1, 2, 3]})
    with pytest.raises(CircuitInputError, match="expected 3 values"):
        c.solve({"a": 1, "b": 1, "xs": [1, 2]})
    with pytest.raises(CircuitInputError, match="not below the field modulus"):
        c.solve({"a": R, "b": 1, "xs": [1, 2, 3]})
    with pytest.raises(CircuitInputError, match="unknown input"):
        c.solve({"a": 1, "b": 1, "xs": [1, 2, 3], "zz": 1})
    # negative values map to r - |v| as in circom
    w = c.solve({"a": -1, "b": 1, "xs": [1, 2, 3]})
    assert c.outputs(w)["p"] == R - 1


def _preds(api):
    x = api.private_input("x")
    y = api.private_input("y")
    api.output("isz", api.is_zero(x))
    api.output("iseq", api.is_equal(x, y))
    api.output("sel", api.select(api.is_zero(x), y, 5))


def test_predicates_complete():
    c = compile_circuit(_preds, cache=False)
    for x, y in [(0, 0), (0, 3), (4, 4), (4, 9), (R - 1, R - 1)]:
        out = c.outputs(c.solve({"x": x, "y": y}))
        assert out["isz"] == int(x == 0)
        assert out["iseq"] == int(x == y)
        assert out["sel"] == (y if x == 0 else 5)


def test_is_zero_wrong_inverse_fails():
    c = compile_circuit(_preds, cache=False)
    inv_wire = c.program.ops_of_kind("inv")[0][0]
    good = c.solve({"x": 3, "y": 1})
    assert c.r1cs.is_satisfied(good)
    # a prover claiming x == 0 for x = 3: inverse 0 makes out = 1, but x * out != 0
    bad = c.solve({"x": 3, "y": 1}, overrides={inv_wire: 0})
    assert c.outputs(bad)["isz"] == 1
    assert c.r1cs.first_unsatisfied(bad) >= 0
    bad2 = c.solve({"x": 3, "y": 1}, overrides={inv_wire: 5})
    assert not c.r1cs.is_satisfied(bad2)


def test_select_requires_boolean():
    def circ(api):
        c = api.private_input("c")
        api.output("o", api.select(c, 10, 20))

    comp = compile_circuit(circ, cache=False)
    assert comp.outputs(comp.solve({"c": 1}))["o"] == 10
    assert comp.outputs(comp.solve({"c": 0}))["o"] == 20
    with pytest.raises(UnsatisfiedConstraintError):
        comp.solve({"c": 2})


def test_constants_fold_at_compile_time():
    def circ(api):
        x = api.private_input("x")
        k = api.mul(3, 4)
        z = api.is_zero(k - 12)
        bits = api.to_bits(5, 4)
        api.assert_equal(api.from_bits(bits), 5)
        api.output("o", api.mul(x, k) + z)

    c = compile_circuit(circ, cache=False)
    assert c.r1cs.n_constraints == 1  # the output's linear constraint only
    assert c.outputs(c.solve({"x": 2}))["o"] == 25
    with pytest.raises(CircuitError):
        compile_circuit(lambda api: api.assert_equal(api.constant(1), 2), cache=False)


def test_unpinned_hint_is_refused():
    def circ(api):
        x = api.private_input("x")
        h = api.hint(lambda v: v * 2, x)
        api.output("o", x + 1)
        del h

    with pytest.raises(CircuitError, match="no constraint pins"):
        compile_circuit(circ, cache=False)


def _double(v):
    return 2 * v % R


def test_pinned_hint_and_disk_cache(tmp_path):
    def circ(api, k):
        x = api.private_input("x")
        h = api.hint(_double, x)
        api.assert_equal(h, 2 * x)
        api.output("o", api.mul(h, k) + 0)

    c = compile_circuit(circ, k=3, cache=tmp_path)
    assert c.from_cache == "no"
    assert c.outputs(c.solve({"x": 5}))["o"] == 30
    from zkgate.circuits.compile import clear_memory_cache

    assert compile_circuit(circ, k=3, cache=tmp_path).from_cache == "memory"
    clear_memory_cache()
    c2 = compile_circuit(circ, k=3, cache=tmp_path)
    assert c2.from_cache == "disk"
    assert c2.outputs(c2.solve({"x": 6}))["o"] == 36
    assert compile_circuit(circ, k=4, cache=tmp_path).from_cache == "no"
    assert list(tmp_path.glob("*.r1cs"))


def test_lc_misuse_is_reported():
    def circ(api):
        x = api.private_input("x")
        return x * x

    with pytest.raises(CircuitError, match="api.mul"):
        compile_circuit(circ, cache=False)

    def circ2(api):
        x = api.private_input("x")
        if x == 1:
            pass

    with pytest.raises(CircuitError):
        compile_circuit(circ2, cache=False)
