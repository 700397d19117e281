"""Small-cell suppression: the multi-base Schnorr proof on Baby Jubjub (zkgate.study.suppression).

Completeness, soundness (a wrong published coordinate, a tampered proof, a proof for other
indices, another study or commitment are rejected), special soundness (two transcripts with one T
give the witness away), strict parsing, and the cell bookkeeping."""

from __future__ import annotations

import secrets

import pytest

from zkgate.circuits import babyjubjub as bjj
from zkgate.circuits import pedersen as ped
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.study import encoding as enc
from zkgate.study import suppression as sup
from zkgate.study.errors import BadSignatureError, MessageFormatError, ReleaseCheckError

STUDY = 0x1234_5678_9ABC_DEF0 << 100
# 4 cells x 3 coordinates (count first): cells 1 and 3 are below k = 5
VALUES = [12, 340, 9000, 3, 41, 600, 7, 90, 1200, 0, 0, 0]
WIDTH, CELLS, K = 3, 4, 5


def _statement(values=VALUES, rho=None, k=K, study=STUDY):
    rho = secrets.randbelow(L) if rho is None else rho
    withheld = sup.cell_coordinates(sup.cells_below(values, CELLS, WIDTH, k), WIDTH)
    published, hidden = sup.split(values, withheld)
    c = ped.commit(values, rho)
    return sup.SuppressionStatement(study, c, len(values), withheld, published), hidden, rho


@pytest.fixture(scope="module")
def proven():
    st, hidden, rho = _statement()
    return st, hidden, rho, sup.prove(st, hidden, rho)


def test_cells_below_and_coordinates():
    assert sup.cells_below(VALUES, CELLS, WIDTH, K) == (1, 3)
    assert sup.cells_below(VALUES, CELLS, WIDTH, 0) == ()
    assert sup.cells_below(VALUES, CELLS, WIDTH, 100) == (0, 1, 2, 3)
    assert sup.cell_coordinates((3, 1), WIDTH) == (3, 4, 5, 9, 10, 11)
    assert sup.whole_cells((3, 4, 5, 9, 10, 11), CELLS, WIDTH) == (1, 3)
    assert sup.whole_cells((3, 4), CELLS, WIDTH) is None  # part of a cell
    assert sup.whole_cells((12, 13, 14), CELLS, WIDTH) is None  # beyond the last cell
    assert sup.split(VALUES, (3, 4, 5)) == (tuple(VALUES[:3] + VALUES[6:]), (3, 41, 600))
    with pytest.raises(ReleaseCheckError):
        sup.cells_below(VALUES, 5, WIDTH, K)


def test_completeness(proven):
    st, _, _, proof = proven
    assert st.withheld == (3, 4, 5, 9, 10, 11)
    assert sup.verify(st, proof)
    # what the verifier recomputes: X = C - Σ_published S_j G_j opens with the withheld values and P
    assert st.residual() == bjj.multi_mul([ped.generator_g(j) for j in st.withheld] + [ped.generator_h()],
                                          [*proven[1], proven[2]])


def test_nothing_withheld_proves_knowledge_of_p():
    st, hidden, rho = _statement(k=0)
    assert st.withheld == () and hidden == ()
    assert sup.verify(st, sup.prove(st, hidden, rho))


def test_wrong_published_coordinate_is_rejected(proven):
    st, hidden, rho, proof = proven
    for j in range(len(st.published)):
        for delta in (1, -1):
            pub = list(st.published)
            if pub[j] + delta < 0:
                continue
            pub[j] += delta
            forged = sup.SuppressionStatement(st.study_id, st.commitment, st.n_coordinates, st.withheld, tuple(pub))
            assert not sup.verify(forged, proof), (j, delta)
            with pytest.raises(ReleaseCheckError, match="do not open"):  # and the honest witness cannot prove it
                sup.prove(forged, hidden, rho)


def test_tampered_proof_is_rejected(proven):
    st, _, _, proof = proven
    other = bjj.mul(ped.generator_g(99), 5)
    assert not sup.verify(st, sup.SuppressionProof(other, proof.responses, proof.blinding_response))
    assert not sup.verify(st, sup.SuppressionProof(proof.nonce_commitment, proof.responses, (proof.blinding_response + 1) % L))
    for i in range(len(proof.responses)):
        zs = list(proof.responses)
        zs[i] = (zs[i] + 1) % L
        assert not sup.verify(st, sup.SuppressionProof(proof.nonce_commitment, tuple(zs), proof.blinding_response))
    # responses for fewer or more coordinates, a response not reduced mod l
    assert not sup.verify(st, sup.SuppressionProof(proof.nonce_commitment, proof.responses[:-1], proof.blinding_response))
    assert not sup.verify(st, sup.SuppressionProof(proof.nonce_commitment, (*proof.responses, 1), proof.blinding_response))
    zs = list(proof.responses)
    zs[0] += L
    assert not sup.verify(st, sup.SuppressionProof(proof.nonce_commitment, tuple(zs), proof.blinding_response))


def test_proof_for_other_indices_study_or_commitment_is_rejected(proven):
    st, _, _, proof = proven
    # the same number of withheld coordinates, other indices (published values move along)
    other_w = (0, 1, 2, 9, 10, 11)
    pub, _ = sup.split(VALUES, other_w)
    assert not sup.verify(sup.SuppressionStatement(st.study_id, st.commitment, st.n_coordinates, other_w, pub), proof)
    assert not sup.verify(sup.SuppressionStatement(st.study_id + 1, st.commitment, st.n_coordinates, st.withheld,
                                                   st.published), proof)
    c2 = bjj.add(st.commitment, ped.generator_h())
    assert not sup.verify(sup.SuppressionStatement(st.study_id, c2, st.n_coordinates, st.withheld, st.published), proof)


