"""The snarkjs-shaped prover commands: ``zkgate groth16|zkey|powersoftau ...``.

:mod:`zkgate.prover.cli.commands` holds the one table of commands; ``groth16``, ``zkey`` and
``powersoftau`` hold the click commands of each group.
"""
