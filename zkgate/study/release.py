"""The key holder's side: decrypt only the aggregate, check it, and only then publish.

Before publishing, :meth:`StudyKeyHolder.release` checks that the aggregate lists exactly
the logged submissions, that its commitment is their sum, and that the decrypted
``S`` and ``P`` (recombined as integers, never reduced mod r) open it:
``Σ_j S_j·G_j + (P mod l)·H == Σ C_i``.  Otherwise it raises
:class:`~zkgate.study.errors.ReleaseCheckError` and publishes nothing.

A study on a CKKS preset is released by :meth:`StudyKeyHolder.release_ckks` instead
(mode ``"ckks"``, approximate, unverified, never publishing ``P``).  It runs every check
that does not need ``P`` (signatures, the aggregate lists exactly the logged submissions,
its commitment is their sum, the ciphertext sums exactly those senders, each decrypted
coordinate is within its declared bound and within a small tolerance of an integer), but
it cannot check the commitment equation: the ciphertexts carry no ``ρ`` and the decrypted
sums are approximate, so the released numbers are not bound to the commitments.  Each
contribution's proofs and commitment are still checked by the aggregator (and by anyone,
from the public record); what no one can check is that the ciphertexts encrypt what was
proven.  The exact BFV release (:meth:`StudyKeyHolder.release`) refuses a CKKS study and
vice versa, with :class:`~zkgate.study.errors.ReleaseModeError`.
"""

from __future__ import annotations

from zkgate.circuits import pedersen as ped
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.errors import ZkgateError
from zkgate.he import KeyHolder
from zkgate.he.envelope import AggregateEnvelope, envelope_digest
from zkgate.study.aggregator import sum_points
from zkgate.study.disclosure import derive_published, small_cells, withhold
from zkgate.study.errors import ReleaseCheckError, ReleaseModeError, WrongStudyError
from zkgate.study.identity import SigningKey
from zkgate.study.messages import Aggregate, Release, Submission
from zkgate.study.spec import StudySpec
from zkgate.study.statistics import moments as mom
from zkgate.study.statistics.numbers import to_json


def commitment_opens(spec: StudySpec, values, randomness: int, commitment) -> bool:
    return ped.commit([int(v) for v in values], randomness % L) == tuple(commitment)


