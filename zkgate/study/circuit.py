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
   product, ``OR`` ``1 − Π(1 − b)``.  Under GROUP BY a one-hot ``g_c`` over the cells (each proven
   boolean) sums to the record's predicate ``p`` and ``Σ g_c·key_a(c) = p·x_a`` for each group
   column, so a passing record counts in exactly one cell, the one of its keys, and
   Σ cells = COUNT; without GROUP BY ``g = p``.  Each cell coordinate is ``g_c`` times the
   moment's per-record value (:func:`~zkgate.study.statistics.moments.circuit_contribution`);
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


def _one_hot(p: int, *keys: int, firsts: tuple[int, ...], sizes: tuple[int, ...]) -> list[int]:
    """Hint: the record's cell indicator (all zero when the record does not count)."""
    n = 1
    for s in sizes:
        n *= s
    out = [0] * n
    if p != 1:
        return out
    idx = 0
    for k, first, size in zip(keys, firsts, sizes):
        j = k - first
        if not 0 <= j < size:
            return out  # outside the declared categories: no cell (the constraints then fail)
        idx = idx * size + j
    out[idx] = 1
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
    firsts = tuple(first for _, first, _ in groups)
    sizes = tuple(size for _, _, size in groups)
    keys = [tuple(first + j for (_, first, _), j in zip(groups, idx)) for idx in np.ndindex(*sizes)] if groups else [()]
    width = sum(m.width for m in ms)
    acc = [LC() for _ in range(width * len(keys))]
    keys_of_cells = keys
    lookups: dict[int, list] = {i: [] for i, m in enumerate(ms) if m.kind in ("bins", "surv", "wbins")}
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
            if groups:
                gs = api.hint(partial(_one_hot, firsts=firsts, sizes=sizes), p, *(x[g] for g, _, _ in groups),
                              n_out=len(keys))
                gs = gs if isinstance(gs, list) else [gs]
                total = LC()
                for g in gs:
                    api.assert_boolean(g)
                    total = total + g
                api.assert_equal(total, p)
                for a, (gname, _, _) in enumerate(groups):
                    keyed = LC()
                    for g, key in zip(gs, keys):
                        keyed = keyed.combine(g, key[a]) if key[a] else keyed
                    api.assert_equal(keyed, api.mul(p, x[gname]))
            else:
                gs = [p]
            ge = {i: [geq(api, x[ms[i].columns[0]], ed, bits_of[ms[i].columns[0]]) for ed in es]
                  for i, es in edges.items()}
            if lookups:
                cell_index = LC()
                for c, g in enumerate(gs[1:], start=1):
                    cell_index = cell_index + g * c
                for i in lookups:
                    lookups[i].append((p, mom.record_bucket(api, ms[i], cell_index, x, xbits, bits_of, window.get(i))))
            for c, g in enumerate(gs):
                slot = c * width
                gx: dict = {}
                for i, m in enumerate(ms):
                    if i in lookups:
                        slot += m.width  # proven per chunk below
                        continue
                    for v in mom.circuit_contribution(api, m, g, x, ge.get(i), gx):
                        acc[slot] = acc[slot] + v
                        slot += 1

    # 3b. bins / surv moments: the chunk's bucket counts, proven by one log-derivative identity each
    if lookups:
        alpha = sponge(api, [mom.TAG_LOOKUP, chunk_root, study_id, cx, cy])
        offsets = {}
        pos = 0
        for i, m in enumerate(ms):
            offsets[i] = pos
            pos += m.width
        for i, records in lookups.items():
            buckets = mom.bucket_keys(ms[i], len(keys_of_cells), bits_of)
            for c, counts in enumerate(mom.lookup_histogram(api, ms[i], records, buckets, alpha)):
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
