"""Verifiable small-cell suppression: publish some coordinates of ``S``, withhold the rest, and
prove that the published ones are the ones the participants committed to.

The aggregate commitment of a study is ``C = Σ C_i = Σ_j S_j·G_j + P·H`` (Pedersen on Baby
Jubjub, :mod:`zkgate.circuits.pedersen`).  When a cell's count is below the study's minimum cell
size k, the key holder withholds every coordinate of that cell and does not publish ``P``
(beside the published ``S_j`` it would let anyone test guesses of the withheld small counts).
Instead the release carries a non-interactive zero-knowledge proof of knowledge of the withheld
coordinates ``w_j`` (j in W) and of ``P`` such that

    X = C − Σ_{j ∉ W} S_j·G_j = Σ_{j ∈ W} w_j·G_j + P·H

(a multi-base Schnorr proof, made non-interactive by Fiat–Shamir):

* the prover draws ``r_j`` (j in W) and ``r_P`` uniformly in [0, l) and sends
  ``T = Σ r_j·G_j + r_P·H``;
* the challenge ``e`` is SHA-512 of :data:`DOMAIN`, the study id, ``C``, the number of
  coordinates, the withheld indices, the published values and ``T`` (the fixed-width transcript
  of :func:`challenge`), read big-endian, mod l;
* the responses are ``z_j = r_j + e·w_j`` and ``z_P = r_P + e·P`` mod l;
* the verifier checks ``Σ_{j∈W} z_j·G_j + z_P·H == T + e·X``.

Soundness: from two accepting transcripts with the same ``T`` one extracts an opening of ``X``
over the withheld generators and ``H``, hence an opening of ``C`` whose published coordinates
are the published values; a different opening of ``C`` would be a discrete-logarithm relation
between the generators, which nobody knows.  So a wrong published coordinate cannot be proven
(the proof also binds the study, ``C``, the published values and which indices are withheld).
Zero knowledge: ``P mod l`` is uniform (every ``ρ_i`` is), so ``X`` hides the withheld
coordinates perfectly, and Schnorr's proof is honest-verifier zero-knowledge (simulated by
choosing ``z`` and ``e`` first), hence zero-knowledge in the random-oracle model.

What the proof does not show: that the withheld cells' counts are really below k (that needs
a range proof).  A key holder can therefore withhold *more* than the rule asks, never alter a
published number.  Withholding also does not protect against secondary disclosure (a
withheld cell recomputed from a published total elsewhere); the holder policy
(:mod:`zkgate.study.policy`) limits overlapping studies for that.

Scalars are reduced mod l (Baby Jubjub's prime subgroup order); parsed points are checked to be
on the curve and in the subgroup.  Not constant-time (the key holder's own machine).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from zkgate.circuits import babyjubjub as bjj
from zkgate.circuits import pedersen as ped
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.circuits.field import R
from zkgate.study.errors import MessageFormatError, ReleaseCheckError

DOMAIN = b"zkgate/study/suppression/v1"
MAX_COORDINATES = 1 << 16

Point = tuple[int, int]


# -- which coordinates a study withholds ------------------------------------------------------------

def cells_below(values, n_cells: int, width: int, k: int) -> tuple[int, ...]:
    """The cells (indices) whose count is below ``k``.  Coordinates are cell-major, ``width`` per
    cell, the count first (:mod:`zkgate.study.statistics.moments`); ``k = 0`` withholds nothing."""
    values = list(values)
    if n_cells < 1 or width < 1 or len(values) != n_cells * width:
        raise ReleaseCheckError(f"{len(values)} values do not make {n_cells} cells of {width} coordinates")
    if k < 0:
        raise ReleaseCheckError(f"the minimum cell size must be non-negative, got {k}")
    return tuple(c for c in range(n_cells) if int(values[c * width]) < k)


def cell_coordinates(cells, width: int) -> tuple[int, ...]:
    """The coordinate indices of ``cells`` (sorted)."""
    return tuple(j for c in sorted(set(cells)) for j in range(c * width, (c + 1) * width))


def whole_cells(withheld, n_cells: int, width: int) -> tuple[int, ...] | None:
    """The cells that ``withheld`` (coordinate indices) is made of, or None when it is not a
    union of whole cells of this layout."""
    withheld = tuple(withheld)
    cells = sorted({j // width for j in withheld})
    if any(c >= n_cells for c in cells) or cell_coordinates(cells, width) != withheld:
        return None
    return tuple(cells)


def split(values, withheld) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(published values, withheld values)`` of the full vector ``values``."""
    hidden = set(withheld)
    return (tuple(int(v) for j, v in enumerate(values) if j not in hidden),
            tuple(int(values[j]) for j in withheld))


