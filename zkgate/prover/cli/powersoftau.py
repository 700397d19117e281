"""``zkgate powersoftau new|prepare phase2|contribute|beacon|verify`` (phase 1 of the trusted setup),
file-compatible with snarkjs.

The commands are plain click commands; :mod:`zkgate.prover.cli.commands` puts them into the
``powersoftau`` and ``powersoftau prepare`` groups.
"""

from __future__ import annotations

import sys
import time

import click

from zkgate.prover.ceremony.phase1_contribute import beacon, contribute
from zkgate.prover.ceremony.phase1_verify import verify_ptau
from zkgate.prover.cli.output import echo_hash
from zkgate.prover.formats.ptau import new_ptau, prepare_phase2, read_ptau


@click.command("new")
@click.argument("curve", metavar="CURVE", type=click.Choice(["bn128", "bn254"]))
@click.argument("power", metavar="POWER", type=int)
@click.argument("out", metavar="OUT.ptau", type=click.Path(dir_okay=False, writable=True))
def new_command(curve: str, power: int, out: str) -> None:
    """Start a powers of tau of 2^POWER (snarkjs `powersoftau new bn128 POWER OUT.ptau`)."""
    started = time.perf_counter()
    new_ptau(power, out)
    click.echo(f"{out} written ({time.perf_counter() - started:.2f} s)", err=True)


@click.command("phase2")
@click.argument("in_ptau", metavar="IN.ptau", type=click.Path(dir_okay=False, exists=True))
@click.argument("out_ptau", metavar="OUT.ptau", type=click.Path(dir_okay=False, writable=True))
def prepare_phase2_command(in_ptau: str, out_ptau: str) -> None:
    """Add the Lagrange bases phase 2 needs (snarkjs `powersoftau prepare phase2`)."""
    started = time.perf_counter()
    prepare_phase2(in_ptau, out_ptau, progress=True)
    click.echo(f"{out_ptau} written ({time.perf_counter() - started:.2f} s)", err=True)


def _warn_prepared(path: str) -> None:
    if read_ptau(path).prepared:
        click.echo("WARNING: contributing into a file that has phase 2 calculated: the output drops sections "
                   "12-15, run `zkgate powersoftau prepare phase2` again", err=True)


@click.command("contribute")
@click.argument("in_ptau", metavar="IN.ptau", type=click.Path(dir_okay=False, exists=True))
@click.argument("out_ptau", metavar="OUT.ptau", type=click.Path(dir_okay=False, writable=True))
@click.option("-n", "--name", default="", help="Contributor name recorded in the file (at most 64 characters).")
@click.option("-e", "--entropy", default=None, help="Extra entropy text (mixed with 64 bytes from the OS).")
def contribute_command(in_ptau: str, out_ptau: str, name: str, entropy: str | None) -> None:
    """Add a phase-1 contribution (snarkjs `powersoftau contribute`); prints its response hash."""
    _warn_prepared(in_ptau)
    if entropy is None:
        entropy = click.prompt("Enter a random text. (Entropy)", hide_input=True, default="", show_default=False)
    started = time.perf_counter()
    echo_hash("Contribution Response Hash:", contribute(in_ptau, out_ptau, name, entropy, progress=True))
    click.echo(f"{out_ptau} written ({time.perf_counter() - started:.2f} s)", err=True)


@click.command("beacon")
@click.argument("in_ptau", metavar="IN.ptau", type=click.Path(dir_okay=False, exists=True))
@click.argument("out_ptau", metavar="OUT.ptau", type=click.Path(dir_okay=False, writable=True))
@click.argument("beacon_hash", metavar="BEACON_HASH_HEX")
@click.argument("num_iterations_exp", metavar="NUM_ITERATIONS_EXP", type=int)
@click.option("-n", "--name", default="", help="Name recorded in the file.")
def beacon_command(in_ptau: str, out_ptau: str, beacon_hash: str, num_iterations_exp: int, name: str) -> None:
    """Add a beacon contribution (snarkjs `powersoftau beacon`): 2^N SHA-256 iterations."""
    _warn_prepared(in_ptau)
    started = time.perf_counter()
    echo_hash("Contribution Response Hash:", beacon(in_ptau, out_ptau, beacon_hash, num_iterations_exp, name,
                                                    progress=True))
    click.echo(f"{out_ptau} written ({time.perf_counter() - started:.2f} s)", err=True)


@click.command("verify")
@click.argument("in_ptau", metavar="IN.ptau", type=click.Path(dir_okay=False, exists=True))
def verify_command(in_ptau: str) -> None:
    """Verify a powers of tau (snarkjs `powersoftau verify`), prepared sections included.

    Prints each contribution, then OK (exit 0) or INVALID (exit 1); a malformed file (a point
    off the curve, a bad record) exits 2 with the file, section and field named.
    """
    report = verify_ptau(in_ptau, progress=True)
    for i, (c, response) in enumerate(report.contributions):
        click.echo("-----------------------------------------------------", err=True)
        click.echo(f"Contribution #{i + 1}: {c.name}", err=True)
        echo_hash("Next Challenge:", c.next_challenge)
        echo_hash("Response Hash:", response)
        if c.type == 1:
            click.echo(f"Beacon generator: {c.beacon_hash.hex()}", err=True)
            click.echo(f"Beacon iterations Exp: {c.num_iterations_exp}", err=True)
    if report.ok and not report.prepared:
        click.echo("this file does not contain the phase-2 values: run `zkgate powersoftau prepare phase2` "
                   "before using it in phase 2", err=True)
    for problem in report.problems:
        click.echo(f"INVALID: {problem}", err=True)
    click.echo("OK" if report.ok else "INVALID")
    sys.exit(0 if report.ok else 1)
