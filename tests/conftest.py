"""Shared test configuration.

On the pure-Python backend (ZKGATE_PUREPYTHON=1) tests marked ``slow`` are skipped;
.ci/run runs the full suite on the native backend first.  Helpers shared across folders are in
``testsupport.py``.
"""

from __future__ import annotations

import pytest

from zkgate import _native


def pytest_collection_modifyitems(config, items):
    if _native.BACKEND != "python":
        return
    skip_slow = pytest.mark.skip(reason="slow test: run on the native backend only")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
