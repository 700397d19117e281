"""Fixtures for the circuit tests: an isolated compile cache (node helpers: tests/testsupport.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ZKGATE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "zkgate-cache"))
