#!/usr/bin/env node
// Checks this auditor's decoders, digests, signatures, hashes and curve arithmetic against zkgate's
// published test vectors (tests/vectors/*.json, described in docs/messages.md), without a gateway.
//
//   node check-vectors.js [VECTORS_DIR]      exit 0: all match, 1: a mismatch, 2: cannot read them

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { checkCommittee, committeeId, unapproved } from "./lib/committee.js";
import { Curves } from "./lib/curve.js";
import { leafHash, rootOf, treeHeadBytes } from "./lib/merkle.js";
import { receiptBatchBytes, receiptBatchRoot, verifyReceipt, verifySigned } from "./lib/signatures.js";
import {
  bytesToFieldElements, decodeAggregate, decodeCircuitKeys, decodePublicRecord, decodeReceipt, decodeRelease,
  decodeSpec, decodeSubmission, domainDigest, hex,
} from "./lib/messages.js";
import { proofJson, verificationKeyJson } from "./lib/snarkjs-json.js";
import { filterConstants, valueBounds, valueNames } from "./lib/study.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const dir = resolve(process.argv[2] || join(HERE, "../../tests/vectors"));
const fromHex = (h) => new Uint8Array(Buffer.from(h, "hex"));
const strings = (xs) => xs.map((x) => BigInt(x).toString());
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

let failures = 0;
function check(name, ok, detail = "") {
  if (!ok) failures += 1;
  console.log(`${ok ? "PASS" : "FAIL"}  ${name}${ok || !detail ? "" : `: ${detail}`}`);
}
async function guarded(name, fn) {
  try {
    await fn();
  } catch (err) {
    check(name, false, err.message);
  }
}

let vectors;
try {
  vectors = Object.fromEntries(
    ["poseidon", "pedersen", "dataset_root", "study_spec", "circuit_keys", "submission", "receipt", "aggregate", "release",
      "audit_leaf", "tree_head", "public_record", "study_spec_committee"].map((n) => [n, JSON.parse(readFileSync(join(dir, `${n}.json`), "utf8"))]),
  );
} catch (err) {
  console.error(`error: cannot read the test vectors in ${dir}: ${err.message}`);
  process.exit(2);
}

const curves = await Curves.build();
const { groth16 } = await import("snarkjs");

await guarded("poseidon", () => {
  const v = vectors.poseidon;
  for (const t of v.poseidon) check(`poseidon of ${t.inputs.length} (init ${t.init})`, curves.hash(t.inputs.map(BigInt), BigInt(t.init)).toString() === t.output);
  for (const t of v.poseidon_sponge) check(`poseidon sponge of ${t.inputs.length}`, curves.sponge(t.inputs.map(BigInt)).toString() === t.output);
  for (const t of v.bytes_to_field_elements) {
    check(`bytes to field elements (${t.hex.length / 2} bytes)`, same(strings(bytesToFieldElements(fromHex(t.hex))), t.elements));
  }
});

await guarded("pedersen", () => {
  const v = vectors.pedersen;
  for (const g of v.generators) {
    const p = g.name === "H" ? curves.generatorH() : curves.generatorG(Number(g.name.slice(2)));
    check(`pedersen generator ${g.name}`, same(strings(p), g.point));
  }
  const c = v.commitment_example;
  check("pedersen commitment example", same(strings(curves.commit(c.values.map(BigInt), BigInt(c.rho))), c.commitment));
});

await guarded("dataset root", () => {
  const v = vectors.dataset_root;
  const root = curves.datasetRoot({ schemaObj: v.schema, capacity: v.capacity }, v.chunks.map((c) => BigInt(c.chunk_root)), BigInt(v.root_salt));
  check("data set root from chunk roots and root salt", root.toString() === v.root);
});

