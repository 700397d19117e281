// Runs wasmcurves' G1 subtraction exactly as snarkjs's hashHPointsThread does (zkey_new.js):
// g1m_subAffine, g1m_batchToAffine, g1m_batchLEMtoU on raw 64-byte records.  Reads
// {"pairs": [[hiHex, loHex], ...]} on stdin, writes {"out": [hex64, ...]} on stdout.
import { buildBn128 } from "ffjavascript";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const { pairs } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const curve = await buildBn128(true);
const sG1 = 64, sGmid = 96, n = pairs.length;
const buff1 = new Uint8Array(n * sG1), buff2 = new Uint8Array(n * sG1);
pairs.forEach(([hi, lo], i) => { buff1.set(Buffer.from(hi, "hex"), i * sG1); buff2.set(Buffer.from(lo, "hex"), i * sG1); });
const task = [
    { cmd: "ALLOCSET", var: 0, buff: buff1 },
    { cmd: "ALLOCSET", var: 1, buff: buff2 },
    { cmd: "ALLOC", var: 2, len: n * sGmid },
];
for (let i = 0; i < n; i++) {
    task.push({ cmd: "CALL", fnName: "g1m_subAffine", params: [{ var: 0, offset: i * sG1 }, { var: 1, offset: i * sG1 }, { var: 2, offset: i * sGmid }] });
}
task.push({ cmd: "CALL", fnName: "g1m_batchToAffine", params: [{ var: 2 }, { val: n }, { var: 2 }] });
task.push({ cmd: "CALL", fnName: "g1m_batchLEMtoU", params: [{ var: 2 }, { val: n }, { var: 2 }] });
task.push({ cmd: "GET", out: 0, var: 2, len: n * sG1 });
const res = await curve.tm.queueAction(task);
const outBuf = Buffer.from(res[0]);
const out = [];
for (let i = 0; i < n; i++) out.push(outBuf.subarray(i * sG1, (i + 1) * sG1).toString("hex"));
process.stdout.write(JSON.stringify({ out }));
await curve.terminate();
