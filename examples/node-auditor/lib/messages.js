// zkgate's protocol messages, decoded from their canonical msgpack bytes (docs/messages.md).
//
// Every message is a msgpack array [kind, version, ...items]; field elements and Baby Jubjub
// coordinates are 32-byte big-endian byte strings, other integers msgpack ints, text UTF-8.
// A message has exactly one byte form: we decode, re-encode and compare, so that signatures
// and digests computed over re-encoded parts cover exactly the bytes the gateway served.

import { createHash } from "node:crypto";
import { decode, encode, ExtensionCodec } from "@msgpack/msgpack";

export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
export const VERSION = 1;
export const SPEC_VERSION = 2; // the study spec carries the compiled question (docs/messages.md section 5)
const MAX_MESSAGE = 64 << 20;
const NO_EXTENSIONS = new ExtensionCodec(); // unknown extension types decode to ExtData: refused below

/** A malformed message: names the message and the field. */
export class MessageFormatError extends Error {}

export function sha256(...parts) {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Domain-separated SHA-256: SHA-256("zkgate.study." ‖ domain ‖ 0x00 ‖ data). */
export function domainDigest(data, domain) {
  return sha256(Buffer.from(`zkgate.study.${domain}\0`, "utf8"), data);
}

export function pack(obj) {
  return encode(obj);
}

export function hex(bytes) {
  return Buffer.from(bytes).toString("hex");
}

export function bytesEqual(a, b) {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

export function bigFromBytes(bytes) {
  return bytes.length === 0 ? 0n : BigInt("0x" + hex(bytes));
}

function checkPlain(v, where) {
  if (v === null || typeof v === "boolean" || typeof v === "string" || v instanceof Uint8Array) return;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new MessageFormatError(`${where}: ${v} is not an exact integer`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkPlain(x, `${where}[${i}]`));
    return;
  }
  throw new MessageFormatError(`${where}: maps, floats and extension types are not allowed`);
}

/** Decode `data` as a `kind` message; returns the whole array (kind and version included). */
export function unpack(data, kind, version = VERSION) {
  if (!(data instanceof Uint8Array)) throw new MessageFormatError(`${kind}: expected bytes`);
  if (data.length > MAX_MESSAGE) throw new MessageFormatError(`${kind}: ${data.length} bytes is more than ${MAX_MESSAGE}`);
  let obj;
  try {
    obj = decode(data, { extensionCodec: NO_EXTENSIONS, maxStrLength: 1 << 16 });
  } catch (err) {
    throw new MessageFormatError(`${kind}: not a valid msgpack message (${err.message})`);
  }
  if (!Array.isArray(obj) || obj.length < 2 || obj[0] !== kind) throw new MessageFormatError(`expected a '${kind}' message`);
  if (obj[1] !== version) throw new MessageFormatError(`${kind}: unsupported version ${obj[1]} (this auditor reads ${version})`);
  checkPlain(obj, kind);
  if (!bytesEqual(pack(obj), data)) throw new MessageFormatError(`${kind}: not the canonical encoding of the message`);
  return obj;
}

// -- typed field readers ------------------------------------------------------------------------
function list(v, what, length) {
  if (!Array.isArray(v) || (length !== undefined && v.length !== length)) {
    throw new MessageFormatError(`${what}: expected a list${length !== undefined ? ` of ${length} items` : ""}`);
  }
  return v;
}

function bin(v, what, length) {
  if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) {
    throw new MessageFormatError(`${what}: expected a byte string${length !== undefined ? ` of ${length} bytes` : ""}`);
  }
  return v;
}

function fe(v, what) {
  const x = bigFromBytes(bin(v, what, 32));
  if (x >= R) throw new MessageFormatError(`${what}: field element is not below r`);
  return x;
}

function int(v, what) {
  if (typeof v !== "number") throw new MessageFormatError(`${what}: expected an integer`);
  return v;
}

function str(v, what) {
  if (typeof v !== "string") throw new MessageFormatError(`${what}: expected a string`);
  return v;
}

function point(v, what) {
  const p = list(v, what, 2);
  return [fe(p[0], what + ".x"), fe(p[1], what + ".y")];
}

// Signed messages: version 1 carries a classical Ed25519 signature (64 bytes), version 2 a hybrid
// Ed25519+ML-DSA-65 one (3,373 bytes); see lib/signatures.js.
export const SIGNED_VERSIONS = [1, 2];