let spec;
await guarded("study spec", () => {
  const v = vectors.study_spec;
  spec = decodeSpec(fromHex(v.hex));
  check("study spec decodes (title, preset, participants)", spec.title === v.decoded.title && spec.hePreset === v.decoded.he_preset &&
    same(spec.participants.map((p) => p.name), v.decoded.participants.map((p) => p[0])));
  check("study spec as field elements", same(strings(bytesToFieldElements(spec.bytes)), v.bytes_to_field_elements));
  check("study spec filter constants", same(strings(filterConstants(spec)), v.filter_constants));
  check("study id", curves.studyId(spec, filterConstants(spec)).toString() === v.study_id);
  check("value names", same(valueNames(spec), v.value_names));
  check("value bounds", same(strings(valueBounds(spec)), v.value_bounds));
});

await guarded("study spec with a key committee", () => {
  const v = vectors.study_spec_committee;
  const cspec = decodeSpec(fromHex(v.hex));
  const c = cspec.committee;
  check("committee spec decodes (members, threshold)", c !== null && c.members === v.members.length && c.threshold === v.threshold);
  check("committee id (framed roster)", hex(committeeId(c)) === v.committee_id_hex);
  check("every member approved the spec's HE key", checkCommittee(cspec, cspec.participants.length, fromHex(v.params_fingerprint_hex)) === null);
  const other = Buffer.from(cspec.heKeyId);
  other[0] ^= 1;
  check("an HE key the members did not approve is named", unapproved(c, other).join(",") === "1,2,3");
  check("committee study id", curves.studyId(cspec, filterConstants(cspec)).toString() === v.study_id);
});

let keys;
await guarded("circuit keys", () => {
  const v = vectors.circuit_keys;
  keys = decodeCircuitKeys(fromHex(v.hex));
  check("vk_hash", hex(keys.vkHash) === v.vk_hash_hex);
  check("transcript_hash", hex(domainDigest(keys.transcript, "ceremony-transcript")) === v.transcript_hash_hex);
});

await guarded("submissions", async () => {
  const v = vectors.submission;
  for (const t of v.vectors) {
    const sub = decodeSubmission(fromHex(t.hex));
    check(`submission ${t.name}: signed bytes`, hex(sub.signedBytes) === t.signed_bytes_hex);
    check(`submission ${t.name}: digest`, hex(sub.digest) === t.submission_digest_hex);
    check(`submission ${t.name}: signature`, verifySigned(fromHex(t.public_key_hex), "submission", sub.signedBytes, sub.signature) !== null);
    check(`submission ${t.name}: carries its signer's key`, sub.signerKey === null || hex(sub.signerKey) === t.public_key_hex);
    const publics = sub.chunkRoots.map((r, c) => strings([r, sub.studyId, ...sub.chunkCommitments[c]]));
    check(`submission ${t.name}: public inputs`, same(publics, t.public_inputs));
    if (keys) {
      const vk = verificationKeyJson(keys.vk);
      for (let c = 0; c < sub.proofs.length; c++) {
        check(`submission ${t.name}: proof of chunk ${c} (snarkjs)`, await groth16.verify(vk, publics[c], proofJson(sub.proofs[c])));
      }
    }
  }
});

await guarded("receipts", () => {
  for (const t of vectors.receipt.vectors) {
    const r = decodeReceipt(fromHex(t.hex));
    const key = fromHex(t.public_key_hex);
    check(`receipt ${t.name}: fields`, r.version === t.decoded.version && r.participant === t.decoded.participant &&
      r.sequence === t.decoded.sequence && hex(r.submissionDigest) === t.decoded.submission_digest);
    if (r.version === 3) {
      const root = receiptBatchRoot(r);
      check(`receipt ${t.name}: leaf data`, hex(r.signedBytes) === t.leaf_data_hex);
      check(`receipt ${t.name}: batch root`, root !== null && hex(root) === t.batch_root_hex);
      check(`receipt ${t.name}: signed batch statement`, root !== null && hex(receiptBatchBytes(root, r.batchSize)) === t.signed_bytes_hex);
      const path = r.path.map((x) => new Uint8Array(x));
      path[0][0] ^= 1;
      check(`receipt ${t.name}: a tampered path is refused`, verifyReceipt({ ...r, path }, key) === null);
      check(`receipt ${t.name}: another leaf index is refused`, verifyReceipt({ ...r, leafIndex: 1 - r.leafIndex }, key) === null);
    } else {
      check(`receipt ${t.name}: signed bytes`, hex(r.signedBytes) === t.signed_bytes_hex);
    }
    check(`receipt ${t.name}: signature`, verifyReceipt(r, key) === t.algorithms);
  }
});

