"""Bits, comparators, multiplexers: completeness and crafted-witness soundness."""

from __future__ import annotations

import random

import pytest

from zkgate.circuits import Builder, UnsatisfiedConstraintError, compile_circuit
from zkgate.circuits.field import R
from zkgate.circuits.gadgets import bits as gb
from zkgate.circuits.gadgets import comparators as cmp
from zkgate.circuits.gadgets import mux as gm

rng = random.Random(7)


def _bits_circuit(api, n):
    x = api.private_input("x")
    api.output("b", gb.num2bits(api, x, n))


def test_num2bits_complete_and_counts():
    c = compile_circuit(_bits_circuit, n=8)
    assert c.outputs(c.solve({"x": 0b10110101}))["b"] == [1, 0, 1, 0, 1, 1, 0, 1]
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve({"x": 256})
    api = Builder()
    gb.num2bits(api, api.private_input("x"), 8)
    assert api.num_constraints == 9  # circomlib Num2Bits(8)
    api = Builder()
    gb.bits2num(api, gb.num2bits(api, api.private_input("x"), 8))
    assert api.num_constraints == 9  # bits already known boolean


def _strict(api, n):
    x = api.private_input("x")
    bits = gb.num2bits(api, x, n) if n < 254 else gb.num2bits_strict(api, x)
    api.output("b", bits)


def test_alias_check_rejects_x_plus_r():
    x = 5
    alias = x + R  # < 2^254: the second 254-bit decomposition of x
    assert alias < 1 << 254
    c = compile_circuit(_strict, n=254)
    w = c.solve({"x": x})
    assert c.outputs(w)["b"][:3] == [1, 0, 1]
    first, n = c.program.ops_of_kind("bits")[0]
    assert n == 254
    forged = {first + i: (alias >> i) & 1 for i in range(254)}
    bad = c.solve({"x": x}, overrides=forged)
    assert c.r1cs.first_unsatisfied(bad) >= 0
    # without the alias check (plain bit constraints + sum) the forgery would pass:
    r = c.r1cs
    n_plain = 255  # 254 booleans + the sum
    from zkgate.circuits.r1cs import limbs_to_ints

    vals = limbs_to_ints(bad)
    for i in range(n_plain):
        a, b, cc = r.constraint(i)
        ev = lambda d: sum(k * vals[w] for w, k in d.items()) % R  # noqa: E731
        assert (ev(a) * ev(b) - ev(cc)) % R == 0


def test_strict_bits_full_range():
    c = compile_circuit(_strict, n=254)
    for x in (0, 1, R - 1, rng.randrange(R)):
        bits = c.outputs(c.solve({"x": x}))["b"]
        assert sum(b << i for i, b in enumerate(bits)) == x


def _cmp_circuit(api, n):
    a, b = api.private_input("a"), api.private_input("b")
    api.output("lt", cmp.less_than(api, n, a, b))
    api.output("le", cmp.less_eq_than(api, n, a, b))
    api.output("gt", cmp.greater_than(api, n, a, b))
    api.output("ge", cmp.greater_eq_than(api, n, a, b))
    api.output("eq", cmp.is_equal(api, a, b))
    api.output("z", cmp.is_zero(api, a))


def test_comparators_complete():
    n = 16
    c = compile_circuit(_cmp_circuit, n=n)
    cases = [(0, 0), (1, 0), (0, 1), (65534, 65534), (300, 299)] + [
        (rng.randrange(1 << 15), rng.randrange(1 << 15)) for _ in range(10)
    ]
    for a, b in cases:
        o = c.outputs(c.solve({"a": a, "b": b}))
        assert (o["lt"], o["le"], o["gt"], o["ge"], o["eq"], o["z"]) == (
            int(a < b), int(a <= b), int(a > b), int(a >= b), int(a == b), int(a == 0)
        )
    api = Builder()
    cmp.less_than(api, 16, api.private_input("a"), api.private_input("b"))
    assert api.num_constraints == 18  # circomlib LessThan(16) at --O1 (Num2Bits(17))


def _checked_lt(api, n):
    a, b = api.private_input("a"), api.private_input("b")
    api.output("lt", api.less_than(a, b, n))


def test_less_than_out_of_range_fails():
    c = compile_circuit(_checked_lt, n=8)
    assert c.outputs(c.solve({"a": 3, "b": 200}))["lt"] == 1
    # a = r - 1 ("-1") would make an unchecked comparator claim -1 < 5 or worse
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve({"a": R - 1, "b": 5})
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve({"a": 256, "b": 5})
    # forging in-range bits for an out-of-range operand breaks the recomposition
    first, n = c.program.ops_of_kind("bits")[0]
    bad = c.solve({"a": 300, "b": 5}, overrides={first + i: (44 >> i) & 1 for i in range(n)})
    assert not c.r1cs.is_satisfied(bad)
    # forging the comparison bit itself breaks it too
    last, n2 = c.program.ops_of_kind("bits")[-1]
    good = c.solve({"a": 3, "b": 200})
    assert c.r1cs.is_satisfied(good)
    flipped = c.solve({"a": 3, "b": 200}, overrides={last + n2 - 1: 1})
    assert not c.r1cs.is_satisfied(flipped)


def _mux_circuit(api, k):
    s = api.private_input("s", k)
    v = api.private_input("v", 1 << k)
    api.output("m", gm.mux(api, s, v))
    api.output("l", gm.lookup_const(api, s, [10 * i + 3 for i in range(1 << k)]))
    api.output("m1", gm.mux1(api, s[0], v[0], v[1]))


def test_mux_complete_and_sound():
    c = compile_circuit(_mux_circuit, k=3)
    vals = [rng.randrange(R) for _ in range(8)]
    for idx in range(8):
        bits = [(idx >> i) & 1 for i in range(3)]
        o = c.outputs(c.solve({"s": bits, "v": vals}))
        assert o["m"] == vals[idx]
        assert o["l"] == 10 * idx + 3
        assert o["m1"] == vals[idx & 1]
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve({"s": [2, 0, 0], "v": vals})