function unpackSigned(data, kind) {
  let version = VERSION;
  try {
    const peek = decode(data, { extensionCodec: NO_EXTENSIONS, maxStrLength: 1 << 16 });
    if (Array.isArray(peek) && SIGNED_VERSIONS.includes(peek[1])) version = peek[1];
  } catch {
    // unpack names the problem
  }
  return unpack(data, kind, version);
}

function signature(v, version) {
  return bin(v, "signature", version === 2 ? 64 + 3309 : 64);
}

/** A public key: Ed25519 (32 bytes) or Ed25519 ‖ ML-DSA-65 (1,984 bytes). */
function publicKey(v, what) {
  bin(v, what);
  if (v.length !== 32 && v.length !== 32 + 1952) throw new MessageFormatError(`${what}: expected a 32- or 1,984-byte public key`);
  return v;
}

/** A participant's key in a spec: Ed25519 (32 bytes) or a hybrid key's reference 0x01 ‖ SHA-256(key). */
function keyReference(v, what) {
  bin(v, what);
  if (!(v.length === 32 || (v.length === 33 && v[0] === 1))) throw new MessageFormatError(`${what}: expected a 32-byte key or a 33-byte key reference`);
  return v;
}

function items(obj, n, kind) {
  if (obj.length !== n + 2) throw new MessageFormatError(`${kind}: expected ${n} items after kind and version, got ${obj.length - 2}`);
  return obj.slice(2);
}

/** Minimal big-endian unsigned integer (b'' for 0), as releases store S_j and P. */
function bigint(v, what) {
  bin(v, what);
  if (v.length > 128 || (v.length > 0 && v[0] === 0)) throw new MessageFormatError(`${what}: expected a minimal big-endian integer`);
  return bigFromBytes(v);
}

// -- the compiled question (zkgate/study/question.py: Question.to_obj) ------------------------------
const COMPARE_OPS = ["=", "<>", "<", "<=", ">", ">="];

function predicate(v, budget) {
  if (v === null) return null;
  if ((budget.left -= 1) < 0) throw new MessageFormatError("question: the filter has more than 64 nodes");
  const node = list(v, "filter node");
  const tag = str(node[0], "filter node kind");
  if (tag === "cmp" && node.length === 4) {
    if (!COMPARE_OPS.includes(node[2])) throw new MessageFormatError(`question: unknown comparison '${node[2]}'`);
    return { tag, column: str(node[1], "column"), op: node[2], value: int(node[3], "constant") };
  }
  if (tag === "between" && node.length === 4) return { tag, column: str(node[1], "column"), lo: int(node[2], "lo"), hi: int(node[3], "hi") };
  if (tag === "in" && node.length === 3) return { tag, column: str(node[1], "column"), values: list(node[2], "IN values").map((x) => int(x, "IN value")) };
  if (tag === "not" && node.length === 2) return { tag, term: predicate(node[1], budget) };
  if ((tag === "and" || tag === "or") && node.length === 2) return { tag, terms: list(node[1], "terms").map((t) => predicate(t, budget)) };
  throw new MessageFormatError(`question: malformed filter node '${tag}'`);
}

function question(v) {
  const q = list(v, "question", 4);
  return {
    predicate: predicate(q[0], { left: 64 }),
    groupBy: list(q[1], "group_by").map((g) => str(g, "group column")),
    aggregates: list(q[2], "aggregates").map((a) => {
      a = list(a, "aggregate", 4);
      return { alias: str(a[0], "alias"), fn: str(a[1], "function"), columns: list(a[2], "columns").map((c) => str(c, "column")),
        params: list(a[3], "params").map((x) => int(x, "parameter")) };
    }),
    sql: str(q[3], "sql"),
  };
}

// -- messages ----------------------------------------------------------------------------------
/** A spec's optional key committee (issue 23, docs/messages.md §5): the roster and every member's
 * approval signature; lib/committee.js checks them. */
function keyCommittee(v) {
  const c = list(v, "committee", 8);
  const members = int(c[1], "committee members");
  if (members < 2 || members > 16) throw new MessageFormatError(`committee: ${members} members, expected 2..16`);
  const threshold = int(c[2], "committee threshold");
  if (threshold < 2 || threshold > members) throw new MessageFormatError(`committee: threshold ${threshold} outside [2, ${members}]`);
  const keys = (x, what, size) => list(x, what, members).map((k) => bin(k, what, size));
  return {
    paramsFingerprint: bin(c[0], "committee params_fingerprint", 32), members, threshold,
    maxParticipants: int(c[3], "committee max_participants"), nonce: bin(c[4], "committee nonce", 32),
    signingKeys: keys(c[5], "committee signing key", 32 + 1952), transportKeys: keys(c[6], "committee transport key", 1184 + 32),
    approvals: keys(c[7], "committee approval", 64 + 3309),
  };
}

