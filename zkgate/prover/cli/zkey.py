"""``zkgate zkey ...``: inspect and export Groth16 proving keys (``info``, ``export
verificationkey|solidityverifier|soliditycalldata``) and run phase 2 of the trusted setup
(``contribute``, ``beacon``, ``verify``), file-compatible with snarkjs.

The commands are plain click commands; :mod:`zkgate.prover.cli.commands` puts them into the
``zkey`` and ``zkey export`` groups.  ``verify`` prints OK / INVALID and exits 0 / 1;
malformed input exits 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from zkgate.prover.ceremony.phase2 import beacon, contribute, verify_zkey
from zkgate.prover.cli.output import echo_hash
from zkgate.prover.formats.snarkjs_json import (
    read_proof,
    read_public,
    read_verifying_key,
    verifying_key_to_json,
    write_json,
)
from zkgate.prover.formats.solidity import solidity_calldata, solidity_verifier
from zkgate.prover.formats.zkey import read_zkey
from zkgate.prover.groth16.setup import is_dev_key


@click.command("verificationkey")
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(dir_okay=False))
@click.argument("vk_file", metavar="VK.json", type=click.Path(dir_okay=False, writable=True), default="verification_key.json")
def export_vk_command(zkey_file: str, vk_file: str) -> None:
    """Write the verification key of KEY.zkey as snarkjs's verification_key.json."""
    write_json(vk_file, verifying_key_to_json(read_zkey(zkey_file).verifying_key))
    click.echo(f"verification key written to {vk_file}", err=True)


@click.command("solidityverifier")
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(dir_okay=False))
@click.argument("sol_file", metavar="Verifier.sol", type=click.Path(dir_okay=False, writable=True),
                default="verifier.sol")
def export_solidity_verifier_command(zkey_file: str, sol_file: str) -> None:
    """Write a Solidity Groth16 verifier contract for the key of KEY.zkey (or a VK.json)."""
    if zkey_file.endswith(".json"):
        vk = read_verifying_key(zkey_file)
    else:
        vk = read_zkey(zkey_file).verifying_key
    Path(sol_file).write_text(solidity_verifier(vk))
    click.echo(f"Solidity verifier written to {sol_file}", err=True)


@click.command("soliditycalldata")
@click.argument("public_file", metavar="PUBLIC.json", type=click.Path(dir_okay=False), default="public.json")
@click.argument("proof_file", metavar="PROOF.json", type=click.Path(dir_okay=False), default="proof.json")
def export_solidity_calldata_command(public_file: str, proof_file: str) -> None:
    """Print the arguments of verifyProof(a, b, c, input) for a proof (snarkjs's format)."""
    click.echo(solidity_calldata(read_public(public_file), read_proof(proof_file)))


@click.command("info")
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(dir_okay=False))
def zkey_info_command(zkey_file: str) -> None:
    """Print the header of a Groth16 .zkey (sizes, public inputs, domain)."""
    key = read_zkey(zkey_file)
    rows = [
        ("protocol", "groth16"),
        ("curve", "bn128"),
        ("wires (nVars)", key.n_vars),
        ("public inputs (nPublic)", key.n_public),
        ("domain size", f"{key.domain_size} (2^{key.domain_log})"),
        ("coefficients (A and B)", len(key.coefficients)),
        ("phase-2 contributed", "no (gamma2 == delta2: insecure)" if key.gamma2 == key.delta2 else "yes"),
        ("development-only key", "YES: made by zkgate's dev setup, never use in production" if is_dev_key(key) else "no"),
    ]
    for name, value in rows:
        click.echo(f"{name}: {value}")


@click.command("contribute")
@click.argument("in_zkey", metavar="IN.zkey", type=click.Path(dir_okay=False, exists=True))
@click.argument("out_zkey", metavar="OUT.zkey", type=click.Path(dir_okay=False, writable=True))
@click.option("-n", "--name", default="", help="Contributor name recorded in the key (at most 64 characters).")
@click.option("-e", "--entropy", default=None, help="Extra entropy text (mixed with 64 bytes from the OS).")
def contribute_command(in_zkey: str, out_zkey: str, name: str, entropy: str | None) -> None:
    """Add a phase-2 contribution (snarkjs `zkey contribute`); prints its hash."""
    if entropy is None:
        entropy = click.prompt("Enter a random text. (Entropy)", hide_input=True, default="", show_default=False)
    echo_hash("Contribution Hash:", contribute(in_zkey, out_zkey, name, entropy, progress=True))


@click.command("beacon")
@click.argument("in_zkey", metavar="IN.zkey", type=click.Path(dir_okay=False, exists=True))
@click.argument("out_zkey", metavar="OUT.zkey", type=click.Path(dir_okay=False, writable=True))
@click.argument("beacon_hash", metavar="BEACON_HASH_HEX")
@click.argument("num_iterations_exp", metavar="NUM_ITERATIONS_EXP", type=int)
@click.option("-n", "--name", default="", help="Name recorded in the key.")
def beacon_command(in_zkey: str, out_zkey: str, beacon_hash: str, num_iterations_exp: int, name: str) -> None:
    """Add the final beacon contribution (snarkjs `zkey beacon`): 2^N SHA-256 iterations."""
    echo_hash("Contribution Hash:", beacon(in_zkey, out_zkey, beacon_hash, num_iterations_exp, name, progress=True))


@click.command("verify")
@click.argument("r1cs", metavar="CIRCUIT.r1cs", type=click.Path(dir_okay=False, exists=True))
@click.argument("ptau", metavar="POT.ptau", type=click.Path(dir_okay=False, exists=True))
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(dir_okay=False, exists=True))
def verify_command(r1cs: str, ptau: str, zkey_file: str) -> None:
    """Verify a key against its circuit and powers of tau (snarkjs `zkey verify`).

    Prints the circuit hash and each contribution, then OK (exit 0) or INVALID (exit 1).
    """
    report = verify_zkey(r1cs, ptau, zkey_file, progress=True)
    if report.cs_hash:
        echo_hash("Circuit Hash:", report.cs_hash)
    for i, (c, digest) in reversed(list(enumerate(report.contributions))):
        click.echo("-------------------------", err=True)
        echo_hash(f"contribution #{i + 1} {c.name}:", digest)
        if c.type == 1:
            click.echo(f"Beacon generator: {c.beacon_hash.hex()}", err=True)
            click.echo(f"Beacon iterations Exp: {c.num_iterations_exp}", err=True)
    for problem in report.problems:
        click.echo(f"INVALID: {problem}", err=True)
    click.echo("OK" if report.ok else "INVALID")
    sys.exit(0 if report.ok else 1)
