"""Shared fixtures for the circuit tests: an isolated compile cache and node tooling."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ZKGATE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "zkgate-cache"))


def node_missing_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (CI installs it)"
    for pkg in ("snarkjs", "circomlibjs", "circomlib", "circom2"):
        if not (NODE_MODULES / pkg).is_dir():
            return f"node_modules/{pkg} is missing (run npm ci)"
    return None


requires_node = pytest.mark.skipif(node_missing_reason() is not None, reason=node_missing_reason() or "")


def run_node(script: str, payload) -> object:
    """Run a node script (CommonJS) with JSON ``payload`` on stdin; parse its JSON stdout."""
    proc = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env=dict(os.environ, NODE_PATH=str(NODE_MODULES)),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"node failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def snarkjs(*args, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run([str(NODE_MODULES / ".bin" / "snarkjs"), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)