def test_ill_formed_statements_are_refused(proven):
    st, hidden, rho, proof = proven
    bad = [
        sup.SuppressionStatement(st.study_id, st.commitment, st.n_coordinates, (9, 3, 4, 5, 10, 11), st.published),
        sup.SuppressionStatement(st.study_id, st.commitment, st.n_coordinates, st.withheld, st.published[:-1]),
        sup.SuppressionStatement(st.study_id, st.commitment, st.n_coordinates, (*st.withheld[:-1], 12), st.published),
        sup.SuppressionStatement(st.study_id, (0, bjj.R - 1), st.n_coordinates, st.withheld, st.published),  # order 2
        sup.SuppressionStatement(st.study_id, st.commitment, st.n_coordinates, st.withheld,
                                 (*st.published[:-1], st.published[-1] + L)),
    ]
    for s in bad:
        assert not sup.verify(s, proof)
        with pytest.raises(MessageFormatError):
            s.check()


def test_special_soundness_extracts_the_witness():
    """Two accepting transcripts with the same T (the same nonces, another challenge) give away
    the withheld values and P: why the nonces must be fresh, and why the proof is one of knowledge."""
    st, hidden, rho = _statement()
    nonces = [secrets.randbelow(L) for _ in range(len(hidden) + 1)]
    p1 = sup.prove_with(st, hidden, rho, nonces)
    st2 = sup.SuppressionStatement(st.study_id ^ 1, st.commitment, st.n_coordinates, st.withheld, st.published)
    p2 = sup.prove_with(st2, hidden, rho, nonces)
    assert p1.nonce_commitment == p2.nonce_commitment and sup.verify(st, p1) and sup.verify(st2, p2)
    inv = pow((sup.challenge(st, p1.nonce_commitment) - sup.challenge(st2, p2.nonce_commitment)) % L, -1, L)
    z1, z2 = [*p1.responses, p1.blinding_response], [*p2.responses, p2.blinding_response]
    assert [(a - b) * inv % L for a, b in zip(z1, z2)] == [*hidden, rho % L]


def test_encoding_round_trip_and_strict_parsing(proven):
    st, _, _, proof = proven
    obj = enc.unpack(enc.pack(enc.header("t") + [proof.to_obj()]), "t")[0]
    back = sup.SuppressionProof.from_obj(obj)
    assert back == proof and sup.verify(st, back)
    t = proof.nonce_commitment
    low = (0, bjj.R - 1)  # on the curve, order 2: not in the prime subgroup
    assert bjj.is_on_curve(low)
    cases = [
        [[t[0].to_bytes(32, "big"), ((t[1] + 1) % bjj.R).to_bytes(32, "big")], obj[1], obj[2]],  # off the curve
        [[low[0].to_bytes(32, "big"), low[1].to_bytes(32, "big")], obj[1], obj[2]],
        [obj[0], obj[1], L.to_bytes(32, "big")],  # a scalar not reduced mod l
        [obj[0], obj[1][:-1] + [L.to_bytes(32, "big")], obj[2]],
        [obj[0], obj[1], obj[2][1:]],  # 31 bytes
        [obj[0], obj[1]],
    ]
    for bad in cases:
        with pytest.raises(MessageFormatError):
            sup.SuppressionProof.from_obj(bad)


def test_multi_mul_matches_mul():
    gs = [ped.generator_g(j) for j in range(5)]
    ks = [0, 1, 15, 16, L - 1]
    acc = bjj.IDENTITY
    for g, k in zip(gs, ks):
        acc = bjj.add(acc, bjj.mul(g, k))
    assert bjj.multi_mul(gs, ks) == acc
    assert bjj.multi_mul([], []) == bjj.IDENTITY


@pytest.mark.parametrize("hybrid", [False, True])
def test_release_message_with_withheld_cells(proven, hybrid):
    """Release versions 3 (classical signature) and 4 (hybrid): versions 1 and 2 plus the withheld
    coordinates and the proof; strict (no P, exact, sorted withheld, one response each)."""
    from zkgate.study.identity import SigningKey
    from zkgate.study.messages import Release

    st, _, _, proof = proven
    key = SigningKey.generate(hybrid=hybrid)
    rel = Release(st.study_id, b"\x07" * 32, st.published, None, "exact", withheld=st.withheld, suppression=proof).sign(key)
    data = rel.to_bytes()
    version, items = enc.unpack_versioned(data, "release", (1, 2, 3, 4))
    assert version == (4 if hybrid else 3) and len(items) == 8
    back = Release.from_bytes(data)
    assert back == rel and back.suppressed and back.verify_signature(key.public)
    plain = Release(st.study_id, b"\x07" * 32, tuple(VALUES), 5, "exact").sign(key)
    assert enc.unpack_versioned(plain.to_bytes(), "release", (1, 2))[0] == (2 if hybrid else 1)
    assert not Release.from_bytes(plain.to_bytes()).suppressed
    for bad in (items[:3] + [b"\x05"] + items[4:],  # P beside withheld cells
                items[:4] + ["dp"] + items[5:],
                items[:5] + [[]] + items[6:],
                items[:5] + [list(reversed(items[5]))] + items[6:],
                items[:5] + [items[5][:-1]] + items[6:],  # one response too many
                items[:7]):
        with pytest.raises(MessageFormatError):
            Release.from_bytes(enc.pack(["release", version, *bad]))
    # the signature covers the withheld indices and the proof
    moved = Release(st.study_id, b"\x07" * 32, st.published, None, "exact", withheld=(0, 1, 2, 9, 10, 11),
                    suppression=proof, signature=rel.signature)
    with pytest.raises(BadSignatureError):
        moved.verify_signature(key.public)
