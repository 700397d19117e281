"""SEAL's serialization read and written without SEAL (zkgate.he.seal) and the RNS kernels
(zkgate.kernels.rns) checked against TenSEAL itself and against a naive O(n^2) evaluation."""

from __future__ import annotations

import random
import struct
import zlib

import numpy as np
import pytest
import tenseal as ts

from zkgate.he.errors import EnvelopeFormatError
from zkgate.he.presets import PRESETS
from zkgate.he.seal import (
    COMPR_NONE,
    COMPR_ZLIB,
    COMPR_ZSTD,
    Ciphertext,
    EncryptionParameters,
    SecretKey,
    TenSEALContextBlob,
    read_bfv_vector,
    read_object,
    write_bfv_vector,
    write_object,
)
from zkgate.kernels.rns import _is_prime, minimal_primitive_root, rns_for


@pytest.fixture(scope="module")
def seal_ctx():
    p = PRESETS["bfv-8192"]
    return ts.context(ts.SCHEME_TYPE.BFV, poly_modulus_degree=p.poly_modulus_degree,
                      plain_modulus=p.plain_modulus, coeff_mod_bit_sizes=list(p.coeff_mod_bit_sizes))


# -- header and compression ------------------------------------------------------------------
@pytest.mark.parametrize("mode", [COMPR_NONE, COMPR_ZLIB, COMPR_ZSTD])
def test_object_roundtrip(mode):
    members = bytes(range(256)) * 40
    blob = write_object(members, mode, (4, 3))
    header, got = read_object(blob, len(members))
    assert got == members and header.compr_mode == mode and (header.version_major, header.version_minor) == (4, 3)
    assert struct.unpack_from("<HBBBBHQ", blob) == (0xA15E, 16, 4, 3, mode, 0, len(blob))


@pytest.mark.parametrize("mode", [COMPR_ZLIB, COMPR_ZSTD])
def test_decompression_is_bounded(mode):
    bomb = write_object(b"\x00" * (8 << 20), mode)  # 8 MiB of zeros compresses to a few KiB
    assert len(bomb) < 1 << 16
    with pytest.raises(EnvelopeFormatError, match="bound"):
        read_object(bomb, 1 << 20)


def test_malformed_objects_refused():
    good = write_object(b"abcdefgh", COMPR_NONE)
    with pytest.raises(EnvelopeFormatError, match="not a SEAL object"):
        read_object(b"\x00\x00" + good[2:], 100)
    with pytest.raises(EnvelopeFormatError, match="declares"):
        read_object(good + b"x", 100)
    with pytest.raises(EnvelopeFormatError, match="declares"):
        read_object(good[:-1], 100)
    with pytest.raises(EnvelopeFormatError, match="compression mode"):
        read_object(good[:5] + b"\x07" + good[6:], 100)
    with pytest.raises(EnvelopeFormatError, match="version"):
        read_object(good[:3] + b"\x03" + good[4:], 100)
    with pytest.raises(EnvelopeFormatError, match="shorter"):
        read_object(good[:10], 100)
    z = write_object(b"abcdefgh" * 10, COMPR_ZLIB)
    bad = bytearray(z[:-2] + b"\x00\x00")
    with pytest.raises(EnvelopeFormatError):
        read_object(bytes(bad), 1000)
    trailing = z[:16] + zlib.compress(b"abcdefgh") + b"junk"
    trailing = trailing[:8] + struct.pack("<Q", len(trailing)) + trailing[16:]
    with pytest.raises(EnvelopeFormatError, match="trailing"):
        read_object(trailing, 1000)


