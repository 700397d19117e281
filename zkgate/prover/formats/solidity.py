"""Solidity verifier export: a Groth16 verifier contract for a verifying key, and the calldata
of ``verifyProof`` for a proof.

The contract (template ``zkgate/prover/formats/templates/verifier.sol``, written for zkgate) exposes
``verifyProof(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[n] input) returns (bool)``
-- the same ABI as snarkjs's generated verifier, so callers can swap them.  It returns false
for any public input >= r (no aliasing x + r), any proof coordinate >= q, points the EIP-197
precompile rejects (off the curve, B outside G2) and false proofs.  G2 coordinates are passed in
the EVM's order (imaginary part first), which :func:`solidity_calldata` produces.
"""

from __future__ import annotations

from importlib import resources

from zkgate import bn254
from zkgate.errors import InvalidInputError
from zkgate.prover.groth16.keys import Proof, VerifyingKey
from zkgate.prover.groth16.verify import check_proof, prepare_verifying_key

TEMPLATE = "verifier.sol"
CONTRACT_NAME = "Groth16Verifier"


def _template() -> str:
    return resources.files("zkgate.prover.formats").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")


def _g2_words(point) -> tuple[int, int, int, int]:
    """EVM order: x.im, x.re, y.im, y.re."""
    (x0, x1), (y0, y1) = point
    return x1, x0, y1, y0


def _ic_table(vk: VerifyingKey) -> str:
    """IC[1..n] as one hex string: x then y, 32-byte big-endian words; infinity as (0, 0),
    which the EIP-196 precompiles read as the point at infinity."""
    return "".join(f"{x:064x}{y:064x}" for x, y in ((p if p is not None else (0, 0)) for p in vk.ic[1:]))


def _ic_code(vk: VerifyingKey) -> tuple[str, str]:
    """Two loops of constant size: every input checked below r first (a non-canonical input is
    refused before any precompile runs), then L += input[i] * IC[i + 1] from the table."""
    if vk.n_public == 0:
        return "", ""
    pad = " " * 12
    size = f"0x{32 * vk.n_public:x}"
    checks = [
        f"{pad}for {{ let i := 0 }} lt(i, {size}) {{ i := add(i, 0x20) }} {{",
        f"{pad}    if iszero(lt(calldataload(add(input, i)), R)) {{ reject() }}",
        f"{pad}}}",
    ]
    acc = [
        f"{pad}// + input[i] * IC[i + 1], IC[i + 1] read from the table at t",
        f"{pad}let t := add(ic, 0x20)",
        f"{pad}for {{ let i := 0 }} lt(i, {size}) {{ i := add(i, 0x20) }} {{",
        f"{pad}    mstore(add(m, 0x40), mload(t))",
        f"{pad}    mstore(add(m, 0x60), mload(add(t, 0x20)))",
        f"{pad}    mstore(add(m, 0x80), calldataload(add(input, i)))",
        f"{pad}    if iszero(staticcall(gas(), 0x07, add(m, 0x40), 0x60, add(m, 0x40), 0x40)) {{ reject() }}",
        f"{pad}    if iszero(staticcall(gas(), 0x06, m, 0x80, m, 0x40)) {{ reject() }}",
        f"{pad}    t := add(t, 0x40)",
        f"{pad}}}",
    ]
    return "\n".join(checks), "\n".join(acc)


def solidity_verifier(vk: VerifyingKey, contract_name: str = CONTRACT_NAME) -> str:
    """Solidity source of a verifier contract for ``vk`` (validated first: an insecure or
    malformed key raises, as :func:`zkgate.prover.groth16.verify.prepare_verifying_key` does)."""
    prepare_verifying_key(vk)
    if not contract_name.isidentifier():
        raise InvalidInputError(f"contract name {contract_name!r} is not a Solidity identifier")
    checks, accumulate = _ic_code(vk)
    ic0 = vk.ic[0] if vk.ic[0] is not None else (0, 0)
    values = {
        "CONTRACT_NAME": contract_name,
        "N_PUBLIC": str(vk.n_public),
        "INPUT_PARAM": f",\n        uint256[{vk.n_public}] calldata input" if vk.n_public else "",
        "INPUT_CHECKS": checks,
        "IC_ACCUMULATE": accumulate,
        "IC_TABLE": _ic_table(vk),
        "IC0_X": str(ic0[0]),
        "IC0_Y": str(ic0[1]),
        "ALPHA_X": str(vk.alpha1[0]),
        "ALPHA_Y": str(vk.alpha1[1]),
    }
    for name, point in (("BETA", vk.beta2), ("GAMMA", vk.gamma2), ("DELTA", vk.delta2)):
        for suffix, word in zip(("X_IM", "X_RE", "Y_IM", "Y_RE"), _g2_words(point)):
            values[f"{name}_{suffix}"] = str(word)
    text = _template()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:  # pragma: no cover - template and generator out of step
        raise RuntimeError("unfilled placeholder in the Solidity verifier template")
    return text


def calldata_words(public: list[int], proof: Proof) -> list[int]:
    """The 32-byte words of verifyProof's arguments: a (2), b (4, EVM order), c (2), inputs."""
    a, c = proof.a, proof.c
    return [a[0], a[1], *_g2_words(proof.b), c[0], c[1], *public]


def solidity_calldata(public: list[int], proof: Proof) -> str:
    """``verifyProof`` arguments in snarkjs's ``soliditycalldata`` text format."""
    check_proof(proof)
    for i, value in enumerate(public):
        bn254.check_element(value, bn254.R_MOD, f"public input {i}")
    w = [f'"0x{v:064x}"' for v in calldata_words(list(public), proof)]
    inputs = ",".join(w[8:])
    return f"[{w[0]}, {w[1]}],[[{w[2]}, {w[3]}],[{w[4]}, {w[5]}]],[{w[6]}, {w[7]}],[{inputs}]"


__all__ = ["solidity_verifier", "solidity_calldata", "calldata_words"]
