"""``powersoftau verify``: the checks of snarkjs 0.7.6, in its order, with its messages.

1. The last contribution's key: for a beacon, the key the beacon parameters give; for each
   of tau, alpha, beta, ``g2_sp`` from the previous challenge and the same ratio
   (g1_s, g1_sx) ~ (g2_sp, g2_spx); its tauG1, tauG2, alphaG1, betaG1, betaG2 follow the
   previous contribution's by the key (pairings).
2. Every point section is a geometric progression: with random scalars r_i,
   e(sum r_i P_i, tau G2) == e(sum r_i P_(i+1), G2) (one MSM pair and one pairing check per
   section), its first points are the generator / the recorded ones, betaG2 matches; every
   point is checked on the curve first (a broken point is named by section and index).
3. The challenge hash of the file equals the last record's next challenge (full-size files).
4. Every earlier contribution's key and chain (step 1).
5. A prepared file: each Lagrange basis (sections 12-15, every domain size) against the
   powers: sum r_j T_j == sum (FFT r)_i L_i for random r.

Points are streamed in chunks of 2^16 through the native MSM; the report lists each
contribution with its response hash, and the problems found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zkgate.bn254 import G1_GENERATOR, G2_GENERATOR, FrArray, G1Affine, G2Affine, g1_add, g2_add, msm_g1, msm_g2, ntt
from zkgate.errors import FormatError
from zkgate.prover.ceremony.hashing import blake2b512, create_ptau_key, first_challenge_hash, g2_sp, uncompressed
from zkgate.prover.ceremony.phase1_contribute import SECTIONS, read_contributions, section_count
from zkgate.prover.ceremony.phase2 import rng_from_beacon, same_ratio
from zkgate.prover.formats.ptau import PtauFile, check_rows, read_ptau
from zkgate.prover.formats.ptau_records import KEY_NAMES, PtauContribution
from zkgate.prover.progress import bar

CHUNK = 1 << 16
_ARRAY = {1: G1Affine, 2: G2Affine}
_MSM = {1: msm_g1, 2: msm_g2}
_ADD = {1: g1_add, 2: g2_add}


@dataclass(frozen=True)
class _Initial:
    """The state before the first contribution (snarkjs's ``initialContribution``)."""

    next_challenge: bytes
    tau_g1: object = G1_GENERATOR
    tau_g2: object = G2_GENERATOR
    alpha_g1: object = G1_GENERATOR
    beta_g1: object = G1_GENERATOR
    beta_g2: object = G2_GENERATOR


@dataclass
class PtauVerifyReport:
    ok: bool = False
    power: int = 0
    problems: list[str] = field(default_factory=list)
    contributions: list[tuple[PtauContribution, bytes]] = field(default_factory=list)  # (record, response hash)
    next_challenge: bytes = b""
    prepared: bool = False


def _random_scalars(n: int) -> FrArray:
    """n random 128-bit scalars (plain rows)."""
    words = np.frombuffer(os.urandom(16 * n), dtype="<u8").reshape(n, 2)
    return FrArray(np.concatenate([words, np.zeros((n, 2), np.uint64)], axis=1), check=False)


def _rows(ptau: PtauFile, sid: int, start: int, n: int, group: int) -> np.ndarray:
    """A writable copy of ``n`` points of a section (the kernels need writable buffers)."""
    return np.array(ptau.points(sid, start, n, group), dtype=np.uint64, order="C")


def verify_contribution(cur: PtauContribution, prev, index: int) -> str | None:
    """snarkjs's ``verifyContribution``: None when valid, else the problem."""
    w = f"contribution #{index} {cur.name}".rstrip()
    if cur.type == 1:
        _, key = create_ptau_key(rng_from_beacon(cur.beacon_hash, cur.num_iterations_exp, verifying=True), prev.next_challenge)
        for name, ours, theirs in zip(KEY_NAMES, key.parts(), cur.key.parts()):
            for f in ("g1_s", "g1_sx", "g2_spx"):
                if getattr(ours, f) != getattr(theirs, f):
                    return f"{w}: BEACON key ({name} {f}) is not generated correctly"
    sps = [g2_sp(i, prev.next_challenge, part.g1_s, part.g1_sx) for i, part in enumerate(cur.key.parts())]
    for name, part, sp in zip(KEY_NAMES, cur.key.parts(), sps):
        if not same_ratio(part.g1_s, part.g1_sx, sp, part.g2_spx):
            return f"{w}: INVALID key ({name})"
    tau, alpha, beta = cur.key.parts()
    checks = (
        ((prev.tau_g1, cur.tau_g1, sps[0], tau.g2_spx), "INVALID tau*G1: it does not follow the previous contribution"),
        ((tau.g1_s, tau.g1_sx, prev.tau_g2, cur.tau_g2), "INVALID tau*G2: it does not follow the previous contribution"),
        ((prev.alpha_g1, cur.alpha_g1, sps[1], alpha.g2_spx), "INVALID alpha*G1: it does not follow the previous contribution"),
        ((prev.beta_g1, cur.beta_g1, sps[2], beta.g2_spx), "INVALID beta*G1: it does not follow the previous contribution"),
        ((beta.g1_s, beta.g1_sx, prev.beta_g2, cur.beta_g2), "INVALID beta*G2: it does not follow the previous contribution"),
    )
    for args, message in checks:
        if not same_ratio(*args):
            return f"{w}: {message}"
    return None


def _process_section(ptau: PtauFile, sid: int, name: str, group: int, hasher, pb):
    """Hash a section (uncompressed) and combine it: (sum r_i P_i, sum r_i P_(i+1), first two points)."""
    count = section_count(sid, ptau.power)
    where = f"{ptau.path}: section {sid} ({name})"
    r1 = r2 = None
    firsts: list = []
    for start in range(0, count, CHUNK):
        n = min(CHUNK, count - start)
        rows = _rows(ptau, sid, start, n, group)
        check_rows(rows, group, where, start)
        hasher.update(uncompressed(rows, group))
        if start == 0:
            firsts = _ARRAY[group](rows[:2], check=False).to_ints()
        # pairs (P_i, P_(i+1)) with i in [start, start + n), the last one reaching into the next chunk
        m = min(n, count - 1 - start)
        if m > 0:
            ahead = _rows(ptau, sid, start + 1, m, group)
            scalars = _random_scalars(m)
            arr = _ARRAY[group]
            add = _ADD[group]
            r1 = add(r1, _MSM[group](arr(rows[:m], check=False), scalars))
            r2 = add(r2, _MSM[group](arr(ahead, check=False), scalars))
        pb.advance(n)
    return r1, r2, firsts


def _verify_lagrange(ptau: PtauFile, tau_sid: int, lag_sid: int, name: str, group: int, pb) -> str | None:
    top = ptau.power + 1 if tau_sid == 2 else ptau.power
    width = 8 * group
    where = f"{ptau.path}: section {lag_sid} (Lagrange {name})"
    lag_rows = len(ptau.raw(lag_sid)) // (8 * width)
    if lag_rows != (1 << (top + 1)) - 1:
        raise FormatError(f"{where} holds {lag_rows} points, expected {(1 << (top + 1)) - 1}")
    for p in range(top + 1):
        n = 1 << p
        if tau_sid == 2 and p == ptau.power + 1:
            taus = np.zeros((n, width), dtype=np.uint64)
            taus[: n - 1] = _rows(ptau, tau_sid, 0, n - 1, group)
        else:
            taus = _rows(ptau, tau_sid, 0, n, group)
        lag = _rows(ptau, lag_sid, n - 1, n, group)
        check_rows(lag, group, where, n - 1)
        r = _random_scalars(n)
        c = ntt(r) if n > 1 else r
        arr = _ARRAY[group]
        if _MSM[group](arr(taus, check=False), r) != _MSM[group](arr(lag, check=False), c):
            return f"{where}: the basis of size 2^{p} does not match the powers of tau"
        pb.advance(n)
    return None


def verify_ptau(path: str | Path, progress: bool = False) -> PtauVerifyReport:
    """``snarkjs powersoftau verify``: a report (``ok`` and the problems found).

    Malformed files (bad sizes, records, points off the curve) raise FormatError.
    """
    ptau = read_ptau(path)
    report = PtauVerifyReport(power=ptau.power, prepared=ptau.prepared)
    contributions = read_contributions(ptau)
    initial = _Initial(first_challenge_hash(ptau.ceremony_power))
    if not contributions:
        report.problems.append("this file has no contribution: it cannot be used in production")
        return report
    cur = contributions[-1]
    prev = contributions[-2] if len(contributions) > 1 else initial
    problem = verify_contribution(cur, prev, len(contributions))
    if problem:
        report.problems.append(problem)
        return report
    response_hash = cur.response_hash(f"{ptau.path}: section 7 contribution #{len(contributions)}")
    hasher = blake2b512(response_hash)
    total = sum(section_count(sid, ptau.power) for sid, _, _ in SECTIONS)
    if ptau.prepared:
        total += sum((1 << (ptau.power + (2 if s == 2 else 1))) - 1 for s in (2, 3, 4, 5))
    with bar("verifying the powers of tau", total, progress) as pb:
        results = {}
        for sid, name, group in SECTIONS[:4]:
            results[sid] = _process_section(ptau, sid, name, group, hasher, pb)
        beta_rows = _rows(ptau, 6, 0, 1, 2)
        check_rows(beta_rows, 2, f"{ptau.path}: section 6 (betaG2)", 0)
        hasher.update(uncompressed(beta_rows, 2))
        beta_g2 = G2Affine(beta_rows, check=False).to_ints()[0]
        (t1a, t1b, t1), (t2a, t2b, t2), (aa, ab, a1), (ba, bb, b1) = (results[s] for s in (2, 3, 4, 5))
        checks = (
            (lambda: same_ratio(t1a, t1b, G2_GENERATOR, cur.tau_g2), "tauG1 section: powers do not match"),
            (lambda: t1[0] == G1_GENERATOR, "first element of the tau*G1 section must be the generator"),
            (lambda: t1[1] == cur.tau_g1,
             "second element of the tau*G1 section does not match the one in the contribution section"),
            (lambda: same_ratio(G1_GENERATOR, cur.tau_g1, t2a, t2b), "tauG2 section: powers do not match"),
            (lambda: t2[0] == G2_GENERATOR, "first element of the tau*G2 section must be the generator"),
            (lambda: t2[1] == cur.tau_g2,
             "second element of the tau*G2 section does not match the one in the contribution section"),
            (lambda: same_ratio(aa, ab, G2_GENERATOR, cur.tau_g2), "alphaTauG1 section: powers do not match"),
            (lambda: a1[0] == cur.alpha_g1,
             "first element of the alpha*tau*G1 section (alpha*G1) does not match the contribution section"),
            (lambda: same_ratio(ba, bb, G2_GENERATOR, cur.tau_g2), "betaTauG1 section: powers do not match"),
            (lambda: b1[0] == cur.beta_g1,
             "first element of the beta*tau*G1 section (beta*G1) does not match the contribution section"),
            (lambda: beta_g2 == cur.beta_g2, "betaG2 section does not match the one in the contribution section"),
        )
        for check, message in checks:
            if not check():
                report.problems.append(message)
                return report
        report.next_challenge = hasher.digest()
        if ptau.power == ptau.ceremony_power and report.next_challenge != cur.next_challenge:
            report.problems.append("the hash of the points does not match the next challenge of the last "
                                   "contribution in the contributions section")
            return report
        report.contributions.append((cur, response_hash))
        for i in range(len(contributions) - 2, -1, -1):
            prev = contributions[i - 1] if i > 0 else initial
            problem = verify_contribution(contributions[i], prev, i + 1)
            if problem:
                report.problems.append(problem)
                return report
            report.contributions.append(
                (contributions[i], contributions[i].response_hash(f"{ptau.path}: section 7 contribution #{i + 1}")))
        report.contributions.reverse()
        if ptau.prepared:
            for (tau_sid, name, group), lag_sid in zip(SECTIONS[:4], (12, 13, 14, 15)):
                problem = _verify_lagrange(ptau, tau_sid, lag_sid, name, group, pb)
                if problem:
                    report.problems.append(problem)
                    return report
    report.ok = True
    return report


__all__ = ["PtauVerifyReport", "verify_contribution", "verify_ptau"]
