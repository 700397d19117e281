"""The per-chunk contribution circuit.

Public inputs: ``chunk_root``, ``study_id``, ``cx``, ``cy`` (the Pedersen commitment
``C = Σ_j s_j·G_j + ρ·H`` on Baby Jubjub).  Private: the chunk's packed records, its salt,
the question's constants (predicate constants then histogram edges, stored units), the rest of
the spec's hash and ρ.

It proves:

1. the packed records and the salt hash to ``chunk_root`` (each element is decomposed into
   exactly its records' bits, which range-checks every value to its column width and
   every flag to a bit);
2. ``poseidon_sponge([TAG_STUDY, constants..., rest]) == study_id`` -- the constants are
   those of the study (:meth:`~zkgate.study.question.Question.constants`), each range-checked to
   its column's width (an edge to one bit more);
3. ``s`` = the committed moments of every cell (:mod:`zkgate.study.statistics.moments`, cell-major)
   over the records whose flag is 1 and which pass the predicate -- dummy records are excluded:
   the flag multiplies the whole predicate, after ``NOT`` and ``OR``.  Atoms: ``x >= c`` is the
   :func:`~zkgate.study.gadgets.geq` gadget, ``x <= c`` is ``geq(c, x)``, ``<`` and ``>`` are
   ``1 − geq``, ``=`` is ``is_equal``, ``<>`` ``1 − is_equal``, ``BETWEEN`` the product of two
   ``geq``, ``IN`` ``is_zero(Π (x − v))`` (the values are distinct); ``NOT b = 1 − b``, ``AND`` a
   product, ``OR`` ``1 − Π(1 − b)``.  Without GROUP BY each coordinate is ``p`` times the moment's
   per-record value (:func:`~zkgate.study.statistics.moments.circuit_contribution`).  Under GROUP
   BY a record's *group key* is linear in its group columns (``Σ (x_a − first_a)·mult_a``, strides
   covering every representable value) and every coordinate's per-cell sums S are hinted and proven
   by one log-derivative identity each at the challenge ``α = Poseidon(tag, chunk root, study id,
   C)``: ``Σ_records v·p/(α − key) = Σ_cells S_c/(α − key_c)`` — one division per record
   (``p/(α − key)``) and one multiplication per coordinate value, instead of a one-hot over the
   cells and a multiplication per (cell, coordinate); the count's identity puts every counting record
   in a declared cell.  Binned moments (``bins``/``wbins``/``surv``) use the same challenge with
   (cell, bin) keys (:func:`~zkgate.study.statistics.moments.lookup_histogram`);
4. ``C`` opens to ``s`` with ``ρ < l`` (``ρ``'s 252 bits compared with l − 1).

It is compiled once per study *shape* (:class:`~zkgate.study.spec.CircuitShape`: column
names and widths, capacity, the predicate's structure, the group columns and their categories,
the moments with their edge counts), so one ceremony serves every study of that shape; the
constants are witness values bound by the study id.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from zkgate.circuits import compile_circuit
from zkgate.circuits import pedersen as ped
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.circuits.gadgets.babyjubjub import point_add, scalar_mul_fixed
from zkgate.circuits.lc import LC
from zkgate.study.commitment import TAG_CHUNK, Packing
from zkgate.study.errors import SpecError
from zkgate.study.gadgets import geq, source_digest, sponge
from zkgate.study.question import Moment
from zkgate.study.spec import TAG_STUDY, CircuitShape, StudySpec
from zkgate.study.statistics import moments as mom

RHO_BITS = 252
PUBLIC_INPUTS = ("chunk_root", "study_id", "cx", "cy")


def _moments(shape_moments) -> list[Moment]:
    """The shape's moments; a histogram's edges (witness values) replaced by placeholders."""
    out = []
    for kind, cols, edges in shape_moments:
        if kind not in mom.CIRCUIT_KINDS:
            raise SpecError(f"the contribution circuit does not prove {kind!r} moments yet")
        if kind == "hist":
            out.append(Moment(kind, tuple(cols), tuple(range(edges))))
        elif kind == "wbins":
            out.append(Moment(kind, tuple(cols), (0, *edges)))  # lo is a constant (a witness value)
        else:
            out.append(Moment(kind, tuple(cols), tuple(edges)))
    return out


def value_bits(shape: CircuitShape) -> list[int]:
    """Width of each committed coordinate for one chunk (cell-major)."""
    col_bits = dict(zip(shape.names, shape.col_bits))
    one = [b for m in _moments(shape.moments) for b in mom.chunk_bits(m, col_bits, shape.capacity)]
    return one * shape.n_cells


def n_constants(predicate) -> int:
    """How many constants a predicate of this shape takes (traversal order)."""
    if predicate is None:
        return 0
    tag = predicate[0]
    if tag == "cmp":
        return 1
    if tag == "between":
        return 2
    if tag == "in":
        return predicate[2]
    if tag == "not":
        return n_constants(predicate[1])
    return sum(n_constants(t) for t in predicate[1])


def _inputs(api, name: str, n: int) -> list:
    if n == 0:
        return []
    return list(api.private_input(name, n))


def _evaluate(api, node, x: dict, bits: dict, consts) -> LC:
    """The predicate node on one record: a boolean wire (see the module docstring)."""
    tag = node[0]
    if tag in ("cmp", "between", "in"):
        col = node[1]
        v, n = x[col], bits[col]
        if tag == "cmp":
            c, op = next(consts), node[2]
            if op == ">=":
                return geq(api, v, c, n)
            if op == "<=":
                return geq(api, c, v, n)
            if op == "<":
                return 1 - geq(api, v, c, n)
            if op == ">":
                return 1 - geq(api, c, v, n)
            eq = api.is_equal(v, c)
            return eq if op == "=" else 1 - eq
        if tag == "between":
            lo, hi = next(consts), next(consts)
            return api.mul(geq(api, v, lo, n), geq(api, hi, v, n))
        prod = None
        for _ in range(node[2]):
            d = v - next(consts)
            prod = d if prod is None else api.mul(prod, d)
        return api.is_zero(prod)
    if tag == "not":
        return 1 - _evaluate(api, node[1], x, bits, consts)
    terms = [_evaluate(api, t, x, bits, consts) for t in node[1]]
    if tag == "and":
        out = terms[0]
        for t in terms[1:]:
            out = api.mul(out, t)
        return out
    out = 1 - terms[0]
    for t in terms[1:]:
        out = api.mul(out, 1 - t)
    return 1 - out


def group_multipliers(groups, bits_of: dict[str, int]) -> list[int]:
    """Weights of the group columns in a record's group key ``Σ_a (x_a − first_a)·mult_a``: each column's
    stride covers every value its bits can hold, so distinct (representable) keys never collide."""
    out, m = [], 1
    for gname, _, _ in reversed(groups):
        out.insert(0, m)
        m *= 1 << bits_of[gname]
    return out


def cell_keys(groups, bits_of: dict[str, int]) -> list[int]:
    """The group key of every declared cell, cell-major (``[0]`` without GROUP BY)."""
    if not groups:
        return [0]
    mults = group_multipliers(groups, bits_of)
    return [sum(j * m for j, m in zip(idx, mults)) for idx in np.ndindex(*(size for _, _, size in groups))]


def _grouped_sums(*args, coords: tuple, n_cols: int, keys: tuple[int, ...]) -> list[int]:
    """Hint: each non-binned coordinate's sum per cell (coordinate-major) over the chunk's counting
    records; ``args`` per record: group key, p, the column values."""
    per = 2 + n_cols
    where = {k: i for i, k in enumerate(keys)}
    out = [0] * (len(coords) * len(keys))
    for r in range(len(args) // per):
        a = args[r * per : (r + 1) * per]
        if a[1] != 1 or a[0] not in where:
            continue
        c, xs = where[a[0]], a[2 : 2 + n_cols]
        for t, (kind, i, j) in enumerate(coords):
            v = 1 if kind == "count" else xs[i] if kind == "sum" else xs[i] * xs[j]
            out[t * len(keys) + c] += v
    return out


def contribution_circuit(api, names, col_bits, capacity, predicate, groups, moments, src):
    shape = CircuitShape(tuple(names), tuple(col_bits), capacity, predicate, tuple(groups), tuple(moments))
    pk = Packing(tuple(col_bits), capacity)
    rb = pk.record_bits
    offs = pk.field_offsets()
    ms = _moments(moments)
    bits_of = dict(zip(names, col_bits))
    chunk_root = api.public_input("chunk_root")
    study_id = api.public_input("study_id")
    cx = api.public_input("cx")
    cy = api.public_input("cy")
    packed = _inputs(api, "packed", pk.n_elements)
    salt = api.private_input("chunk_salt")
    n_pred = n_constants(predicate)
    constants = _inputs(api, "constants", n_pred + sum(len(m.edges) if m.kind == "hist" else 1 if m.kind == "wbins" else 0
                                                       for m in ms))
    rest = api.private_input("spec_rest")
    rho = api.private_input("rho")

    # 2. the constants belong to the study; bounded so that the comparisons are sound
    api.assert_equal(sponge(api, [TAG_STUDY, *constants, rest]), study_id)
    pred_consts = constants[:n_pred]
    for (col, _), c in zip(_constant_columns(predicate), pred_consts):
        api.assert_range(c, bits_of[col])
    edges: dict[int, list] = {}  # moment index -> its edge wires
    window: dict[int, LC] = {}  # moment index -> the constant lo of a windowed histogram
    pos = n_pred
    for i, m in enumerate(ms):
        if m.kind == "hist":
            es = constants[pos : pos + len(m.edges)]
            pos += len(m.edges)
            for e in es:
                api.assert_range(e, bits_of[m.columns[0]] + 1)  # an edge may be max + 1 <= 2^bits
            edges[i] = es
        elif m.kind == "wbins":
            window[i] = constants[pos]
            api.assert_range(window[i], bits_of[m.columns[0]])
            pos += 1

    # 1. the records hash to the chunk root
    api.assert_equal(sponge(api, [TAG_CHUNK, *packed, salt]), chunk_root)

    # 3. the moments of every cell over the passing real records
    sizes = tuple(size for _, _, size in groups)
    keys = [tuple(first + j for (_, first, _), j in zip(groups, idx)) for idx in np.ndindex(*sizes)] if groups else [()]
    width = sum(m.width for m in ms)
    acc = [LC() for _ in range(width * len(keys))]
    ckeys = cell_keys(groups, bits_of)
    mults = group_multipliers(groups, bits_of)
    lookups: dict[int, list] = {i: [] for i, m in enumerate(ms) if m.kind in ("hist", "bins", "surv", "wbins")}
    row_keys: dict[int, list] = {i: [] for i, m in enumerate(ms) if m.kind == "hist"}  # HISTOGRAM table lookups
    alpha = sponge(api, [mom.TAG_LOOKUP, chunk_root, study_id, cx, cy]) if (lookups or groups) else None
    # under GROUP BY every other coordinate is a weighted lookup too: (moment index, coordinate, hint spec)
    col_index = {name: j for j, name in enumerate(names)}
    grouped: list[tuple[int, int, tuple]] = []
    if groups:
        for i, m in enumerate(ms):
            if i in lookups:
                continue
            for b in range(m.width):
                cols = [col_index[c] for c in m.columns]
                spec_t = (("count", 0, 0) if m.kind == "count" else ("sum", cols[0], 0) if m.kind == "sum"
                          else ("prod", cols[0], cols[1]))
                grouped.append((i, b, spec_t))
    lhs = [LC() for _ in grouped]
    hint_args: list = []
    for e, elem in enumerate(packed):
        k = pk.element_records(e)
        bits = api.to_bits(elem, k * rb)
        for r in range(k):
            base = r * rb
            flag = bits[base]
            x: dict[str, LC] = {}
            xbits: dict[str, list] = {}
            for j, (name, w) in enumerate(zip(names, col_bits)):
                start = base + offs[j]
                v = LC()
                for i in range(w):
                    v = v.combine(bits[start + i], 1 << i)
                x[name] = v
                xbits[name] = bits[start : start + w]
            p = flag if predicate is None else api.mul(flag, _evaluate(api, predicate, x, bits_of, iter(pred_consts)))
            key = LC()
            for (gname, first, _), mult in zip(groups, mults):
                key = key + (x[gname] - first) * mult
            for i in lookups:
                if i in row_keys:
                    col = ms[i].columns[0]
                    j, row_key = mom.histogram_record(api, x[col], edges[i], bits_of[col])
                    row_keys[i].append(row_key)
                    lookups[i].append((p, mom.hist_bucket(ms[i], key, j)))
                    continue
                lookups[i].append((p, mom.record_bucket(api, ms[i], key, x, xbits, bits_of, window.get(i))))
            if groups:
                # weighted lookup: u = p/(α − key) once, then each coordinate's value times it
                pinv = api.div(p, alpha - key)
                pinv_x: dict[str, LC] = {}

                def times_x(c, pinv=pinv, pinv_x=pinv_x, x=x):
                    if c not in pinv_x:
                        pinv_x[c] = api.mul(pinv, x[c])
                    return pinv_x[c]

                for t, (i, _b, (kind, _, _)) in enumerate(grouped):
                    m = ms[i]
                    if kind == "count":
                        u = pinv
                    elif kind == "sum":
                        u = times_x(m.columns[0])
                    else:
                        u = api.mul(times_x(m.columns[0]), x[m.columns[1]])
                    lhs[t] = lhs[t] + u
                hint_args += [key, p, *(x[c] for c in names)]
                continue
            gx: dict = {}
            slot = 0
            for i, m in enumerate(ms):
                if i in lookups:
                    slot += m.width  # proven per chunk below
                    continue
                for v in mom.circuit_contribution(api, m, p, x, gx):
                    acc[slot] = acc[slot] + v
                    slot += 1

    # 3a. GROUP BY: each coordinate's per-cell sums, proven by Σ_records v·p/(α − key) = Σ_cells S/(α − key_c)
    if grouped:
        sums = api.hint(partial(_grouped_sums, coords=tuple(t for _, _, t in grouped), n_cols=len(names),
                                keys=tuple(ckeys)), *hint_args, n_out=len(grouped) * len(ckeys))
        sums = sums if isinstance(sums, list) else [sums]
        inv_cell = [api.inverse(alpha - k) for k in ckeys]
        offsets = {}
        pos = 0
        for i, m in enumerate(ms):
            offsets[i] = pos
            pos += m.width
        for t, (i, b, _) in enumerate(grouped):
            rhs = LC()
            for c, inv in enumerate(inv_cell):
                s_tc = sums[t * len(ckeys) + c]
                rhs = rhs + api.mul(s_tc, inv)
                acc[c * width + offsets[i] + b] = acc[c * width + offsets[i] + b] + s_tc
            api.assert_equal(lhs[t], rhs)

    # 3b. bins / surv moments: the chunk's bucket counts, proven by one log-derivative identity each
    if lookups:
        offsets = {}
        pos = 0
        for i, m in enumerate(ms):
            offsets[i] = pos
            pos += m.width
        for i, records in lookups.items():
            buckets = mom.bucket_keys(ms[i], ckeys, bits_of)
            sinks = []
            if i in row_keys:
                mom.histogram_table_check(api, row_keys[i], edges[i], bits_of[ms[i].columns[0]], alpha)
                sinks = mom.hist_sinks(ms[i], ckeys)
            for c, counts in enumerate(mom.lookup_histogram(api, ms[i], records, buckets, alpha, sinks)):
                for b, h in enumerate(counts):
                    acc[c * width + offsets[i] + b] = acc[c * width + offsets[i] + b] + h

    # 4. the commitment opens to the statistics with rho < l
    vbits = value_bits(shape)
    gens, h = ped.generators(len(vbits))
    point = None
    for v, w, g in zip(acc, vbits, gens):
        term = scalar_mul_fixed(api, api.to_bits(v, w), g)
        point = term if point is None else point_add(api, point, term)
    rho_bits = api.to_bits(rho, RHO_BITS)
    api.assert_bits_le_const(rho_bits, L - 1)
    point = point_add(api, point, scalar_mul_fixed(api, rho_bits, h))
    api.assert_equal(point[0], cx)
    api.assert_equal(point[1], cy)


def _constant_columns(predicate) -> list[tuple[str, int]]:
    """``(column, position)`` of each predicate constant, in traversal order."""
    out: list[tuple[str, int]] = []

    def walk(node):
        if node is None:
            return
        tag = node[0]
        if tag in ("cmp", "between", "in"):
            out.extend((node[1], i) for i in range({"cmp": 1, "between": 2}.get(tag) or node[2]))
        elif tag == "not":
            walk(node[1])
        else:
            for t in node[1]:
                walk(t)

    walk(predicate)
    return out


def compile_contribution(shape: CircuitShape, *, cache=True):
    """The compiled circuit for a study shape (memory and disk cache)."""
    return compile_circuit(contribution_circuit, cache=cache, src=source_digest(), **shape.params())


def chunk_statistics(spec: StudySpec, stored: np.ndarray) -> list[int]:
    """The coordinates ``s`` of one chunk's real records (numpy twin of the circuit)."""
    return mom.chunk_values(spec.question, spec.schema, stored)


def commit(values: list[int], rho: int) -> tuple[int, int]:
    return ped.commit(values, rho)


def circuit_inputs(spec: StudySpec, elements: list[int], salt: int, chunk_root: int, rho: int,
                   point: tuple[int, int]) -> dict:
    consts = spec.constants()
    inputs = {
        "chunk_root": chunk_root,
        "study_id": spec.study_id,
        "cx": point[0],
        "cy": point[1],
        "packed": list(elements),
        "chunk_salt": salt,
        "spec_rest": spec.rest_element(),
        "rho": rho,
    }
    if consts:
        inputs["constants"] = list(consts)
    return inputs


__all__ = ["PUBLIC_INPUTS", "chunk_statistics", "circuit_inputs", "commit", "compile_contribution",
           "contribution_circuit", "value_bits"]
