"""File formats shared with snarkjs: ``.zkey`` and ``.ptau`` containers and their contribution
records, snarkjs JSON (proof, public signals, verification key), the Solidity verifier, and the
byte encoding of curve points they all use."""
