// Poseidon (circomlib parameters) and Baby Jubjub (circomlib's curve) through circomlibjs, plus the
// derivations zkgate documents on top of them: the Poseidon sponge, the study id, the data set
// root, and the Pedersen generators G_j, H.

import { createHash } from "node:crypto";
import { buildBabyjub, buildPoseidon } from "circomlibjs";
import { bigFromBytes, bytesToFieldElements, domainDigest, pack, R, sha256 } from "./messages.js";

const tag = (text) => bigFromBytes(Buffer.from(text, "utf8"));
export const TAG_STUDY = tag("zkgate/study/id/v2");
export const TAG_DATASET = tag("zkgate/study/dataset/v1");
const PEDERSEN_DOMAIN = Buffer.from("zkgate/pedersen/v1", "utf8");
const MAX_POSEIDON_INPUTS = 16;

function modpow(base, exp, mod) {
  let result = 1n;
  base %= mod;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % mod;
    base = (base * base) % mod;
    exp >>= 1n;
  }
  return result;
}

/** A square root mod r (Tonelli-Shanks), or null for a non-residue. */
function sqrtModR(a) {
  a %= R;
  if (a === 0n) return 0n;
  if (modpow(a, (R - 1n) / 2n, R) !== 1n) return null;
  let q = R - 1n;
  let s = 0n;
  while ((q & 1n) === 0n) {
    q >>= 1n;
    s += 1n;
  }
  let z = 2n;
  while (modpow(z, (R - 1n) / 2n, R) !== R - 1n) z += 1n;
  let m = s;
  let c = modpow(z, q, R);
  let t = modpow(a, q, R);
  let x = modpow(a, (q + 1n) / 2n, R);
  while (t !== 1n) {
    let i = 0n;
    let t2 = t;
    while (t2 !== 1n) {
      t2 = (t2 * t2) % R;
      i += 1n;
    }
    const b = modpow(c, 1n << (m - i - 1n), R);
    m = i;
    c = (b * b) % R;
    t = (t * c) % R;
    x = (x * b) % R;
  }
  return x;
}

export class Curves {
  static async build() {
    const self = new Curves();
    self.poseidon = await buildPoseidon();
    self.babyJub = await buildBabyjub();
    self.F = self.babyJub.F;
    self.generators = new Map();
    return self;
  }

  hash(inputs, initState) {
    return this.poseidon.F.toObject(this.poseidon(inputs, initState));
  }

  /** zkgate's sponge: the first 16 inputs with capacity n = inputs.length, then 15 at a time with the running digest. */
  sponge(inputs) {
    const n = BigInt(inputs.length);
    let acc = this.hash(inputs.slice(0, MAX_POSEIDON_INPUTS), n);
    for (let i = MAX_POSEIDON_INPUTS; i < inputs.length; i += MAX_POSEIDON_INPUTS - 1) {
      acc = this.hash([acc, ...inputs.slice(i, i + MAX_POSEIDON_INPUTS - 1)], n);
    }
    return acc;
  }

  /** poseidon_sponge([TAG_STUDY, question constants (stored units)..., poseidon_sponge(spec bytes as field elements)]). */
  studyId(spec, filterConstants) {
    const rest = this.sponge(bytesToFieldElements(spec.bytes));
    return this.sponge([TAG_STUDY, ...filterConstants, rest]);
  }

  /** The data set root a participant registered, rebuilt from its submitted chunk roots and root salt. */
  datasetRoot(spec, chunkRoots, rootSalt) {
    const schemaBytes = pack(["schema", 1, spec.schemaObj]);
    const schemaElement = bigFromBytes(domainDigest(schemaBytes, "schema")) >> 3n;
    return this.sponge([TAG_DATASET, schemaElement, BigInt(spec.capacity), BigInt(chunkRoots.length), ...chunkRoots, rootSalt]);
  }

  // -- Baby Jubjub points as [x, y] BigInts --------------------------------------------------------
  toCurve(p) {
    return [this.F.e(p[0]), this.F.e(p[1])];
  }

  fromCurve(p) {
    return [this.F.toObject(p[0]), this.F.toObject(p[1])];
  }

  onCurve(p) {
    return this.babyJub.inCurve(this.toCurve(p));
  }

  sum(points) {
    let acc = [this.F.e(0n), this.F.e(1n)];
    for (const p of points) acc = this.babyJub.addPoint(acc, this.toCurve(p));
    return this.fromCurve(acc);
  }

