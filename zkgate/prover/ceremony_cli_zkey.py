"""``zkgate zkey contribute|beacon|verify`` (phase 2 of the trusted setup)."""

from __future__ import annotations

import sys

import click


def _hash(title: str, digest: bytes) -> None:
    from zkgate.prover.ceremony_cli import _echo_hash

    _echo_hash(title, digest)


@click.command("contribute")
@click.argument("in_zkey", metavar="IN.zkey", type=click.Path(dir_okay=False, exists=True))
@click.argument("out_zkey", metavar="OUT.zkey", type=click.Path(dir_okay=False, writable=True))
@click.option("-n", "--name", default="", help="Contributor name recorded in the key (at most 64 characters).")
@click.option("-e", "--entropy", default=None, help="Extra entropy text (mixed with 64 bytes from the OS).")
def contribute_command(in_zkey: str, out_zkey: str, name: str, entropy: str | None) -> None:
    """Add a phase-2 contribution (snarkjs `zkey contribute`); prints its hash."""
    from zkgate.prover.ceremony import contribute

    if entropy is None:
        entropy = click.prompt("Enter a random text. (Entropy)", hide_input=True, default="", show_default=False)
    _hash("Contribution Hash:", contribute(in_zkey, out_zkey, name, entropy, progress=True))


@click.command("beacon")
@click.argument("in_zkey", metavar="IN.zkey", type=click.Path(dir_okay=False, exists=True))
@click.argument("out_zkey", metavar="OUT.zkey", type=click.Path(dir_okay=False, writable=True))
@click.argument("beacon_hash", metavar="BEACON_HASH_HEX")
@click.argument("num_iterations_exp", metavar="NUM_ITERATIONS_EXP", type=int)
@click.option("-n", "--name", default="", help="Name recorded in the key.")
def beacon_command(in_zkey: str, out_zkey: str, beacon_hash: str, num_iterations_exp: int, name: str) -> None:
    """Add the final beacon contribution (snarkjs `zkey beacon`): 2^N SHA-256 iterations."""
    from zkgate.prover.ceremony import beacon

    _hash("Contribution Hash:", beacon(in_zkey, out_zkey, beacon_hash, num_iterations_exp, name, progress=True))


@click.command("verify")
@click.argument("r1cs", metavar="CIRCUIT.r1cs", type=click.Path(dir_okay=False, exists=True))
@click.argument("ptau", metavar="POT.ptau", type=click.Path(dir_okay=False, exists=True))
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(dir_okay=False, exists=True))
def verify_command(r1cs: str, ptau: str, zkey_file: str) -> None:
    """Verify a key against its circuit and powers of tau (snarkjs `zkey verify`).

    Prints the circuit hash and each contribution, then OK (exit 0) or INVALID (exit 1).
    """
    from zkgate.prover.ceremony import verify_zkey

    report = verify_zkey(r1cs, ptau, zkey_file, progress=True)
    if report.cs_hash:
        _hash("Circuit Hash:", report.cs_hash)
    for i, (c, digest) in reversed(list(enumerate(report.contributions))):
        click.echo("-------------------------", err=True)
        _hash(f"contribution #{i + 1} {c.name}:", digest)
        if c.type == 1:
            click.echo(f"Beacon generator: {c.beacon_hash.hex()}", err=True)
            click.echo(f"Beacon iterations Exp: {c.num_iterations_exp}", err=True)
    for problem in report.problems:
        click.echo(f"INVALID: {problem}", err=True)
    click.echo("OK" if report.ok else "INVALID")
    sys.exit(0 if report.ok else 1)


def register(zkey) -> None:
    zkey.add_command(contribute_command)
    zkey.add_command(beacon_command)
    zkey.add_command(verify_command)
