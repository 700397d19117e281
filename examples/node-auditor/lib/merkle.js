// The audit log: RFC 6962 / RFC 9162 Merkle hashing, inclusion and consistency proofs, and the
// gateway's signed tree head.  zkgate's leaf data is kind ‖ 0x00 ‖ data (the entry's canonical JSON),
// so a leaf hashes as SHA-256(0x00 ‖ kind ‖ 0x00 ‖ data).

import { createPublicKey, verify as verifySignature } from "node:crypto";
import { bytesEqual, sha256 } from "./messages.js";

export const STH_DOMAIN = Buffer.from("zkgate-sth-v1", "utf8");

export function leafHash(kind, data) {
  return sha256(Buffer.from([0]), Buffer.from(kind, "utf8"), Buffer.from([0]), data);
}

export function nodeHash(left, right) {
  return sha256(Buffer.from([1]), left, right);
}

/** MTH over leaf hashes (the tree splits at the largest power of two below n). */
export function rootOf(leaves) {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/** RFC 9162 section 2.1.3.2: the root `path` leads to from leaf hash `leaf` (null if it cannot). */
export function inclusionRoot(leaf, index, treeSize, path) {
  if (index < 0 || index >= treeSize) return null;
  let fn = BigInt(index);
  let sn = BigInt(treeSize) - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

export function verifyInclusion(leaf, index, treeSize, path, root) {
  const r = inclusionRoot(leaf, index, treeSize, path);
  return r !== null && bytesEqual(r, root);
}

/** RFC 9162 section 2.1.4.2. */
export function verifyConsistency(firstSize, secondSize, firstRoot, secondRoot, path) {
  if (firstSize > secondSize) return false;
  if (firstSize === secondSize) return path.length === 0 && bytesEqual(firstRoot, secondRoot);
  if (firstSize === 0) return path.length === 0;
  if (path.length === 0) return false;
  let proof = path;
  if ((firstSize & (firstSize - 1)) === 0) proof = [firstRoot, ...path];
  let fn = BigInt(firstSize) - 1n;
  let sn = BigInt(secondSize) - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = proof[0];
  let sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && bytesEqual(fr, firstRoot) && bytesEqual(sr, secondRoot);
}

export function ed25519Key(raw) {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });
}

/** Ed25519 verification of `signature` over `message` under a raw 32-byte public key. */
export function ed25519Verify(rawPublicKey, message, signature) {
  try {
    if (rawPublicKey.length !== 32 || signature.length !== 64) return false;
    return verifySignature(null, message, ed25519Key(rawPublicKey), signature);
  } catch {
    return false;
  }
}

/** "zkgate-sth-v1" ‖ u64 tree size ‖ root (32 bytes) ‖ u64 timestamp in ms, big endian. */
export function treeHeadBytes(treeSize, root, timestampMs) {
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(treeSize));
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(timestampMs));
  return Buffer.concat([STH_DOMAIN, size, Buffer.from(root), stamp]);
}
