// Poseidon (circomlib parameters) and Baby Jubjub (circomlib's curve) through circomlibjs, plus the
// derivations zkgate documents on top of them: the Poseidon sponge, the study id, the data set
// root, and the Pedersen generators G_j, H.

import { buildBabyjub, buildPoseidon } from "circomlibjs";
import { bigFromBytes, bytesToFieldElements, domainDigest, pack, R, sha256 } from "./messages.js";

const tag = (text) => bigFromBytes(Buffer.from(text, "utf8"));
export const TAG_STUDY = tag("zkgate/study/id/v1");
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

  /** poseidon_sponge([TAG_STUDY, filter constants (stored units)..., poseidon_sponge(spec bytes as field elements)]). */
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

  /** Σ_j S_j·G_j + (P mod l)·H. */
  commit(values, randomness) {
    const l = this.subOrder;
    const terms = values.map((v, j) => this.mul(this.generatorG(j), v % l));
    terms.push(this.mul(this.generatorH(), randomness % l));
    return this.sum(terms);
  }
}
