// snarkjs's groth16.verify in-process, for benchmarks/bench_verify.py.
// stdin: {"vk": <verification_key.json>, "items": [[public, proof], ...], "repeat": n}
// stdout: {"single_ms": [..per run..], "batch_ms": total ms to verify all items one by one,
//          "all_ok": bool}
const snarkjs = require('snarkjs');

async function main() {
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  const input = JSON.parse(data);
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const [pub0, proof0] = input.items[0];
  // warm up (builds and caches the bn128 curve)
  if (!(await snarkjs.groth16.verify(input.vk, pub0, proof0, quiet))) throw new Error('warm-up proof invalid');
  const single = [];
  for (let i = 0; i < input.repeat; i++) {
    const t = process.hrtime.bigint();
    await snarkjs.groth16.verify(input.vk, pub0, proof0, quiet);
    single.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  let allOk = true;
  const t = process.hrtime.bigint();
  for (const [pub, proof] of input.items) allOk = (await snarkjs.groth16.verify(input.vk, pub, proof, quiet)) && allOk;
  const batchMs = Number(process.hrtime.bigint() - t) / 1e6;
  process.stdout.write(JSON.stringify({ single_ms: single, batch_ms: batchMs, all_ok: allOk }));
  process.exit(0);
}
main().catch((e) => { console.error(e); process.exit(1); });
