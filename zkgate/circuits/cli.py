"""``zkgate r1cs ...`` and ``zkgate wtns ...`` commands (registered by zkgate/cli.py).

Exit codes: 0 success; 1 the witness does not satisfy the constraints; 2 a file is
missing or malformed (the message names the file and section).
"""

from __future__ import annotations

import json
import sys

import click

from zkgate.circuits.errors import UnsatisfiedConstraintError
from zkgate.circuits.r1csfile import read_r1cs
from zkgate.circuits.wtnsfile import read_wtns
from zkgate.errors import FormatError


def _fail(msg: str, code: int):
    click.echo(f"error: {msg}", err=True)
    sys.exit(code)


def _load_r1cs(path):
    try:
        return read_r1cs(path)
    except FormatError as exc:
        _fail(str(exc), 2)


@click.group("r1cs")
def r1cs():
    """Inspect iden3 .r1cs constraint systems."""


@r1cs.command("info")
@click.argument("file", type=click.Path(dir_okay=False))
def r1cs_info(file):
    """Print the counts snarkjs prints for FILE."""
    r = _load_r1cs(file)
    click.echo("Curve: bn-128")
    click.echo(f"# of Wires: {r.n_wires}")
    click.echo(f"# of Constraints: {r.n_constraints}")
    click.echo(f"# of Private Inputs: {r.n_prv_in}")
    click.echo(f"# of Public Inputs: {r.n_pub_in}")
    click.echo(f"# of Labels: {r.n_labels}")
    click.echo(f"# of Outputs: {r.n_pub_out}")


@r1cs.command("export-json")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False), required=False)
def r1cs_export_json(file, out):
    """Write FILE as the JSON ``snarkjs r1cs export json`` produces (stdout without OUT)."""
    data = json.dumps(_load_r1cs(file).to_json(), indent=1)
    if out:
        with open(out, "w") as f:
            f.write(data)
    else:
        click.echo(data)


@click.group("wtns")
def wtns():
    """Check iden3 .wtns witness files."""


@wtns.command("check")
@click.argument("r1cs_file", metavar="R1CS", type=click.Path(dir_okay=False))
@click.argument("wtns_file", metavar="WTNS", type=click.Path(dir_okay=False))
def wtns_check(r1cs_file, wtns_file):
    """Exit 0 when WTNS satisfies every constraint of R1CS; else name the first failure."""
    r = _load_r1cs(r1cs_file)
    try:
        w = read_wtns(wtns_file)
    except FormatError as exc:
        _fail(str(exc), 2)
    if w.shape[0] != r.n_wires:  # not a witness of this circuit at all: malformed input, exit 2
        _fail(f"{wtns_file}: {w.shape[0]} witness values, but {r1cs_file} has {r.n_wires} wires", 2)
    if int(w[0, 0]) != 1 or w[0, 1:].any():
        _fail(f"{wtns_file}: witness value 0 must be 1 (the constant wire)", 1)
    try:
        i = r.first_unsatisfied(w)
    except UnsatisfiedConstraintError as exc:  # a value >= r or a count mismatch: read_wtns refuses them first
        _fail(f"{wtns_file}: {exc}", 2)
    if i >= 0:
        _fail(f"constraint {i} is not satisfied: {r.format_constraint(i)}", 1)
    click.echo(f"witness is correct: {r.n_constraints} constraints satisfied")


COMMANDS = [r1cs, wtns]

__all__ = ["COMMANDS", "r1cs", "wtns"]
