"""``zkgate zkey contribute|beacon|verify`` (phase 2 of the trusted setup)."""

from __future__ import annotations


def register(zkey) -> None:
    pass
