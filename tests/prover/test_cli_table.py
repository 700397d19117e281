"""zkgate/prover/cli/commands.py: every row of the command table loads, and the groups the
`zkgate` CLI shows are exactly the table's."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from zkgate.cli import cli
from zkgate.prover.cli.commands import COMMAND_TABLE, COMMANDS, GROUP_HELP, CommandSpec, load_command


@pytest.mark.parametrize("spec", COMMAND_TABLE, ids=lambda s: " ".join((*s.group, s.name)))
def test_every_row_loads_its_command(spec):
    command = load_command(spec)
    assert isinstance(command, click.Command) and command.name == spec.name
    result = CliRunner().invoke(cli, [*spec.group, spec.name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {' '.join((*spec.group, spec.name))}" in result.output


def test_groups_list_exactly_the_table():
    assert [group.name for group in COMMANDS] == ["groth16", "zkey", "powersoftau"]
    for path in GROUP_HELP:
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, result.output
        listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
        expected = {s.name for s in COMMAND_TABLE if s.group == path}
        expected |= {s.group[len(path)] for s in COMMAND_TABLE if len(s.group) > len(path) and s.group[: len(path)] == path}
        assert listed == expected


def test_a_wrong_row_is_refused():
    with pytest.raises(TypeError, match="COMMAND_TABLE"):
        load_command(CommandSpec(("groth16",), "prove", "zkgate.prover.cli.groth16", "verify_command"))
