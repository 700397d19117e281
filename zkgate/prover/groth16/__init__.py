"""Groth16 over BN254, one module per phase (as arkworks' groth16): ``setup``, ``prove``,
``verify``, ``batch`` (many proofs under one key), ``qap`` (snarkjs's reduction), ``keys``."""
