"""Batch verification of Groth16 proofs under one verifying key.

k proofs (A_i, B_i, C_i) with public inputs x_i are checked together by a random linear
combination: with independent 128-bit weights w_i drawn from the OS CSPRNG,

    prod_i e(-w_i A_i, B_i) * e((sum w_i) alpha, beta) * e(sum_i w_i L_i, gamma)
        * e(sum_i w_i C_i, delta) == 1,

where sum_i w_i L_i = (sum w_i) IC[0] + sum_j (sum_i w_i x_ij) IC[j] takes one small MSM and
sum_i w_i C_i one MSM over the C_i.  That is k + 3 Miller loops sharing one accumulator (the
fixed beta, gamma, delta use precomputed line coefficients) and one final exponentiation,
instead of 3k Miller loops and k final exponentiations.  If every proof is valid the equation
holds for any weights; if some proof is invalid it holds with probability at most about
2^-127 over the weights (an attacker who does not know the weights cannot make invalid
proofs cancel).

When the batch fails, bisection finds the invalid proofs: each half is checked again with
fresh weights, recursing into failing halves; single proofs are checked exactly by
:func:`zkgate.prover.groth16.verify.verify_prepared`'s equation, so the names of invalid proofs never
depend on the random weights.

Malformed input (wrong count or range of public inputs, a point off the curve or at infinity,
B outside G2) raises the same errors as :func:`zkgate.prover.groth16.verify.verify`, prefixed with the
item's index.  Not constant-time (verification handles public data).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zkgate import bn254
from zkgate.bn254 import packed
from zkgate.bn254.arrays import FrArray, ints_to_rows, to_montgomery
from zkgate.errors import InvalidInputError
from zkgate.prover.groth16.keys import Proof, VerifyingKey
from zkgate.prover.groth16.verify import (
    PreparedVerifyingKey,
    check_proof,
    check_public_inputs,
    prepare_verifying_key,
    verify_prepared,
)

WEIGHT_BITS = 128


def random_weights(count: int, rng: Any = None) -> list[int]:
    """``count`` nonzero weights of WEIGHT_BITS bits from ``rng`` (default: the OS CSPRNG)."""
    draw = (rng or secrets.SystemRandom()).getrandbits
    weights = []
    while len(weights) < count:
        w = draw(WEIGHT_BITS)
        if w:
            weights.append(w)
    return weights


@dataclass
class _Batch:
    pvk: PreparedVerifyingKey
    publics: list[list[int]]
    proofs: list[Proof]
    packed: Any = None  # (A rows, B rows, C rows) for zkgate.bn254.packed
    rng: Any = None
    checks: int = 0  # batch equations evaluated (for tests and benchmarks)


def _validate(pvk: PreparedVerifyingKey, items: Sequence[tuple[Sequence[int], Proof]]) -> _Batch:
    publics, proofs = [], []
    for i, item in enumerate(items):
        try:
            public, proof = item
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"batch item {i}: expected a (public inputs, proof) pair") from exc
        try:
            publics.append(check_public_inputs(pvk.vk, public))
            _check_proof_shape(proof)
        except InvalidInputError as exc:
            raise type(exc)(f"batch item {i}: {exc}") from exc
        proofs.append(proof)
    batch = _Batch(pvk=pvk, publics=publics, proofs=proofs)
    if proofs:
        batch.packed = _pack(proofs)
    return batch


def _check_proof_shape(proof: Proof) -> None:
    """Type, infinity and range checks; the curve and subgroup checks run packed (:func:`_pack`)."""
    if not isinstance(proof, Proof):
        raise InvalidInputError(f"expected a Proof, got {type(proof).__name__}")
    for name, point in (("A", proof.a), ("B", proof.b), ("C", proof.c)):
        if point is None:
            raise InvalidInputError(f"proof point {name} is the point at infinity")
    try:
        (ax, ay), ((bx0, bx1), (by0, by1)), (cx, cy) = proof.a, proof.b, proof.c
    except (TypeError, ValueError) as exc:
        raise InvalidInputError("proof points must be (x, y) and ((x0, x1), (y0, y1)) pairs") from exc
    q = bn254.Q_MOD
    for what, value in (("A.x", ax), ("A.y", ay), ("B.x0", bx0), ("B.x1", bx1), ("B.y0", by0),
                        ("B.y1", by1), ("C.x", cx), ("C.y", cy)):
        bn254.check_element(value, q, f"proof point {what}")


def _pack(proofs: list[Proof]):
    q = bn254.Q_MOD
    a = to_montgomery(ints_to_rows([c for p in proofs for c in p.a], 8), q)
    b = to_montgomery(ints_to_rows([c for p in proofs for pair in p.b for c in pair], 16), q)
    c = to_montgomery(ints_to_rows([c for p in proofs for c in p.c], 8), q)
    ok = packed.on_curve_rows(a, 1) & packed.on_curve_rows(c, 1) & packed.g2_in_subgroup_rows(b, _threads(len(proofs)))
    if not ok.all():
        _raise_for(int(np.argmin(ok)), proofs)
    return a, b, c


def _raise_for(i: int, proofs: list[Proof]) -> None:
    """Re-run the exact checks on item i to raise its precise error."""
    try:
        check_proof(proofs[i])
    except InvalidInputError as exc:
        raise type(exc)(f"batch item {i}: {exc}") from exc
    raise InvalidInputError(f"batch item {i}: malformed proof")  # pragma: no cover


def _holds_packed(batch: _Batch, idx: list[int]) -> bool:
    r = bn254.R_MOD
    nk = batch.pvk.packed_key
    weights = random_weights(len(idx), batch.rng)
    total = sum(weights) % r
    n_public = batch.pvk.vk.n_public
    sums = [0] * n_public
    for w, i in zip(weights, idx):
        for j, x in enumerate(batch.publics[i]):
            sums[j] += w * x
    a, b, c = batch.packed
    sel = np.asarray(idx, dtype=np.intp)
    w_rows = FrArray.from_ints(weights).limbs
    threads = _threads(len(idx))
    l_w = packed.msm_rows(nk.ic, FrArray.from_ints([total, *sums]).limbs, 1, 1)
    c_w = packed.msm_rows(c[sel], w_rows, 1, threads)
    alpha_w = packed.msm_rows(nk.alpha, FrArray.from_ints([total]).limbs, 1, 1)
    extra = np.stack([alpha_w, l_w, c_w])
    return packed.batch_check(a[sel], b[sel], w_rows, extra, nk.prepared, threads)


PARALLEL_MIN = 128
"""Below this many proofs a batch runs on one thread: starting an OpenMP region costs more
than it saves (milliseconds when the machine is busy)."""


def _threads(count: int) -> int:
    return packed.default_threads() if count >= PARALLEL_MIN else 1


def _holds(batch: _Batch, idx: list[int]) -> bool:
    batch.checks += 1
    if len(idx) == 1:  # exact check, no weights
        i = idx[0]
        return verify_prepared(batch.pvk, batch.publics[i], batch.proofs[i])
    return _holds_packed(batch, idx)


def _resolve(batch: _Batch, idx: list[int], known_bad: bool, out: list[bool]) -> None:
    """Set out[i] for i in idx; ``known_bad``: idx is known to hold an invalid proof."""
    if len(idx) == 1:
        out[idx[0]] = _holds(batch, idx)
        return
    if not known_bad and _holds(batch, idx):
        for i in idx:
            out[i] = True
        return
    half = len(idx) // 2
    left, right = idx[:half], idx[half:]
    _resolve(batch, left, False, out)
    # the whole range failed, so if the left half is all valid the right half is not
    _resolve(batch, right, all(out[i] for i in left), out)


def verify_batch(
    vk: VerifyingKey | PreparedVerifyingKey,
    items: Iterable[tuple[Sequence[int], Proof]],
    *,
    rng: Any = None,
) -> list[bool]:
    """Verify ``[(public, proof), ...]`` under one key; one bool per item.

    One randomized batch equation when all proofs are valid; bisection names the invalid
    ones otherwise (exact single checks at the leaves).  ``rng``: an object with
    ``getrandbits`` for the weights (default: the OS CSPRNG, ``secrets.SystemRandom``); pass
    one only in tests.  Malformed items raise (see the module docstring).
    """
    return verify_batch_detailed(vk, items, rng=rng)[0]


def verify_batch_detailed(vk, items, *, rng: Any = None) -> tuple[list[bool], int]:
    """:func:`verify_batch` plus the number of pairing equations it evaluated."""
    pvk = vk if isinstance(vk, PreparedVerifyingKey) else prepare_verifying_key(vk)
    batch = _validate(pvk, list(items))
    batch.rng = rng
    out = [False] * len(batch.proofs)
    if batch.proofs:
        _resolve(batch, list(range(len(batch.proofs))), False, out)
    return out, batch.checks