/** Why a universal-circuit study (issue 21) is refused: its study id hashes the universal circuit's
 * encoding of the question (zkgate/study/universal.py), which this auditor does not re-implement. */
export const UNIVERSAL_REFUSAL =
  "study-spec: this study proves with the schema's universal contribution circuit (issue 21: the spec's " +
  "'universal' item). This auditor does not implement that circuit's encoding of the question, which the study " +
  "id is the Poseidon hash of, so it checks NOTHING of this study: not that the spec hashes to the study id, not " +
  "the chunk proofs (their public input is that id), the commitments and their sum, the gateway's, holders' and " +
  "key holder's signatures, the release and its commitment equation, nor the audit log. Verify it with " +
  "`zkgate gateway verify-study STUDY_ID` (Python: it recomputes the encoding from the question)";

export function decodeSpec(bytes) {
  const obj = unpack(bytes, "study-spec", SPEC_VERSION);
  if (obj.length < 19 || obj.length > 21) throw new MessageFormatError(`study-spec: expected 17 items after kind and version (then optional extensions), got ${obj.length - 2}`);
  const it = obj.slice(2);
  let committee = null;
  for (const x of it.slice(17)) {  // optional extensions; this auditor reads the key committee (issue 23)
    const e = list(x, "spec extension", 2);
    if (e[0] === "universal") throw new MessageFormatError(UNIVERSAL_REFUSAL);
    if (e[0] !== "committee" || committee !== null) throw new MessageFormatError(`study-spec: the '${e[0]}' item is not read by this auditor`);
    committee = keyCommittee(e[1]);
  }
  const schema = list(it[1], "schema").map((c, i) => {
    c = list(c, `schema column ${i}`, 3);
    return { name: str(c[0], "column name"), lo: int(c[1], "column lo"), hi: int(c[2], "column hi") };
  });
  return {
    bytes,
    title: str(it[0], "title"),
    schema,
    schemaObj: it[1],
    capacity: int(it[2], "capacity"),
    question: question(it[3]),
    minCellSize: int(it[4], "min_cell_size"),
    participants: list(it[5], "participants").map((p) => {
      p = list(p, "participant", 4);
      return { name: str(p[0], "participant"), root: fe(p[1], "root"), nChunks: int(p[2], "n_chunks"), verifyKey: keyReference(p[3], "verify key") };
    }),
    quorum: int(it[6], "quorum"),
    deadline: int(it[7], "deadline"),
    hePreset: str(it[8], "he_preset"),
    heKeyId: bin(it[9], "he_key_id", 32),
    heContextDigest: bin(it[10], "he_context_digest", 32),
    vkHash: bin(it[11], "vk_hash", 32),
    transcriptHash: bin(it[12], "transcript_hash", 32),
    gatewayKey: publicKey(it[13], "gateway_key"),
    keyHolderKey: publicKey(it[14], "key_holder_key"),
    nonce: bin(it[15], "nonce", 16),
    devKeys: (() => {
      if (typeof it[16] !== "boolean") throw new MessageFormatError("dev_keys: expected a boolean");
      return it[16];
    })(),
    committee,
  };
}

function g1(v, what) {
  const p = list(v, what, 2);
  bin(p[0], what);
  bin(p[1], what);
  if (p[0].length === 0 && p[1].length === 0) return null; // the point at infinity
  return [bigFromBytes(bin(p[0], what, 32)), bigFromBytes(bin(p[1], what, 32))];
}

function g2(v, what) {
  const c = list(v, what, 4).map((x) => bigFromBytes(bin(x, what, 32)));
  return [[c[0], c[1]], [c[2], c[3]]];
}

