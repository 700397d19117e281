"""``zkgate powersoftau ...`` (phase 1 of the trusted setup)."""

from __future__ import annotations

import click


@click.group()
def powersoftau() -> None:
    """Powers of tau (phase 1), file-compatible with snarkjs."""
