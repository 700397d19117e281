#!/usr/bin/env node
// An independent auditor of a zkgate study, written from docs/messages.md and the shipped protos
// only (no zkgate code): fetches the study's public record and the audit log from a gateway and
// checks what a regulator must check.
//
//   node audit.js --gateway HOST:PORT --study STUDY_ID [--dev] [--json]
//
// Exit status: 0 every check passed; 1 a check failed (or the release is unverified by design:
// CKKS or differential privacy); 2 bad usage or the gateway cannot be reached.

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { checkCommittee } from "./lib/committee.js";
import { ConnectError, Gateway } from "./lib/gateway.js";
import { leafHash, rootOf, treeHeadBytes, verifyConsistency, verifyInclusion } from "./lib/merkle.js";
import {
  bytesEqual, decodeAggregate, decodeCircuitKeys, decodePublicRecord, decodeRelease, decodeSpec, decodeSubmission,
  domainDigest, hex, isDevTranscript, sha256,
} from "./lib/messages.js";
import { HYBRID, resolveKey, verifySigned } from "./lib/signatures.js";
import { proofJson, verificationKeyJson } from "./lib/snarkjs-json.js";
import { allowedModes, cells, filterConstants, SUBORDER, valueBounds, valueNames } from "./lib/study.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const USAGE = `usage: node audit.js --gateway HOST:PORT --study STUDY_ID [options]

  --gateway HOST:PORT   the gateway to audit (required)
  --study ID            the study id, 64 hex digits (required)
  --dev                 accept a study made with development circuit keys (tests and demos only)
  --json                print the report as JSON instead of one line per check
  --gateway-key HEX     pin the gateway's study signing key, Ed25519+ML-DSA-65 (Ed25519 on older gateways)
                        (default: the key it presents)
  --log-key HEX         pin the gateway's audit log key, Ed25519+ML-DSA-65 (Ed25519 on older gateways)
                        (default: the key it presents)
  --proto-dir DIR       the zkgate protos (default: services/proto of this repository)
  --token TOKEN         bearer token (gateways with tokens; also ZKGATE_TOKEN)
  --ca FILE             CA certificate (PEM) for a TLS gateway; with --cert/--key for mutual TLS
  --cert FILE, --key FILE, --server-name NAME
  --timeout SECONDS     per call (default 120)

