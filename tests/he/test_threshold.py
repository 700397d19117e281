"""The key committee's threshold BFV (zkgate.he.threshold) on TenSEAL's own objects:
N-of-N and t-of-N decrypt exactly, t - 1 shares give noise, N = t = 1 equals TenSEAL's decrypt."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import pytest
import tenseal as ts

from zkgate.errors import InvalidInputError
from zkgate.he.errors import EnvelopeFormatError, EnvelopeMismatchError
from zkgate.he.presets import PRESETS
from zkgate.he.seal import SecretKey, TenSEALContextBlob
from zkgate.he.threshold import (
    CommitteeParams,
    DecryptionShare,
    KeyShare,
    Member,
    Trial,
    attribute,
    check_key_share,
    combine,
    commit_key_share,
    common_polynomial,
    common_seed,
    covering_subsets,
    decryption_share,
    joint_public_context,
    read_ciphertext,
)

CID = b"committee-under-test"


def _setup(preset: str, members: int, threshold: int, max_participants: int = 1000):
    cp = CommitteeParams(PRESETS[preset], members, threshold, max_participants)
    team = [Member(cp, i) for i in range(1, members + 1)]
    seed = common_seed(CID, [m.round1_commitment(CID) for m in team])
    a = common_polynomial(cp, seed)
    shares = [m.key_share(a) for m in team]
    commitments = [commit_key_share(s, CID) for s in shares]
    for s, c in zip(shares, commitments):
        check_key_share(cp, s, CID, c)
    if threshold < members:
        for dealer in team:
            for k, share in dealer.deal().items():
                if k != dealer.index:
                    team[k - 1].receive(dealer.index, share)
    return cp, team, joint_public_context(cp, a, shares)


@pytest.fixture(scope="module")
def three_of_five():
    return _setup("bfv-8192", 5, 3)


@pytest.fixture(scope="module")
def three_of_three():
    return _setup("bfv-8192", 3, 3)


def _aggregate(ctx, vectors):
    acc = ts.bfv_vector(ctx, vectors[0])
    for v in vectors[1:]:
        acc = acc + ts.bfv_vector(ctx, v)
    return acc.serialize()


def _decrypt(cp, team, data, active):
    length, ct = read_ciphertext(cp, data)
    shares = [decryption_share(team[i - 1], ct, active) for i in active]
    return combine(cp, ct, shares, length)


def test_n_of_n_decrypts_exactly(three_of_three):
    cp, team, pc = three_of_three
    ctx = pc.open()
    rng = random.Random(1)
    vectors = [[rng.randrange(-10**9, 10**9) for _ in range(200)] for _ in range(4)]
    want = [sum(col) for col in zip(*vectors)]
    assert _decrypt(cp, team, _aggregate(ctx, vectors), [1, 2, 3]) == want
    # every member is needed: two of three give noise
    length, ct = read_ciphertext(cp, _aggregate(ctx, vectors))
    shares = [decryption_share(team[i - 1], ct, [1, 2, 3]) for i in (1, 2)]
    assert combine(cp, ct, shares, length) != want


def test_t_of_n_any_subset_decrypts(three_of_five):
    cp, team, pc = three_of_five
    ctx = pc.open()
    vals = [random.randrange(-1000, 1000) for _ in range(64)]
    data = ts.bfv_vector(ctx, vals).serialize()
    for active in itertools.combinations(range(1, 6), 3):
        assert _decrypt(cp, team, data, list(active)) == vals, active


def test_t_minus_one_shares_give_noise(three_of_five):
    cp, team, pc = three_of_five
    vals = list(range(64))
    data = ts.bfv_vector(pc.open(), vals).serialize()
    length, ct = read_ciphertext(cp, data)
    # two members, with the Lagrange coefficients of a two-member set, or of a three-member set
    two = [decryption_share(team[i - 1], ct, [1, 2]) for i in (1, 2)]
    assert combine(cp, ct, two, length) != vals
    partial = [decryption_share(team[i - 1], ct, [1, 2, 3]) for i in (1, 2)]
    out = combine(cp, ct, partial, length)
    assert out != vals and len({v for v in out}) > 32  # looks random, not a shifted copy


def test_wrong_share_breaks_decryption(three_of_five):
    cp, team, pc = three_of_five
    vals = [7] * 16
    length, ct = read_ciphertext(cp, ts.bfv_vector(pc.open(), vals).serialize())
    shares = [decryption_share(team[i - 1], ct, [2, 4, 5]) for i in (2, 4, 5)]
    assert combine(cp, ct, shares, length) == vals
    ring = cp.data_ring()
    # a share off by Delta in its constant coefficient shifts every slot by one
    bumped = ring.add(shares[1].d, ring.from_ints([cp.delta] + [0] * (cp.n - 1)))
    forged = [shares[0], DecryptionShare(4, bumped), shares[2]]
    assert combine(cp, ct, forged, length) == [8] * 16
    with pytest.raises(InvalidInputError, match="twice"):
        combine(cp, ct, [shares[0], shares[0], shares[2]], length)


def test_single_member_equals_tenseal_decrypt():
    """N = t = 1 over TenSEAL's own secret key: the share path decrypts what TenSEAL decrypts."""
    params = PRESETS["bfv-8192"]
    cp = CommitteeParams(params, 1, 1, 1000, allow_single=True)
    ctx = ts.context(ts.SCHEME_TYPE.BFV, poly_modulus_degree=params.poly_modulus_degree,
                     plain_modulus=params.plain_modulus, coeff_mod_bit_sizes=list(params.coeff_mod_bit_sizes))
    blob = TenSEALContextBlob.parse(ctx.serialize(save_secret_key=True))
    member = Member.from_secret_key(cp, SecretKey.from_bytes(blob.secret_key, n=cp.n, k=len(cp.key_moduli)))
    rng = random.Random(5)
    vals = [rng.randrange(-(params.safe_bound // 4), params.safe_bound // 4) for _ in range(cp.n)]
    vec = ts.bfv_vector(ctx, vals) + ts.bfv_vector(ctx, vals)
    data = vec.serialize()
    assert _decrypt(cp, [member], data, [1]) == vec.decrypt()


def test_key_shares_commit_then_reveal(three_of_three):
    cp, team, _ = three_of_three
    seed = common_seed(CID, [m.round1_commitment(CID) for m in team])
    assert (common_polynomial(cp, seed) == common_polynomial(cp, seed)).all()
    other = common_seed(CID, [team[0].round1_commitment(CID)] * 3)
    assert not (common_polynomial(cp, seed) == common_polynomial(cp, other)).all()
    a = common_polynomial(cp, seed)
    honest = team[2].key_share(a)
    commitment = commit_key_share(honest, CID)
    # a share chosen after seeing the others cannot match the commitment made before
    rogue = KeyShare(3, cp.key_ring().sub(honest.b, team[0].key_share(a).b))
    with pytest.raises(EnvelopeMismatchError, match="member 3"):
        check_key_share(cp, rogue, CID, commitment)
    with pytest.raises(EnvelopeMismatchError):
        check_key_share(cp, honest, b"another committee", commitment)
    bad = honest.b.copy()
    bad[0, 0] = np.uint64(cp.key_moduli[0])
    with pytest.raises(EnvelopeFormatError):
        check_key_share(cp, KeyShare(3, bad), CID, commitment)
    with pytest.raises(InvalidInputError):
        joint_public_context(cp, a, [honest])


def test_presets_refused_with_reason():
    with pytest.raises(InvalidInputError, match="bfv-4096 cannot serve a key committee"):
        CommitteeParams(PRESETS["bfv-4096"], 3, 2, 100)
    with pytest.raises(InvalidInputError, match="BFV"):
        CommitteeParams(PRESETS["ckks-8192"], 3, 2, 100)
    for members, threshold in ((3, 4), (17, 2), (3, 1), (1, 1)):
        with pytest.raises(InvalidInputError):
            CommitteeParams(PRESETS["bfv-8192"], members, threshold, 100)
    cp = CommitteeParams(PRESETS["bfv-8192"], 16, 16, 1 << 20)
    assert cp.smudging_bound >= (cp.ciphertext_noise_bound << 40)
    assert cp.ciphertext_noise_bound + 16 * cp.smudging_bound < cp.delta // 2


def test_foreign_ciphertext_refused(three_of_three):
    cp, _, _ = three_of_three
    other = PRESETS["bfv-16384"]
    ctx = ts.context(ts.SCHEME_TYPE.BFV, poly_modulus_degree=other.poly_modulus_degree,
                     plain_modulus=other.plain_modulus, coeff_mod_bit_sizes=list(other.coeff_mod_bit_sizes))
    with pytest.raises(EnvelopeFormatError):
        read_ciphertext(cp, ts.bfv_vector(ctx, [1]).serialize())


@pytest.mark.slow
def test_largest_preset_t_of_n():
    cp, team, pc = _setup("bfv-16384", 4, 2, max_participants=1 << 16)
    vals = [random.randrange(-(1 << 50), 1 << 50) for _ in range(100)]
    data = ts.bfv_vector(pc.open(), vals).serialize()
    assert _decrypt(cp, team, data, [1, 4]) == vals
    assert _decrypt(cp, team, data, [2, 3]) == vals


def test_covering_subsets():
    for n in range(1, 9):
        for t in range(1, n + 1):
            subsets = covering_subsets(n, t)
            assert all(len(s) == t == len(set(s)) for s in subsets)
            assert set().union(*subsets) == set(range(1, n + 1))


def test_self_test_names_the_bad_member(three_of_five):
    """A member with a bad share (e.g. inconsistent Shamir dealing, or a wrong decryption share) is
    named: it appears in no active set that decrypts its known ciphertext (one ciphertext per set)."""
    cp, team, pc = three_of_five
    ctx = pc.open()
    ring = cp.data_ring()
    trials, expected = [], {}
    for i, active in enumerate(itertools.combinations(range(1, 6), 3)):
        known = [i * 100 + j for j in range(32)]
        length, ct = read_ciphertext(cp, ts.bfv_vector(ctx, known).serialize())
        shares = {}
        for m in active:
            share = decryption_share(team[m - 1], ct, list(active))
            if m == 4:  # member 4 cheats
                share = DecryptionShare(4, ring.add(share.d, ring.from_ints([cp.delta * 5] + [0] * (cp.n - 1))))
            shares[m] = share
        trials.append(Trial(active, ct, length, shares))
        expected[active] = known
    bad, good = attribute(cp, trials, lambda trial, slots: slots == expected[trial.active])
    assert bad == {4} and good == {1, 2, 3, 5}
    # one ciphertext under two active sets (extra smudged samples of one secret value): refused
    with pytest.raises(InvalidInputError, match="two active sets"):
        attribute(cp, [trials[0], Trial(trials[1].active, trials[0].ct, trials[0].length, trials[1].shares)],
                  lambda trial, slots: True)


def test_two_active_sets_on_one_ciphertext_strip_the_noise(three_of_five, monkeypatch):
    """Why a member shares one ciphertext with one active set only: with d_A = λ_A·X + E_A and
    d_B = λ_B·X + E_B (X = S·c1; λ = num/den small rationals), the requester computes
    num_B·den_A·d_A − num_A·den_B·d_B ≡ num_B·den_A·E_A − num_A·den_B·E_B (mod q): an exact
    integer relation between the smudging noises, with X gone — the noise is no longer a fresh
    mask; more sets erode it further.  (The refusal is in zkgate.he.committee.)"""
    import zkgate.he.threshold as threshold

    cp, team, pc = three_of_five
    length, ct = read_ciphertext(cp, ts.bfv_vector(pc.open(), [1, 2, 3]).serialize())
    ring = cp.data_ring()
    q = cp.q
    noises = []
    real = threshold._smudging

    def spy(cp_):
        e = real(cp_)
        noises.append(ring.to_centered_ints(e)[0])
        return e

    monkeypatch.setattr(threshold, "_smudging", spy)
    d_a = ring.to_centered_ints(decryption_share(team[0], ct, [1, 2, 3]).d)[0]
    d_b = ring.to_centered_ints(decryption_share(team[0], ct, [1, 4, 5]).d)[0]

    def lam(active):
        out = Fraction(1)
        for m in active:
            if m != 1:
                out *= Fraction(m, m - 1)
        return out

    la, lb = lam([1, 2, 3]), lam([1, 4, 5])
    rel = (lb.numerator * la.denominator * d_a - la.numerator * lb.denominator * d_b) % q
    rel = rel - q if rel > q // 2 else rel
    assert rel == lb.numerator * la.denominator * noises[0] - la.numerator * lb.denominator * noises[1]
    assert abs(rel) < 1 << (cp.smudging_bits + 8)  # small: a relation between noises, X cancelled
