"""Every ``zkgate groth16|zkey|powersoftau`` command in ONE declarative table (as snarkjs's CLI
keeps its command list), read by :mod:`zkgate.cli`'s lazy loader through :data:`COMMANDS`.

Each row names the group path, the command name, the module and the click command object in it.
A command's module is imported only when that command runs (or its help is shown), so
``zkgate powersoftau verify`` does not load the Groth16 prover and ``zkgate groth16 verify``
does not load the ceremony.  Nothing registers itself by being imported.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class CommandSpec:
    """One subcommand: ``zkgate <group...> <name>`` runs ``<module>.<attribute>`` (a click command).

    ``short_help`` is the first line of the command's help, listed by ``zkgate <group...> --help``
    without importing the module (tests/test_cli_startup.py checks it equals the real command's).
    """

    group: tuple[str, ...]
    name: str
    module: str
    attribute: str
    short_help: str = ""


_GROTH16 = "zkgate.prover.cli.groth16"
_ZKEY = "zkgate.prover.cli.zkey"
_POWERSOFTAU = "zkgate.prover.cli.powersoftau"

COMMAND_TABLE: tuple[CommandSpec, ...] = (
    CommandSpec(("groth16",), "setup", _GROTH16, "setup_command",
                "Make the initial .zkey of a circuit from a prepared powers of tau."),
    CommandSpec(("groth16",), "prove", _GROTH16, "prove_command",
                "Prove with a .zkey and a witness (.wtns); write proof.json and public.json."),
    CommandSpec(("groth16",), "verify", _GROTH16, "verify_command",
                "Verify a proof: prints OK (exit 0) or INVALID (exit 1); malformed input exits 2."),
    CommandSpec(("groth16",), "verify-batch", _GROTH16, "verify_batch_command",
                "Verify every NAME.proof.json in DIR with its NAME.public.json under one key."),
    CommandSpec(("zkey",), "info", _ZKEY, "zkey_info_command",
                "Print the header of a Groth16 .zkey (sizes, public inputs, domain)."),
    CommandSpec(("zkey", "export"), "verificationkey", _ZKEY, "export_vk_command",
                "Write the verification key of KEY.zkey as snarkjs's verification_key.json."),
    CommandSpec(("zkey", "export"), "solidityverifier", _ZKEY, "export_solidity_verifier_command",
                "Write a Solidity Groth16 verifier contract for the key of KEY.zkey (or a VK.json)."),
    CommandSpec(("zkey", "export"), "soliditycalldata", _ZKEY, "export_solidity_calldata_command",
                "Print the arguments of verifyProof(a, b, c, input) for a proof (snarkjs's format)."),
    CommandSpec(("zkey",), "contribute", _ZKEY, "contribute_command",
                "Add a phase-2 contribution (snarkjs `zkey contribute`); prints its hash."),
    CommandSpec(("zkey",), "beacon", _ZKEY, "beacon_command",
                "Add the final beacon contribution (snarkjs `zkey beacon`): 2^N SHA-256 iterations."),
    CommandSpec(("zkey",), "verify", _ZKEY, "verify_command",
                "Verify a key against its circuit and powers of tau (snarkjs `zkey verify`)."),
    CommandSpec(("powersoftau",), "new", _POWERSOFTAU, "new_command",
                "Start a powers of tau of 2^POWER (snarkjs `powersoftau new bn128 POWER OUT.ptau`)."),
    CommandSpec(("powersoftau", "prepare"), "phase2", _POWERSOFTAU, "prepare_phase2_command",
                "Add the Lagrange bases phase 2 needs (snarkjs `powersoftau prepare phase2`)."),
    CommandSpec(("powersoftau",), "contribute", _POWERSOFTAU, "contribute_command",
                "Add a phase-1 contribution (snarkjs `powersoftau contribute`); prints its response hash."),
    CommandSpec(("powersoftau",), "beacon", _POWERSOFTAU, "beacon_command",
                "Add a beacon contribution (snarkjs `powersoftau beacon`): 2^N SHA-256 iterations."),
    CommandSpec(("powersoftau",), "verify", _POWERSOFTAU, "verify_command",
                "Verify a powers of tau (snarkjs `powersoftau verify`), prepared sections included."),
)

GROUP_HELP: dict[tuple[str, ...], str] = {
    ("groth16",): "Groth16 proofs over BN254, file-compatible with snarkjs.",
    ("zkey",): "Inspect and export Groth16 proving keys (.zkey).",
    ("zkey", "export"): "Export parts of a .zkey.",
    ("powersoftau",): "Powers of tau (phase 1), file-compatible with snarkjs.",
    ("powersoftau", "prepare"): "Prepare a powers of tau for a phase.",
}


def load_command(spec: CommandSpec) -> click.Command:
    """Import the module of ``spec`` and return its click command (named as the table says)."""
    command = getattr(importlib.import_module(spec.module), spec.attribute)
    if not isinstance(command, click.Command) or command.name != spec.name:
        raise TypeError(f"{spec.module}.{spec.attribute}: expected the click command {spec.name!r} "
                        "(fix zkgate/prover/cli/commands.py COMMAND_TABLE)")
    return command


class TableGroup(click.Group):
    """A click group whose subcommands and subgroups come from :data:`COMMAND_TABLE`."""

    def __init__(self, path: tuple[str, ...]) -> None:
        super().__init__(name=path[-1], help=GROUP_HELP[path])
        self.path = path

    def _children(self) -> dict[str, CommandSpec | tuple[str, ...]]:
        depth = len(self.path)
        children: dict[str, CommandSpec | tuple[str, ...]] = {}
        for spec in COMMAND_TABLE:
            if spec.group == self.path:
                children[spec.name] = spec
            elif spec.group[:depth] == self.path:
                children.setdefault(spec.group[depth], spec.group[: depth + 1])
        return children

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._children()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            child = self._children().get(cmd_name)
            if isinstance(child, CommandSpec):
                self.add_command(load_command(child))
            elif child is not None:
                self.add_command(TableGroup(child))
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands with the table's one-line help, importing none of their modules."""
        children = self._children()
        entries = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:  # not loaded: a stand-in carrying the table's help
                child = children[name]
                help_text = child.short_help if isinstance(child, CommandSpec) else GROUP_HELP[child]
                command = click.Command(name, help=help_text)
            entries.append((name, command))
        if entries:
            limit = formatter.width - 6 - max(len(name) for name, _ in entries)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in entries])


COMMANDS = [TableGroup((name,)) for name in ("groth16", "zkey", "powersoftau")]
"""The top-level groups for :data:`zkgate.cli.LAZY_COMMANDS`."""

__all__ = ["COMMANDS", "COMMAND_TABLE", "GROUP_HELP", "CommandSpec", "TableGroup", "load_command"]
