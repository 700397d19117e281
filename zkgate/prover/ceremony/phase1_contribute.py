"""``powersoftau contribute`` and ``powersoftau beacon``, record for record what snarkjs 0.7.6
writes, so that phase-1 contributions can alternate zkgate and snarkjs in any order.

A contribution draws tau, alpha, beta and its public key from ChaCha (seeded by
BLAKE2b-512(64 OS-random bytes || entropy) -- random, so two runs never agree -- or, for a
beacon, by 2^n iterations of SHA-256 over the public beacon value: deterministic, equal to
snarkjs's output byte for byte), signs the previous challenge hash, and multiplies

* tauG1[i], tauG2[i] by tau^i; alphaTauG1[i] by alpha*tau^i; betaTauG1[i] by beta*tau^i;
  betaG2 by beta,

streaming each section in snarkjs's chunks (2^14 G1 / 2^13 G2 points) through the native
batch kernels (:mod:`zkgate.prover.ceremony.group_ops`).  The response hash absorbs the compressed new
points (pure-Python BLAKE2b, whose state the record stores: about 2 MB/s, i.e. some 100 s at
2^20 -- the price of an exportable state; it runs in a worker thread beside the scaling of the
next chunk, which releases the GIL), the next challenge hash the uncompressed ones (hashlib).  A prepared file loses sections 12-15 (prepare phase 2 again), as with snarkjs.
"""

from __future__ import annotations

import os
import secrets as _secrets
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from zkgate.binfile import HEADER, SECTION_HEADER
from zkgate.bn254 import R_MOD
from zkgate.errors import InvalidInputError
from zkgate.prover.ceremony import group_ops
from zkgate.prover.ceremony.blake2b import NobleBlake2b
from zkgate.prover.ceremony.chacha import ChaCha
from zkgate.prover.ceremony.hashing import (
    blake2b512,
    create_ptau_key,
    first_challenge_hash,
    rows_compressed,
    uncompressed,
)
from zkgate.prover.ceremony.phase2 import parse_beacon_hash, rng_from_beacon, rng_from_entropy
from zkgate.prover.formats.curve_points import g1_from_words, g2_from_words
from zkgate.prover.formats.ptau import G1_BYTES, G2_BYTES, MAGIC, VERSION, PtauFile, _header_payload, read_ptau
from zkgate.prover.formats.ptau_records import PtauContribution, decode_contributions, encode_contributions
from zkgate.prover.progress import bar

