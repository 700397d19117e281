// zkgate's verifying keys and proofs (32-byte big-endian coordinates in msgpack) in snarkjs's JSON
// layouts (decimal strings), for snarkjs.groth16.verify.

const g1Json = (p) => (p === null ? ["0", "1", "0"] : [p[0].toString(), p[1].toString(), "1"]);
const g2Json = (p) => [[p[0][0].toString(), p[0][1].toString()], [p[1][0].toString(), p[1][1].toString()], ["1", "0"]];

/** verification_key.json from a decoded circuit-keys verifying key (G2 coordinates as [[x0, x1], [y0, y1]]). */
export function verificationKeyJson(vk) {
  return {
    protocol: "groth16", curve: "bn128", nPublic: vk.nPublic,
    vk_alpha_1: g1Json(vk.alpha1), vk_beta_2: g2Json(vk.beta2), vk_gamma_2: g2Json(vk.gamma2), vk_delta_2: g2Json(vk.delta2),
    IC: vk.ic.map(g1Json),
  };
}

/** proof.json from a submission's eight coordinates: A.x, A.y, B.x0, B.x1, B.y0, B.y1, C.x, C.y. */
export function proofJson(c) {
  return {
    pi_a: [c[0].toString(), c[1].toString(), "1"],
    pi_b: [[c[2].toString(), c[3].toString()], [c[4].toString(), c[5].toString()], ["1", "0"]],
    pi_c: [c[6].toString(), c[7].toString(), "1"],
    protocol: "groth16", curve: "bn128",
  };
}