  mul(p, k) {
    return this.fromCurve(this.babyJub.mulPointEscalar(this.toCurve(p), k));
  }

  get subOrder() {
    return BigInt(this.babyJub.subOrder.toString());
  }

  /** hash_to_point(tag): y = SHA-256(domain ‖ 0x00 ‖ tag ‖ counter u32 BE) mod r, x <= (r-1)/2, times 8. */
  hashToPoint(tagBytes) {
    const a = 168700n;
    const d = 168696n;
    for (let counter = 0; ; counter++) {
      const ctr = Buffer.alloc(4);
      ctr.writeUInt32BE(counter);
      const y = bigFromBytes(sha256(PEDERSEN_DOMAIN, Buffer.from([0]), tagBytes, ctr)) % R;
      const y2 = (y * y) % R;
      const den = (((a - d * y2) % R) + R) % R;
      if (den === 0n) continue;
      const x2 = (((1n - y2 + R) % R) * modpow(den, R - 2n, R)) % R;
      let x = sqrtModR(x2);
      if (x === null) continue;
      if (x > R - x) x = R - x;
      const p = this.mul([x, y], 8n);
      if (!(p[0] === 0n && p[1] === 1n)) return p;
    }
  }

  generatorG(j) {
    const key = `G${j}`;
    if (!this.generators.has(key)) {
      const t = Buffer.alloc(5);
      t.write("G", 0, "latin1");
      t.writeUInt32BE(j, 1);
      this.generators.set(key, this.hashToPoint(t));
    }
    return this.generators.get(key);
  }

  generatorH() {
    if (!this.generators.has("H")) this.generators.set("H", this.hashToPoint(Buffer.from("H", "latin1")));
    return this.generators.get("H");
  }

  /**
   * Small-cell suppression (docs/disclosure.md §2): the multi-base Schnorr proof that the published
   * values open `commitment` (= Σ C_i) with the withheld coordinates and P:
   * Σ_{j∈W} z_j·G_j + z_P·H == T + e·(C − Σ_{j∉W} S_j·G_j), e = SHA-512(transcript) mod l.
   * `proof` is {t: [x, y], responses: [z_j ...], blindingResponse: z_P} (BigInts).
   */
  verifySuppression(studyId, commitment, n, withheld, published, proof) {
    const l = this.subOrder;
    const hidden = new Set(withheld);
    const pubIndex = [];
    for (let j = 0; j < n; j++) if (!hidden.has(j)) pubIndex.push(j);
    if (pubIndex.length !== published.length || proof.responses.length !== withheld.length) return false;
    if (published.some((v) => v < 0n || v >= l)) return false;
    const scalars = [...proof.responses, proof.blindingResponse];
    if (scalars.some((z) => z < 0n || z >= l)) return false;
    if (!this.babyJub.inSubgroup(this.toCurve(proof.t)) || !this.babyJub.inSubgroup(this.toCurve(commitment))) return false;
    const be32 = (x) => Buffer.from(x.toString(16).padStart(64, "0"), "hex");
    const u32 = (x) => { const b = Buffer.alloc(4); b.writeUInt32BE(x); return b; };
    const transcript = Buffer.concat([Buffer.from("zkgate/study/suppression/v1", "latin1"), Buffer.from([0]), be32(studyId),
      be32(commitment[0]), be32(commitment[1]), u32(n), u32(withheld.length), ...withheld.map(u32), ...published.map(be32),
      be32(proof.t[0]), be32(proof.t[1])]);
    const e = BigInt("0x" + createHash("sha512").update(transcript).digest("hex")) % l;
    const lhs = this.sum([...withheld.map((j, i) => this.mul(this.generatorG(j), proof.responses[i])),
      this.mul(this.generatorH(), proof.blindingResponse)]);
    const publishedSum = this.sum(pubIndex.map((j, i) => this.mul(this.generatorG(j), published[i])));
    const x = this.sum([commitment, [(R - publishedSum[0]) % R, publishedSum[1]]]);
    const rhs = this.sum([proof.t, this.mul(x, e)]);
    return lhs[0] === rhs[0] && lhs[1] === rhs[1];
  }

  /** Σ_j S_j·G_j + (P mod l)·H. */
  commit(values, randomness) {
    const l = this.subOrder;
    const terms = values.map((v, j) => this.mul(this.generatorG(j), v % l));
    terms.push(this.mul(this.generatorH(), randomness % l));
    return this.sum(terms);
  }
}