# -- statement and proof ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SuppressionStatement:
    """What the verifier knows: the study, the aggregate commitment ``C``, the number of committed
    coordinates, which of them are withheld (sorted, distinct) and the published values (the
    others, in index order)."""

    study_id: int
    commitment: Point
    n_coordinates: int
    withheld: tuple[int, ...]
    published: tuple[int, ...]

    def check(self) -> None:
        """Raise :class:`MessageFormatError` for a statement no proof can be about."""
        n = self.n_coordinates
        if type(n) is not int or not 1 <= n <= MAX_COORDINATES:
            raise MessageFormatError(f"suppression: the number of coordinates must be in [1, {MAX_COORDINATES}], got {n!r}")
        w = self.withheld
        if any(type(j) is not int for j in w) or list(w) != sorted(set(w)) or (w and not 0 <= w[0] <= w[-1] < n):
            raise MessageFormatError(f"suppression: withheld indices must be distinct, sorted and below {n}")
        if len(self.published) != n - len(w):
            raise MessageFormatError(f"suppression: {n} coordinates with {len(w)} withheld leave {n - len(w)} "
                                     f"published values, got {len(self.published)}")
        if any(type(v) is not int or not 0 <= v < L for v in self.published):
            raise MessageFormatError("suppression: published values must be integers in [0, l)")
        if not (0 <= self.study_id < R):
            raise MessageFormatError("suppression: the study id is not a field element")
        if not bjj.in_subgroup(tuple(self.commitment)):
            raise MessageFormatError("suppression: the aggregate commitment is not a point of Baby Jubjub's prime subgroup")

    @property
    def published_indices(self) -> tuple[int, ...]:
        hidden = set(self.withheld)
        return tuple(j for j in range(self.n_coordinates) if j not in hidden)

    def residual(self) -> Point:
        """``X = C − Σ_published S_j·G_j`` (what the withheld coordinates and P open)."""
        idx = self.published_indices
        published = bjj.multi_mul([ped.generator_g(j) for j in idx], self.published)
        return bjj.add(tuple(self.commitment), bjj.neg(published))


@dataclass(frozen=True)
class SuppressionProof:
    """``T``, the responses ``z_j`` for the withheld coordinates (in index order) and ``z_P``."""

    nonce_commitment: Point
    responses: tuple[int, ...]
    blinding_response: int

    def to_obj(self) -> list:
        """``[[T.x, T.y], [z_j ...], z_P]``, coordinates and scalars 32-byte big-endian."""
        t = self.nonce_commitment
        return [[_b32(t[0]), _b32(t[1])], [_b32(z) for z in self.responses], _b32(self.blinding_response)]

    @classmethod
    def from_obj(cls, obj, max_responses: int = MAX_COORDINATES) -> SuppressionProof:
        """Strict: ``T`` on the curve and in the prime subgroup, every scalar below l."""
        if not isinstance(obj, list) or len(obj) != 3:
            raise MessageFormatError("suppression proof: expected [T, responses, blinding response]")
        t = obj[0]
        if not isinstance(t, list) or len(t) != 2:
            raise MessageFormatError("suppression proof: T must be [x, y]")
        point = (_read_b32(t[0], "T.x", R), _read_b32(t[1], "T.y", R))
        if not bjj.in_subgroup(point):
            raise MessageFormatError("suppression proof: T is not a point of Baby Jubjub's prime subgroup")
        if not isinstance(obj[1], list) or len(obj[1]) > max_responses:
            raise MessageFormatError(f"suppression proof: expected a list of at most {max_responses} responses")
        zs = tuple(_read_b32(z, "response", L) for z in obj[1])
        return cls(point, zs, _read_b32(obj[2], "blinding response", L))


