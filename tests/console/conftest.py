"""Console fixtures: a dev gateway that ran real small studies (proofs, HE aggregation, release)."""

from __future__ import annotations

import pytest
from console_support import HOSTILE_TITLE, run_study

from testsupport import dev_gateway


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    yield from dev_gateway(tmp_path_factory)


@pytest.fixture(scope="module")
def studies(gateway):
    """A released study whose title is a script tag, and an open one with one of two contributions."""
    released = run_study(gateway.address, HOSTILE_TITLE, seed=3)
    open_ = run_study(gateway.address, "cholesterol & <b>blood pressure</b>", seed=4, submit=1, release=False)
    return {"released": released, "open": open_}
