"""The trusted-setup ceremony, file-compatible with snarkjs: phase 1 (powers of tau: contribute,
verify), phase 2 (per-circuit ``.zkey`` contributions), the transcript hashing (BLAKE2b with an
exportable state), the ChaCha beacon/entropy generator and the batch group operations."""
