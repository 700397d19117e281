// What follows from a decoded study spec: stored units, filter constants, the names and declared
// bounds of the released coordinates S_j, and the release mode its HE preset allows.

export const SUBORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041n; // l

/** A column whose declared range reaches below zero is stored offset by its minimum. */
export function offset(column) {
  return column.lo < 0 ? column.lo : 0;
}

export function maxStored(column) {
  return BigInt(column.hi - offset(column));
}

function column(spec, name) {
  const c = spec.schema.find((x) => x.name === name);
  if (!c) throw new Error(`the spec names an unknown column '${name}'`);
  return c;
}

function statName(st) {
  return ({ sum: "sum", sum_sq: "sum_sq", histogram: "hist" }[st.kind] || st.kind) + "_" + st.column;
}

/** lo..., hi..., eq..., histogram edges... in stored units (the order the study id hashes them). */
export function filterConstants(spec) {
  const off = (name) => BigInt(offset(column(spec, name)));
  return [
    ...spec.ranges.map((r) => BigInt(r.lo) - off(r.column)),
    ...spec.ranges.map((r) => BigInt(r.hi) - off(r.column)),
    ...spec.equals.map((e) => BigInt(e.value) - off(e.column)),
    ...spec.statistics.filter((s) => s.kind === "histogram").flatMap((s) => s.edges.map((x) => BigInt(x) - off(s.column))),
  ].map((x) => (x < 0n ? x + 21888242871839275222246405745257275088548364400416034343698204186575808495617n : x));
}

/** count first, then each statistic (a histogram contributes one coordinate per bin). */
export function valueNames(spec) {
  const out = ["count"];
  for (const st of spec.statistics) {
    if (st.kind === "histogram") for (let b = 0; b < st.edges.length - 1; b++) out.push(`${statName(st)}[${b}]`);
    else out.push(statName(st));
  }
  return out;
}

/** The declared bound of each S_j: per-record bound × capacity × total number of chunks. */
export function valueBounds(spec) {
  const perRecord = [1n];
  for (const st of spec.statistics) {
    const m = maxStored(column(spec, st.column));
    if (st.kind === "sum") perRecord.push(m);
    else if (st.kind === "sum_sq") perRecord.push(m * m);
    else if (st.kind === "histogram") for (let b = 0; b < st.edges.length - 1; b++) perRecord.push(1n);
    else throw new Error(`unknown statistic kind '${st.kind}'`);
  }
  const totalChunks = spec.participants.reduce((acc, p) => acc + BigInt(p.nChunks), 0n);
  return perRecord.map((b) => b * BigInt(spec.capacity) * totalChunks);
}

/** "exact" for a BFV preset (verifiable; S and P published, or a "dp" release), "ckks" for a CKKS one. */
export function allowedModes(spec) {
  if (spec.hePreset.startsWith("bfv-")) return ["exact", "dp"];
  if (spec.hePreset.startsWith("ckks-")) return ["ckks"];
  return [];
}
