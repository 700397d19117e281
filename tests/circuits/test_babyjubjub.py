"""Baby Jubjub and Pedersen: twins vs circomlibjs, gadgets vs twins, subgroup soundness."""

from __future__ import annotations

import random

import pytest

from testsupport import requires_node, run_node
from zkgate.circuits import Builder, UnsatisfiedConstraintError, compile_circuit
from zkgate.circuits import babyjubjub as bjj
from zkgate.circuits import pedersen as ped
from zkgate.circuits.field import R
from zkgate.circuits.gadgets import babyjubjub as gj
from zkgate.circuits.gadgets import pedersen as gped

rng = random.Random(5)

NODE_BJJ = """
const {buildBabyjub} = require("circomlibjs");
let data = ""; process.stdin.on("data", d => data += d);
process.stdin.on("end", async () => {
  const bj = await buildBabyjub(); const F = bj.F;
  const pt = p => [F.e(p[0]), F.e(p[1])];
  const str = p => [F.toString(p[0]), F.toString(p[1])];
  const res = JSON.parse(data).map(c => ({
    add: str(bj.addPoint(pt(c.p), pt(c.q))),
    mul: str(bj.mulPointEscalar(pt(c.p), c.k)),
    pack: Buffer.from(bj.packPoint(pt(c.p))).toString("hex"),
    sub: bj.inSubgroup(pt(c.p)), sub2: bj.inSubgroup(pt(c.q)),
  }));
  process.stdout.write(JSON.stringify(res));
});
"""


def _rand_point():
    return bjj.mul(bjj.BASE8, rng.randrange(1, bjj.SUBORDER))