export function decodeCircuitKeys(bytes) {
  const obj = unpack(bytes, "circuit-keys");
  const it = items(obj, 2, "circuit-keys");
  const o = list(it[0], "verifying key", 8);
  if (o[0] !== "groth16-vk" || o[1] !== "bn128") throw new MessageFormatError("verifying key: expected a groth16 bn128 key");
  const nPublic = int(o[2], "nPublic");
  const ic = list(o[7], "IC", nPublic + 1).map((p, i) => g1(p, `IC[${i}]`));
  return {
    bytes,
    vkHash: domainDigest(pack(it[0]), "vk"),
    transcript: bin(it[1], "transcript"),
    vk: { nPublic, alpha1: g1(o[3], "alpha1"), beta2: g2(o[4], "beta2"), gamma2: g2(o[5], "gamma2"), delta2: g2(o[6], "delta2"), ic },
  };
}

export function decodeSubmission(bytes) {
  const obj = unpackSigned(bytes, "submission");
  const version = obj[1];
  const it = items(obj, version === 2 ? 12 : 11, "submission");
  const n = obj.length;
  return {
    bytes,
    studyId: fe(it[0], "study_id"),
    participant: str(it[1], "participant"),
    submissionId: bin(it[2], "submission_id", 16),
    chunkRoots: list(it[3], "chunk_roots").map((r) => fe(r, "chunk root")),
    rootSalt: fe(it[4], "root_salt"),
    chunkCommitments: list(it[5], "chunk_commitments").map((p, i) => point(p, `chunk commitment ${i}`)),
    commitment: point(it[6], "commitment"),
    proofs: list(it[7], "proofs").map((p, i) => list(p, `proof ${i}`, 8).map((c) => bigFromBytes(bin(c, `proof ${i}`, 32)))),
    envelopeDigest: bin(it[8], "envelope_digest", 32),
    signerKey: version === 2 ? publicKey(it[9], "signer_key") : null,
    signature: signature(obj[n - 2], version),
    hasEnvelope: obj[n - 1] !== null,
    signedBytes: pack(obj.slice(0, n - 2)),
    digest: domainDigest(pack(obj.slice(0, n - 1)), "submission"),
  };
}

export function decodeAggregate(bytes) {
  const obj = unpackSigned(bytes, "aggregate");
  const it = items(obj, 6, "aggregate");
  return {
    bytes,
    studyId: fe(it[0], "study_id"),
    included: list(it[1], "included").map((x) => {
      x = list(x, "included entry", 2);
      return [str(x[0], "participant"), bin(x[1], "digest", 32)];
    }),
    commitment: point(it[2], "commitment"),
    envelopeDigest: bin(it[3], "envelope_digest", 32),
    signature: signature(it[4], obj[1]),
    hasEnvelope: it[5] !== null,
    signedBytes: pack(obj.slice(0, 6)),
    digest: domainDigest(pack(obj.slice(0, 7)), "aggregate"),
  };
}

/**
 * A gateway's receipt (docs/messages.md §8).  Versions 1 and 2: signed alone (`signedBytes`, label
 * `receipt`).  Version 3: batch-signed: `leafData` is the receipt's leaf in an RFC 6962 tree of its
 * batch, and the signature (label `receipt-batch`, Ed25519 or hybrid) signs
 * pack(["receipt-batch", 1, root, batchSize]) for the root its path leads to (lib/signatures.js).
 */
export function decodeReceipt(bytes) {
  let version = VERSION;
  try {
    const peek = decode(bytes, { extensionCodec: NO_EXTENSIONS, maxStrLength: 1 << 16 });
    if (Array.isArray(peek) && [1, 2, 3].includes(peek[1])) version = peek[1];
  } catch {
    // unpack names the problem
  }
  const obj = unpack(bytes, "receipt", version);
  const batched = version === 3;
  const it = items(obj, batched ? 10 : 7, "receipt");
  const out = {
    bytes,
    version,
    studyId: fe(it[0], "study_id"),
    participant: str(it[1], "participant"),
    submissionId: bin(it[2], "submission_id", 16),
    submissionDigest: bin(it[3], "submission_digest", 32),
    sequence: int(it[4], "sequence"),
    acceptedAt: int(it[5], "accepted_at"),
    signedBytes: pack(obj.slice(0, 8)),
  };
  if (!batched) return { ...out, signature: signature(it[6], version), batchSize: 0, leafIndex: 0, path: [] };
  const batchSize = int(it[6], "batch_size");
  const leafIndex = int(it[7], "leaf_index");
  if (batchSize < 1 || leafIndex < 0 || leafIndex >= batchSize) throw new MessageFormatError("receipt: leaf index outside its batch");
  const sig = bin(it[9], "signature");
  if (sig.length !== 64 && sig.length !== 64 + 3309) throw new MessageFormatError("receipt: signature of the wrong length");
  return { ...out, batchSize, leafIndex, path: list(it[8], "path").map((x) => bin(x, "path node", 32)), signature: sig };
}

