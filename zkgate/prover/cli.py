"""``zkgate groth16 ...`` and ``zkgate zkey ...``: snarkjs-shaped commands, so users can swap tools.

Exit codes follow snarkjs: ``verify`` exits 0 for OK and 1 for INVALID; malformed input exits 2
with a message naming the file and field.
"""

from __future__ import annotations

import sys
import time

import click

from zkgate.errors import ZkgateError


@click.group()
def groth16() -> None:
    """Groth16 proofs over BN254, file-compatible with snarkjs."""


@groth16.command("prove")
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(dir_okay=False))
@click.argument("witness_file", metavar="WITNESS.wtns", type=click.Path(dir_okay=False))
@click.argument("proof_file", metavar="PROOF.json", type=click.Path(dir_okay=False, writable=True))
@click.argument("public_file", metavar="PUBLIC.json", type=click.Path(dir_okay=False, writable=True))
@click.option("--no-check", is_flag=True, help="Skip verifying the proof before writing it.")
def prove_command(zkey_file: str, witness_file: str, proof_file: str, public_file: str, no_check: bool) -> None:
    """Prove with a .zkey and a witness (.wtns); write proof.json and public.json.

    The proof is verified before it is written, so a witness that does not satisfy the circuit
    is refused (use --no-check to skip that).
    """
    from zkgate.bn254 import FrArray
    from zkgate.circuits.wtnsfile import read_wtns
    from zkgate.prover.prove import prove
    from zkgate.prover.snarkjs_json import proof_to_json, public_to_json, write_json
    from zkgate.prover.zkey import read_zkey

    from zkgate.prover.setup import is_dev_key

    started = time.perf_counter()
    key = read_zkey(zkey_file)
    if is_dev_key(key):
        click.echo(f"warning: {zkey_file} is a DEVELOPMENT-ONLY key (zkgate dev setup): its proofs prove nothing", err=True)
    witness = FrArray(read_wtns(witness_file), check=False)  # range-checked by prove
    if len(witness) != key.n_vars:
        raise ZkgateError(f"{witness_file}: the witness has {len(witness)} values but {zkey_file} needs {key.n_vars}")
    if key.domain_size >= 1 << 14:  # long enough to show progress
        from rich.console import Console

        console = Console(stderr=True)
        with console.status(f"proving ({key.domain_size} rows, {key.n_vars} wires) ...") as status:
            started_step = [time.perf_counter(), ""]

            def step(name: str) -> None:
                if started_step[1]:
                    console.log(f"{started_step[1]}: {time.perf_counter() - started_step[0]:.2f} s")
                started_step[:] = [time.perf_counter(), name]
                status.update(name)

            proof, public = prove(key, witness, check=not no_check, step=step, low_memory=True)
            step("")
    else:
        proof, public = prove(key, witness, check=not no_check, low_memory=True)
    write_json(proof_file, proof_to_json(proof))
    write_json(public_file, public_to_json(public))
    click.echo(f"proof written to {proof_file}, public signals to {public_file} ({time.perf_counter() - started:.2f} s)", err=True)


@groth16.command("verify")
@click.argument("vk_file", metavar="VK.json", type=click.Path(dir_okay=False))
@click.argument("public_file", metavar="PUBLIC.json", type=click.Path(dir_okay=False))
@click.argument("proof_file", metavar="PROOF.json", type=click.Path(dir_okay=False))
def verify_command(vk_file: str, public_file: str, proof_file: str) -> None:
    """Verify a proof: prints OK (exit 0) or INVALID (exit 1); malformed input exits 2."""
    from zkgate.prover.snarkjs_json import read_proof, read_public, read_verifying_key
    from zkgate.prover.verify import verify

    vk = read_verifying_key(vk_file)
    public = read_public(public_file)
    proof = read_proof(proof_file)
    try:
        ok = verify(vk, public, proof)
    except ZkgateError as exc:
        raise ZkgateError(f"{public_file} / {proof_file}: {exc}") from exc
    click.echo("OK" if ok else "INVALID")
    sys.exit(0 if ok else 1)


@click.group()
def zkey() -> None:
    """Inspect and export Groth16 proving keys (.zkey)."""


@zkey.group("export")
def zkey_export() -> None:
    """Export parts of a .zkey."""


@zkey_export.command("verificationkey")
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(dir_okay=False))
@click.argument("vk_file", metavar="VK.json", type=click.Path(dir_okay=False, writable=True), default="verification_key.json")
def export_vk_command(zkey_file: str, vk_file: str) -> None:
    """Write the verification key of KEY.zkey as snarkjs's verification_key.json."""
    from zkgate.prover.snarkjs_json import verifying_key_to_json, write_json
    from zkgate.prover.zkey import read_zkey

    write_json(vk_file, verifying_key_to_json(read_zkey(zkey_file).verifying_key))
    click.echo(f"verification key written to {vk_file}", err=True)


@zkey.command("info")
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(dir_okay=False))
def zkey_info_command(zkey_file: str) -> None:
    """Print the header of a Groth16 .zkey (sizes, public inputs, domain)."""
    from zkgate.prover.setup import is_dev_key
    from zkgate.prover.zkey import read_zkey

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


COMMANDS = [groth16, zkey]

# Trusted setup (issue 6): `groth16 setup`, `zkey contribute|beacon|verify`, `powersoftau ...`.
from zkgate.prover.ceremony_cli import register as _register_ceremony  # noqa: E402

COMMANDS.append(_register_ceremony(groth16, zkey))

# Verification (issue 7): `groth16 verify-batch`, `zkey export solidityverifier|soliditycalldata`.
from zkgate.prover.verify_cli import register as _register_verification  # noqa: E402

_register_verification(groth16, zkey_export)
