"""Shared test configuration.

On the pure-Python backend (ZKGATE_PUREPYTHON=1) tests marked ``slow`` are skipped;
.ci/run runs the full suite on the native backend first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zkgate import _native

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"


def pytest_collection_modifyitems(config, items):
    if _native.BACKEND != "python":
        return
    skip_slow = pytest.mark.skip(reason="slow test: run on the native backend only")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def node_peer_available(package: str) -> bool:
    """Whether node and an npm peer package (snarkjs, circomlibjs, ...) are installed."""
    return shutil.which("node") is not None and (NODE_MODULES / package).is_dir()


def require_node_peer(package: str) -> None:
    """Skip the calling test with a clear reason when an npm peer is missing."""
    if not node_peer_available(package):
        pytest.skip(f"needs node and node_modules/{package} (run `npm install` in the repository)")
