#!/usr/bin/env python3
"""Generate the protocol-message test vectors ``tests/vectors/*.json`` (see docs/messages.md §19).

Every input is derived from fixed labels (``_seed``), so two runs write identical files:
signing keys, data, chunk salts, commitment randomness, submission ids, timestamps, the
development circuit key's toxic waste and the Groth16 proof randomness.  The development
key is made with *seeded* toxic waste: it is insecure by construction and exists only so
that the public-record vector carries real, verifying proofs.

HE material is represented as the protocol does in signed messages (by digest): the spec's
HE key id and context digest are labelled placeholders, and the envelopes carry an 8-byte
placeholder payload instead of a TenSEAL ciphertext (hundreds of kilobytes).

    python scripts/make_test_vectors.py [--out tests/vectors]

``tests/vectors/audit_leaf.json`` is not written here (it has its own generator).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import warnings
from pathlib import Path

GENERATED_BY = "scripts/make_test_vectors.py (generated: do not edit by hand; rerun the script)"
MESSAGE_VERSION = 1
SEED_DOMAIN = b"zkgate test vectors v1\x00"
ACCEPTED_AT = 1767225600  # 2026-01-01T00:00:00Z
DEADLINE = 1798761600  # 2027-01-01T00:00:00Z


# -- deterministic inputs ----------------------------------------------------------------------
def _seed(label: str, n: int = 32) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(SEED_DOMAIN + label.encode() + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:n]


def _seed_int(label: str, modulus: int) -> int:
    return int.from_bytes(_seed(label, 64), "big") % modulus


class _SeededSecrets:
    """Stands in for :mod:`secrets` inside the dev setup, so that the vectors' development key
    is reproducible (its toxic waste is public: never use it for anything but vectors)."""

    def __init__(self, label: str) -> None:
        self._rng = random.Random(_seed(label))

    def randbelow(self, n: int) -> int:
        return self._rng.randrange(n)

    def randbits(self, k: int) -> int:
        return self._rng.getrandbits(k)


# -- JSON forms --------------------------------------------------------------------------------
def hx(b: bytes) -> str:
    return bytes(b).hex()


def dec(x: int) -> str:
    return str(int(x))


def pt(p) -> list[str]:
    return [dec(p[0]), dec(p[1])]


def proof_json(p) -> list[str]:
    return [dec(p.a[0]), dec(p.a[1]), dec(p.b[0][0]), dec(p.b[0][1]), dec(p.b[1][0]), dec(p.b[1][1]),
            dec(p.c[0]), dec(p.c[1])]


def schema_json(schema) -> list:
    return [[c.name, c.lo, c.hi] for c in schema.columns]


_MLDSA_SEEDS: dict[bytes, bytes] = {}  # Ed25519 seed -> the ML-DSA-65 seed of the same hybrid key


def signed(msg_bytes: bytes, signed_bytes: bytes, signature: bytes, public_key: bytes, seed: bytes | None) -> dict:
    from zkgate.signing import algorithms

    out = {"hex": hx(msg_bytes), "signed_bytes_hex": hx(signed_bytes), "signature_hex": hx(signature),
           "public_key_hex": hx(public_key), "algorithms": algorithms(public_key)}
    if seed is not None:
        out["private_key_seed_hex"] = hx(seed)
        if seed in _MLDSA_SEEDS:
            out["mldsa_seed_hex"] = hx(_MLDSA_SEEDS[seed])
    return out


class _StableKey:
    """A hybrid SigningKey that reuses a signature already written in the vectors when it still
    verifies over the same bytes and label: ML-DSA-65 signing is randomized (hedged), so without
    this every run would rewrite every signature, digest and record that contains one."""

    def __init__(self, key, known: list[bytes]) -> None:
        self._key, self._known = key, known

    def __getattr__(self, name):
        return getattr(self._key, name)

    def sign(self, message: bytes, label: str) -> bytes:
        from zkgate.signing import HYBRID_SIGNATURE_BYTES, signature_ok

        for old in self._known:
            if len(old) == HYBRID_SIGNATURE_BYTES and signature_ok(self._key.public, message, old, label):
                return old
        return self._key.sign(message, label)


def _known_signatures(out_dir: Path) -> list[bytes]:
    found: list[bytes] = []

    def walk(v) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("signature_hex", "signature") and isinstance(x, str):
                    found.append(bytes.fromhex(x))
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for path in sorted(out_dir.glob("*.json")) if out_dir.is_dir() else []:
        try:
            walk(json.loads(path.read_text()))
        except ValueError:
            continue
    return found


def write(out_dir: Path, name: str, description: str, body: dict) -> None:
    doc = {"generated_by": GENERATED_BY, "message_version": MESSAGE_VERSION, "description": description, **body}
    text = json.dumps(doc, indent=1, ensure_ascii=True) + "\n"
    (out_dir / name).write_text(text)


# -- the key committee (issue 23) ---------------------------------------------------------------
def committee_vector(out_dir: Path, sd, keys: dict, known: list[bytes]) -> None:
    """``study_spec_committee.json``: a spec carrying a 2-of-3 key committee (seeded member keys;
    he_key_id is still a placeholder: the members sign it as they sign a joint key's id)."""
    from zkgate.he.committee import Message, Roster, TransportKey
    from zkgate.he.presets import get_preset
    from zkgate.he.threshold import CommitteeParams
    from zkgate.study import encoding as enc
    from zkgate.study.identity import SigningKey
    from zkgate.study.key_committee import KeyCommittee
    from zkgate.study.spec import Participant, StudySpec

    params = get_preset("bfv-8192")
    members = [f"member-{i}" for i in (1, 2, 3)]
    sks = [_StableKey(SigningKey.from_seeds(_seed(f"signing key/{m}"), _seed(f"ml-dsa-65 seed/{m}")), known)
           for m in members]
    tks = [TransportKey(_seed(f"transport key/{m}", 64), _seed(f"x25519/{m}")) for m in members]
    cp = CommitteeParams(params, 3, 2, 3)
    roster = Roster(cp, _seed("committee nonce"), tuple(k.public for k in sks), tuple(k.public for k in tks))
    key_id = _seed("placeholder: joint HE key id")
    approvals = [Message.signed(k, "approve", roster.committee_id, i, 0, [key_id]) for i, k in enumerate(sks, 1)]
    third = Participant("hospital-c", _seed_int("placeholder: hospital-c root", 1 << 250), 1,
                        b"\x01" + _seed("placeholder: hospital-c key hash"))
    spec = StudySpec(
        title="zkgate test vector study (key committee)", schema=sd.schema, capacity=sd.capacity,
        question=sd.question, min_cell_size=sd.min_cell_size, participants=(*sd.participants, third), quorum=3,
        deadline=sd.deadline, he_preset="bfv-8192", he_key_id=key_id,
        he_context_digest=_seed("placeholder: joint HE public context digest"), vk_hash=sd.vk_hash,
        transcript_hash=sd.transcript_hash, gateway_key=sd.gateway_key, key_holder_key=sd.key_holder_key,
        nonce=_seed("committee study nonce", 16), dev_keys=sd.dev_keys,
        committee=KeyCommittee.from_setup(roster, [m.to_bytes() for m in approvals]),
    )
    write(out_dir, "study_spec_committee.json", "docs/messages.md section 5: a study spec with a 2-of-3 key "
          "committee: the roster, each member's approve message and signature over he_key_id (a placeholder)", {
        "hex": hx(spec.to_bytes()),
        "params_fingerprint_hex": hx(params.fingerprint()),
        "committee_id_hex": hx(roster.committee_id),
        "members": [{"index": i, "signing_key_hex": hx(sks[i - 1].public), "transport_key_hex": hx(tks[i - 1].public),
                     "approve_body_hex": hx(m.body()), "signature_hex": hx(m.signature)}
                    for i, m in enumerate(approvals, 1)],
        "threshold": 2, "max_participants": 3, "he_key_id_hex": hx(key_id),
        "rest": dec(spec.rest_element()), "study_id": dec(spec.study_id), "study_id_hex": hx(spec.study_id_bytes),
        "bytes_to_field_elements_count": len(enc.bytes_to_field_elements(spec.to_bytes())),
    })


# -- the scenario ------------------------------------------------------------------------------
VECTOR_SQL = ("SELECT sex, COUNT(*) AS n, AVG(delta) AS mean_delta, VAR_SAMP(delta) AS var_delta, "
              "CORR(age, delta) AS r, HISTOGRAM(age, 18, 40, 65, 91) AS ages FROM data "
              "WHERE (age BETWEEN 30 AND 80 OR delta > 40) AND NOT delta IN (-3, 0) GROUP BY sex")


def build(out_dir: Path) -> None:
    from dataclasses import replace

    import msgpack

    from zkgate.audit.tree_head import TreeHeadSigner, tree_head_bytes
    from zkgate.bn254 import FrArray
    from zkgate.circuits import babyjubjub as bjj
    from zkgate.circuits import pedersen as ped
    from zkgate.circuits.poseidon import poseidon_hash, poseidon_sponge
    from zkgate.he.envelope import AggregateEnvelope, ContributionEnvelope, envelope_digest
    from zkgate.he.presets import PRESETS
    from zkgate.prover.formats.zkey import read_zkey
    from zkgate.prover.groth16 import setup as setup_module
    from zkgate.prover.groth16.prove import prove_with
    from zkgate.study import encoding as enc
    from zkgate.study import suppression as sup
    from zkgate.study.catalog import Registration
    from zkgate.study.circuit import chunk_statistics, circuit_inputs, compile_contribution
    from zkgate.study.commitment import (
        TAG_CHUNK,
        TAG_CHUNK_SALT,
        TAG_DATASET,
        TAG_ROOT_SALT,
        DatasetCommitment,
        schema_element,
    )
    from zkgate.study.dataset import Dataset, Schema
    from zkgate.study.identity import SigningKey
    from zkgate.study.keys import CircuitKeys, _vk_obj, vk_hash
    from zkgate.study.messages import Aggregate, Receipt, Release, Submission, receipt_batch_bytes, sign_receipts
    from zkgate.study.question import Aggregate as Agg
    from zkgate.study.question import And, Between, Compare, InSet, Not, Or, Question
    from zkgate.study.spec import SPEC_VERSION, TAG_STUDY, Participant, StudySpec
    from zkgate.study.verification import PublicRecord, verify_record

    L = bjj.SUBORDER
    out_dir.mkdir(parents=True, exist_ok=True)

    # keys
    seeds = {name: _seed(f"signing key/{name}") for name in ("hospital-a", "hospital-b", "gateway", "key-holder", "log")}
    mldsa_seeds = {name: _seed(f"ml-dsa-65 seed/{name}") for name in seeds}
    _MLDSA_SEEDS.update({seeds[name]: mldsa_seeds[name] for name in seeds})
    known = _known_signatures(out_dir)
    keys = {name: _StableKey(SigningKey.from_seeds(seed, mldsa_seeds[name]), known) for name, seed in seeds.items()}

    # schema (a negative column exercises offsets and negative msgpack ints)
    schema = Schema.of(("age", 18, 90), ("sex", 0, 1), ("delta", -50, 50))
    write(out_dir, "schema.json", "docs/messages.md section 3: a schema message, its digest and field element", {
        "hex": hx(schema.to_bytes()),
        "decoded": {"kind": "schema", "version": 1, "columns": schema_json(schema)},
        "schema_digest_hex": hx(schema.digest()),
        "schema_element": dec(schema_element(schema)),
        "columns": [{"name": c.name, "offset": c.offset, "max_stored": c.max_stored, "bits": c.bits}
                    for c in schema.columns],
    })

    # data sets and registrations
    capacity = 4
    tables = {
        "hospital-a": [(34, 1, -7), (61, 0, 12), (45, 1, 3), (72, 1, -50), (29, 1, 50), (55, 1, 0)],
        "hospital-b": [(40, 1, 8), (88, 0, -3), (65, 1, 21)],
    }
    commitments = {name: DatasetCommitment(Dataset.from_rows(schema, rows), capacity,
                                           seed=_seed_int(f"dataset seed/{name}", bjj.SUBORDER))
                   for name, rows in tables.items()}
    regs = {name: Registration.create(name, com, keys[name]) for name, com in commitments.items()}

    def reg_decoded(r: Registration) -> dict:
        return {"kind": "registration", "version": r.version, "participant": r.participant, "schema": schema_json(r.schema),
                "capacity": r.capacity, "n_chunks": r.n_chunks, "root": dec(r.root), "verify_key": hx(r.verify_key),
                "signature": hx(r.signature)}

    write(out_dir, "registration.json", "docs/messages.md section 4: signed data set registrations", {
        "vectors": [{"name": name, **signed(r.to_bytes(), r.signed_bytes(), r.signature, r.verify_key, seeds[name]),
                     "decoded": reg_decoded(r), "dataset_id_hex": hashlib.sha256(r.to_bytes()).hexdigest()}
                    for name, r in regs.items()],
    })

    a = commitments["hospital-a"]
    write(out_dir, "dataset_root.json", "docs/messages.md section 16: record packing, chunk roots, data set root "
          "(hospital-a's data set; the seed and chunk salts are secret in real use)", {
        "tags": {"TAG_CHUNK": dec(TAG_CHUNK), "TAG_CHUNK_SALT": dec(TAG_CHUNK_SALT),
                 "TAG_ROOT_SALT": dec(TAG_ROOT_SALT), "TAG_DATASET": dec(TAG_DATASET), "TAG_STUDY": dec(TAG_STUDY)},
        "schema": schema_json(schema), "schema_element": dec(schema_element(schema)),
        "capacity": capacity, "records": [list(r) for r in tables["hospital-a"]],
        "record_bits": a.packing.record_bits, "records_per_element": a.packing.per_element,
        "seed": dec(a.seed),
        "chunks": [{"elements": [dec(e) for e in a.chunk_elements[c]], "chunk_salt": dec(a.chunk_salts[c]),
                    "chunk_root": dec(a.chunk_roots[c])} for c in range(a.n_chunks)],
        "root_salt": dec(a.root_salt), "root": dec(a.root),
    })

    # the question (VECTOR_SQL compiled): every kind of predicate node, a GROUP BY, a correlation, a histogram
    question = Question(
        And((Or((Between("age", 30, 80), Compare("delta", ">", 40))), Not(InSet("delta", (-3, 0))))), ("sex",),
        (Agg("n", "COUNT", ()), Agg("mean_delta", "AVG", ("delta",)), Agg("var_delta", "VAR_SAMP", ("delta",)),
         Agg("r", "CORR", ("age", "delta")), Agg("ages", "HISTOGRAM", ("age",), (18, 40, 65, 91))),
        VECTOR_SQL)

    # the development circuit key, with seeded toxic waste (reproducible, insecure by construction)
    placeholder_spec = StudySpec(
        title="zkgate test vector study", schema=schema, capacity=capacity,
        question=question, min_cell_size=2,
        participants=tuple(Participant.from_registration(regs[n]) for n in ("hospital-a", "hospital-b")),
        quorum=2, deadline=DEADLINE, he_preset="bfv-4096",
        he_key_id=_seed("placeholder: HE key id"), he_context_digest=_seed("placeholder: HE public context digest"),
        vk_hash=b"\x00" * 32, transcript_hash=b"\x00" * 32,
        gateway_key=keys["gateway"].public, key_holder_key=keys["key-holder"].public,
        nonce=_seed("study nonce", 16), dev_keys=True,
    )
    circuit = compile_contribution(placeholder_spec.shape())
    real_secrets = setup_module.secrets
    setup_module.secrets = _SeededSecrets("dev setup toxic waste")
    try:
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = Path(tmp) / "dev.zkey"
            setup_module.dev_setup(circuit.r1cs, path)
            pk = read_zkey(path)
            ckeys = CircuitKeys(pk.verifying_key, bytes(pk.contributions), pk)
            spec = placeholder_spec.with_keys(vk_hash=ckeys.vk_hash, transcript_hash=ckeys.transcript_hash)

            # contributions: real proofs with fixed proof randomness
            submissions, totals, rho_total = {}, [0] * len(spec.value_names()), 0
            envelopes = {}
            params = PRESETS[spec.he_preset]
            layout = spec.layout()
            for name, com in commitments.items():
                points, proofs = [], []
                for k in range(com.n_chunks):
                    s = chunk_statistics(spec, com.chunk_rows(k))
                    rho = _seed_int(f"rho/{name}/{k}", L)
                    p = ped.commit(s, rho)
                    w = circuit.solve(circuit_inputs(spec, com.chunk_elements[k], com.chunk_salts[k],
                                                     com.chunk_roots[k], rho, p), check=True)
                    proofs.append(prove_with(pk, FrArray(w, check=False), _seed_int(f"proof r/{name}/{k}", L),
                                             _seed_int(f"proof s/{name}/{k}", L)))
                    points.append(p)
                    totals = [x + y for x, y in zip(totals, s)]
                    rho_total += rho
                c_i = bjj.IDENTITY
                for p in points:
                    c_i = bjj.add(c_i, p)
                env = ContributionEnvelope(
                    study_id=spec.study_id_bytes, key_id=spec.he_key_id, params_fingerprint=params.fingerprint(),
                    scheme=params.scheme, sender=name, layout=layout,
                    payload=tuple(_seed(f"placeholder ciphertext/{name}/{c}", 8) for c in range(layout.chunks(params))),
                ).to_bytes()
                envelopes[name] = env
                submissions[name] = Submission(
                    study_id=spec.study_id, participant=name, submission_id=_seed(f"submission id/{name}", 16),
                    chunk_roots=tuple(com.chunk_roots), root_salt=com.root_salt, chunk_commitments=tuple(points),
                    commitment=c_i, proofs=tuple(proofs), envelope_digest=envelope_digest(env), envelope=env,
                ).sign(keys[name])
    finally:
        setup_module.secrets = real_secrets
    public_keys = ckeys.public()

    # study spec
    sd = spec
    write(out_dir, "study_spec.json", "docs/messages.md section 5: a study spec, its rest element and study id "
          "(he_key_id and he_context_digest are placeholders: SHA-256 of labels)", {
        "hex": hx(sd.to_bytes()),
        "decoded": {
            "kind": "study-spec", "version": SPEC_VERSION, "title": sd.title, "schema": schema_json(sd.schema),
            "capacity": sd.capacity, "question": sd.question.to_obj(), "min_cell_size": sd.min_cell_size,
            "participants": [[p.name, dec(p.root), p.n_chunks, hx(p.verify_key)] for p in sd.participants],
            "quorum": sd.quorum, "deadline": sd.deadline, "he_preset": sd.he_preset,
            "he_key_id": hx(sd.he_key_id), "he_context_digest": hx(sd.he_context_digest),
            "vk_hash": hx(sd.vk_hash), "transcript_hash": hx(sd.transcript_hash),
            "gateway_key": hx(sd.gateway_key), "key_holder_key": hx(sd.key_holder_key),
            "nonce": hx(sd.nonce), "dev_keys": sd.dev_keys,
        },
        "bytes_to_field_elements": [dec(x) for x in enc.bytes_to_field_elements(sd.to_bytes())],
        "rest": dec(sd.rest_element()),
        "question_sql": sd.question.describe(),
        "moments": [m.name for m in sd.moments()],
        "filter_constants": [dec(x) for x in sd.constants()],
        "study_id": dec(sd.study_id),
        "study_id_hex": hx(sd.study_id_bytes),
        "value_names": sd.value_names(),
        "value_bounds": [dec(b) for b in sd.value_bounds()],
        "release_mode": sd.release_mode,
    })

    # the same study decrypted by a key committee (issue 23): 3 participants (committee studies need
    # quorum >= 3), bfv-8192, the spec's optional committee item with every member's approval
    committee_vector(out_dir, sd, keys, known)

    ck_bytes = public_keys.to_bytes()
    vk = public_keys.vk
    write(out_dir, "circuit_keys.json", "docs/messages.md section 6: the contribution circuit's public keys "
          "(a DEVELOPMENT key made with seeded, public toxic waste: for vectors only)", {
        "hex": hx(ck_bytes),
        "vk_object_hex": hx(enc.pack(_vk_obj(vk))),
        "decoded": {"kind": "circuit-keys", "version": 1,
                    "vk": {"protocol": "groth16-vk", "curve": "bn128", "nPublic": vk.n_public,
                           "alpha1": pt(vk.alpha1),
                           "beta2": [dec(c) for xy in vk.beta2 for c in xy],
                           "gamma2": [dec(c) for xy in vk.gamma2 for c in xy],
                           "delta2": [dec(c) for xy in vk.delta2 for c in xy],
                           "IC": [pt(p) for p in vk.ic]},
                    "transcript": hx(public_keys.transcript)},
        "vk_hash_hex": hx(vk_hash(vk)),
        "transcript_hash_hex": hx(public_keys.transcript_hash),
    })

    def sub_decoded(s: Submission) -> dict:
        return {"kind": "submission", "version": s.body()[1], "study_id": dec(s.study_id), "participant": s.participant,
                "submission_id": hx(s.submission_id), "chunk_roots": [dec(r) for r in s.chunk_roots],
                "root_salt": dec(s.root_salt), "chunk_commitments": [pt(p) for p in s.chunk_commitments],
                "commitment": pt(s.commitment), "proofs": [proof_json(p) for p in s.proofs],
                "envelope_digest": hx(s.envelope_digest), "signer_key": hx(s.signer_key), "signature": hx(s.signature),
                "envelope": None if s.envelope is None else hx(s.envelope)}

    sub_vectors = []
    for name, s in submissions.items():
        for form, msg in (("public", s.public()), ("with_envelope", s)):
            sub_vectors.append({
                "name": f"{name}/{form}", "participant": name, "form": form,
                **signed(msg.to_bytes(), msg.signed_bytes(), msg.signature, keys[name].public, seeds[name]),
                "decoded": sub_decoded(msg),
                "digest_input_hex": hx(enc.pack(msg.body() + [msg.signature])),
                "submission_digest_hex": hx(msg.digest),
                "public_inputs": [[dec(r), dec(spec.study_id), dec(p[0]), dec(p[1])]
                                  for r, p in zip(msg.chunk_roots, msg.chunk_commitments)],
            })
    write(out_dir, "submission.json", "docs/messages.md section 7: signed submissions (public form with "
          "envelope nil, and with a placeholder envelope), real proofs under circuit_keys.json", {
        "study_id": dec(spec.study_id), "vectors": sub_vectors,
    })

    # receipts (in acceptance order: hospital-a then hospital-b), version 3: both signed as ONE batch
    # (one signature over the root of a Merkle tree of the two); and each signed alone as gateways
    # did before batch-signed receipts (version 2 here: old receipts keep verifying)
    order = ["hospital-a", "hospital-b"]
    unsigned = [Receipt(spec.study_id, name, submissions[name].submission_id, submissions[name].digest, seq,
                        ACCEPTED_AT + 60 * seq) for seq, name in enumerate(order)]
    batch = sign_receipts(unsigned, keys["gateway"])
    alone = [replace(r, signature=keys["gateway"].sign(r.signed_bytes(2), Receipt.LABEL)) for r in unsigned]

    def receipt_vector(r: Receipt) -> dict:
        decoded = {"kind": "receipt", "version": r.version, "study_id": dec(r.study_id),
                   "participant": r.participant, "submission_id": hx(r.submission_id),
                   "submission_digest": hx(r.submission_digest), "sequence": r.sequence,
                   "accepted_at": r.accepted_at, "signature": hx(r.signature)}
        if r.version < 3:
            return {"name": f"{r.participant}/v{r.version}", **signed(r.to_bytes(), r.signed_bytes(), r.signature,
                                                                    keys["gateway"].public, seeds["gateway"]),
                    "decoded": decoded}
        root = r.batch_root()
        return {"name": r.participant, **signed(r.to_bytes(), receipt_batch_bytes(root, r.batch_size), r.signature,
                                                keys["gateway"].public, seeds["gateway"]),
                "leaf_data_hex": hx(r.signed_bytes(3)), "leaf_hash_hex": hx(r.leaf()), "batch_root_hex": hx(root),
                "decoded": {**decoded, "batch_size": r.batch_size, "leaf_index": r.leaf_index,
                            "path": [hx(x) for x in r.path]}}

    write(out_dir, "receipt.json", "docs/messages.md section 8: the gateway's signed receipts (version 3: one batch "
          "signature over a Merkle tree of receipts, signed_bytes_hex the signed batch statement; version 2: signed "
          "alone)", {"vectors": [receipt_vector(r) for r in batch + alone]})

    # aggregate
    agg_env = AggregateEnvelope(
        study_id=spec.study_id_bytes, key_id=spec.he_key_id, params_fingerprint=params.fingerprint(),
        scheme=params.scheme, layout=layout, senders=tuple(sorted(order)),
        payload=tuple(_seed(f"placeholder ciphertext/aggregate/{c}", 8) for c in range(layout.chunks(params))),
    ).to_bytes()
    total_c = bjj.IDENTITY
    for name in order:
        total_c = bjj.add(total_c, submissions[name].commitment)
    aggregate = Aggregate(spec.study_id, tuple((n, submissions[n].digest) for n in order), total_c,
                          envelope_digest(agg_env), envelope=agg_env).sign(keys["gateway"])

    def agg_decoded(g: Aggregate) -> dict:
        return {"kind": "aggregate", "version": g.body()[1], "study_id": dec(g.study_id),
                "included": [[n, hx(d)] for n, d in g.included], "commitment": pt(g.commitment),
                "envelope_digest": hx(g.envelope_digest), "signature": hx(g.signature),
                "envelope": None if g.envelope is None else hx(g.envelope)}

    write(out_dir, "aggregate.json", "docs/messages.md section 9: the gateway's signed aggregate (public form; "
          "and with a placeholder envelope)", {
        "vectors": [{"name": form, "form": form,
                     **signed(g.to_bytes(), g.signed_bytes(), g.signature, keys["gateway"].public, seeds["gateway"]),
                     "decoded": agg_decoded(g), "digest_input_hex": hx(enc.pack(g.body() + [g.signature])),
                     "aggregate_digest_hex": hx(g.digest)}
                    for form, g in (("public", aggregate.public()), ("with_envelope", aggregate))],
    })

    # release
    release = Release(spec.study_id, aggregate.digest, tuple(totals), rho_total, "exact").sign(keys["key-holder"])
    # the release the key holder publishes for this study (min_cell_size 2): cells below k withheld, with the
    # suppression proof (docs/disclosure.md; deterministic nonces here, fresh ones in zkgate)
    width = len(totals) // len(spec.question.cells(spec.schema))
    cells_below_k = sup.cells_below(totals, len(totals) // width, width, spec.min_cell_size)
    withheld = sup.cell_coordinates(cells_below_k, width)
    published, hidden = sup.split(totals, withheld)
    statement = sup.SuppressionStatement(spec.study_id, total_c, len(totals), withheld, published)
    nonces = [_seed_int(f"suppression nonce {i}", L) for i in range(len(withheld) + 1)]
    proof = sup.prove_with(statement, hidden, rho_total, nonces)
    t_point = proof.nonce_commitment
    suppressed = Release(spec.study_id, aggregate.digest, published, None, "exact", withheld=withheld,
                         suppression=proof).sign(keys["key-holder"])
    gs, h = ped.generators(len(totals))
    write(out_dir, "release.json", "docs/messages.md sections 10 and 15: the key holder's signed exact release "
          "and the commitment equation it satisfies", {
        "vectors": [{"name": "exact", **signed(release.to_bytes(), release.signed_bytes(), release.signature,
                                               keys["key-holder"].public, seeds["key-holder"]),
                     "decoded": {"kind": "release", "version": release.body()[1], "study_id": dec(release.study_id),
                                 "aggregate_digest": hx(release.aggregate_digest),
                                 "values": [dec(v) for v in release.values],
                                 "randomness": dec(release.randomness), "mode": release.mode,
                                 "signature": hx(release.signature)},
                     "value_names": spec.value_names(),
                     "randomness_mod_l": dec(release.randomness % L),
                     "sum_of_commitments": pt(total_c)},
                    {"name": "suppressed", **signed(suppressed.to_bytes(), suppressed.signed_bytes(),
                                                    suppressed.signature, keys["key-holder"].public,
                                                    seeds["key-holder"]),
                     "decoded": {"kind": "release", "version": suppressed.body()[1],
                                 "study_id": dec(suppressed.study_id),
                                 "aggregate_digest": hx(suppressed.aggregate_digest),
                                 "values": [dec(v) for v in suppressed.values], "randomness": None,
                                 "mode": suppressed.mode, "withheld": list(suppressed.withheld),
                                 "suppression": {"t": pt(suppressed.suppression.nonce_commitment),
                                                 "responses": [dec(z) for z in suppressed.suppression.responses],
                                                 "blinding_response": dec(suppressed.suppression.blinding_response)},
                                 "signature": hx(suppressed.signature)},
                     "min_cell_size": spec.min_cell_size, "withheld_cells": list(cells_below_k),
                     "n_coordinates": len(totals), "challenge": dec(sup.challenge(statement, t_point)),
                     "nonces": [dec(r) for r in nonces],
                     "sum_of_commitments": pt(total_c)}],
    })

    # public record
    record = PublicRecord(spec, public_keys, tuple(submissions[n].public() for n in order), aggregate.public(),
                          suppressed if withheld else release)
    report = verify_record(record, dev_mode=True)
    if not report.ok:
        raise SystemExit(f"the vectors' public record does not verify: {report.failures}")
    write(out_dir, "public_record.json", "docs/messages.md section 11: a complete public record that verifies "
          "(in dev mode: development circuit key)", {
        "hex": hx(record.to_bytes()),
        "decoded": {"kind": "public-record", "version": 1, "spec": hx(spec.to_bytes()), "keys": hx(ck_bytes),
                    "submissions": [hx(submissions[n].public().to_bytes()) for n in order],
                    "aggregate": hx(aggregate.public().to_bytes()), "release": hx(record.release.to_bytes())},
        "study_id_hex": hx(spec.study_id_bytes),
        "checks": [{"check": n, "ok": ok} for n, ok, _ in report.checks],
    })

    # HE envelopes, parameters, layout, limbs
    rho_field = next(f for f in layout.fields if f.name == "rho")
    limb_mask = (1 << rho_field.limb_bits) - 1
    limbs = [(rho_total >> (rho_field.limb_bits * k)) & limb_mask for k in range(rho_field.limbs)]
    write(out_dir, "he_envelope.json", "docs/messages.md section 12: HE parameters and fingerprint, the study's "
          "slot layout, a contribution envelope with an 8-byte PLACEHOLDER payload (not a TenSEAL ciphertext), "
          "envelope digests, and limb recombination", {
        "preset": spec.he_preset,
        "params_map_hex": hx(msgpack.packb(params.to_obj(), use_bin_type=True)),
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.to_obj().items()},
        "params_fingerprint_hex": hx(params.fingerprint()),
        "layout_map_hex": hx(layout.wire_bytes),
        "layout": {"participants": layout.max_participants,
                   "fields": [{"name": f.name, "maximum": dec(f.maximum), "length": f.length,
                               "limb_bits": f.limb_bits, "limbs": f.limbs} for f in layout.fields]},
        "contribution_envelope": {"sender": "hospital-a", "hex": hx(envelopes["hospital-a"]),
                                  "envelope_digest_hex": hx(envelope_digest(envelopes["hospital-a"]))},
        "aggregate_envelope": {"hex": hx(agg_env), "envelope_digest_hex": hx(envelope_digest(agg_env))},
        "limb_example": {"field": "rho", "value": dec(rho_total), "limb_bits": rho_field.limb_bits,
                         "limbs": [dec(x) for x in limbs]},
    })

    # signed tree head
    log_signer = TreeHeadSigner(keys["log"])
    head = log_signer.sign(7, _seed("tree head root"), ACCEPTED_AT * 1000 + 123)
    write(out_dir, "tree_head.json", "docs/messages.md section 14: a signed tree head (the root is an arbitrary "
          "32-byte value here; audit_leaf.json covers leaf hashing)", {
        "tree_size": head.tree_size, "root_hex": hx(head.root), "timestamp_ms": head.timestamp_ms,
        "signed_bytes_hex": hx(tree_head_bytes(head.tree_size, head.root, head.timestamp_ms)),
        "signature_hex": hx(head.signature), "public_key_hex": hx(log_signer.public_key_bytes),
        "algorithms": log_signer.algorithms, "private_key_seed_hex": hx(seeds["log"]),
        "mldsa_seed_hex": hx(mldsa_seeds["log"]), "label": "tree-head",
    })

    # Pedersen generators (with the counter each took) and one commitment
    def counter_of(tag: bytes) -> int:
        c = 0
        while True:
            y = int.from_bytes(hashlib.sha256(ped.DOMAIN + b"\x00" + tag + c.to_bytes(4, "big")).digest(), "big") % bjj.R
            x = bjj.x_from_y(y)
            if x is not None and bjj.mul((x, y), 8) != bjj.IDENTITY:
                return c
            c += 1

    ex_values = [3, 5, 7]
    ex_rho = _seed_int("pedersen example rho", L)
    write(out_dir, "pedersen.json", "docs/messages.md section 15: Pedersen generators on Baby Jubjub and a commitment", {
        "domain": ped.DOMAIN.decode(), "suborder_l": dec(L),
        "generators": [{"name": f"G_{j}", "tag_hex": hx(b"G" + j.to_bytes(4, "big")),
                        "counter": counter_of(b"G" + j.to_bytes(4, "big")), "point": pt(g)} for j, g in enumerate(gs)]
        + [{"name": "H", "tag_hex": hx(b"H"), "counter": counter_of(b"H"), "point": pt(h)}],
        "commitment_example": {"values": ex_values, "rho": dec(ex_rho), "commitment": pt(ped.commit(ex_values, ex_rho))},
    })

    # Poseidon and bytes -> field elements
    many = list(range(1, 21))
    write(out_dir, "poseidon.json", "docs/messages.md section 2: circomlib Poseidon, the length-prefixed sponge, "
          "bytes to field elements", {
        "poseidon": [{"inputs": [1, 2], "init": 0, "output": dec(poseidon_hash([1, 2]))},
                     {"inputs": [1, 2, 3], "init": 3, "output": dec(poseidon_hash([1, 2, 3], init_state=3))}],
        "poseidon_sponge": [{"inputs": [dec(x) for x in xs], "output": dec(poseidon_sponge(xs))}
                            for xs in ([1, 2, 3], many, list(range(1, 33)))],
        "bytes_to_field_elements": [{"hex": hx(b), "elements": [dec(x) for x in enc.bytes_to_field_elements(b)]}
                                    for b in (b"", b"zkgate", bytes(range(31)), bytes(range(40)))],
    })


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "tests" / "vectors"))
    args = parser.parse_args(argv)
    build(Path(args.out))
    print(f"wrote the test vectors to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
