// The key committee a study spec carries (issue 23, docs/messages.md §5): the committee id is the
// SHA-256 of the framed roster, and every member's approval is its hybrid signature (label
// "committee") over the framed approve message naming the spec's HE key id.  A spec whose HE key
// the members did not all approve is refused by zkgate; this auditor checks the same.

import { bytesEqual, sha256 } from "./messages.js";
import { verifySigned } from "./signatures.js";

const DOMAIN = Buffer.from("zkgate.committee.v1", "utf8");

/** frame(fields) = for each field: u32le length ‖ bytes. */
export function frame(fields) {
  return Buffer.concat(fields.flatMap((f) => {
    const n = Buffer.alloc(4);
    n.writeUInt32LE(f.length);
    return [n, Buffer.from(f)];
  }));
}

export function committeeId(c) {
  const counts = Buffer.alloc(12);
  counts.writeUInt32LE(c.members, 0);
  counts.writeUInt32LE(c.threshold, 4);
  counts.writeUInt32LE(c.maxParticipants, 8);
  return sha256(frame([Buffer.concat([DOMAIN, Buffer.from([0]), Buffer.from("roster")]), c.paramsFingerprint, counts,
    c.nonce, ...c.signingKeys, ...c.transportKeys]));
}

export function approveBody(committeeIdBytes, member, keyId) {
  return frame([DOMAIN, Buffer.from("approve"), committeeIdBytes, Buffer.from([member, 0]), keyId]);
}

/** The members (1-based) whose approval of `keyId` does not verify (empty: all approved). */
export function unapproved(c, keyId) {
  const cid = committeeId(c);
  return c.approvals.map((sig, i) => (verifySigned(c.signingKeys[i], "committee", approveBody(cid, i + 1, keyId), sig) ? null : i + 1))
    .filter((x) => x !== null);
}

/** A study spec's committee check: null when fine, else the reason. */
export function checkCommittee(spec, participants, fingerprint = null) {
  const c = spec.committee;
  if (c === null) return null;
  if (fingerprint !== null && !bytesEqual(fingerprint, c.paramsFingerprint)) return "the committee was formed for other HE parameters";
  if (participants > c.maxParticipants) return `the committee was sized for ${c.maxParticipants} participants, not ${participants}`;
  if (spec.quorum < 3) return `a committee study needs quorum >= 3, got ${spec.quorum}`;
  const bad = unapproved(c, spec.heKeyId);
  return bad.length ? `member(s) ${bad.join(", ")} did not approve the study's HE key` : null;
}
