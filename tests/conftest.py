"""Shared test configuration.

On the pure-Python backend (ZKGATE_PUREPYTHON=1) tests marked ``slow`` are skipped;
.ci/run runs the full suite on the native backend first.  Helpers shared across folders are in
``testsupport.py``.
"""

from __future__ import annotations

import os

import pytest

from zkgate import _native

# Child processes (`python -m zkgate ...`, `python -c ...`) must import the zkgate the suite tests --
# the installed one -- never the source tree beside them: the checkout's zkgate/ holds no compiled
# kernels and no zkgate.services (services/ is mapped there only by the wheel).  Python 3.11's
# safe-path mode keeps the current folder (and a script's folder) off their sys.path.
os.environ["PYTHONSAFEPATH"] = "1"


def pytest_collection_modifyitems(config, items):
    if _native.BACKEND != "python":
        return
    skip_slow = pytest.mark.skip(reason="slow test: run on the native backend only")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
