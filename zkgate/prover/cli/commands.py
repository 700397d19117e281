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
    """One subcommand: ``zkgate <group...> <name>`` runs ``<module>.<attribute>`` (a click command)."""

    group: tuple[str, ...]
    name: str
    module: str
    attribute: str


_GROTH16 = "zkgate.prover.cli.groth16"
_ZKEY = "zkgate.prover.cli.zkey"
_POWERSOFTAU = "zkgate.prover.cli.powersoftau"

COMMAND_TABLE: tuple[CommandSpec, ...] = (
    CommandSpec(("groth16",), "setup", _GROTH16, "setup_command"),
    CommandSpec(("groth16",), "prove", _GROTH16, "prove_command"),
    CommandSpec(("groth16",), "verify", _GROTH16, "verify_command"),
    CommandSpec(("groth16",), "verify-batch", _GROTH16, "verify_batch_command"),
    CommandSpec(("zkey",), "info", _ZKEY, "zkey_info_command"),
    CommandSpec(("zkey", "export"), "verificationkey", _ZKEY, "export_vk_command"),
    CommandSpec(("zkey", "export"), "solidityverifier", _ZKEY, "export_solidity_verifier_command"),
    CommandSpec(("zkey", "export"), "soliditycalldata", _ZKEY, "export_solidity_calldata_command"),
    CommandSpec(("zkey",), "contribute", _ZKEY, "contribute_command"),
    CommandSpec(("zkey",), "beacon", _ZKEY, "beacon_command"),
    CommandSpec(("zkey",), "verify", _ZKEY, "verify_command"),
    CommandSpec(("powersoftau",), "new", _POWERSOFTAU, "new_command"),
    CommandSpec(("powersoftau", "prepare"), "phase2", _POWERSOFTAU, "prepare_phase2_command"),
    CommandSpec(("powersoftau",), "contribute", _POWERSOFTAU, "contribute_command"),
    CommandSpec(("powersoftau",), "beacon", _POWERSOFTAU, "beacon_command"),
    CommandSpec(("powersoftau",), "verify", _POWERSOFTAU, "verify_command"),
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


COMMANDS = [TableGroup((name,)) for name in ("groth16", "zkey", "powersoftau")]
"""The top-level groups for :data:`zkgate.cli.LAZY_COMMANDS`."""

__all__ = ["COMMANDS", "COMMAND_TABLE", "GROUP_HELP", "CommandSpec", "TableGroup", "load_command"]
