"""Slot layout: encoding, limb splitting and the overflow guard."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkgate.errors import InvalidInputError
from zkgate.he import PRESETS, Field, SlotLayout, SlotOverflowError, bfv_preset, max_safe_limb_bits
from zkgate.he.errors import EnvelopeFormatError

P4096 = PRESETS["bfv-4096"]


def test_guard_names_slot_and_excess():
    bound = P4096.safe_bound
    participants = 1000
    maximum = bound // participants + 5
    layout = SlotLayout((Field("count", 10), Field("sum", maximum)), participants)
    with pytest.raises(SlotOverflowError) as err:
        layout.check(P4096)
    e = err.value
    assert e.slot == "sum"
    assert e.excess == maximum * participants - bound + 1
    assert "sum" in str(e) and str(e.excess) in str(e) and "1000 participants" in str(e)


def test_guard_is_tight():
    participants = 77
    largest = (P4096.safe_bound - 1) // participants  # largest m with m * P < (t-1)/2
    SlotLayout((Field("x", largest),), participants).check(P4096)
    with pytest.raises(SlotOverflowError) as err:
        SlotLayout((Field("x", largest + 1),), participants).check(P4096)
    assert err.value.excess >= 1


def test_guard_checks_histogram_bins_and_limbs():
    with pytest.raises(SlotOverflowError) as err:
        SlotLayout((Field("hist", 2**39, 8),), 4).check(P4096)
    assert err.value.slot == "hist"
    with pytest.raises(SlotOverflowError) as err:
        SlotLayout((Field("rho", 2**256 - 1, 1, 40),), 100).check(P4096)
    assert err.value.slot == "rho[limb 0]"


@pytest.mark.parametrize("participants", [1, 2, 100, 10_000, 1 << 20])
def test_max_safe_limb_bits(participants):
    for params in (P4096, PRESETS["bfv-8192"], bfv_preset(8192, 20)):
        b = max_safe_limb_bits(params, participants)
        assert ((1 << b) - 1) * participants < params.safe_bound
        assert ((1 << (b + 1)) - 1) * participants >= params.safe_bound or b == 62


def stats_layout(params, participants: int, fields, rho_bits: int = 256) -> SlotLayout:
    """A study-like layout: ``(name, maximum, length)`` fields split into limbs where a sum over
    ``participants`` could overflow, then ``rho`` (256 bits, in limbs)."""
    limb = max_safe_limb_bits(params, participants)
    out = [Field(n, m, k, 0 if m * participants < params.safe_bound else limb) for n, m, k in fields]
    out.append(Field("rho", (1 << rho_bits) - 1, 1, limb))
    layout = SlotLayout(tuple(out), participants)
    layout.check(params)
    return layout


def test_statistics_layout_fits_and_splits():
    lay = stats_layout(P4096, 1000, [("count", 10**6, 1), ("sum", 10**12, 1), ("sum_sq", 10**18, 1)])
    names = [f.name for f in lay.fields]
    assert names == ["count", "sum", "sum_sq", "rho"]
    by = {f.name: f for f in lay.fields}
    assert by["count"].limb_bits == 0
    assert by["sum_sq"].limb_bits > 0  # 10^18 * 1000 does not fit a 40-bit plain modulus
    assert by["rho"].limbs * by["rho"].limb_bits >= 256
    lay.check(P4096)


def test_ckks_guard():
    ck = PRESETS["ckks-8192"]
    SlotLayout((Field("x", 1000.0),), 1000).check(ck)
    with pytest.raises(SlotOverflowError) as err:
        SlotLayout((Field("x", 1e9),), 1000).check(ck)
    assert err.value.slot == "x"
    with pytest.raises(InvalidInputError):
        SlotLayout((Field("x", 2**64 - 1, 1, 32),), 10).check(ck)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(min_value=0, max_value=2**256 - 1), min_size=1, max_size=20),
    limb_bits=st.integers(min_value=8, max_value=40),
)
def test_limbs_sum_exactly(values, limb_bits):
    field = Field("rho", 2**256 - 1, 1, limb_bits)
    layout = SlotLayout((field,), len(values))
    encoded = [layout.encode(P4096, {"rho": v}) for v in values]
    assert all(0 <= s < 2**limb_bits for e in encoded for s in e)
    summed = [sum(col) for col in zip(*encoded)]  # what the key holder decrypts
    assert layout.decode(summed) == {"rho": sum(values)}


def test_encode_decode_round_trip():
    rng = random.Random(1)
    lay = stats_layout(P4096, 10, [("count", 100, 1), ("sum", 100 * 50, 1), ("sum_sq", 100 * 50**2, 1), ("hist", 100, 3)])
    vals = {"count": 7, "sum": 300, "sum_sq": 12000, "hist": [1, 2, 4], "rho": rng.getrandbits(256)}
    assert lay.decode(lay.encode(P4096, vals)) == vals


@pytest.mark.parametrize(
    "values",
    [
        {"x": 11, "h": [0, 0]},  # above maximum
        {"x": -1, "h": [0, 0]},  # negative
        {"x": True, "h": [0, 0]},  # bool is not an int here
        {"x": 1, "h": [0, True]},
        {"x": 1, "h": [0, 2.0]},  # float in a vector
        {"x": 1, "h": [0, "1"]},  # str
        {"x": 1, "h": [0, 2**70]},  # beyond int64
        {"x": 1, "h": [0, -(2**70)]},
        {"x": 1.0, "h": [0, 0]},  # float in BFV
        {"x": 1, "h": [0]},  # wrong length
        {"x": 1},  # missing field
        {"x": 1, "h": [0, 0], "y": 2},  # unknown field
    ],
)
def test_encode_refuses_bad_values(values):
    lay = SlotLayout((Field("x", 10), Field("h", 5, 2)), 3)
    with pytest.raises(InvalidInputError):
        lay.encode(P4096, values)


def test_layout_wire_round_trip_and_strictness():
    lay = SlotLayout((Field("x", 10), Field("h", 5, 2), Field("rho", 2**256 - 1, 1, 30), Field("r", 2.5)), 7)
    assert SlotLayout.from_obj(lay.to_obj()) == lay
    obj = lay.to_obj()
    for bad in (
        dict(obj, participants="7"),
        {"fields": obj["fields"], "participants": 7},  # key order
        dict(obj, fields=[["x", b"\x00\x0a", 1, 0]]),  # non-minimal integer
        dict(obj, fields=[["x", 10, 1, 0]]),  # int maxima travel as bytes
        dict(obj, fields=[["_x", b"\x0a", 1, 0]]),
        dict(obj, fields=[]),
    ):
        with pytest.raises(EnvelopeFormatError):
            SlotLayout.from_obj(bad)


def test_layout_validation():
    with pytest.raises(InvalidInputError):
        SlotLayout((Field("x", 1), Field("x", 2)), 3)
    with pytest.raises(InvalidInputError):
        Field("bad name", 3)
    with pytest.raises(InvalidInputError):
        Field("x", 0)
    with pytest.raises(InvalidInputError):
        SlotLayout((Field("x", 1),), 0)
