"""``zkgate groth16 setup|prove|verify|verify-batch``: snarkjs-shaped commands, so users can swap tools.

The commands are plain click commands; :mod:`zkgate.prover.cli.commands` puts them into the
``groth16`` group.  Exit codes follow snarkjs: ``verify`` exits 0 for OK and 1 for INVALID;
malformed input exits 2 with a message naming the file and field.  ``verify-batch`` prints one
``NAME: OK|INVALID|ERROR`` line per proof and exits 0 when all are valid, 1 when some are
invalid, 2 when some input is malformed (details on stderr).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import click
from rich.console import Console

from zkgate.bn254 import Q_MOD, FrArray
from zkgate.circuits.wtnsfile import read_wtns
from zkgate.errors import FormatError, InvalidInputError, ZkgateError
from zkgate.prover.cli.output import echo_hash
from zkgate.prover.formats.snarkjs_json import (
    _load,
    _require,
    proof_to_json,
    public_to_json,
    read_proof,
    read_public,
    read_verifying_key,
    write_json,
)
from zkgate.prover.formats.zkey import read_zkey
from zkgate.prover.groth16.batch import verify_batch
from zkgate.prover.groth16.keys import Proof
from zkgate.prover.groth16.prove import prove
from zkgate.prover.groth16.setup import DevKeyWarning, dev_setup, is_dev_key, setup_from_ptau
from zkgate.prover.groth16.verify import check_proof, check_public_inputs, prepare_verifying_key, verify
from zkgate.safejson import parse_decimal

PROOF_SUFFIX = ".proof.json"
PUBLIC_SUFFIX = ".public.json"


@click.command("setup")
@click.option("--dev", is_flag=True, help="One-step development-only setup (no .ptau, no ceremony).")
@click.argument("args", nargs=-1, required=True, metavar="CIRCUIT.r1cs [POT.ptau] OUT.zkey")
def setup_command(args: tuple[str, ...], dev: bool) -> None:
    """Make the initial .zkey of a circuit from a prepared powers of tau.

    \b
    zkgate groth16 setup CIRCUIT.r1cs POT.ptau OUT.zkey
    zkgate groth16 setup --dev CIRCUIT.r1cs OUT.zkey   (development only: no ceremony)

    The key from a .ptau is the one snarkjs makes (`snarkjs zkey verify` accepts it); it still
    needs at least one phase-2 contribution (`zkgate zkey contribute`) before real use.
    """
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
        echo_hash("Circuit hash:", cs_hash)
    click.echo(f"key written to {args[-1]} ({time.perf_counter() - started:.2f} s)", err=True)


@click.command("prove")
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
    started = time.perf_counter()
    key = read_zkey(zkey_file)
    if is_dev_key(key):
        click.echo(f"warning: {zkey_file} is a DEVELOPMENT-ONLY key (zkgate dev setup): its proofs prove nothing", err=True)
    witness = FrArray(read_wtns(witness_file), check=False)  # range-checked by prove
    if len(witness) != key.n_vars:
        raise ZkgateError(f"{witness_file}: the witness has {len(witness)} values but {zkey_file} needs {key.n_vars}")
    if key.domain_size >= 1 << 14:  # long enough to show progress
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


@click.command("verify")
@click.argument("vk_file", metavar="VK.json", type=click.Path(dir_okay=False))
@click.argument("public_file", metavar="PUBLIC.json", type=click.Path(dir_okay=False))
@click.argument("proof_file", metavar="PROOF.json", type=click.Path(dir_okay=False))
def verify_command(vk_file: str, public_file: str, proof_file: str) -> None:
    """Verify a proof: prints OK (exit 0) or INVALID (exit 1); malformed input exits 2."""
    vk = read_verifying_key(vk_file)
    public = read_public(public_file)
    proof = read_proof(proof_file)
    try:
        ok = verify(vk, public, proof)
    except ZkgateError as exc:
        raise ZkgateError(f"{public_file} / {proof_file}: {exc}") from exc
    click.echo("OK" if ok else "INVALID")
    sys.exit(0 if ok else 1)


def read_proof_fast(path: Path):
    """proof.json with the same checks and errors as ``snarkjs_json.read_proof``, but the G2
    subgroup test of B is the fast psi-based one (``verify.check_proof``)."""
    data = _load(path)
    _require(data, ("pi_a", "pi_b", "pi_c"), str(path))

    def num(value, where):  # ASCII [0-9]+ only (str.isdigit() takes any Unicode digit)
        return parse_decimal(value, where, modulus=Q_MOD)

    def g1(value, where):
        if not isinstance(value, list) or len(value) != 3:
            raise FormatError(f"{where}: expected [x, y, z] decimal strings")
        x, y, z = (num(v, f"{where}[{i}]") for i, v in enumerate(value))
        if z != 1:
            raise FormatError(f"{where}: expected an affine point (z = 1), got z = {z}")
        return (x, y)

    def g2(value, where):
        if not isinstance(value, list) or len(value) != 3 or not all(isinstance(c, list) and len(c) == 2 for c in value):
            raise FormatError(f"{where}: expected [[x0, x1], [y0, y1], [z0, z1]] decimal strings")
        (x0, x1), (y0, y1), z = (
            tuple(num(v, f"{where}[{i}][{j}]") for j, v in enumerate(c)) for i, c in enumerate(value))
        if z != (1, 0):
            raise FormatError(f"{where}: expected an affine point (z = [1, 0])")
        return ((x0, x1), (y0, y1))

    proof = Proof(a=g1(data["pi_a"], f"{path}.pi_a"), b=g2(data["pi_b"], f"{path}.pi_b"),
                  c=g1(data["pi_c"], f"{path}.pi_c"))
    try:
        return check_proof(proof)
    except InvalidInputError as exc:
        raise FormatError(f"{path}: {exc}") from exc


@click.command("verify-batch")
@click.argument("vk_file", metavar="VK.json", type=click.Path(dir_okay=False))
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, exists=True))
def verify_batch_command(vk_file: str, directory: str) -> None:
    """Verify every NAME.proof.json in DIR with its NAME.public.json under one key.

    One randomized batch equation (128-bit weights from the OS CSPRNG) checks all proofs;
    if it fails, bisection names the invalid ones.  Exit 0: all OK; 1: some INVALID;
    2: malformed or missing files.
    """
    started = time.perf_counter()
    pvk = prepare_verifying_key(read_verifying_key(vk_file))
    names = sorted(p.name[: -len(PROOF_SUFFIX)] for p in Path(directory).glob("*" + PROOF_SUFFIX))
    if not names:
        raise ZkgateError(f"{directory}: no *{PROOF_SUFFIX} files")
    status: dict[str, str] = {}
    items, batch_names = [], []
    for name in names:
        proof_path = Path(directory) / (name + PROOF_SUFFIX)
        public_path = Path(directory) / (name + PUBLIC_SUFFIX)
        try:
            if not public_path.exists():
                raise ZkgateError(f"{public_path}: missing (every {PROOF_SUFFIX} needs its {PUBLIC_SUFFIX})")
            proof = read_proof_fast(proof_path)
            public = read_public(public_path)
            try:
                check_public_inputs(pvk.vk, public)
            except ZkgateError as exc:
                raise ZkgateError(f"{public_path}: {exc}") from exc
        except ZkgateError as exc:
            status[name] = "ERROR"
            click.echo(f"error: {exc}", err=True)
            continue
        items.append((public, proof))
        batch_names.append(name)
    results = verify_batch(pvk, items) if items else []
    for name, ok in zip(batch_names, results):
        status[name] = "OK" if ok else "INVALID"
    for name in names:
        click.echo(f"{name}: {status[name]}")
    counts = {s: sum(1 for v in status.values() if v == s) for s in ("OK", "INVALID", "ERROR")}
    elapsed = time.perf_counter() - started
    click.echo(
        f"{len(names)} proofs: {counts['OK']} OK, {counts['INVALID']} INVALID, {counts['ERROR']} ERROR "
        f"({elapsed:.2f} s)",
        err=True,
    )
    sys.exit(2 if counts["ERROR"] else 1 if counts["INVALID"] else 0)
