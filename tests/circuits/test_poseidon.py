"""Poseidon: constants from the repo script, out-of-circuit hash and gadget vs circomlibjs."""

from __future__ import annotations

import json
import random

import pytest

from testsupport import NODE_MODULES, requires_node, run_node
from zkgate.circuits import compile_circuit
from zkgate.circuits.field import R
from zkgate.circuits.gadgets import poseidon as gp
from zkgate.circuits.poseidon import merkle_root, params, poseidon_hash, poseidon_sponge

rng = random.Random(99)

# circomlib's published constraint counts of Poseidon(n) (the template alone)
CIRCOMLIB_COUNTS = {1: 213, 2: 240}

NODE_POSEIDON = """
const {buildPoseidonReference} = require("circomlibjs");
let data = ""; process.stdin.on("data", d => data += d);
process.stdin.on("end", async () => {
  const p = await buildPoseidonReference();
  const out = JSON.parse(data).map(xs => p.F.toString(p(xs)));
  process.stdout.write(JSON.stringify(out));
});
"""


def test_known_vector():
    # circomlibjs: poseidon([1, 2])
    assert poseidon_hash([1, 2]) == 7853200120776062878684798364095072458815029376092732009249414926327459813530


@pytest.mark.interop
@requires_node
def test_constants_equal_circomlibjs():
    data = json.loads((NODE_MODULES / "circomlibjs" / "src" / "poseidon_constants.json").read_text())
    for t in range(2, 18):
        _, _, c, m = params(t)
        assert [int(x, 16) for x in data["C"][t - 2]] == list(c)
        assert [[int(x, 16) for x in row] for row in data["M"][t - 2]] == [list(r) for r in m]


@pytest.mark.interop
@requires_node
def test_hash_equals_circomlibjs_random_inputs():
    cases = [[rng.randrange(R) for _ in range(n)] for n in range(1, 17) for _ in range(2)]
    expected = run_node(NODE_POSEIDON, [[str(x) for x in xs] for xs in cases])
    assert [str(poseidon_hash(xs)) for xs in cases] == expected


def _hash_circuit(api, n):
    xs = api.private_input("x", n)
    api.output("h", gp.poseidon(api, xs))


@pytest.mark.parametrize("n", [1, 2, 5, 16])
def test_gadget_equals_twin(n):
    c = compile_circuit(_hash_circuit, n=n)
    xs = [rng.randrange(R) for _ in range(n)]
    w = c.solve({"x": xs})
    assert c.outputs(w)["h"] == poseidon_hash(xs)
    bad = c.solve({"x": xs}, overrides={c.program.op_out[5].item(): 7})
    assert not c.r1cs.is_satisfied(bad)


def test_constraint_counts_match_circomlib():
    from zkgate.circuits import Builder

    for n, expected in CIRCOMLIB_COUNTS.items():
        api = Builder()
        gp.poseidon(api, api.private_input("x", n))
        assert api.num_constraints == expected


def test_sponge_and_merkle():
    xs = [rng.randrange(R) for _ in range(40)]

    def circ(api):
        v = api.private_input("x", 40)
        api.output("h", gp.poseidon_sponge(api, v))

    c = compile_circuit(circ)
    assert c.outputs(c.solve({"x": xs}))["h"] == poseidon_sponge(xs)
    assert poseidon_sponge(xs[:3]) != poseidon_sponge(xs[:3] + [0])

    depth = 4
    leaf, sibs, bits = rng.randrange(R), [rng.randrange(R) for _ in range(depth)], [1, 0, 1, 1]
    root = merkle_root(leaf, sibs, bits)

    def mcirc(api):
        lf = api.private_input("leaf")
        s = api.private_input("sib", depth)
        b = api.private_input("bits", depth)
        rt = api.public_input("root")
        gp.assert_merkle_inclusion(api, lf, s, b, rt)

    mc = compile_circuit(mcirc)
    mc.solve({"leaf": leaf, "sib": sibs, "bits": bits, "root": root})
    from zkgate.circuits import UnsatisfiedConstraintError

    with pytest.raises(UnsatisfiedConstraintError):
        mc.solve({"leaf": leaf, "sib": sibs, "bits": [0, 0, 1, 1], "root": root})
    with pytest.raises(UnsatisfiedConstraintError):
        mc.solve({"leaf": leaf, "sib": sibs, "bits": [2, 0, 1, 1], "root": root})