exit status: 0 all checks passed, 1 a check failed, 2 bad usage or no connection`;

class UsageError extends Error {}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        gateway: { type: "string" },
        study: { type: "string" },
        dev: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        "gateway-key": { type: "string" },
        "log-key": { type: "string" },
        "proto-dir": { type: "string", default: resolve(HERE, "../../services/proto") },
        token: { type: "string", default: process.env.ZKGATE_TOKEN || "" },
        ca: { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
        "server-name": { type: "string" },
        timeout: { type: "string", default: "120" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(err.message);
  }
  const o = parsed.values;
  if (o.help) return { help: true };
  if (!o.gateway || !/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(o.gateway)) {
    throw new UsageError("--gateway HOST:PORT is required (e.g. --gateway localhost:50051)");
  }
  if (!o.study || !/^[0-9a-f]{64}$/.test(o.study)) throw new UsageError("--study needs the study id: 64 lowercase hex digits");
  for (const name of ["gateway-key", "log-key"]) {
    if (o[name] !== undefined && !/^([0-9a-f]{64}|[0-9a-f]{3968})$/.test(o[name])) {
      throw new UsageError(`--${name} needs a public key: Ed25519+ML-DSA-65 (3,968 hex digits) or Ed25519 (64 hex digits, older gateways)`);
    }
  }
  const timeout = Number(o.timeout);
  if (!(timeout > 0)) throw new UsageError("--timeout needs a positive number of seconds");
  if ((o.cert || o.key) && !o.ca) throw new UsageError("--cert and --key need --ca (mutual TLS)");
  return { ...o, timeoutMs: timeout * 1000 };
}

/** Named checks, each passed or failed, and those that cannot run on this record (unverified). */
class Report {
  constructor() {
    this.checks = [];
    this.unverified = [];
  }

  add(name, ok, detail = "") {
    this.checks.push({ check: name, ok: Boolean(ok), detail: ok ? "" : detail });
    return Boolean(ok);
  }

  /** Run `fn` (returns true/false, or throws with the reason) as one named check. */
  async run(name, fn, detail = "") {
    try {
      const ok = await fn();
      return this.add(name, ok, detail);
    } catch (err) {
      return this.add(name, false, err.message);
    }
  }

  skip(name, reason) {
    this.unverified.push({ check: name, reason });
  }

  /** The study was cancelled (GetStudy's cancellation; its audit leaf is checked in the log part). */
  cancel(cancellation) {
    this.cancellation = cancellation;
  }

  get failures() {
    return [
      ...this.checks.filter((c) => !c.ok).map((c) => (c.detail ? `${c.check}: ${c.detail}` : c.check)),
      ...this.unverified.map((u) => `${u.check}: ${u.reason}`),
    ];
  }

  get status() {
    if (this.checks.length === 0 || this.checks.some((c) => !c.ok)) return "failed";
    if (this.cancellation) return "cancelled"; // ended by its requester or an admin: never released, nothing failed
    return this.unverified.length ? "unverified" : "verified";
  }

  toJSON() {
    return { verified: this.status === "verified", status: this.status, failures: this.failures, checks: this.checks, unverified: this.unverified,
      cancellation: this.cancellation || null };
  }

  print() {
    for (const c of this.checks) console.log(`${c.ok ? "PASS" : "FAIL"}  ${c.check}${c.detail ? `: ${c.detail}` : ""}`);
    for (const u of this.unverified) console.log(`SKIP  ${u.check}: ${u.reason}`);
    const status = this.status;
    if (status === "verified") console.log("VERIFIED");
    else if (status === "cancelled") {
      const c = this.cancellation;
      console.log(`CANCELLED, NEVER RELEASED (every check that can run passed; not a failure of cryptography): ` +
        `cancelled by ${c.cancelled_by ? `'${c.cancelled_by}'` : "the gateway operator"} while ${c.state_before}: ${c.reason}`);
    }
    else if (status === "unverified") console.log("UNVERIFIED (every check that can run passed; the released numbers are not bound to the proofs)");
    else console.log(`FAILED: ${this.checks.filter((c) => !c.ok).length} of ${this.checks.length} checks`);
  }
}

const samePoint = (a, b) => a[0] === b[0] && a[1] === b[1];

// -- the audit ------------------------------------------------------------------------------------------
async function audit(gateway, options, report) {
  const studyIdHex = options.study;
  const info = await gateway.gatewayInfo();
  const gatewayKey = options["gateway-key"] ? Buffer.from(options["gateway-key"], "hex") : Buffer.from(info.study_signing_key);
  const logKey = options["log-key"] ? Buffer.from(options["log-key"], "hex") : Buffer.from(info.log_public_key);
  if (options["gateway-key"]) report.add("gateway presents the pinned study key", bytesEqual(info.study_signing_key, gatewayKey), `it presents ${hex(info.study_signing_key)}`);
  if (options["log-key"]) report.add("gateway presents the pinned log key", bytesEqual(info.log_public_key, logKey), `it presents ${hex(info.log_public_key)}`);

  // 1. the public record and the study spec
  let record;
  let spec;
  let keys;
  const decoded = await report.run("public record decodes (canonical msgpack)", async () => {
    record = decodePublicRecord(await gateway.publicRecord(studyIdHex));
    spec = decodeSpec(record.spec);
    keys = decodeCircuitKeys(record.circuitKeys);
    return true;
  });
  if (!decoded) return;
  const { Curves } = await import("./lib/curve.js"); // circomlibjs and snarkjs load only when needed
  const curves = await Curves.build();
  const { groth16 } = await import("snarkjs");
  const studyId = BigInt("0x" + studyIdHex);
  await report.run("study id is the Poseidon hash of the spec", () => curves.studyId(spec, filterConstants(spec)) === studyId,
    "the spec served does not hash to the requested study id");
  await report.run("GetStudy serves the same spec and circuit keys", async () => {
    const study = await gateway.getStudy(studyIdHex);
    if (study.state === "CANCELLED") report.cancel(study.cancellation); // checked against its audit leaf below
    return bytesEqual(study.spec, spec.bytes) && bytesEqual(study.circuit_keys, keys.bytes);
  }, "GetStudy and GetPublicRecord disagree");
  if (spec.committee !== null) {  // issue 23: every member of the key committee approved the study's HE key
    const why = checkCommittee(spec, spec.participants.length);
    report.add(`key committee (${spec.committee.threshold} of ${spec.committee.members}) approved the study's HE key`, why === null, why);
  }
  report.add("study names this gateway's signing key", bytesEqual(spec.gatewayKey, gatewayKey),
    `the spec names ${hex(spec.gatewayKey)}, the gateway's key is ${hex(gatewayKey)}`);
  const bounds = valueBounds(spec);
  const names = valueNames(spec);
  report.add("declared bounds lie below the subgroup order l", bounds.every((b) => b < SUBORDER), "a statistic could reach l");

  // 2. circuit keys
  const keyIsDev = isDevTranscript(keys.transcript);
  let keysOk = report.add("verifying key matches the study's vk_hash", bytesEqual(keys.vkHash, spec.vkHash), "another verifying key");
  keysOk = report.add("ceremony transcript matches the study's transcript_hash",
    bytesEqual(domainDigest(keys.transcript, "ceremony-transcript"), spec.transcriptHash), "another transcript") && keysOk;
  keysOk = report.add("development keys are declared", !keyIsDev || spec.devKeys,
    "the circuit key comes from a development setup but the study does not declare it") && keysOk;
  if (spec.devKeys) {
    keysOk = report.add("development keys accepted (--dev)", options.dev,
      "this study uses a DEVELOPMENT-ONLY circuit key (single-party setup: its proofs prove nothing); pass --dev for tests and demos") && keysOk;
  }
  const vkJson = verificationKeyJson(keys.vk);

  // 3. submissions
  const submissions = [];
  for (const [i, bytes] of record.submissions.entries()) {
    let sub;
    const label = () => (sub ? `submission of ${sub.participant}` : `submission ${i}`);
    if (!(await report.run(`submission ${i} decodes`, () => { sub = decodeSubmission(bytes); return true; }))) continue;
    submissions.push(sub);
    const who = spec.participants.find((p) => p.name === sub.participant);
    if (!report.add(`${label()}: an expected participant`, who !== undefined, `'${sub.participant}' is not in the spec`)) continue;
    report.add(`${label()}: for this study, without ciphertext`, sub.studyId === studyId && !sub.hasEnvelope,
      sub.studyId !== studyId ? "submitted for another study" : "the public record carries a ciphertext");
    const subKey = resolveKey(who.verifyKey, sub.signerKey);
    const subAlg = subKey && verifySigned(subKey, "submission", sub.signedBytes, sub.signature);
    report.add(`${label()}: signature (${subAlg || "refused"})`, Boolean(subAlg),
      subKey ? "the signature does not verify under the participant's key (both halves of a hybrid key)"
        : "the submission does not carry the key the spec names for the participant");
    const n = sub.chunkRoots.length;
    const distinct = new Set(sub.chunkRoots.map(String)).size === n;
    report.add(`${label()}: chunk roots rebuild the registered data set root`,
      distinct && n === who.nChunks && curves.datasetRoot(spec, sub.chunkRoots, sub.rootSalt) === who.root,
      !distinct ? "a chunk root appears twice" : n !== who.nChunks ? `${n} chunks, the data set has ${who.nChunks}`
        : "a missing, repeated, reordered or foreign chunk");
    const shapeOk = sub.chunkCommitments.length === n && sub.proofs.length === n;
    report.add(`${label()}: commitment is the sum of its chunk commitments`,
      shapeOk && sub.chunkCommitments.every((p) => curves.onCurve(p)) && samePoint(curves.sum(sub.chunkCommitments), sub.commitment),
      !shapeOk ? "expected one commitment and one proof per chunk" : "a chunk commitment is off the curve or they do not add up to C_i");
    if (!shapeOk) continue;
    const bad = [];
    for (let c = 0; c < n; c++) {
      const publicSignals = [sub.chunkRoots[c], studyId, sub.chunkCommitments[c][0], sub.chunkCommitments[c][1]].map(String);
      let ok = false;
      try {
        ok = keysOk && (await groth16.verify(vkJson, publicSignals, proofJson(sub.proofs[c])));
      } catch {
        ok = false;
      }
      if (!ok) bad.push(c);
    }
    report.add(`${label()}: ${n} chunk proofs verify (snarkjs) on chunk root, study id, commitment`, bad.length === 0,
      keysOk ? `chunk ${bad[0]} does not verify (${bad.length} of ${n} rejected)` : "not checked: the circuit keys were refused");
  }
  const participantNames = submissions.map((s) => s.participant);
  report.add("distinct participants", new Set(participantNames).size === participantNames.length, "a participant appears twice");
  // a study cancelled before it was closed never reached (or needed) its quorum
  if (!(report.cancellation && record.aggregate === null)) {
    report.add("quorum", participantNames.length >= spec.quorum, `${participantNames.length} submissions, quorum ${spec.quorum}`);
  }
  const total = curves.sum(submissions.map((s) => s.commitment));

  // 4. aggregate
  let aggregate = null;
  if (record.aggregate === null) {
    if (!report.cancellation) report.add("aggregate", false, "no aggregate was published");
  } else if (await report.run("aggregate decodes", () => { aggregate = decodeAggregate(record.aggregate); return true; })) {
    const aggAlg = verifySigned(spec.gatewayKey, "aggregate", aggregate.signedBytes, aggregate.signature);
    report.add(`aggregate signature (${aggAlg || "refused"})`, Boolean(aggAlg) && aggregate.studyId === studyId,
      "not signed by the study's gateway key, or for another study");
    const listed = aggregate.included.length === submissions.length &&
      aggregate.included.every(([name, digest], k) => name === submissions[k].participant && bytesEqual(digest, submissions[k].digest));
    report.add("aggregate lists the accepted submissions", listed, "the aggregate's list differs");
    report.add("aggregate commitment", samePoint(aggregate.commitment, total), "not the sum of the submissions' commitments");
  }

  // 5. release
  let release = null;
  if (record.release === null) {
    if (!report.cancellation) report.add("release", false, "nothing was released");
  } else if (await report.run("release decodes", () => { release = decodeRelease(record.release); return true; })) {
    const relAlg = verifySigned(spec.keyHolderKey, "release", release.signedBytes, release.signature);
    report.add(`release signature (${relAlg || "refused"})`, Boolean(relAlg) && release.studyId === studyId,
      "not signed by the study's key holder key, or for another study");
    if (aggregate) report.add("release names the aggregate", bytesEqual(release.aggregateDigest, aggregate.digest), "the release names another aggregate");
    const allowed = allowedModes(spec);
    report.add("release mode fits the study's HE preset", allowed.includes(release.mode),
      `a '${release.mode}' release of a study on the ${spec.hePreset} preset`);
    if (release.suppression) auditSuppressed(report, curves, spec, release, total, studyId, names, bounds);
    else if (release.mode === "exact") report.add("exact release publishes P", release.randomness !== null, "an exact release without P");
    else if (release.randomness !== null) report.add("no P beside an unverified release", false, `a ${release.mode} release publishes P`);
    await report.run("GetRelease serves the same release", async () => bytesEqual((await gateway.release(studyIdHex)).release, release.bytes),
      "GetRelease and GetPublicRecord disagree");
    if (release.suppression) {
      // checked above (auditSuppressed)
    } else if (release.values.length !== bounds.length) {
      report.add("released values", false, `expected ${bounds.length} values, got ${release.values.length}`);
    } else {
      const out = release.values.map((v, j) => (v <= bounds[j] ? null : `${names[j]} = ${v} outside [0, ${bounds[j]}]`)).filter(Boolean);
      report.add("released values within their declared bounds", out.length === 0, out.join("; "));
      if (release.mode !== "exact" || release.randomness === null) {
        report.skip("commitment equation", `a '${release.mode}' release publishes no P: its numbers cannot be checked against the commitments`);
      } else {
        report.add("commitment equation Σ S_j·G_j + (P mod l)·H = Σ C_i (Baby Jubjub)",
          samePoint(curves.commit(release.values, release.randomness), total),
          "the released sum is not what the participants proved");
        if (spec.minCellSize > 0) {  // every cell published: none may be below k (docs/disclosure.md)
          const width = bounds.length / cells(spec).length;
          const small = [];
          for (let c = 0; c * width < bounds.length; c++) if (release.values[c * width] < BigInt(spec.minCellSize)) small.push(c);
          report.add("published cells meet the minimum cell size", small.length === 0,
            `cell(s) ${small.join(", ")} published with fewer than k = ${spec.minCellSize} records`);
        }
      }
    }
  }

  // 6. the audit log
  await auditLog(gateway, report, logKey, { studyIdHex, spec, keys, submissions, aggregate, release });
}