/**
 * A release. Versions 3 and 4 (docs/messages.md §10: small cells withheld) are versions 1 and 2
 * with the withheld coordinate indices and the suppression proof before the signature; their
 * `values` are the published coordinates only, and they publish no P.
 */
export function decodeRelease(bytes) {
  let version = VERSION;
  try {
    const peek = decode(bytes, { extensionCodec: NO_EXTENSIONS, maxStrLength: 1 << 16 });
    if (Array.isArray(peek) && [1, 2, 3, 4].includes(peek[1])) version = peek[1];
  } catch {
    // unpack names the problem
  }
  const obj = unpack(bytes, "release", version);
  const suppressed = version > 2;
  const it = items(obj, suppressed ? 8 : 6, "release");
  const out = {
    bytes,
    studyId: fe(it[0], "study_id"),
    aggregateDigest: bin(it[1], "aggregate_digest", 32),
    values: list(it[2], "values").map((v) => bigint(v, "value")),
    randomness: it[3] === null ? null : bigint(it[3], "randomness"),
    mode: str(it[4], "mode"),
    withheld: [],
    suppression: null,
    signature: signature(it[it.length - 1], suppressed ? version - 2 : version),
    signedBytes: pack(obj.slice(0, obj.length - 1)),
  };
  if (suppressed) {
    out.withheld = list(it[5], "withheld").map((j) => int(j, "withheld coordinate"));
    const p = list(it[6], "suppression", 3);
    const scalar = (v, what) => bigFromBytes(bin(v, what, 32));
    out.suppression = {
      t: list(p[0], "suppression T", 2).map((c) => scalar(c, "suppression T")),
      responses: list(p[1], "suppression responses").map((z) => scalar(z, "suppression response")),
      blindingResponse: scalar(p[2], "suppression z_P"),
    };
    const w = out.withheld;
    if (out.mode !== "exact" || out.randomness !== null || w.length === 0 || w.some((j, i) => i > 0 && j <= w[i - 1])
        || out.suppression.responses.length !== w.length) {
      throw new MessageFormatError("release: a release with withheld cells is exact, publishes no P, and lists its "
        + "withheld coordinates (sorted, distinct), one proof response each");
    }
  }
  return out;
}

/** The public record: the raw bytes of each part (decode each with the functions above). */
export function decodePublicRecord(bytes) {
  const obj = unpack(bytes, "public-record");
  const it = items(obj, 5, "public-record");
  return {
    spec: bin(it[0], "spec"),
    circuitKeys: bin(it[1], "keys"),
    submissions: list(it[2], "submissions").map((b) => bin(b, "submission")),
    aggregate: it[3] === null ? null : bin(it[3], "aggregate"),
    release: it[4] === null ? null : bin(it[4], "release"),
  };
}

/** 31-byte big-endian chunks of `data ‖ 0x01`, zero-padded (injective), as the study id hashes the spec. */
export function bytesToFieldElements(data) {
  const padded = new Uint8Array(Math.ceil((data.length + 1) / 31) * 31);
  padded.set(data);
  padded[data.length] = 1;
  const out = [];
  for (let i = 0; i < padded.length; i += 31) out.push(bigFromBytes(padded.subarray(i, i + 31)));
  return out;
}

/** Whether a ceremony transcript (.zkey section 10) holds zkgate's development-setup record. */
export function isDevTranscript(transcript) {
  try {
    const view = Buffer.from(transcript);
    let pos = 64; // circuit hash
    const count = view.readUInt32LE(pos);
    pos += 4;
    for (let i = 0; i < count; i++) {
      pos += 3 * 64 + 128 + 64 + 4; // deltaAfter, g1_s, g1_sx (G1), g2_spx (G2), transcript, type
      const paramsLength = view.readUInt32LE(pos);
      pos += 4;
      const end = pos + paramsLength;
      let p = pos;
      while (p < end) {
        const tag = view[p++];
        if (tag === 1) {
          const n = view[p++];
          const name = view.subarray(p, p + n).toString("utf8");
          if (name.startsWith("zkgate DEV-ONLY")) return true;
          p += n;
        } else if (tag === 2) p += 1;
        else if (tag === 3) p += 1 + view[p];
        else break;
      }
      pos = end;
    }
  } catch {
    return false; // a malformed record is no dev marker
  }
  return false;
}
