"""The ``zkgate`` command line.

Subcommand groups live beside the code they drive (``zkgate/circuits/cli.py``,
``zkgate/prover/cli/commands.py``, ``zkgate/bench.py`` ...); each such module exposes a
``COMMANDS`` list of click commands/groups, and :data:`LAZY_COMMANDS` below is the one place
that loads them (lazily: zkgate's only imports done inside a function).
"""

from __future__ import annotations

import importlib
import sys

import click

import zkgate
from zkgate import kernels

# Where each subcommand lives.  Modules are imported only when their command runs (or for
# --help), so `zkgate groth16 prove` does not pay for loading TenSEAL or gRPC.  Each module
# exposes its click commands in a COMMANDS list; tests check the two agree.
LAZY_COMMANDS = {
    "r1cs": "zkgate.circuits.cli",
    "wtns": "zkgate.circuits.cli",
    "groth16": "zkgate.prover.cli.commands",
    "zkey": "zkgate.prover.cli.commands",
    "powersoftau": "zkgate.prover.cli.commands",
    "study": "zkgate.study.cli",
    "serve": "zkgate.services.cli.gateway_cli",
    "gateway": "zkgate.services.cli.gateway_cli",
    "audit": "zkgate.services.cli.gateway_cli",
    "store": "zkgate.services.cli.gateway_cli",
    "demo": "zkgate.services.cli.gateway_cli",
    "certs": "zkgate.services.cli.gateway_cli",
    "holder": "zkgate.services.cli.roles_cli",
    "requester": "zkgate.services.cli.roles_cli",
    "keyholder": "zkgate.services.cli.roles_cli",
    "bench": "zkgate.bench",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = LAZY_COMMANDS.get(cmd_name)
        if module_name is not None and cmd_name not in self.commands:
            module = importlib.import_module(module_name)
            for command in getattr(module, "COMMANDS", ()):
                self.add_command(command)
        return super().get_command(ctx, cmd_name)


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
