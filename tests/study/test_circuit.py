"""The contribution circuit: its statistics equal the plain twin; forged witnesses fail."""

from __future__ import annotations

import secrets

import numpy as np
import pytest

from zkgate.circuits import UnsatisfiedConstraintError
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.study.circuit import chunk_statistics, circuit_inputs, commit, compile_contribution, value_bits


def _inputs(world, k=1, rho=None):
    com = world.commitments[0]
    s = chunk_statistics(world.spec, com.chunk_rows(k))
    rho = secrets.randbelow(L) if rho is None else rho
    pt = commit(s, rho)
    return s, rho, circuit_inputs(world.spec, com.chunk_elements[k], com.chunk_salts[k], com.chunk_roots[k], rho, pt)


def test_statistics_match_and_dummies_are_excluded(world):
    c = compile_contribution(world.spec.shape())
    assert c.r1cs.n_public == 4
    com = world.commitments[0]  # 6 records: chunk 1 holds 2 real records and 2 dummies
    s, rho, inp = _inputs(world, 1)
    w = c.solve(inp)
    assert c.public_signals(w)[:2] == [com.chunk_roots[1], world.spec.study_id]
    # the plain twin on the real rows only
    rows = com.chunk_rows(1)
    assert rows.shape[0] == 2
    assert s == chunk_statistics(world.spec, np.concatenate([rows, rows[:0]]))
    assert len(s) == len(value_bits(world.spec.shape()))


def test_wrong_statistics_or_constants_fail(world):
    c = compile_contribution(world.spec.shape())
    s, rho, inp = _inputs(world, 0)
    # a commitment to other statistics
    bad = dict(inp)
    pt = commit([s[0] + 1] + s[1:], rho)
    bad["cx"], bad["cy"] = pt
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(bad)
    # other filter constants than the study's
    bad = dict(inp, constants=[inp["constants"][0] + 1, *inp["constants"][1:]])
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(bad)
    # another chunk's records under this chunk's root
    bad = dict(inp, packed=world.commitments[1].chunk_elements[0])
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(bad)
    # rho >= l (same commitment point, but not the canonical opening)
    bad = dict(inp, rho=rho + L)
    with pytest.raises(UnsatisfiedConstraintError):
        c.solve(bad)
