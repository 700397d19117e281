"""``python -m zkgate`` runs the command-line interface."""

from zkgate.cli import main

main()