class StudyKeyHolder:
    """Holds the study's HE secret key (never shares it) and its release signing key."""

    def __init__(self, spec: StudySpec, he_keyholder: KeyHolder, signing_key: SigningKey) -> None:
        if he_keyholder.key_id != spec.he_key_id:
            raise WrongStudyError("this HE key is not the one the study names")
        if signing_key.public != spec.key_holder_key:
            raise WrongStudyError("this signing key is not the study's key holder key")
        self.spec = spec
        self._he = he_keyholder
        self._key = signing_key

    def release(self, aggregate: Aggregate, submissions: list[Submission]) -> Release:
        """The exact (verifiable) release: S and P, after every check passed (BFV studies)."""
        self._require_mode("exact", "release")
        values, randomness = self._checked_sum(aggregate, submissions)
        held = withhold(self.spec, values, randomness, aggregate.commitment)  # cells below the study's k
        if held is not None:  # no P: the proof shows the published values open Σ C_i
            return Release(self.spec.study_id, aggregate.digest, held.published, None, "exact", withheld=held.withheld,
                           suppression=held.proof).sign(self._key)
        return Release(self.spec.study_id, aggregate.digest, tuple(values), randomness, "exact").sign(self._key)

    def release_dp(self, aggregate: Aggregate, submissions: list[Submission], epsilon: float) -> Release:
        """An epsilon-differentially-private release (OpenDP's discrete Laplace mechanism).

        The same checks run first, so nothing is published unless the exact sum opens the
        logged commitments.  Then each coordinate of S gets noise of scale Δ/ε, Δ the L1
        sensitivity of S to adding or removing one record (count 1, a sum the column's largest
        stored value m, a sum of squares m², a whole histogram 1), and the result is clamped to
        the declared bounds (post-processing).  P is never published beside a noisy S (it would
        let anyone test guesses of the exact sum), so the release is marked ``"dp"`` and is
        unverified by design.
        """
        self._require_mode("exact", "release_dp")
        if not epsilon > 0:
            raise ReleaseCheckError(f"epsilon must be positive, got {epsilon!r}")
        values, _ = self._checked_sum(aggregate, submissions)
        noisy = laplace_noise(values, dp_sensitivity(self.spec), epsilon)
        clamped = tuple(min(max(v, 0), b) for v, b in zip(noisy, self.spec.value_bounds()))
        return Release(self.spec.study_id, aggregate.digest, clamped, None, "dp").sign(self._key)

    def release_ckks(self, aggregate: Aggregate, submissions: list[Submission]) -> Release:
        """The approximate release of a CKKS study: S rounded to integers, mode ``"ckks"``,
        unverified, no P.

        Checked first (nothing is published otherwise): the aggregate's signature, that it lists
        exactly the logged submissions, that its commitment is their sum, that its ciphertext sums
        exactly those senders, and that every decrypted coordinate (noise-flooded and rounded to
        the preset's quantum by :meth:`zkgate.he.KeyHolder.decrypt`) lies within
        :data:`CKKS_INTEGRAL_TOLERANCE` of an integer in ``[0, declared bound]`` (every ``S_j`` is
        a sum of integers, so anything else means a malformed contribution or aggregate).  The
        coordinates are then rounded to the nearest integer: equal to the exact sum whenever the
        CKKS error and the flooding stay below 1/2 (they stay below about one quantum, ``10**-4``
        for ``ckks-8192``, ``10**-6`` for ``ckks-16384``).

        Not checked, and not checkable: the commitment equation.  No ``ρ`` is encrypted in CKKS
        mode and the sums are approximate, so a participant that encrypted other values than it
        proved, or an aggregator that substituted a ciphertext under a participant's name, is
        not detected.  Hence ``P`` is never published and the release is marked unverified.
        """
        self._require_mode("ckks", "release_ckks")
        decoded, _ = self._checked_aggregate(aggregate, submissions)
        spec = self.spec
        raw = [float(x) for x in spec.join_values(decoded)]
        values = []
        for name, x, b in zip(spec.value_names(), raw, spec.value_bounds()):
            v = round(x)
            if abs(x - v) > CKKS_INTEGRAL_TOLERANCE:
                raise ReleaseCheckError(
                    f"{name} decrypts to {x}, not within {CKKS_INTEGRAL_TOLERANCE} of an integer: a contribution "
                    "encrypted non-integer values or the aggregate is corrupt; nothing is published"
                )
            if not 0 <= v <= b:
                raise ReleaseCheckError(f"{name} = {v} lies outside [0, {b}]; nothing is published")
            values.append(int(v))
        small = small_cells(spec, values) if spec.min_cell_size else []
        if small:  # a CKKS release has no P, hence no suppression proof: it cannot withhold cells, so it publishes nothing
            raise ReleaseCheckError(f"cell(s) {small[:8]} hold fewer than k = {spec.min_cell_size} records and a CKKS "
                                    "release cannot withhold cells (no P, no suppression proof); nothing is published "
                                    "(docs/disclosure.md)")
        return Release(spec.study_id, aggregate.digest, tuple(values), None, "ckks").sign(self._key)

    def _require_mode(self, mode: str, method: str) -> None:
        if self.spec.release_mode == mode:
            return
        if mode == "exact":
            raise ReleaseModeError(
                f"{method}() needs a BFV study (exact, verifiable release); this study uses the CKKS preset "
                f"{self.spec.he_preset!r}: release it with release_ckks() (approximate, unverified, no P)"
            )
        raise ReleaseModeError(
            f"{method}() releases CKKS studies; this study uses the BFV preset {self.spec.he_preset!r}: "
            "release it exactly with release() (verifiable, publishes S and P)"
        )

    def _checked_sum(self, aggregate: Aggregate, submissions: list[Submission]) -> tuple[list[int], int]:
        """Every check of the key holder; returns the decrypted S and P (never published yet)."""
        spec = self.spec
        decoded, total = self._checked_aggregate(aggregate, submissions)
        values = spec.join_values(decoded)
        randomness = int(decoded["rho"])
        if not commitment_opens(spec, values, randomness, total):
            raise ReleaseCheckError(
                "the decrypted aggregate does not open the sum of the logged commitments "
                "(Σ S_j·G_j + (P mod l)·H ≠ Σ C_i): a participant encrypted other values than it proved, "
                "or the aggregator dropped, substituted or altered a contribution; nothing is published"
            )
        for name, v, b in zip(spec.value_names(), values, spec.value_bounds()):
            if not 0 <= v <= b:
                raise ReleaseCheckError(f"{name} = {v} lies outside [0, {b}]")
        return values, randomness

    def _checked_aggregate(self, aggregate: Aggregate, submissions: list[Submission]) -> tuple[dict, tuple]:
        """The checks that need no P; returns the decrypted fields and the sum of the logged
        commitments (nothing is published yet)."""
        spec = self.spec
        try:
            aggregate.verify_signature(spec.gateway_key)
        except ZkgateError as exc:
            raise ReleaseCheckError(f"the aggregate is not signed by the study's gateway: {exc}") from exc
        if aggregate.study_id != spec.study_id or any(s.study_id != spec.study_id for s in submissions):
            raise ReleaseCheckError("the aggregate or a logged submission belongs to another study")
        logged = tuple((s.participant, s.digest) for s in submissions)
        if aggregate.included != logged:
            raise ReleaseCheckError("the aggregate does not list exactly the logged submissions")
        if len({n for n, _ in logged}) != len(logged):
            raise ReleaseCheckError("a participant appears twice in the log")
        if len(logged) < spec.quorum:
            raise ReleaseCheckError(f"only {len(logged)} submissions; the quorum is {spec.quorum}")
        total = sum_points(s.commitment for s in submissions)
        if total != tuple(aggregate.commitment):
            raise ReleaseCheckError("the aggregate commitment is not the sum of the logged commitments")
        if aggregate.envelope is None or envelope_digest(aggregate.envelope) != aggregate.envelope_digest:
            raise ReleaseCheckError("the aggregate ciphertext is missing or does not match its digest")
        layout = spec.layout()
        try:
            env = AggregateEnvelope.from_bytes(aggregate.envelope, self._he.params, layout)
            if sorted(env.senders) != sorted(n for n, _ in logged):
                raise ReleaseCheckError("the ciphertext sums other senders than the logged submissions")
            decoded = self._he.decrypt(aggregate.envelope, layout=layout, study_id=spec.study_id_bytes)
        except ReleaseCheckError:
            raise
        except ZkgateError as exc:
            raise ReleaseCheckError(f"the aggregate ciphertext is refused: {exc}") from exc
        return decoded, total


