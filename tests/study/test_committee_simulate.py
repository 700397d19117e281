"""A whole study with a key committee instead of a single key holder (issue 23), in one process:
``zkgate study simulate --key-holders N --threshold T`` and its --tamper share."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from zkgate.study.cli import study
from zkgate.study.simulate import simulate


@pytest.mark.slow  # real proofs and BFV on bfv-8192: minutes on the pure-Python twins
def test_committee_study_verified_and_exact():
    res = simulate(holders=3, records=25, seed=3, key_holders=4, threshold=3, preset="bfv-8192")
    assert res.verified and res.status == "verified"
    assert res.released == res.truth
    assert (res.key_holders, res.threshold) == (4, 3)


@pytest.mark.slow
@pytest.mark.parametrize("tamper, reason", [
    ("share", r"member\(s\) \[2\] as posting wrong decryption shares"),
    ("aggregator", "not the sum this member recomputed"),
])
def test_committee_study_tampered(tamper, reason):
    import re

    res = simulate(holders=3, records=20, seed=4, key_holders=3, threshold=2, preset="bfv-8192", tamper=tamper)
    assert not res.verified and res.released is None
    assert re.search(reason, res.reason), res.reason


@pytest.mark.slow
def test_cli_key_holders_json():
    out = CliRunner().invoke(study, ["simulate", "--holders", "3", "--records", "15", "--key-holders", "3",
                                     "--threshold", "2", "--json"])
    assert out.exit_code == 0, out.output
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["verified"] and line["preset"] == "bfv-8192" and (line["key_holders"], line["threshold"]) == (3, 2)


@pytest.mark.parametrize("args, message", [
    (["--key-holders", "3", "--preset", "bfv-4096"], "bfv-4096 cannot serve a key committee"),
    (["--threshold", "2"], "--threshold"),
    (["--key-holders", "2", "--threshold", "3"], "--threshold"),
    (["--tamper", "share"], "needs a key committee"),
    (["--key-holders", "3", "--he", "ckks"], "BFV studies only"),
    (["--key-holders", "3"], "needs quorum >= 3"),  # --holders 2: the spec refuses a committee study below 3
])
def test_cli_key_holders_refused(args, message):
    out = CliRunner().invoke(study, ["simulate", "--holders", "2", "--records", "5", *args])
    assert out.exit_code == 2 and message in out.output, out.output
