// zkgate's signatures (docs/messages.md §17): a signer's registered key is classical (Ed25519, 32 bytes:
// keys made before hybrid signatures) or hybrid (Ed25519 ‖ ML-DSA-65, 32 + 1,952 bytes).  A hybrid
// signature is Ed25519 (64) ‖ ML-DSA-65 (3,309); both halves sign
//   "zkgate-hybrid-v1" ‖ u8 len(label) ‖ label ‖ SHA-256(ed25519_pk ‖ mldsa_pk) ‖ message
// (ML-DSA with the empty context) and both must verify.  A classical key signs the message itself.
// Which form is required follows the key, never the signature: a hybrid key's 64-byte signature fails.

import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ed25519Verify, inclusionRoot } from "./merkle.js";
import { bytesEqual, pack, sha256 } from "./messages.js";

export const ED25519 = "Ed25519";
export const HYBRID = "Ed25519+ML-DSA-65";
export const HYBRID_PUBLIC_KEY_BYTES = 32 + 1952;
export const HYBRID_SIGNATURE_BYTES = 64 + 3309;
const DOMAIN = Buffer.from("zkgate-hybrid-v1", "utf8");

export function hybridSigningInput(label, publicKey, message) {
  const tag = Buffer.from(label, "utf8");
  return Buffer.concat([DOMAIN, Buffer.from([tag.length]), tag, sha256(publicKey), message]);
}

/** The algorithms that signed (`Ed25519+ML-DSA-65` or `Ed25519`), or null if the signature does not verify. */
export function verifySigned(publicKey, label, message, signature) {
  if (publicKey.length === 32) return ed25519Verify(publicKey, message, signature) ? ED25519 : null;
  if (publicKey.length !== HYBRID_PUBLIC_KEY_BYTES || signature.length !== HYBRID_SIGNATURE_BYTES) return null;
  const data = hybridSigningInput(label, publicKey, message);
  if (!ed25519Verify(publicKey.subarray(0, 32), data, signature.subarray(0, 64))) return null;
  try {
    return ml_dsa65.verify(signature.subarray(64), data, publicKey.subarray(32)) ? HYBRID : null;
  } catch {
    return null;
  }
}

/** How a spec names a participant's key: a classical key itself, a hybrid key as 0x01 ‖ SHA-256(key). */
export function keyRef(publicKey) {
  return publicKey.length === 32 ? publicKey : Buffer.concat([Buffer.from([1]), sha256(publicKey)]);
}

/** The key a submission is checked under: the spec's classical key, or the hybrid key the submission
 * carries when its hash is the spec's reference (null otherwise). */
export function resolveKey(ref, carried) {
  if (ref.length === 32) return carried && carried.length ? null : ref;
  if (!carried || carried.length !== HYBRID_PUBLIC_KEY_BYTES || !bytesEqual(keyRef(carried), ref)) return null;
  return carried;
}

/** The statement a batch of receipts is signed under: pack(["receipt-batch", 1, root, size]). */
export function receiptBatchBytes(root, size) {
  return pack(["receipt-batch", 1, root, size]);
}

/** The root of a version 3 receipt's batch tree (leaf SHA-256(0x00 ‖ leafData)), or null. */
export function receiptBatchRoot(receipt) {
  return inclusionRoot(sha256(Buffer.from([0]), receipt.signedBytes), receipt.leafIndex, receipt.batchSize, receipt.path);
}

/** The algorithms that signed a decoded receipt (lib/messages.js decodeReceipt) under the gateway's key, or null. */
export function verifyReceipt(receipt, gatewayKey) {
  if (receipt.version < 3) return verifySigned(gatewayKey, "receipt", receipt.signedBytes, receipt.signature);
  const root = receiptBatchRoot(receipt);
  if (root === null) return null;
  return verifySigned(gatewayKey, "receipt-batch", receiptBatchBytes(root, receipt.batchSize), receipt.signature);
}
