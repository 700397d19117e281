"""``zkgate powersoftau ...`` (phase 1 of the trusted setup), file-compatible with snarkjs."""

from __future__ import annotations

import time

import click


@click.group()
def powersoftau() -> None:
    """Powers of tau (phase 1), file-compatible with snarkjs."""


@powersoftau.command("new")
@click.argument("curve", metavar="CURVE", type=click.Choice(["bn128", "bn254"]))
@click.argument("power", metavar="POWER", type=int)
@click.argument("out", metavar="OUT.ptau", type=click.Path(dir_okay=False, writable=True))
def new_command(curve: str, power: int, out: str) -> None:
    """Start a powers of tau of 2^POWER (snarkjs `powersoftau new bn128 POWER OUT.ptau`)."""
    from zkgate.prover.ptau import new_ptau

    started = time.perf_counter()
    new_ptau(power, out)
    click.echo(f"{out} written ({time.perf_counter() - started:.2f} s)", err=True)


@powersoftau.group("prepare")
def prepare() -> None:
    """Prepare a powers of tau for a phase."""


@prepare.command("phase2")
@click.argument("in_ptau", metavar="IN.ptau", type=click.Path(dir_okay=False, exists=True))
@click.argument("out_ptau", metavar="OUT.ptau", type=click.Path(dir_okay=False, writable=True))
def prepare_phase2_command(in_ptau: str, out_ptau: str) -> None:
    """Add the Lagrange bases phase 2 needs (snarkjs `powersoftau prepare phase2`)."""
    from zkgate.prover.ptau import prepare_phase2

    started = time.perf_counter()
    prepare_phase2(in_ptau, out_ptau, progress=True)
    click.echo(f"{out_ptau} written ({time.perf_counter() - started:.2f} s)", err=True)
