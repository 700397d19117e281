"""``zkgate demo --key-holders N --threshold T`` (issue 23): the whole study through a gateway with a key
committee — verified and equal to the truth; ``--tamper share`` ends ``verified: false``, nothing
published, the bad member named; the refusals of the options."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from zkgate.services.cli.gateway_cli import demo

DEMO = [sys.executable, "-m", "zkgate", "demo", "--hospitals", "3", "--records", "16", "--chunk", "8",
        "--key-holders", "3", "--threshold", "2", "--json"]


def _run(tmp_path, *extra):
    out = subprocess.run([*DEMO, *extra], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    return out, json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # real proofs and bfv-8192 through a gateway
def test_committee_demo_verified(tmp_path):
    out, result = _run(tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert result["verified"] is True and result["released"] == result["truth"]
    assert (result["key_holders"], result["threshold"]) == (3, 2)
    assert "committed to its ciphertext's hash" in out.stderr and "closed the commit phase" in out.stderr


@pytest.mark.slow
def test_committee_demo_tampered_share_names_the_member(tmp_path):
    out, result = _run(tmp_path, "--tamper", "share")
    assert out.returncode == 1, out.stderr[-3000:]
    assert result["verified"] is False and result["released"] is None
    assert "nothing published" in result["failures"][0] and "member(s) [2]" in result["failures"][0]


@pytest.mark.parametrize("args, message", [
    (["--key-holders", "3", "--hospitals", "2"], "quorum >= 3"),
    (["--threshold", "2"], "--threshold"),
    (["--key-holders", "2", "--threshold", "3"], "--threshold"),
    (["--tamper", "share"], "needs a key committee"),
])
def test_committee_demo_options_refused(args, message):
    out = CliRunner().invoke(demo, args)
    assert out.exit_code == 2 and message in out.output, out.output
