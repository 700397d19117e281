// Times ffjavascript (snarkjs's math library) on inputs written by bench_native.py.
//   node benchmarks/ffjs_bench.js g1msm|g2msm|fft <bases-or-values file> [scalars file] [reps]
// Files hold raw little-endian Montgomery limbs exactly as zkgate's arrays (and .zkey files)
// store them.  Prints one JSON line: {"op", "n", "seconds" (best of reps), "result" (hex)}.
import { buildBn128 } from "ffjavascript";
import { readFileSync } from "fs";

const [op, fileA, fileB, repsArg] = process.argv.slice(2);
const reps = parseInt(repsArg || "1", 10);

function hex(u8) {
    return Buffer.from(u8).toString("hex");
}

const curve = await buildBn128();
let seconds = Infinity, result = null, n = 0;
if (op === "g1msm" || op === "g2msm") {
    const G = op === "g1msm" ? curve.G1 : curve.G2;
    const bases = new Uint8Array(readFileSync(fileA));
    const scalars = new Uint8Array(readFileSync(fileB));
    n = scalars.length / 32;
    for (let i = 0; i < reps; i++) {
        const t0 = process.hrtime.bigint();
        const r = await G.multiExpAffine(bases, scalars, false, "");
        const t1 = process.hrtime.bigint();
        seconds = Math.min(seconds, Number(t1 - t0) / 1e9);
        result = hex(G.toRprLEM ? (() => { const b = new Uint8Array(G.F.n8 * 2); G.toRprLEM(b, 0, G.toAffine(r)); return b; })() : r);
    }
} else if (op === "fft") {
    const values = new Uint8Array(readFileSync(fileA));
    n = values.length / 32;
    for (let i = 0; i < reps; i++) {
        const t0 = process.hrtime.bigint();
        const r = await curve.Fr.fft(values);
        const t1 = process.hrtime.bigint();
        seconds = Math.min(seconds, Number(t1 - t0) / 1e9);
        result = hex(r.slice(0, 64));
    }
} else {
    throw new Error(`unknown op ${op}`);
}
console.log(JSON.stringify({ op, n, seconds, result }));
await curve.terminate();
process.exit(0);
