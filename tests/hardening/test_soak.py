"""The soak script, bounded: submissions, a SIGKILL restart of a real `zkgate serve`, closes;
nothing acknowledged lost, `zkgate audit verify` passes, RSS reported (scripts/soak.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[2] / "scripts" / "soak.py"


@pytest.mark.slow  # ~30-60 s on 2 busy cores (proofs for each round are made first)
def test_soak_short_run(tmp_path):
    out = subprocess.run(
        [sys.executable, str(SOAK), "--minutes", "0.3", "--participants", "4", "--workers", "2",
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=400,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["ok"] is True
    assert summary["rounds"] >= 1 and summary["restarts"] >= 2  # one mid-round SIGKILL, one before the final checks
    assert summary["acknowledged"] == 4 * summary["rounds"]
    assert summary["rss_mib"]["max_growth_within_a_lifetime"] < 50
