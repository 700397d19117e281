"""SEAL's own serialization, read and written without SEAL, for the key committee.

TenSEAL hands out SEAL objects only as opaque bytes; the committee needs their numbers (the
RNS polynomials of a ciphertext, of a secret key) and must write a joint public key that an
ordinary TenSEAL public context loads unchanged.  One module per concept:

* :mod:`.header` — the 16-byte ``SEALHeader`` and (size-limited) zlib / zstd decompression;
* :mod:`.objects` — ``DynArray``, ``Modulus``, ``EncryptionParameters``, ``Ciphertext``,
  ``PublicKey`` (a ciphertext at the key level) and ``SecretKey`` (a plaintext in NTT form);
* :mod:`.tenseal_proto` — TenSEAL's protobuf wrappers: the context (parameters, public key,
  secret key) and the BFV vector (chunk sizes, ciphertexts).

Layouts follow SEAL 4.x (``native/src/seal/{serialization,dynarray,ciphertext,plaintext,
publickey,secretkey,encryptionparams,modulus}.cpp``, v4.1.1; unchanged through 4.3, which
TenSEAL 0.3.18 writes); a written object carries the version it was read with.
"""

from zkgate.he.seal.header import (
    COMPR_NONE,
    COMPR_ZLIB,
    COMPR_ZSTD,
    SealHeader,
    read_object,
    write_object,
)
from zkgate.he.seal.objects import (
    Ciphertext,
    EncryptionParameters,
    SecretKey,
    read_dynarray,
    write_dynarray,
)
from zkgate.he.seal.tenseal_proto import (
    TenSEALContextBlob,
    read_bfv_vector,
    write_bfv_vector,
)

__all__ = [
    "COMPR_NONE",
    "COMPR_ZLIB",
    "COMPR_ZSTD",
    "Ciphertext",
    "EncryptionParameters",
    "SealHeader",
    "SecretKey",
    "TenSEALContextBlob",
    "read_bfv_vector",
    "read_dynarray",
    "read_object",
    "write_bfv_vector",
    "write_dynarray",
    "write_object",
]
