// What follows from a decoded study spec: stored units, the question's constants, its committed
// moments (an independent port of zkgate/study/statistics: each kind's moments, their canonical
// order, cell-major coordinates), the names and declared bounds of the released coordinates S_j,
// and the release mode its HE preset allows.

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

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** The predicate's constants in traversal order (declared units): [column, value]. */
function predicateConstants(p, out = []) {
  if (p === null) return out;
  if (p.tag === "cmp") out.push([p.column, p.value]);
  else if (p.tag === "between") out.push([p.column, p.lo], [p.column, p.hi]);
  else if (p.tag === "in") for (const v of p.values) out.push([p.column, v]);
  else if (p.tag === "not") predicateConstants(p.term, out);
  else for (const t of p.terms) predicateConstants(t, out);
  return out;
}

// Each statistic kind's committed moments (zkgate/study/statistics/registry.py, Kind.moments).
function kindMoments(spec, agg) {
  const idx = (c) => spec.schema.findIndex((x) => x.name === c);
  const prod = (a, b) => ({ kind: "prod", columns: idx(a) <= idx(b) ? [a, b] : [b, a], edges: [] });
  const sum = (c) => ({ kind: "sum", columns: [c], edges: [] });
  const cols = agg.columns;
  switch (agg.fn) {
    case "COUNT": return [{ kind: "count", columns: [], edges: [] }];
    case "SUM": case "AVG": return [sum(cols[0])];
    case "VAR_POP": case "VAR_SAMP": case "STDDEV_POP": case "STDDEV_SAMP": case "VARIANCE": case "STDDEV":
      return [sum(cols[0]), prod(cols[0], cols[0])];
    case "COVAR_POP": case "COVAR_SAMP": return [prod(cols[0], cols[1])];
    case "CORR": return [prod(cols[0], cols[1]), prod(cols[0], cols[0]), prod(cols[1], cols[1])];
    case "REGR_COUNT": return [{ kind: "count", columns: [], edges: [] }];
    case "REGR_SLOPE": case "REGR_INTERCEPT": case "REGR_R2": {
      const [y, x] = cols;
      const out = [prod(x, y), prod(x, x)];
      if (agg.fn === "REGR_R2") out.push(prod(y, y));
      return out;
    }
    case "OLS": return cols.flatMap((a, i) => cols.slice(i).map((b) => prod(a, b)));
    case "HISTOGRAM": {
      const off = offset(column(spec, cols[0]));
      return [{ kind: "hist", columns: [cols[0]], edges: agg.params.map((e) => e - off) }];
    }
    default: throw new Error(`the spec asks for an unknown statistic '${agg.fn}'`);
  }
}

const key = (m) => `${m.kind}|${m.columns.join(",")}|${m.edges.join(",")}`;
const width = (m) => (m.kind === "hist" ? m.edges.length - 1 : 1);
const momentName = (m) => (m.kind === "count" ? "count" : `${m.kind}(${m.columns.join(",")})`);

/** One cell's committed moments, deduplicated, in canonical order: the count, sums and products
 * (each by the columns' schema positions), histograms (first appearance).  A product needs its sums. */
export function moments(spec) {
  const idx = (c) => spec.schema.findIndex((x) => x.name === c);
  const found = new Map();
  const hists = [];
  for (const agg of spec.question.aggregates) {
    for (const m of kindMoments(spec, agg)) {
      if (m.kind === "hist") {
        if (!hists.some((h) => key(h) === key(m))) hists.push(m);
      } else {
        found.set(key(m), m);
        if (m.kind === "prod") for (const c of m.columns) found.set(`sum|${c}|`, { kind: "sum", columns: [c], edges: [] });
      }
    }
  }
  const order = (a, b) => {
    const x = a.columns.map(idx), y = b.columns.map(idx);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
  const all = [...found.values()];
  return [{ kind: "count", columns: [], edges: [] }, ...all.filter((m) => m.kind === "sum").sort(order),
    ...all.filter((m) => m.kind === "prod").sort(order), ...hists];
}

/** Every group key (declared units), first GROUP BY column slowest; [[]] without GROUP BY. */
export function cells(spec) {
  let out = [[]];
  for (const g of spec.question.groupBy) {
    const c = column(spec, g);
    const next = [];
    for (const k of out) for (let v = c.lo; v <= c.hi; v++) next.push([...k, v]);
    out = next;
  }
  return out;
}

/** Predicate constants then histogram edges, in stored units (the order the study id hashes them). */
export function filterConstants(spec) {
  const off = (name) => BigInt(offset(column(spec, name)));
  return [
    ...predicateConstants(spec.question.predicate).map(([c, v]) => BigInt(v) - off(c)),
    ...moments(spec).flatMap((m) => m.edges.map(BigInt)),
  ].map((x) => (x < 0n ? x + R : x));
}

/** Cell-major: each cell's moments, count first; histogram bins indexed; "[key]" prefixes under GROUP BY. */
export function valueNames(spec) {
  const out = [];
  const ms = moments(spec);
  for (const k of cells(spec)) {
    const prefix = spec.question.groupBy.length ? `[${k.join("|")}]` : "";
    for (const m of ms) {
      if (m.kind === "hist") for (let b = 0; b < width(m); b++) out.push(`${prefix}${momentName(m)}[${b}]`);
      else out.push(prefix + momentName(m));
    }
  }
  return out;
}

/** The declared bound of each S_j: per-record bound × capacity × total number of chunks. */
export function valueBounds(spec) {
  const perRecord = [];
  for (const m of moments(spec)) {
    if (m.kind === "count") perRecord.push(1n);
    else if (m.kind === "sum") perRecord.push(maxStored(column(spec, m.columns[0])));
    else if (m.kind === "prod") perRecord.push(maxStored(column(spec, m.columns[0])) * maxStored(column(spec, m.columns[1])));
    else for (let b = 0; b < width(m); b++) perRecord.push(1n);
  }
  const totalChunks = spec.participants.reduce((acc, p) => acc + BigInt(p.nChunks), 0n);
  const n = BigInt(spec.capacity) * totalChunks;
  return cells(spec).flatMap(() => perRecord.map((b) => b * n));
}

/** "exact" for a BFV preset (verifiable; S and P published, or a "dp" release), "ckks" for a CKKS one. */
export function allowedModes(spec) {
  if (spec.hePreset.startsWith("bfv-")) return ["exact", "dp"];
  if (spec.hePreset.startsWith("ckks-")) return ["ckks"];
  return [];
}
