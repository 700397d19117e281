"""Helpers shared by the test folders (imported as ``testsupport``; tests/ is on sys.path).

Shared helpers live here rather than in a conftest.py: several folders have their own
conftest.py, and ``from conftest import ...`` would pick whichever loaded first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"
NPM_PEERS = ("snarkjs", "circomlibjs", "circomlib", "circom2")


def node_peer_available(package: str) -> bool:
    """Whether node and an npm peer package (snarkjs, circomlibjs, ...) are installed."""
    return shutil.which("node") is not None and (NODE_MODULES / package).is_dir()


def require_node_peer(package: str) -> None:
    """Skip the calling test with a clear reason when an npm peer is missing."""
    if not node_peer_available(package):
        pytest.skip(f"needs node and node_modules/{package} (run `npm ci` in the repository)")


def node_missing_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (CI installs it)"
    for package in NPM_PEERS:
        if not (NODE_MODULES / package).is_dir():
            return f"node_modules/{package} is missing (run npm ci)"
    return None


requires_node = pytest.mark.skipif(node_missing_reason() is not None, reason=node_missing_reason() or "")


def run_node(script: str, payload) -> object:
    """Run a node script (CommonJS) with JSON ``payload`` on stdin; parse its JSON stdout."""
    proc = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
        env=dict(os.environ, NODE_PATH=str(NODE_MODULES)),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"node failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def snarkjs(*args, cwd=REPO_ROOT) -> subprocess.CompletedProcess:
    """Run the installed snarkjs CLI (no check on the exit status)."""
    return subprocess.run(
        [str(NODE_MODULES / ".bin" / "snarkjs"), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )
