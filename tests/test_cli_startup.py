"""`zkgate --help` and `zkgate GROUP --help` list commands from the lazy tables without importing
the command modules; the tables' one-line help cannot drift from the real commands' help."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys

import pytest

from zkgate import cli
from zkgate.prover.cli.commands import COMMAND_TABLE, load_command

HEAVY = ("grpc", "tenseal", "zkgate.services", "zkgate.study", "zkgate.prover.groth16", "zkgate.prover.cli.groth16",
         "zkgate.prover.cli.zkey", "zkgate.prover.cli.powersoftau", "zkgate.circuits.cli", "zkgate.bench")


def _first_help_line(command) -> str:
    return inspect.cleandoc(command.help or "").splitlines()[0]


def _loaded_after(args: list[str]) -> tuple[str, list[str]]:
    """Run `zkgate ARGS` in a fresh interpreter; return its output and the heavy modules it loaded."""
    code = (
        "import json, sys\nfrom zkgate.cli import cli\n"
        f"try:\n    cli({args!r}, prog_name='zkgate')\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        f"print('LOADED', json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    listing, _, loaded = out.rpartition("LOADED ")
    return listing, json.loads(loaded)


@pytest.mark.parametrize("entry", cli.SUBCOMMANDS, ids=lambda e: e.name)
def test_top_level_short_help_matches_the_command(entry):
    commands = {command.name: command for command in importlib.import_module(entry.module).COMMANDS}
    assert entry.short_help == _first_help_line(commands[entry.name])


@pytest.mark.parametrize("spec", COMMAND_TABLE, ids=lambda s: " ".join((*s.group, s.name)))
def test_prover_table_short_help_matches_the_command(spec):
    assert spec.short_help and spec.short_help == _first_help_line(load_command(spec))


def test_zkgate_help_lists_every_command_without_importing_them():
    listing, loaded = _loaded_after(["--help"])
    assert loaded == []
    for entry in cli.SUBCOMMANDS:
        assert f"  {entry.name} " in listing
    assert "Inspect iden3 .r1cs constraint systems." in listing


def test_group_help_lists_commands_without_importing_them():
    listing, loaded = _loaded_after(["groth16", "--help"])
    assert loaded == []
    assert "verify-batch" in listing and "Prove with a .zkey and a witness" in listing
    _, loaded = _loaded_after(["zkey", "export", "--help"])
    assert loaded == []


def test_command_help_imports_only_its_module():
    listing, loaded = _loaded_after(["groth16", "prove", "--help"])
    assert "Usage: zkgate groth16 prove" in listing
    assert "zkgate.prover.cli.groth16" in loaded
    assert not {"grpc", "tenseal", "zkgate.services", "zkgate.study", "zkgate.prover.cli.zkey"} & set(loaded)
