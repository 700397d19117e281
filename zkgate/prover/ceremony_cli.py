"""Trusted-setup commands: ``zkgate groth16 setup``, ``zkgate zkey contribute|beacon|verify``
and the ``zkgate powersoftau`` group, shaped like snarkjs's so that users can swap tools.

``verify`` commands print OK / INVALID and exit 0 / 1; malformed input exits 2.
"""

from __future__ import annotations

import sys
import time
import warnings

import click

from zkgate.errors import ZkgateError


def _echo_hash(title: str, digest: bytes) -> None:
    """snarkjs's ``formatHash``: four lines of four big-endian u32 words."""
    click.echo(title, err=True)
    for i in range(4):
        words = [digest[16 * i + 4 * j : 16 * i + 4 * j + 4].hex() for j in range(4)]
        click.echo("\t\t" + " ".join(words), err=True)


def setup_command(args: tuple[str, ...], dev: bool) -> None:
    """Make the initial .zkey of a circuit from a prepared powers of tau.

    \b
    zkgate groth16 setup CIRCUIT.r1cs POT.ptau OUT.zkey
    zkgate groth16 setup --dev CIRCUIT.r1cs OUT.zkey   (development only: no ceremony)

    The key from a .ptau is the one snarkjs makes (`snarkjs zkey verify` accepts it); it still
    needs at least one phase-2 contribution (`zkgate zkey contribute`) before real use.
    """
    from zkgate.prover.setup import DevKeyWarning, dev_setup, setup_from_ptau

    started = time.perf_counter()
    if dev:
        if len(args) != 2:
            raise click.UsageError("--dev takes CIRCUIT.r1cs OUT.zkey")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DevKeyWarning)
            dev_setup(args[0], args[1], progress=True)
        click.echo(f"WARNING: {args[1]} is a DEVELOPMENT-ONLY key (toxic waste drawn and discarded by this "
                   "process, no ceremony); never use it outside development", err=True)
    else:
        if len(args) != 3:
            raise click.UsageError("expected CIRCUIT.r1cs POT.ptau OUT.zkey (or --dev CIRCUIT.r1cs OUT.zkey)")
        cs_hash = setup_from_ptau(*args, progress=True, on_note=lambda note: click.echo(f"NOTE: {note}", err=True))
        _echo_hash("Circuit hash:", cs_hash)
    click.echo(f"key written to {args[-1]} ({time.perf_counter() - started:.2f} s)", err=True)


def register(groth16: click.Group, zkey: click.Group) -> click.Group:
    """Attach the setup commands to the ``groth16`` and ``zkey`` groups; return the
    ``powersoftau`` group (for the ``COMMANDS`` list)."""
    groth16.command("setup")(
        click.option("--dev", is_flag=True, help="One-step development-only setup (no .ptau, no ceremony).")(
            click.argument("args", nargs=-1, required=True, metavar="CIRCUIT.r1cs [POT.ptau] OUT.zkey")(setup_command)
        )
    )
    from zkgate.prover import ceremony_cli_zkey, ceremony_cli_ptau

    ceremony_cli_zkey.register(zkey)
    return ceremony_cli_ptau.powersoftau
