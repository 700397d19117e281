"""NTT kernels against an O(n^2) DFT and the pure-Python twin."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from native_helpers import R_MOD, native_only

import zkgate.bn254 as bn
from zkgate.bn254 import FrArray
from zkgate.bn254.ntt import _reference
from zkgate.errors import InvalidInputError

pytestmark = native_only


def dft(xs, shift=1):
    n = len(xs)
    w = bn.fr_root_of_unity(n.bit_length() - 1)
    return [sum(x * pow(shift * pow(w, k, R_MOD), j, R_MOD) for j, x in enumerate(xs)) % R_MOD for k in range(n)]


@pytest.mark.parametrize("log_n", range(0, 7))
def test_ntt_matches_dft(log_n):
    rng = random.Random(log_n)
    xs = [rng.randrange(R_MOD) for _ in range(1 << log_n)]
    assert bn.ntt(xs) == dft(xs)
    assert bn.intt(dft(xs)) == xs
    g = bn.fr_root_of_unity(log_n + 1)
    assert bn.coset_ntt(xs) == dft(xs, g)
    assert bn.coset_intt(bn.coset_ntt(xs)) == xs
    assert bn.coset_ntt(xs, 7) == dft(xs, 7)
    assert _reference(xs, False, None) == dft(xs)


@pytest.mark.parametrize("log_n", [12, 13, 15])
def test_ntt_large_roundtrip_and_spot_values(log_n):
    """Sizes past the in-cache block (2^12) take the strided stages too."""
    rng = random.Random(log_n)
    n = 1 << log_n
    xs = [rng.randrange(R_MOD) for _ in range(n)]
    arr = FrArray.from_ints(xs).to_montgomery()
    out = bn.ntt(arr)
    assert out is arr  # in place on Montgomery arrays
    ys = out.to_ints()
    w = bn.fr_root_of_unity(log_n)
    for k in (0, 1, n // 2 + 3, n - 1):
        wk = pow(w, k, R_MOD)
        assert ys[k] == sum(x * pow(wk, j, R_MOD) for j, x in enumerate(xs)) % R_MOD
    back = bn.intt(out, threads=1)
    assert back.to_ints() == xs
    assert bn.coset_intt(bn.coset_ntt(FrArray.from_ints(xs), threads=2)).to_ints() == xs
    if log_n == 12:
        assert _reference(xs, False, None) == ys


def test_ntt_threads_agree():
    rng = np.random.default_rng(3)
    from zkgate._native import _field, _ntt
    vals = rng.integers(0, 2**62, size=(1 << 14, 4), dtype=np.uint64)
    vals = _field.to_montgomery(vals, True)
    a, b = vals.copy(), vals.copy()
    _ntt.ntt_inplace(a, nthreads=1)
    _ntt.ntt_inplace(b, nthreads=2)
    assert np.array_equal(a, b)


def test_ntt_errors():
    with pytest.raises(InvalidInputError):
        bn.ntt([1, 2, 3])
    with pytest.raises(InvalidInputError):
        bn.ntt([])
    with pytest.raises(InvalidInputError):
        bn.coset_ntt([1, 2], shift=0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, R_MOD - 1), min_size=8, max_size=8))
def test_ntt_property(xs):
    assert bn.intt(bn.ntt(xs)) == xs
    assert bn.ntt(xs) == dft(xs)
