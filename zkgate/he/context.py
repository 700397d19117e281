"""TenSEAL contexts: creation from parameters, public export, validation on load, key ids.

Everything that touches a ``tenseal.Context`` directly lives here, so that the roles
stay small and every context and ciphertext entering zkgate passes the same checks:

* a context offered as public must hold no secret key, and its SEAL parameter id must
  be the one the declared parameters produce (so a context for other parameters is
  refused even if it declares the right ones);
* the key id is the SHA-256 of the serialized public key, recomputed on load;
* a ciphertext must deserialize under the study's context, sit at the first data level
  with its parameter id, have two polynomials, the expected length and (CKKS) scale.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading

import tenseal as ts

from zkgate.errors import CryptoError
from zkgate.he.errors import (
    EnvelopeFormatError,
    EnvelopeMismatchError,
    NoSecretKeyError,
    SecretKeyPresentError,
)
from zkgate.he.presets import HEParams

__all__ = [
    "new_secret_context",
    "serialize_public",
    "serialize_secret",
    "key_id",
    "load_public",
    "load_secret",
    "load_vector",
    "encrypt_vector",
]

_SCHEMES = {"bfv": ts.SCHEME_TYPE.BFV, "ckks": ts.SCHEME_TYPE.CKKS}
_parms_lock = threading.Lock()
_parms_ids: dict[bytes, tuple[tuple[int, ...], tuple[int, ...]]] = {}


def _build(params: HEParams) -> ts.Context:
    try:
        if params.scheme == "bfv":
            ctx = ts.context(
                ts.SCHEME_TYPE.BFV,
                poly_modulus_degree=params.poly_modulus_degree,
                plain_modulus=params.plain_modulus,
                coeff_mod_bit_sizes=list(params.coeff_mod_bit_sizes),
            )
        else:
            ctx = ts.context(
                ts.SCHEME_TYPE.CKKS,
                poly_modulus_degree=params.poly_modulus_degree,
                coeff_mod_bit_sizes=list(params.coeff_mod_bit_sizes),
            )
            ctx.global_scale = params.scale
    except ValueError as exc:
        note = ""
        if params.insecure_opt_out:
            note = (" (the 128-bit opt-out is recorded, but SEAL as built into TenSEAL enforces the"
                    " same HE-standard bounds itself)")
        raise CryptoError(f"TenSEAL/SEAL refused the parameters{note}: {exc}") from exc
    return ctx


def _ids(ctx: ts.Context) -> tuple[tuple[int, ...], tuple[int, ...]]:
    sc = ctx.seal_context().data
    return tuple(sc.key_parms_id()), tuple(sc.first_parms_id())


def _reference_ids(params: HEParams) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """SEAL parameter ids (key level, first data level) that ``params`` produce."""
    fp = params.fingerprint()
    with _parms_lock:
        hit = _parms_ids.get(fp)
    if hit is None:
        hit = _ids(_build(params))  # one key generation per parameter set and process
        with _parms_lock:
            _parms_ids[fp] = hit
    return hit


def new_secret_context(params: HEParams) -> ts.Context:
    ctx = _build(params)
    with _parms_lock:
        _parms_ids.setdefault(params.fingerprint(), _ids(ctx))
    return ctx


def serialize_public(ctx: ts.Context) -> bytes:
    """The public context: public key and parameters only (no secret, relin or Galois keys)."""
    return ctx.serialize(save_public_key=True, save_secret_key=False, save_galois_keys=False, save_relin_keys=False)


def serialize_secret(ctx: ts.Context) -> bytes:
    return ctx.serialize(save_public_key=True, save_secret_key=True, save_galois_keys=False, save_relin_keys=False)


def key_id(ctx: ts.Context) -> bytes:
    """SHA-256 of SEAL's serialization of the public key (TenSEAL only saves it to a file)."""
    if not ctx.has_public_key():
        raise CryptoError("context holds no public key")
    with tempfile.TemporaryDirectory(prefix="zkgate-he-") as tmp:
        path = os.path.join(tmp, "public_key")
        ctx.public_key().data.save(path)
        with open(path, "rb") as fh:
            material = fh.read()
    return hashlib.sha256(b"zkgate.he.key\x00" + material).digest()


