"""Verification commands: ``zkgate groth16 verify-batch`` and ``zkgate zkey export
solidityverifier|soliditycalldata`` (registered into the groups of :mod:`zkgate.prover.cli`).

``verify-batch`` prints one ``NAME: OK|INVALID|ERROR`` line per proof and exits 0 when all are
valid, 1 when some are invalid, 2 when some input is malformed (details on stderr).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from zkgate.errors import ZkgateError

PROOF_SUFFIX = ".proof.json"
PUBLIC_SUFFIX = ".public.json"


def read_proof_fast(path: Path):
    """proof.json with the same checks and errors as ``snarkjs_json.read_proof``, but the G2
    subgroup test of B is the fast psi-based one (``verify.check_proof``)."""
    from zkgate.errors import FormatError, InvalidInputError
    from zkgate.prover.keys import Proof
    from zkgate.prover.snarkjs_json import _load, _require
    from zkgate.prover.verify import check_proof
    from zkgate.bn254 import Q_MOD
    from zkgate.safejson import parse_decimal

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
    from zkgate.prover.batch import verify_batch
    from zkgate.prover.snarkjs_json import read_public, read_verifying_key
    from zkgate.prover.verify import check_public_inputs, prepare_verifying_key

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


@click.command("solidityverifier")
@click.argument("zkey_file", metavar="KEY.zkey", type=click.Path(dir_okay=False))
@click.argument("sol_file", metavar="Verifier.sol", type=click.Path(dir_okay=False, writable=True),
                default="verifier.sol")
def export_solidity_verifier_command(zkey_file: str, sol_file: str) -> None:
    """Write a Solidity Groth16 verifier contract for the key of KEY.zkey (or a VK.json)."""
    from zkgate.prover.solidity import solidity_verifier
    from zkgate.prover.snarkjs_json import read_verifying_key
    from zkgate.prover.zkey import read_zkey

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
    from zkgate.prover.solidity import solidity_calldata
    from zkgate.prover.snarkjs_json import read_proof, read_public

    click.echo(solidity_calldata(read_public(public_file), read_proof(proof_file)))


def register(groth16: click.Group, zkey_export: click.Group) -> None:
    """Attach the commands to the ``groth16`` and ``zkey export`` groups."""
    groth16.add_command(verify_batch_command)
    zkey_export.add_command(export_solidity_verifier_command)
    zkey_export.add_command(export_solidity_calldata_command)
