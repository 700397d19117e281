"""zkgate.prover."""