/**
 * A release with small cells withheld (docs/disclosure.md §2, docs/messages.md §10): no P, the
 * withheld coordinates are whole cells, the suppression proof binds the published values to Σ C_i,
 * no published cell is below the study's k, and the published values lie within their bounds.
 */
function auditSuppressed(report, curves, spec, release, total, studyId, names, bounds) {
  const n = bounds.length;
  const nCells = cells(spec).length;
  const width = n / nCells;
  const hidden = new Set(release.withheld);
  const whole = release.withheld.every((j) => j < n)
    && [...new Set(release.withheld.map((j) => Math.floor(j / width)))].every((c) => {
      for (let j = c * width; j < (c + 1) * width; j++) if (!hidden.has(j)) return false;
      return true;
    });
  report.add("the study withholds small cells", spec.minCellSize > 0, "cells were withheld from a study whose min_cell_size is 0");
  report.add("withheld coordinates are whole cells", whole, `withheld coordinates are not whole cells of ${nCells} cells x ${width}`);
  const published = [];
  for (let j = 0; j < n; j++) if (!hidden.has(j)) published.push(j);
  if (!whole || published.length !== release.values.length) {
    if (whole) report.add("released values", false, `expected ${published.length} published values, got ${release.values.length}`);
    return;
  }
  report.add("suppression proof (Schnorr on Baby Jubjub: the published values open Σ C_i)",
    curves.verifySuppression(studyId, total, n, release.withheld, release.values, release.suppression),
    "the released numbers are not what the participants proved");
  const small = [];
  published.forEach((j, i) => { if (j % width === 0 && release.values[i] < BigInt(spec.minCellSize)) small.push(j / width); });
  report.add("published cells meet the minimum cell size", small.length === 0,
    `cell(s) ${small.join(", ")} published with fewer than k = ${spec.minCellSize} records`);
  const out = published.map((j, i) => (release.values[i] <= bounds[j] ? null : `${names[j]} = ${release.values[i]} outside [0, ${bounds[j]}]`))
    .filter(Boolean);
  report.add("released values within their declared bounds", out.length === 0, out.join("; "));
}

