"""`zkgate study simulate`: verified run, JSON last line, and each tamper mode."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from zkgate.cli import cli


def _run(*args):
    res = CliRunner().invoke(cli, ["study", "simulate", "--holders", "3", "--records", "5", "--chunk", "4",
                                   "--seed", "3", "--json", *args])
    return res.exit_code, json.loads(res.output.strip().splitlines()[-1])


@pytest.mark.slow  # ~95 s on the pure-Python backend; the world fixture covers it there
def test_simulate_verified():
    code, out = _run()
    assert code == 0 and out["verified"] is True
    assert out["released"] == out["truth"] and set(out["released"]) == set(out["truth"])
    assert out["chunks_per_holder"] == 2


@pytest.mark.slow
@pytest.mark.parametrize("mode,reason", [
    ("participant", "refused to publish"),
    ("aggregator", "refused to publish"),
    ("keyholder", "commitment equation"),
])
def test_simulate_tamper(mode, reason):
    code, out = _run("--tamper", mode)
    assert code == 1 and out["verified"] is False and reason in out["reason"]