CHUNK = {1: (1 << 20) // G1_BYTES, 2: (1 << 20) // G2_BYTES}  # snarkjs's chunks (they shape the hash state)
SECTIONS = ((2, "tauG1", 1), (3, "tauG2", 2), (4, "alphaTauG1", 1), (5, "betaTauG1", 1), (6, "betaG2", 2))


def section_count(sid: int, power: int) -> int:
    n = 1 << power
    return {2: 2 * n - 1, 3: n, 4: n, 5: n, 6: 1}[sid]


def read_contributions(ptau: PtauFile) -> tuple[PtauContribution, ...]:
    return decode_contributions(ptau.raw(7), f"{ptau.path}: section 7 (contributions)")


def last_challenge(ptau: PtauFile, contributions) -> bytes:
    return contributions[-1].next_challenge if contributions else first_challenge_hash(ptau.power)


def _contribute_with(src: PtauFile, out: str | Path, rng: ChaCha, ctype: int, name: str, n_exp: int,
                     beacon: bytes, progress: bool) -> bytes:
    if src.power != src.ceremony_power:
        raise InvalidInputError(f"{src.path}: this file has been reduced (power {src.power} of a "
                                f"{src.ceremony_power} ceremony); you cannot contribute into a reduced file")
    contributions = read_contributions(src)
    challenge = last_challenge(src, contributions)
    secrets, key = create_ptau_key(rng, challenge)
    response = NobleBlake2b().update(challenge)
    firsts: dict[int, np.ndarray] = {}
    factors = {2: (1, secrets.tau), 3: (1, secrets.tau), 4: (secrets.alpha, secrets.tau),
               5: (secrets.beta, secrets.tau), 6: (secrets.beta, secrets.tau)}
    total = sum(section_count(sid, src.power) for sid, _, _ in SECTIONS)
    tmp = Path(str(out) + ".tmp")
    offsets: dict[int, tuple[int, int]] = {}
    pending: deque = deque()
    with open(tmp, "wb+") as f, bar("applying the contribution", total, progress) as pb, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="response-hash") as hashing:
        f.write(HEADER.pack(MAGIC, VERSION, 7))
        header = _header_payload(src.power, src.power)
        f.write(SECTION_HEADER.pack(1, len(header)) + header)
        for sid, _name, group in SECTIONS:
            count = section_count(sid, src.power)
            size = G1_BYTES if group == 1 else G2_BYTES
            f.write(SECTION_HEADER.pack(sid, count * size))
            offsets[sid] = (f.tell(), count)
            first, inc = factors[sid]
            step = CHUNK[group]
            for start in range(0, count, step):
                n = min(step, count - start)
                rows = group_ops.scale_geometric(src.points(sid, start, n, group), first * pow(inc, start, R_MOD) % R_MOD,
                                                inc, group)
                f.write(rows.tobytes())
                # the pure-Python hash runs beside the next chunk's scaling (the kernels release
                # the GIL); one worker keeps the updates in order, at most 4 chunks wait
                pending.append(hashing.submit(response.update, rows_compressed(rows, group)))
                while len(pending) > 4:
                    pending.popleft().result()
                if start == 0:
                    firsts[sid] = rows[:2].copy()
                pb.advance(n)
        while pending:
            pending.popleft().result()
        partial = response.export_state()
        response_hash = response.update(key.uncompressed()).digest()
        next_hasher = blake2b512(response_hash)
        for sid, _name, group in SECTIONS:
            pos, count = offsets[sid]
            size = G1_BYTES if group == 1 else G2_BYTES
            step = 1 << 14
            for start in range(0, count, step):
                n = min(step, count - start)
                f.seek(pos + start * size)
                rows = np.frombuffer(f.read(n * size), dtype="<u8").reshape(n, size // 8)
                next_hasher.update(uncompressed(rows, group))
        f.seek(0, os.SEEK_END)
        record = PtauContribution(
            g1_from_words(firsts[2][1], "tauG1", check=False), g2_from_words(firsts[3][1], "tauG2", check=False),
            g1_from_words(firsts[4][0], "alphaG1", check=False), g1_from_words(firsts[5][0], "betaG1", check=False),
            g2_from_words(firsts[6][0], "betaG2", check=False), key, partial, next_hasher.digest(),
            ctype, name[:64], n_exp, beacon,
        )
        body = encode_contributions(contributions + (record,))
        f.write(SECTION_HEADER.pack(7, len(body)) + body)
    del secrets
    os.replace(tmp, out)
    return response_hash


def contribute(in_ptau: str | Path, out_ptau: str | Path, name: str = "", entropy: str | None = None,
               progress: bool = False) -> bytes:
    """Add a phase-1 contribution; return its response hash (what snarkjs prints).

    ``entropy`` is mixed with 64 bytes from the OS; None draws 32 more random bytes instead.
    """
    src = read_ptau(in_ptau)
    rng = rng_from_entropy(entropy if entropy else _secrets.token_hex(32))
    return _contribute_with(src, out_ptau, rng, 0, name, 0, b"", progress)


def beacon(in_ptau: str | Path, out_ptau: str | Path, beacon_hash: str | bytes, num_iterations_exp: int,
           name: str = "", progress: bool = False) -> bytes:
    """Add a beacon contribution (publicly reproducible); return its response hash."""
    value = parse_beacon_hash(beacon_hash) if isinstance(beacon_hash, str) else bytes(beacon_hash)
    src = read_ptau(in_ptau)
    rng = rng_from_beacon(value, num_iterations_exp)
    return _contribute_with(src, out_ptau, rng, 1, name, num_iterations_exp, value, progress)