#: How far a decrypted CKKS coordinate may lie from an integer (every S_j is a sum of integers;
#: an honest aggregate lies within about one release quantum, at most 10**-4 for the presets).
CKKS_INTEGRAL_TOLERANCE = 0.01


def dp_sensitivity(spec: StudySpec) -> int:
    """L1 sensitivity of S to adding or removing one record: a record lands in one cell and in one
    bin of each histogram, so the moments' sensitivities of one cell add up
    (:func:`zkgate.study.statistics.moments.sensitivity`)."""
    return sum(mom.sensitivity(m, spec.schema) for m in spec.moments())


def laplace_noise(values: list[int], sensitivity: int, epsilon: float) -> list[int]:
    """values + discrete Laplace noise of scale sensitivity/epsilon (OpenDP), as ints."""
    try:
        import opendp.prelude as dp
    except ImportError as exc:  # an optional extra, imported here only: pip install 'zkgate[dp]'
        raise ReleaseCheckError("differentially private releases need OpenDP: pip install 'zkgate[dp]'") from exc
    dp.enable_features("contrib")
    measurement = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=float(sensitivity) / float(epsilon)
    )
    return [int(v) for v in measurement([int(v) for v in values])]


def derived_values(spec: StudySpec, values) -> dict:
    """Every aggregate's result from S, in declared units, as :mod:`~zkgate.study.statistics.numbers`
    values (exact fractions, 15-digit decimals, nulls with reasons): alias -> value, or alias ->
    {group label -> value} under GROUP BY."""
    return spec.derive(values)


def release_statistics(spec: StudySpec, release: Release) -> dict:
    """The results a release publishes as plain JSON: :func:`derived_statistics` of its values, or,
    when small cells were withheld, of the published cells (withheld ones ``null``)."""
    if release.suppression is None:
        return derived_statistics(spec, release.values)
    return to_json(derive_published(spec, release.withheld, release.values))


def derived_statistics(spec: StudySpec, values) -> dict:
    """The results derived from S as plain JSON (numbers, lists, ``null``), keyed by alias."""
    return to_json(derived_values(spec, values))


__all__ = ["CKKS_INTEGRAL_TOLERANCE", "StudyKeyHolder", "commitment_opens", "derived_statistics", "derived_values",
           "dp_sensitivity", "release_statistics"]