def _deserialize(data: bytes, what: str) -> ts.Context:
    try:
        return ts.context_from(data)
    except Exception as exc:  # TenSEAL raises ValueError or RuntimeError subclasses on bad input
        raise EnvelopeFormatError(f"{what}: TenSEAL could not load the context ({exc})") from exc


def _check_params(ctx: ts.Context, params: HEParams, what: str) -> None:
    if _ids(ctx) != _reference_ids(params):
        raise EnvelopeMismatchError(f"{what}: the context's SEAL parameters are not the declared ones")
    if params.scheme == "ckks":
        ctx.global_scale = params.scale


def load_public(data: bytes, params: HEParams, declared_key_id: bytes) -> ts.Context:
    """Load a context that must be public and match ``params`` and ``declared_key_id``."""
    what = "public context"
    ctx = _deserialize(data, what)
    if ctx.has_secret_key() or ctx.is_private():
        raise SecretKeyPresentError(
            f"{what} holds a secret key; refusing it (export with KeyHolder.public_context())"
        )
    if not ctx.has_public_key():
        raise EnvelopeFormatError(f"{what} holds no public key")
    _check_params(ctx, params, what)
    if key_id(ctx) != declared_key_id:
        raise EnvelopeMismatchError(f"{what}: its public key does not match the declared key id")
    return ctx


def load_secret(data: bytes, params: HEParams, declared_key_id: bytes) -> ts.Context:
    what = "secret context"
    ctx = _deserialize(data, what)
    if not ctx.has_secret_key():
        raise NoSecretKeyError(f"{what}: this context holds no secret key; a public context cannot decrypt")
    _check_params(ctx, params, what)
    if key_id(ctx) != declared_key_id:
        raise EnvelopeMismatchError(f"{what}: its public key does not match the declared key id")
    return ctx


def encrypt_vector(ctx: ts.Context, params: HEParams, values: list) -> bytes:
    if params.scheme == "bfv":
        return ts.bfv_vector(ctx, values).serialize()
    return ts.ckks_vector(ctx, values).serialize()


def load_vector(ctx: ts.Context, params: HEParams, data: bytes, length: int, what: str):
    """Deserialize one ciphertext chunk and check it fits the study (see module docstring)."""
    try:
        vec = ts.bfv_vector_from(ctx, data) if params.scheme == "bfv" else ts.ckks_vector_from(ctx, data)
        cts = vec.ciphertext()
        vec_len = vec.size()
    except Exception as exc:  # TenSEAL/SEAL signal bad input with ValueError/RuntimeError
        raise EnvelopeFormatError(f"{what}: not a valid ciphertext for this context ({exc})") from exc
    if len(cts) != 1 or vec_len != length:
        raise EnvelopeFormatError(f"{what}: expected one ciphertext of {length} slots, got {len(cts)} of {vec_len}")
    ct = cts[0]
    if ct.size() != 2 or ct.poly_modulus_degree() != params.poly_modulus_degree:
        raise EnvelopeFormatError(f"{what}: ciphertext has the wrong shape")
    if tuple(ct.parms_id()) != tuple(ctx.seal_context().data.first_parms_id()):
        raise EnvelopeMismatchError(f"{what}: ciphertext is not at the study's parameter level")
    if params.scheme == "ckks":
        if ct.scale != params.scale or not ct.is_ntt_form():
            raise EnvelopeMismatchError(f"{what}: ciphertext scale {ct.scale} differs from the study's 2^{params.scale_bits}")
    elif ct.is_ntt_form():
        raise EnvelopeFormatError(f"{what}: BFV ciphertext unexpectedly in NTT form")
    return vec

