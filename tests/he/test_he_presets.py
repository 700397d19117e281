"""Parameter presets: the 128-bit bounds, batching primes, fingerprints, the recorded opt-out."""

from __future__ import annotations

import pytest

from zkgate.errors import CryptoError, InvalidInputError
from zkgate.he import (
    MAX_COEFF_BITS_128,
    PRESETS,
    Contributor,
    HEParams,
    InsecureParametersError,
    KeyHolder,
    batching_prime,
    bfv_preset,
    ckks_preset,
)
from zkgate.he.errors import EnvelopeFormatError


def naive_is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


def test_standard_bounds_table():
    assert {4096: 109, 8192: 218, 16384: 438}.items() <= MAX_COEFF_BITS_128.items()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_inside_128_bit_bounds(name):
    p = PRESETS[name]
    assert p.is_128_bit_secure and not p.insecure_opt_out
    assert p.total_coeff_bits <= MAX_COEFF_BITS_128[p.poly_modulus_degree]
    assert p.poly_modulus_degree in ((4096, 8192, 16384) if p.scheme == "bfv" else (8192, 16384))


@pytest.mark.parametrize("n", [4096, 8192, 16384])
def test_bfv_plain_modulus_is_batching_and_sized(n):
    for sum_bits in (20, 40, 58):
        p = bfv_preset(n, sum_bits)
        t = p.plain_modulus
        assert t % (2 * n) == 1
        assert p.safe_bound > 2**sum_bits
        assert t.bit_length() == sum_bits + 2


def test_batching_prime_matches_naive_search():
    for n, bits in [(1024, 17), (4096, 20), (2048, 22)]:
        expected = next(c for c in range(2**bits - 1, 0, -1) if c % (2 * n) == 1 and naive_is_prime(c))
        assert batching_prime(n, bits) == expected


def test_outside_bounds_refused_with_amount():
    with pytest.raises(InsecureParametersError) as err:
        HEParams("bfv", 4096, (60, 60, 60), plain_modulus=batching_prime(4096, 20))
    assert "109" in str(err.value) and "by 71" in str(err.value)
    assert isinstance(err.value, InvalidInputError)


def test_opt_out_is_recorded_but_seal_still_refuses():
    p = HEParams("bfv", 4096, (60, 60, 60), plain_modulus=batching_prime(4096, 20), insecure_opt_out=True)
    assert p.insecure_opt_out and not p.is_128_bit_secure
    assert p.to_obj()["insecure"] is True
    with pytest.raises(CryptoError, match="opt-out is recorded"):
        KeyHolder.create(p)


def test_opt_out_travels_with_the_public_context():
    secure_but_flagged = HEParams(
        "bfv", 4096, PRESETS["bfv-4096"].coeff_mod_bit_sizes, plain_modulus=PRESETS["bfv-4096"].plain_modulus,
        insecure_opt_out=True,
    )
    assert secure_but_flagged.fingerprint() != PRESETS["bfv-4096"].fingerprint()
    kh = KeyHolder.create(secure_but_flagged)
    pc = kh.public_context()
    assert pc.params.insecure_opt_out
    with pytest.raises(InsecureParametersError):
        Contributor(pc)
    Contributor(pc.to_bytes(), allow_insecure=True)


def test_invalid_parameters_refused():
    with pytest.raises(InvalidInputError):
        HEParams("bfv", 4096, (36, 36, 37), plain_modulus=65537 * 3)  # not prime
    with pytest.raises(InvalidInputError):
        HEParams("bfv", 4096, (36, 36, 37), plain_modulus=40961)  # prime, but not 1 mod 8192
    with pytest.raises(InvalidInputError):
        HEParams("bfv", 3000, (36, 36, 37), plain_modulus=40961)
    with pytest.raises(InvalidInputError, match="decimals"):
        ckks_preset(8192, decimals=9)  # finer than scale 2^40 allows
    with pytest.raises(InvalidInputError):
        HEParams("ckks", 8192, (60, 40, 40, 60), scale_bits=40, decimals=2, plain_modulus=65537)
    with pytest.raises(InvalidInputError):
        KeyHolder.create("bfv-1234")


def test_fingerprint_covers_every_parameter():
    base = PRESETS["ckks-8192"]
    variants = [
        ckks_preset(8192, decimals=3),
        HEParams("ckks", 8192, (60, 40, 40, 60), scale_bits=39, decimals=4),
        HEParams("ckks", 8192, (60, 40, 40, 60), scale_bits=40, decimals=4, insecure_opt_out=True),
        HEParams("ckks", 8192, (60, 40, 60), scale_bits=40, decimals=4),
        PRESETS["ckks-16384"],
    ]
    fps = {base.fingerprint()} | {v.fingerprint() for v in variants}
    assert len(fps) == len(variants) + 1
    assert bfv_preset(4096, 30).fingerprint() != bfv_preset(4096, 31).fingerprint()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_params_wire_round_trip(name):
    p = PRESETS[name]
    assert HEParams.from_obj(p.to_obj()) == p


def test_params_wire_strict():
    obj = PRESETS["bfv-4096"].to_obj()
    bad = dict(obj, n=True)
    with pytest.raises(EnvelopeFormatError):
        HEParams.from_obj(bad)
    with pytest.raises(EnvelopeFormatError):
        HEParams.from_obj({k: obj[k] for k in reversed(obj)})
    with pytest.raises(InsecureParametersError):
        HEParams.from_obj(dict(obj, coeff=[60, 60, 60]))


def test_decoded_parameters_get_their_preset_name_back():
    from zkgate.he.presets import PRESETS, HEParams

    for name, params in PRESETS.items():
        decoded = HEParams.from_obj(params.to_obj())
        assert decoded == params and decoded.name == name
    custom = HEParams("bfv", 8192, (50, 50, 50, 50), plain_modulus=PRESETS["bfv-8192"].plain_modulus)
    assert custom != PRESETS["bfv-8192"]
    assert HEParams.from_obj(custom.to_obj()).name == "custom"
