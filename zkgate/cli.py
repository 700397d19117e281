"""The ``zkgate`` command line.

Subcommand groups live beside the code they drive (``zkgate/circuits/cli.py``,
``zkgate/prover/cli/commands.py``, ``zkgate/bench.py`` ...); each such module exposes a
``COMMANDS`` list of click commands/groups, and :data:`SUBCOMMANDS` below is the one place
that loads them (lazily: zkgate's only imports done inside a function).  The table also holds
each command's one-line help, so ``zkgate --help`` imports none of the command modules.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

import click

import zkgate
from zkgate import kernels


@dataclass(frozen=True)
class LazyCommand:
    """One top-level subcommand: ``zkgate <name>`` lives in ``<module>``'s ``COMMANDS`` list.

    ``short_help`` is the first line of the command's help, shown by ``zkgate --help`` without
    importing the module (tests/test_cli_startup.py checks that it equals the real command's).
    """

    name: str
    module: str
    short_help: str


_GATEWAY_CLI = "zkgate.services.cli.gateway_cli"
_ROLES_CLI = "zkgate.services.cli.roles_cli"
_PROVER_CLI = "zkgate.prover.cli.commands"

# Where each subcommand lives.  Modules are imported only when their command runs (or its own
# --help is asked for), so `zkgate groth16 prove` does not pay for loading TenSEAL or gRPC and
# `zkgate --help` loads none of them.  Each module exposes its click commands in a COMMANDS list.
SUBCOMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand("r1cs", "zkgate.circuits.cli", "Inspect iden3 .r1cs constraint systems."),
    LazyCommand("wtns", "zkgate.circuits.cli", "Check iden3 .wtns witness files."),
    LazyCommand("groth16", _PROVER_CLI, "Groth16 proofs over BN254, file-compatible with snarkjs."),
    LazyCommand("zkey", _PROVER_CLI, "Inspect and export Groth16 proving keys (.zkey)."),
    LazyCommand("powersoftau", _PROVER_CLI, "Powers of tau (phase 1), file-compatible with snarkjs."),
    LazyCommand("study", "zkgate.study.cli", "Verifiable joint statistics (catalog, study, contribution, release)."),
    LazyCommand("schema", "zkgate.study.cli",
                "A schema's universal contribution circuit: one ceremony for every question over it."),
    LazyCommand("serve", _GATEWAY_CLI, "Run the zkgate gRPC gateway (health checking and reflection included)."),
    LazyCommand("gateway", _GATEWAY_CLI, "Talk to a running gateway: its info, catalog, studies, circuits and proofs."),
    LazyCommand("audit", _GATEWAY_CLI, "Check the gateway's tamper-evident audit log."),
    LazyCommand("store", _GATEWAY_CLI, "Examine the gateway's own store (run on the gateway's machine)."),
    LazyCommand("demo", _GATEWAY_CLI, "Run a complete verifiable joint study across simulated hospitals over gRPC."),
    LazyCommand("certs", _GATEWAY_CLI,
                "Development certificates for mutual TLS (a CA, the gateway's and each organisation's)."),
    LazyCommand("holder", _ROLES_CLI, "Data holder (hospital): keys, committed data sets, contributions."),
    LazyCommand("requester", _ROLES_CLI,
                "Requester: open a study over registered data sets, close it when contributions are in."),
    LazyCommand("keyholder", _ROLES_CLI,
                "Key holder: the study's HE keys; decrypts only the aggregate, checks it, publishes."),
    LazyCommand("committee", "zkgate.services.cli.committee_cli",
                "Key committee member: keys, the joint key's setup, decryption shares (through the gateway)."),
    LazyCommand("console", "zkgate.services.console.cli",
                "Read-only web console for regulators: studies, verdicts, charts and the audit log."),
    LazyCommand("bench", "zkgate.bench", "Quick benchmarks of the active backend (full suites: benchmarks/ in the repository)."),
)

LAZY_COMMANDS: dict[str, str] = {entry.name: entry.module for entry in SUBCOMMANDS}
"""Subcommand name -> the module that defines it (derived from :data:`SUBCOMMANDS`)."""

_SHORT_HELP: dict[str, str] = {entry.name: entry.short_help for entry in SUBCOMMANDS}


def _write_command_list(formatter: click.HelpFormatter, entries: list[tuple[str, click.Command]]) -> None:
    """Write the "Commands:" section as click does, from commands or help-only stand-ins."""
    shown = [(name, command) for name, command in entries if not command.hidden]
    if not shown:
        return
    limit = formatter.width - 6 - max(len(name) for name, _ in shown)
    with formatter.section("Commands"):
        formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in shown])


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use.

    Its help lists the subcommands from :data:`SUBCOMMANDS` without importing any module.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = LAZY_COMMANDS.get(cmd_name)
        if module_name is not None and cmd_name not in self.commands:
            module = importlib.import_module(module_name)
            for command in getattr(module, "COMMANDS", ()):
                self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        entries = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:  # not loaded: a stand-in carrying the table's one-line help
                command = click.Command(name, help=_SHORT_HELP[name])
            entries.append((name, command))
        _write_command_list(formatter, entries)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    detail = "" if kernels.BACKEND == "native" else f" ({kernels.IMPORT_ERROR})"
    click.echo(f"zkgate {zkgate.__version__}, backend {kernels.BACKEND}{detail}")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the active compute backend, then exit.",
)
def cli() -> None:
    """zkgate: verifiable joint statistics over private data.

    Groth16 proofs over BN254 (file-compatible with snarkjs) prove every contribution;
    homomorphic encryption lets the gateway add contributions it cannot read.
    Run `zkgate COMMAND --help` for the details of each command.
    """


def main() -> None:
    """Entry point of the ``zkgate`` console script: zkgate errors become clean messages."""
    try:
        cli(standalone_mode=True)
    except zkgate.ZkgateError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