async function auditLog(gateway, report, logKey, study) {
  const head = await gateway.treeHead();
  const size = Number(head.tree_size);
  report.add("tree head comes with the gateway's log key", bytesEqual(head.log_public_key, logKey),
    `the head names ${hex(head.log_public_key)}, the gateway's log key is ${hex(logKey)}`);
  const headAlg = head.root.length === 32 &&
    verifySigned(logKey, "tree-head", treeHeadBytes(head.tree_size, head.root, head.timestamp_ms), head.signature);
  const headOk = report.add(`tree head signature (${headAlg || (logKey.length === 32 ? "Ed25519" : HYBRID)}, zkgate-sth-v1)`,
    Boolean(headAlg),
    "the signed tree head does not verify under the gateway's log key");
  const entries = await gateway.entries(0, size);
  const leaves = entries.map((e) => leafHash(e.kind, e.data));
  report.add(`all ${size} entries rebuild the signed root`, entries.length === size && bytesEqual(rootOf(leaves), head.root),
    "the log's entries do not hash to the signed root");

  const parsed = entries.map((e) => {
    try {
      return { index: Number(e.index), kind: e.kind, data: JSON.parse(Buffer.from(e.data).toString("utf8")) };
    } catch {
      return { index: Number(e.index), kind: e.kind, data: {} };
    }
  });
  const mine = parsed.filter((e) => e.data.study_id === study.studyIdHex);
  const expected = [];
  expected.push(["study", "study logged (spec, circuit keys)", (d) => d.spec_sha256 === hex(sha256(study.spec.bytes)) &&
    d.circuit_keys_sha256 === hex(sha256(study.keys.bytes)) && d.dev_keys === study.spec.devKeys]);
  for (const sub of study.submissions) {
    expected.push(["submission", `submission of ${sub.participant} logged`, (d) => d.participant === sub.participant &&
      d.submission_digest === hex(sub.digest) && d.envelope_digest === hex(sub.envelopeDigest)]);
  }
  if (study.aggregate) {
    const agg = study.aggregate;
    expected.push(["aggregate", "aggregate logged", (d) => d.aggregate_digest === hex(agg.digest) && d.envelope_digest === hex(agg.envelopeDigest) &&
      JSON.stringify(d.included) === JSON.stringify(agg.included.map(([n, dg]) => [n, hex(dg)]))]);
  }
  if (study.release) expected.push(["release", "release logged", (d) => d.release_sha256 === hex(sha256(study.release.bytes))]);
  if (report.cancellation) {
    const c = report.cancellation;
    expected.push(["study_cancelled", "cancellation logged (reason, by whom, when)", (d) => d.reason === c.reason &&
      d.cancelled_by === c.cancelled_by && String(d.cancelled_at) === String(c.cancelled_at) && d.state_before === c.state_before]);
    if (study.release) report.add("no release after a cancellation", false, "the study was cancelled, yet the record holds a release");
  }
  if (study.spec.committee !== null) {  // issue 23: commit-before-upload, read from the log
    const closed = mine.find((e) => e.kind === "commit_phase_closed");
    const late = study.submissions.filter((sub) => {
      const c = mine.find((e) => e.kind === "contribution_commit" && e.data.participant === sub.participant);
      const s = mine.find((e) => e.kind === "submission" && e.data.participant === sub.participant);
      return !(closed && c && s && c.index < closed.index && closed.index < s.index &&
        closed.data.participants.includes(sub.participant) && c.data.envelope_digest === hex(sub.envelopeDigest));
    }).map((sub) => sub.participant);
    report.add("every ciphertext was committed (hash logged) before the commit phase closed, uploaded after",
      Boolean(closed) && late.length === 0, closed ? `not so for ${late.join(", ")}` : "no commit_phase_closed entry for this study");
  }
  // the participants' data set registrations (no study id in them): owner, root and key as the spec names them
  const registrations = study.spec.participants.map((p) => ["dataset", `registration of ${p.name} logged (root, key)`,
    (d) => d.owner === p.name && d.root === p.root.toString() && d.verify_key === hex(p.verifyKey)]);
  let studyLeaf = -1;
  for (const [kind, name, matches] of [...registrations, ...expected]) {
    const pool = kind === "dataset" ? parsed : mine;
    const entry = pool.find((e) => e.kind === kind && matches(e.data));
    if (!entry) {
      const other = pool.filter((e) => e.kind === kind).length;
      report.add(name, false, other ? `the log's ${kind} entries${kind === "dataset" ? "" : " of this study"} name other contents`
        : `no ${kind} entry${kind === "dataset" ? "" : " of this study"} in the log`);
      continue;
    }
    if (kind === "study") studyLeaf = entry.index;
    await report.run(`${name}: inclusion proof at leaf ${entry.index} of ${size}`, async () => {
      const proof = await gateway.inclusionProof(entry.index, size);
      return headOk && verifyInclusion(leaves[entry.index], entry.index, size, proof.path, head.root);
    }, "the inclusion proof does not lead to the signed root");
  }
  if (studyLeaf >= 0 && studyLeaf + 1 < size) {
    const first = studyLeaf + 1;
    await report.run(`log is append-only since the study was opened (consistency ${first} -> ${size})`, async () => {
      const proof = await gateway.consistencyProof(first, size);
      return verifyConsistency(first, size, rootOf(leaves.slice(0, first)), head.root, proof.path);
    }, "the consistency proof does not verify");
  }
}

async function main(argv) {
  let options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    console.error(`error: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  let gateway;
  try {
    gateway = new Gateway(options.gateway, {
      protoDir: options["proto-dir"], timeoutMs: options.timeoutMs, token: options.token,
      ca: options.ca, cert: options.cert, key: options.key, serverName: options["server-name"],
    });
    await gateway.connect(Math.min(options.timeoutMs, 15000));
  } catch (err) {
    const what = err instanceof ConnectError ? `cannot connect to the gateway at ${options.gateway}` : "cannot set up the gRPC client";
    console.error(`error: ${what}: ${err.message}`);
    return 2;
  }
  const report = new Report();
  try {
    await audit(gateway, options, report);
  } catch (err) {
    // an RPC that failed midway (e.g. NOT_FOUND for an unknown study): a failed audit, said plainly
    report.add("the gateway answers every request of the audit", false, err.message);
  } finally {
    gateway.close();
  }
  if (options.json) console.log(JSON.stringify({ study_id: options.study, gateway: options.gateway, ...report.toJSON() }, null, 2));
  else report.print();
  return report.status === "verified" ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`error: ${err.stack || err}`);
    process.exit(1);
  },
);
