"""Fixtures for zkgate.he tests: keys are generated once per session (small degrees)."""

from __future__ import annotations

import pytest

from zkgate.he import Field, KeyHolder, SlotLayout, max_safe_limb_bits


def stats_layout(params, participants: int, fields, rho_bits: int = 256) -> SlotLayout:
    """A statistics-vector layout like a study's (fields ``(name, maximum, length)``, split into limbs
    where a sum over ``participants`` could overflow, then ``rho``), checked against ``params``."""
    limb = max_safe_limb_bits(params, participants)
    out = [Field(n, m, k, 0 if m * participants < params.safe_bound else limb) for n, m, k in fields]
    if rho_bits:
        out.append(Field("rho", (1 << rho_bits) - 1, 1, limb))
    layout = SlotLayout(tuple(out), participants)
    layout.check(params)
    return layout


@pytest.fixture(scope="session")
def bfv() -> KeyHolder:
    return KeyHolder.create("bfv-4096")


@pytest.fixture(scope="session")
def bfv_other() -> KeyHolder:
    """Another key holder with the same parameters (a different key)."""
    return KeyHolder.create("bfv-4096")


@pytest.fixture(scope="session")
def ckks() -> KeyHolder:
    return KeyHolder.create("ckks-8192")


@pytest.fixture(scope="session")
def layout(bfv: KeyHolder) -> SlotLayout:
    return stats_layout(bfv.params, 100, [("count", 1000, 1), ("sum", 1000 * 1000, 1), ("sum_sq", 1000 * 1000**2, 1),
                                          ("hist", 1000, 5)])


@pytest.fixture(scope="session")
def ckks_layout() -> SlotLayout:
    return SlotLayout((Field("mean", 1000.0), Field("values", 50.0, 16)), max_participants=10)


def _stats(rng, layout: SlotLayout) -> dict:
    """Random in-range values for a statistics layout."""
    out = {}
    for f in layout.fields:
        vals = [rng.randrange(0, f.maximum + 1) for _ in range(f.length)]
        out[f.name] = vals[0] if f.length == 1 else vals
    return out


def _total(values: list[dict]) -> dict:
    out: dict = {}
    for v in values:
        for k, x in v.items():
            if isinstance(x, list):
                out[k] = [a + b for a, b in zip(out.get(k, [0] * len(x)), x)]
            else:
                out[k] = out.get(k, 0) + x
    return out


@pytest.fixture(scope="session")
def stats():
    """stats(rng, layout): random in-range values for a layout."""
    return _stats


@pytest.fixture(scope="session")
def total():
    """total(values): the field-wise sum of contributions."""
    return _total