def challenge(statement: SuppressionStatement, nonce_commitment: Point) -> int:
    """Fiat–Shamir: SHA-512 of ``DOMAIN ‖ 0x00 ‖ study id ‖ C.x ‖ C.y ‖ n ‖ |W| ‖ W ‖ published ‖
    T.x ‖ T.y`` (field elements, coordinates and published values 32 bytes big-endian; n, |W|
    and each withheld index 4 bytes big-endian), read big-endian, mod l."""
    s = statement
    parts = [DOMAIN, b"\x00", _b32(s.study_id), _b32(s.commitment[0]), _b32(s.commitment[1]),
             s.n_coordinates.to_bytes(4, "big"), len(s.withheld).to_bytes(4, "big"),
             *(j.to_bytes(4, "big") for j in s.withheld), *(_b32(v) for v in s.published),
             _b32(nonce_commitment[0]), _b32(nonce_commitment[1])]
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "big") % L


def prove_with(statement: SuppressionStatement, withheld_values, blinding: int, nonces) -> SuppressionProof:
    """The deterministic prover: ``nonces`` are ``r_j`` (one per withheld coordinate) then ``r_P``.
    Raises :class:`ReleaseCheckError` when the witness does not open the statement (nothing to prove)."""
    statement.check()
    w = [int(v) % L for v in withheld_values]
    p = int(blinding) % L
    nonces = [int(r) % L for r in nonces]
    if len(w) != len(statement.withheld) or len(nonces) != len(w) + 1:
        raise ReleaseCheckError(f"suppression: {len(statement.withheld)} withheld coordinates need as many values "
                                f"and one more nonce; got {len(w)} values and {len(nonces)} nonces")
    gens = [ped.generator_g(j) for j in statement.withheld] + [ped.generator_h()]
    if bjj.multi_mul(gens, [*w, p]) != statement.residual():
        raise ReleaseCheckError("suppression: the withheld values and P do not open C minus the published coordinates")
    t = bjj.multi_mul(gens, nonces)
    e = challenge(statement, t)
    zs = [(r + e * x) % L for r, x in zip(nonces, [*w, p])]
    return SuppressionProof(t, tuple(zs[:-1]), zs[-1])


def prove(statement: SuppressionStatement, withheld_values, blinding: int) -> SuppressionProof:
    """A proof with fresh uniform nonces (the key holder's release)."""
    nonces = [secrets.randbelow(L) for _ in range(len(statement.withheld) + 1)]
    return prove_with(statement, withheld_values, blinding, nonces)


def verify(statement: SuppressionStatement, proof: SuppressionProof) -> bool:
    """True when the proof holds for the statement; False for a false proof or an ill-formed
    statement (wrong sizes, values or points outside the group)."""
    try:
        statement.check()
    except MessageFormatError:
        return False
    t = tuple(proof.nonce_commitment)
    zs = [*proof.responses, proof.blinding_response]
    if len(proof.responses) != len(statement.withheld) or any(type(z) is not int or not 0 <= z < L for z in zs):
        return False
    if not bjj.in_subgroup(t):
        return False
    e = challenge(statement, t)
    # Σ z_j·G_j + z_P·H + Σ_published (e·S_j)·G_j + (l − e)·C == T   (every point in the subgroup)
    points = [ped.generator_g(j) for j in statement.withheld] + [ped.generator_h()]
    points += [ped.generator_g(j) for j in statement.published_indices] + [tuple(statement.commitment)]
    scalars = zs + [e * v % L for v in statement.published] + [(L - e) % L]
    return bjj.multi_mul(points, scalars) == t


def _b32(x: int) -> bytes:
    return int(x).to_bytes(32, "big")


def _read_b32(v, what: str, below: int) -> int:
    if type(v) is not bytes or len(v) != 32:
        raise MessageFormatError(f"suppression proof: {what} must be 32 bytes")
    x = int.from_bytes(v, "big")
    if x >= below:
        raise MessageFormatError(f"suppression proof: {what} is not below {'l' if below == L else 'r'}")
    return x


__all__ = [
    "DOMAIN", "SuppressionProof", "SuppressionStatement", "cell_coordinates", "cells_below", "challenge", "prove",
    "prove_with", "split", "verify", "whole_cells",
]