def test_curve_constants():
    assert bjj.is_on_curve(bjj.GENERATOR) and bjj.is_on_curve(bjj.BASE8)
    assert bjj.mul(bjj.GENERATOR, 8) == bjj.BASE8
    assert bjj.mul(bjj.BASE8, bjj.SUBORDER) == bjj.IDENTITY
    assert pow(bjj.D, (R - 1) // 2, R) == R - 1  # d non-square: complete addition
    assert pow(bjj.A, (R - 1) // 2, R) == 1
    p = _rand_point()
    assert bjj.unpack(bjj.pack(p)) == p
    assert bjj.unpack(bjj.pack(bjj.neg(p))) == bjj.neg(p)


@pytest.mark.interop
@requires_node
def test_twins_equal_circomlibjs():
    cases = []
    for _ in range(6):
        p = _rand_point()
        q = bjj.add(p, (0, R - 1))  # p + (0,-1): a point outside the subgroup
        assert bjj.is_on_curve(q)
        cases.append({"p": p, "q": q, "k": rng.randrange(bjj.ORDER)})
    got = run_node(NODE_BJJ, [{"p": [str(c["p"][0]), str(c["p"][1])], "q": [str(c["q"][0]), str(c["q"][1])],
                               "k": str(c["k"])} for c in cases])
    for c, g in zip(cases, got):
        assert tuple(int(x) for x in g["add"]) == bjj.add(c["p"], c["q"])
        assert tuple(int(x) for x in g["mul"]) == bjj.mul(c["p"], c["k"])
        assert g["pack"] == bjj.pack(c["p"]).hex()
        assert g["sub"] is True and bjj.in_subgroup(c["p"])
        assert g["sub2"] is False and not bjj.in_subgroup(c["q"])


def _ops(api):
    p = api.private_input("p", 2)
    q = api.private_input("q", 2)
    k = api.private_input("k")
    bits = api.to_bits(k, 252)
    api.output("add", list(gj.point_add(api, p, q)))
    api.output("fix", list(gj.scalar_mul_fixed(api, bits, bjj.BASE8)))
    api.output("var", list(gj.scalar_mul(api, bits, p)))


def test_gadgets_equal_twins():
    c = compile_circuit(_ops)
    for _ in range(2):
        p, q, k = _rand_point(), bjj.add(_rand_point(), (0, R - 1)), rng.randrange(bjj.SUBORDER)
        o = c.outputs(c.solve({"p": list(p), "q": list(q), "k": k}))
        assert tuple(o["add"]) == bjj.add(p, q)
        assert tuple(o["fix"]) == bjj.mul(bjj.BASE8, k)
        assert tuple(o["var"]) == bjj.mul(p, k)


def _sub(api):
    p = api.private_input("p", 2)
    gj.assert_in_subgroup(api, p)


def test_subgroup_membership_sound():
    c = compile_circuit(_sub)
    assert c.r1cs.n_constraints == 21  # 24 before linear-constraint elimination
    c.solve({"p": list(_rand_point())})
    c.solve({"p": [0, 1]})
    low = bjj.add(_rand_point(), (0, R - 1))  # order 2l
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve({"p": list(low)})
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve({"p": [1, 2]})  # not on the curve


def test_pedersen_generators_nums():
    gs, h = ped.generators(4)
    pts = gs + [h]
    assert len(set(pts)) == 5
    for p in pts:
        assert p != bjj.IDENTITY and bjj.in_subgroup(p)
    c = ped.commit([3, 4], 10)
    assert c == bjj.add(bjj.add(bjj.mul(gs[0], 3), bjj.mul(gs[1], 4)), bjj.mul(h, 10))
    # additively homomorphic
    c2 = ped.commit([5, 6], 20)
    assert bjj.add(c, c2) == ped.commit([8, 10], 30)
    assert ped.verify_opening(c, [3, 4], 10) and not ped.verify_opening(c, [3, 5], 10)


def _commit(api, n):
    v = api.private_input("v", n)
    rho = api.private_input("rho")
    api.output("c", list(gped.commit(api, v, 32, rho)))


def test_pedersen_gadget_equals_twin():
    c = compile_circuit(_commit, n=3)
    vals, rho = [rng.randrange(1 << 32) for _ in range(3)], rng.randrange(bjj.SUBORDER)
    assert tuple(c.outputs(c.solve({"v": vals, "rho": rho}))["c"]) == ped.commit(vals, rho)
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve({"v": [1 << 32, 0, 0], "rho": rho})


def _fixed(api, n):
    k = api.private_input("k", n)
    api.output("o", list(gj.scalar_mul_fixed(api, k, bjj.BASE8)))


@pytest.mark.parametrize("n", [1, 4, 7, 64, 253])
def test_fixed_base_edge_scalars_and_soundness(n):
    """Montgomery segments: completeness at the extremes of every window (all digits 0 or
    7, multiples of l, 2^n - 1) and a forged output fails."""
    c = compile_circuit(_fixed, n=n, cache=False)
    cost, _kind, _tail = gj.fixed_base_plan(n, bjj.BASE8)
    api = Builder()
    bits = api.to_bits(api.private_input("k"), n)
    before = api.num_constraints
    gj.scalar_mul_fixed(api, bits, bjj.BASE8)
    assert api.num_constraints - before == cost
    if n == 253:
        assert cost == 509  # circomlib's EscalarMulFix part of BabyPbk: 522
    order = bjj.SUBORDER
    ks = [0, 1, (1 << n) - 1, sum(1 << i for i in range(n) if i % 3 == 2), rng.randrange(1 << n)]
    ks += [k for k in (order - 1, order, order + 1, 2 * order, 3 * order + 5) if not k >> n]
    out = c.program.outputs["o"][0]
    for k in ks:
        bits = [(k >> i) & 1 for i in range(n)]
        w = c.solve({"k": bits})
        assert tuple(c.outputs(w)["o"]) == bjj.mul(bjj.BASE8, k)
    good = c.outputs(c.solve({"k": [1] * n}))["o"]
    for i, wire in enumerate(out):
        bad = c.solve({"k": [1] * n}, overrides={wire: good[i] + 1})
        assert not c.r1cs.is_satisfied(bad)


def test_fixed_base_segments_complete():
    """The inequalities behind the Montgomery segments: inside a segment each window's
    smallest multiple exceeds the largest partial sum, and sums stay below l."""
    for n in (8, 64, 249, 253, 300):
        for wins in gj._montgomery_plan(n):
            start = wins[0][0]
            hi_acc = 0
            for pos, w, c in wins:
                rel = pos - start
                lo, hi = c << rel, ((1 << w) - 1 + c) << rel
                assert lo > hi_acc and hi_acc + hi < bjj.SUBORDER
                hi_acc += hi