await guarded("aggregates", () => {
  for (const t of vectors.aggregate.vectors) {
    const agg = decodeAggregate(fromHex(t.hex));
    check(`aggregate ${t.name}: signed bytes`, hex(agg.signedBytes) === t.signed_bytes_hex);
    check(`aggregate ${t.name}: digest`, hex(agg.digest) === t.aggregate_digest_hex);
    check(`aggregate ${t.name}: signature`, verifySigned(fromHex(t.public_key_hex), "aggregate", agg.signedBytes, agg.signature) !== null);
  }
});

await guarded("releases", () => {
  for (const t of vectors.release.vectors) {
    const rel = decodeRelease(fromHex(t.hex));
    check(`release ${t.name}: signed bytes`, hex(rel.signedBytes) === t.signed_bytes_hex);
    check(`release ${t.name}: signature`, verifySigned(fromHex(t.public_key_hex), "release", rel.signedBytes, rel.signature) !== null);
    check(`release ${t.name}: values`, same(strings(rel.values), t.decoded.values));
    if (rel.randomness !== null && t.sum_of_commitments) {
      check(`release ${t.name}: commitment equation`, same(strings(curves.commit(rel.values, rel.randomness)), t.sum_of_commitments));
    }
    if (rel.suppression) {  // small cells withheld (docs/messages.md §10, docs/disclosure.md §2)
      check(`release ${t.name}: withheld coordinates`, same(rel.withheld.map(String), t.decoded.withheld.map(String)));
      check(`release ${t.name}: suppression proof`, curves.verifySuppression(rel.studyId,
        t.sum_of_commitments.map(BigInt), t.n_coordinates, rel.withheld, rel.values, rel.suppression));
      const forged = rel.values.map((v, i) => (i === 0 ? v + 1n : v));
      check(`release ${t.name}: a wrong published value fails the proof`, !curves.verifySuppression(rel.studyId,
        t.sum_of_commitments.map(BigInt), t.n_coordinates, rel.withheld, forged, rel.suppression));
    }
  }
});

await guarded("audit leaves", () => {
  const v = vectors.audit_leaf;
  const leaves = v.leaves.map((t) => {
    const h = leafHash(t.kind, Buffer.from(t.data_utf8, "utf8"));
    check(`audit leaf (${t.kind})`, hex(h) === t.leaf_hash_hex);
    return h;
  });
  if (v.tree && v.tree.size === leaves.length) check("audit tree root", hex(rootOf(leaves)) === v.tree.root_hex);
});

await guarded("tree head", () => {
  const v = vectors.tree_head;
  const signed = treeHeadBytes(v.tree_size, fromHex(v.root_hex), v.timestamp_ms);
  check("signed tree head bytes", hex(signed) === v.signed_bytes_hex);
  check("signed tree head signature", verifySigned(fromHex(v.public_key_hex), "tree-head", signed, fromHex(v.signature_hex)) !== null);
});

await guarded("public record", () => {
  const v = vectors.public_record;
  const record = decodePublicRecord(fromHex(v.hex));
  check("public record parts", hex(record.spec) === v.decoded.spec && hex(record.circuitKeys) === v.decoded.keys &&
    same(record.submissions.map(hex), v.decoded.submissions) && hex(record.aggregate) === v.decoded.aggregate &&
    hex(record.release) === v.decoded.release);
  const recordSpec = decodeSpec(record.spec);
  check("public record study id", curves.studyId(recordSpec, filterConstants(recordSpec)).toString(16).padStart(64, "0") === v.study_id_hex);
});

console.log(failures ? `FAILED: ${failures} mismatches with ${dir}` : `OK: every vector in ${dir} matches`);
process.exit(failures ? 1 : 0);