# -- TenSEAL's objects -------------------------------------------------------------------------
def test_context_keys_parse(seal_ctx):
    blob = TenSEALContextBlob.parse(seal_ctx.serialize(save_secret_key=True))
    ep = EncryptionParameters.from_bytes(blob.encryption_parameters)
    params = PRESETS["bfv-8192"]
    assert ep.scheme == 1 and ep.poly_modulus_degree == 8192 and ep.plain_modulus == params.plain_modulus
    assert [p.bit_length() for p in ep.coeff_modulus] == list(params.coeff_mod_bit_sizes)
    k = len(ep.coeff_modulus)
    sk = SecretKey.from_bytes(blob.secret_key, n=8192, k=k)
    pk = Ciphertext.from_bytes(blob.public_key, n=8192, k=k)
    assert pk.is_ntt_form and pk.size == 2 and pk.parms_id == sk.parms_id
    assert pk.parms_id == struct.pack("<4Q", *seal_ctx.seal_context().data.key_parms_id())
    ring = rns_for(8192, ep.coeff_modulus)
    # the secret key is SEAL's NTT (minimal root, bit-reversed order) of a ternary polynomial
    coeffs = ring.to_centered_ints(ring.ntt_inverse(sk.data))
    assert set(coeffs) == {-1, 0, 1}
    # and the public key is (-(a s + e), a): b + a s is small
    noise = ring.to_centered_ints(ring.ntt_inverse(ring.add(pk.data[0], ring.mul(pk.data[1], sk.data))))
    assert 0 < max(abs(c) for c in noise) <= 21
    with pytest.raises(EnvelopeFormatError):
        SecretKey.from_bytes(blob.secret_key, n=8192, k=k - 1)


def test_public_key_rewrite_loads_in_tenseal(seal_ctx):
    public = seal_ctx.copy()
    public.make_context_public()
    blob = TenSEALContextBlob.parse(public.serialize())
    k = 5
    pk = Ciphertext.from_bytes(blob.public_key, n=8192, k=k)
    for mode in (COMPR_NONE, COMPR_ZSTD):
        again = blob.with_public_key(pk.to_bytes(mode))
        loaded = ts.context_from(again)
        assert not loaded.has_secret_key()
        # encrypt under the rewritten key, decrypt with the original secret
        vec = ts.bfv_vector(loaded, [1, 2, 3])
        assert ts.bfv_vector_from(seal_ctx, vec.serialize()).decrypt() == [1, 2, 3]
    private = TenSEALContextBlob.parse(seal_ctx.serialize(save_secret_key=True))
    with pytest.raises(EnvelopeFormatError, match="secret"):
        private.with_public_key(pk.to_bytes())


def test_bfv_vector_roundtrip_and_decrypt(seal_ctx):
    vals = [random.randrange(-10**6, 10**6) for _ in range(300)]
    data = ts.bfv_vector(seal_ctx, vals).serialize()
    sizes, cts = read_bfv_vector(data)
    assert sizes == [300] and len(cts) == 1
    ct = Ciphertext.from_bytes(cts[0], n=8192, k=4)
    assert not ct.is_ntt_form and ct.parms_id == struct.pack("<4Q", *seal_ctx.seal_context().data.first_parms_id())
    rebuilt = write_bfv_vector(sizes, [ct.to_bytes(COMPR_ZSTD)])
    assert ts.bfv_vector_from(seal_ctx, rebuilt).decrypt() == vals
    with pytest.raises(EnvelopeFormatError):
        Ciphertext.from_bytes(cts[0], n=8192, k=5)
    with pytest.raises(EnvelopeFormatError):
        read_bfv_vector(data[:-3])


# -- RNS kernels -------------------------------------------------------------------------------
def _primes(bits: int, n: int, count: int) -> list[int]:
    out, c = [], (1 << bits) - 2 * n + 1
    while len(out) < count:
        if _is_prime(c):
            out.append(c)
        c -= 2 * n
    return out


def _bitrev(i: int, bits: int) -> int:
    return int(format(i, f"0{bits}b")[::-1], 2)


