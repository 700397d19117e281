"""Console output shared by the prover commands (hashes printed the way snarkjs prints them)."""

from __future__ import annotations

import click


def echo_hash(title: str, digest: bytes) -> None:
    """snarkjs's ``formatHash`` on stderr: the title, then four lines of four big-endian u32 words."""
    click.echo(title, err=True)
    for i in range(4):
        words = [digest[16 * i + 4 * j : 16 * i + 4 * j + 4].hex() for j in range(4)]
        click.echo("\t\t" + " ".join(words), err=True)
