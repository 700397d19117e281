"""snarkjs's JSON files: ``verification_key.json``, ``proof.json`` and ``public.json``.

Numbers are decimal strings; points are projective with the affine z = "1" (G1
``[x, y, "1"]``, G2 ``[[x0, x1], [y0, y1], ["1", "0"]]``).  Readers validate strictly and raise
FormatError naming the file and field: a coordinate >= q, a point off the curve, B outside
G2, a public input >= r or a wrong count are all refused, never reduced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zkgate.bn254 import BN_X, Q_MOD, R_MOD, G1Point, G2Point, check_g1, check_g2
from zkgate.bn254.pairing import pairing
from zkgate.bn254.tower import Fq12, fq12_pow
from zkgate.errors import FormatError, InvalidInputError
from zkgate.prover.groth16.keys import Proof, VerifyingKey
from zkgate.safejson import load_file, parse_decimal

FFJAVASCRIPT_PAIRING_POWER = 2 * BN_X * (6 * BN_X * BN_X + 3 * BN_X + 1)
"""ffjavascript's final exponentiation (hard part after Fuentes-Castañeda et al.) returns
e(P, Q)^(2x(6x^2 + 3x + 1)) rather than the reduced pairing itself; snarkjs's
``vk_alphabeta_12`` is that power, so zkgate derives it from the reduced pairing."""


def snarkjs_alphabeta(alpha1: G1Point, beta2: G2Point) -> Fq12:
    """``vk_alphabeta_12`` as snarkjs computes it, in the Fq2/Fq6/Fq12 tower layout."""
    return fq12_pow(pairing(alpha1, beta2), FFJAVASCRIPT_PAIRING_POWER % R_MOD)


# -- decoding helpers -------------------------------------------------------------------------


def _decimal(value: Any, where: str, modulus: int) -> int:
    return parse_decimal(value, where, modulus=modulus)


def _g1(value: Any, where: str) -> G1Point:
    if not isinstance(value, list) or len(value) != 3:
        raise FormatError(f"{where}: expected [x, y, z] decimal strings")
    x, y, z = (_decimal(v, f"{where}[{i}]", Q_MOD) for i, v in enumerate(value))
    if z == 0:
        if (x, y) not in ((0, 1), (0, 0)):
            raise FormatError(f"{where}: malformed point at infinity")
        return None
    if z != 1:
        raise FormatError(f"{where}: expected an affine point (z = 1), got z = {z}")
    try:
        return check_g1((x, y), where)
    except InvalidInputError as exc:
        raise FormatError(str(exc)) from exc


def _g2(value: Any, where: str) -> G2Point:
    if not isinstance(value, list) or len(value) != 3 or not all(isinstance(c, list) and len(c) == 2 for c in value):
        raise FormatError(f"{where}: expected [[x0, x1], [y0, y1], [z0, z1]] decimal strings")
    (x0, x1), (y0, y1), (z0, z1) = (
        tuple(_decimal(v, f"{where}[{i}][{j}]", Q_MOD) for j, v in enumerate(c)) for i, c in enumerate(value)
    )
    if (z0, z1) == (0, 0):
        return None
    if (z0, z1) != (1, 0):
        raise FormatError(f"{where}: expected an affine point (z = [1, 0])")
    try:
        return check_g2(((x0, x1), (y0, y1)), where)
    except InvalidInputError as exc:
        raise FormatError(str(exc)) from exc


def _load(path: str | Path) -> Any:
    return load_file(path)


def _require(data: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(data, dict):
        raise FormatError(f"{where}: expected a JSON object")
    missing = [k for k in keys if k not in data]
    if missing:
        raise FormatError(f"{where}: missing field(s) {', '.join(missing)}")
    if data.get("protocol", "groth16") != "groth16":
        raise FormatError(f"{where}: protocol {data['protocol']!r} is not groth16")
    if data.get("curve", "bn128") not in ("bn128", "bn254"):
        raise FormatError(f"{where}: curve {data['curve']!r} is not bn128")


def verifying_key_from_json(data: Any, where: str = "verification key") -> VerifyingKey:
    _require(data, ("nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"), where)
    n_public = data["nPublic"]
    if not isinstance(n_public, int) or isinstance(n_public, bool) or n_public < 0:
        raise FormatError(f"{where}.nPublic: expected a non-negative integer")
    ic = data["IC"]
    if not isinstance(ic, list) or len(ic) != n_public + 1:
        raise FormatError(f"{where}.IC: expected {n_public + 1} points (nPublic + 1)")
    return VerifyingKey(
        n_public=n_public,
        alpha1=_g1(data["vk_alpha_1"], f"{where}.vk_alpha_1"),
        beta2=_g2(data["vk_beta_2"], f"{where}.vk_beta_2"),
        gamma2=_g2(data["vk_gamma_2"], f"{where}.vk_gamma_2"),
        delta2=_g2(data["vk_delta_2"], f"{where}.vk_delta_2"),
        ic=tuple(_g1(p, f"{where}.IC[{i}]") for i, p in enumerate(ic)),
    )


def proof_from_json(data: Any, where: str = "proof") -> Proof:
    _require(data, ("pi_a", "pi_b", "pi_c"), where)
    return Proof(
        a=_g1(data["pi_a"], f"{where}.pi_a"),
        b=_g2(data["pi_b"], f"{where}.pi_b"),
        c=_g1(data["pi_c"], f"{where}.pi_c"),
    )


def public_from_json(data: Any, where: str = "public inputs") -> list[int]:
    if not isinstance(data, list):
        raise FormatError(f"{where}: expected a JSON list of decimal strings")
    return [_decimal(v, f"{where}[{i}]", R_MOD) for i, v in enumerate(data)]


def read_verifying_key(path: str | Path) -> VerifyingKey:
    return verifying_key_from_json(_load(path), str(path))


def read_proof(path: str | Path) -> Proof:
    return proof_from_json(_load(path), str(path))


def read_public(path: str | Path) -> list[int]:
    return public_from_json(_load(path), str(path))


# -- encoding ---------------------------------------------------------------------------------


def _g1_json(point: G1Point) -> list[str]:
    return ["0", "1", "0"] if point is None else [str(point[0]), str(point[1]), "1"]


def _g2_json(point: G2Point) -> list[list[str]]:
    if point is None:
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    (x0, x1), (y0, y1) = point
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


def verifying_key_to_json(vk: VerifyingKey) -> dict[str, Any]:
    alphabeta = snarkjs_alphabeta(vk.alpha1, vk.beta2)
    return {
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.n_public,
        "vk_alpha_1": _g1_json(vk.alpha1),
        "vk_beta_2": _g2_json(vk.beta2),
        "vk_gamma_2": _g2_json(vk.gamma2),
        "vk_delta_2": _g2_json(vk.delta2),
        "vk_alphabeta_12": [[[str(c[0]), str(c[1])] for c in six] for six in alphabeta],
        "IC": [_g1_json(p) for p in vk.ic],
    }


def proof_to_json(proof: Proof) -> dict[str, Any]:
    return {
        "pi_a": _g1_json(proof.a),
        "pi_b": _g2_json(proof.b),
        "pi_c": _g1_json(proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    }


def public_to_json(public: list[int]) -> list[str]:
    return [str(v) for v in public]


def write_json(path: str | Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.write("\n")