@pytest.mark.parametrize("bits", [36, 49, 60])
def test_ntt_matches_naive_evaluation(bits):
    n = 32
    primes = _primes(bits, n, 2)
    ring = rns_for(n, primes)
    rng = random.Random(bits)
    a = [rng.randrange(-(1 << 40), 1 << 40) for _ in range(n)]
    b = [rng.randrange(-50, 50) for _ in range(n)]
    fa = ring.ntt_forward(ring.from_ints(a))
    for j, p in enumerate(primes):
        psi = minimal_primitive_root(2 * n, p)
        for k in range(n):
            point = pow(psi, 2 * _bitrev(k, 5) + 1, p)
            assert int(fa[j, k]) == sum(c * pow(point, i, p) for i, c in enumerate(a)) % p
    assert (ring.ntt_inverse(fa) == ring.from_ints(a)).all()
    # negacyclic product
    prod = ring.ntt_inverse(ring.mul(fa, ring.ntt_forward(ring.from_ints(b))))
    want = [0] * n
    for i in range(n):
        for k in range(n):
            sign = 1 if i + k < n else -1
            want[(i + k) % n] += sign * a[i] * b[k]
    q = primes[0] * primes[1]
    assert ring.to_centered_ints(prod) == [((w + q // 2) % q) - q // 2 for w in want]


def test_minimal_root_is_minimal_small_prime():
    p, n = 7681, 256  # 7681 = 1 mod 512
    psi = minimal_primitive_root(2 * n, p)
    assert psi == min(x for x in range(1, p) if pow(x, n, p) == p - 1)


def test_mulmod_edges():
    for bits in (36, 49, 50, 61):
        p = _primes(bits, 8, 1)[0]
        ring = rns_for(8, [p])
        x = np.array([[p - 1, p - 2, 0, 1, p // 2, 3, p - 1, 12345]], dtype=np.uint64)
        y = np.array([[p - 1, p - 1, p - 1, p - 1, p // 3, 7, 1, 67890]], dtype=np.uint64)
        got = ring.mul(x, y)
        assert [int(v) for v in got[0]] == [int(a) * int(b) % p for a, b in zip(x[0], y[0])]


@pytest.mark.parametrize("bits", [43, 49, 60])
def test_native_rns_kernels_equal_the_numpy_twin(bits):
    """On the native backend the compiled NTT and products must agree with the numpy twin bit for bit."""
    from zkgate.kernels import rns

    n = 1024
    ring = rns_for(n, _primes(bits, n, 3))
    twin = ring.twin()
    rng = np.random.default_rng(bits)
    a = (rng.integers(0, 1 << 62, size=(3, n), dtype=np.uint64) % ring.p).astype(np.uint64)
    b = (rng.integers(0, 1 << 62, size=(3, n), dtype=np.uint64) % ring.p).astype(np.uint64)
    a[0, :4] = ring.p[0, 0] - 1  # extremes
    assert (ring.ntt_forward(a) == twin.ntt_forward(a)).all()
    assert (ring.ntt_inverse(a) == twin.ntt_inverse(a)).all()
    assert (ring.mul(a, b) == twin.mul(a, b)).all()
    assert (ring.ntt_inverse(ring.ntt_forward(a)) == a).all()
    assert rns.ENGINE == ("native" if ring.shoup is not None else "numpy")


def test_mutated_blobs_raise_format_errors(seal_ctx):
    """Bit flips, truncations and trailing bytes in TenSEAL vectors and SEAL ciphertexts raise the
    HE format / mismatch errors, never anything else (no IndexError, struct.error, ValueError)."""
    from zkgate.he.errors import EnvelopeMismatchError
    from zkgate.he.threshold import CommitteeParams, read_ciphertext

    cp = CommitteeParams(PRESETS["bfv-8192"], 3, 2, 100)
    data = ts.bfv_vector(seal_ctx, [1, 2, 3]).serialize()
    _, cts = read_bfv_vector(data)
    raw = Ciphertext.from_bytes(cts[0], n=8192, k=4).to_bytes(COMPR_NONE)
    rng = random.Random(7)
    refused = {0: 0, 1: 0, 2: 0}
    for _ in range(400):
        src = rng.choice([data, raw, cts[0]])
        b = bytearray(src)
        op = rng.randrange(3)
        if op == 0:
            for _ in range(rng.randrange(1, 4)):
                i = rng.randrange(min(len(b), 200)) if rng.random() < 0.7 else rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b = b[: rng.randrange(len(b))]
        else:
            b += bytes(rng.randrange(1, 10))
        try:
            if src is data:
                read_ciphertext(cp, bytes(b))
            else:
                Ciphertext.from_bytes(bytes(b), n=8192, k=4)
        except (EnvelopeFormatError, EnvelopeMismatchError):
            refused[op] += 1
            continue
        # only a bit flip may still parse (a flipped coefficient bit below its prime is a valid ciphertext);
        # a truncated or extended blob never does
        assert op == 0, f"a {'truncated' if op == 1 else 'extended'} blob was accepted"
    assert refused[1] > 0 and refused[2] > 0 and refused[0] > 0
