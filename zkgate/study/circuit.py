"""The per-chunk contribution circuit.

Public inputs: ``chunk_root``, ``study_id``, ``cx``, ``cy`` (the Pedersen commitment
``C = Σ_j s_j·G_j + ρ·H`` on Baby Jubjub).  Private: the chunk's packed records, its salt,
the filter and histogram constants (stored units), the rest of the spec's hash and ρ.

It proves:

1. the packed records and the salt hash to ``chunk_root`` (each element is decomposed into
   exactly its records' bits, which range-checks every value to its column width and
   every flag to a bit);
2. ``poseidon_sponge([TAG_STUDY, constants..., rest]) == study_id`` -- the constants are
   those of the study (range filter bounds and equality values, histogram edges);
3. ``s`` = (count, then each statistic) over the records whose flag is 1 and which pass
   every filter condition -- dummy records are excluded;
4. ``C`` opens to ``s`` with ``ρ < l`` (``ρ``'s 252 bits compared with l − 1).

It is compiled once per study *shape* (:class:`~zkgate.study.spec.CircuitShape`: column
widths, capacity, which columns the conditions and statistics use, how many edges), so
one ceremony serves every study of that shape; the constants are witness values bound
by the study id.
"""

from __future__ import annotations

import numpy as np

from zkgate.circuits import compile_circuit
from zkgate.circuits import pedersen as ped
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.circuits.gadgets.babyjubjub import point_add, scalar_mul_fixed
from zkgate.circuits.lc import LC
from zkgate.study.commitment import TAG_CHUNK, Packing
from zkgate.study.gadgets import geq, source_digest, sponge
from zkgate.study.spec import TAG_STUDY, CircuitShape, StudySpec

RHO_BITS = 252
PUBLIC_INPUTS = ("chunk_root", "study_id", "cx", "cy")


def value_bits(shape: CircuitShape) -> list[int]:
    """Width of each committed coordinate for one chunk."""
    cap = shape.capacity
    out = [cap.bit_length()]
    for kind, col, n_edges in shape.stats:
        m = (1 << shape.col_bits[col]) - 1
        if kind == "sum":
            out.append((cap * m).bit_length())
        elif kind == "sum_sq":
            out.append((cap * m * m).bit_length())
        else:
            out += [cap.bit_length()] * (n_edges - 1)
    return out


def _inputs(api, name: str, n: int) -> list:
    if n == 0:
        return []
    return list(api.private_input(name, n))


def contribution_circuit(api, col_bits, capacity, ranges, equals, stats, src):
    shape = CircuitShape(tuple(col_bits), capacity, tuple(ranges), tuple(equals), tuple(stats))
    pk = Packing(tuple(col_bits), capacity)
    rb = pk.record_bits
    offs = pk.field_offsets()
    chunk_root = api.public_input("chunk_root")
    study_id = api.public_input("study_id")
    cx = api.public_input("cx")
    cy = api.public_input("cy")
    packed = _inputs(api, "packed", pk.n_elements)
    salt = api.private_input("chunk_salt")
    lo = _inputs(api, "range_lo", len(ranges))
    hi = _inputs(api, "range_hi", len(ranges))
    eq = _inputs(api, "equals", len(equals))
    edges = _inputs(api, "edges", sum(k for _, _, k in stats))
    rest = api.private_input("spec_rest")
    rho = api.private_input("rho")

    # 2. the constants belong to the study; bounded so that the comparisons are sound
    api.assert_equal(sponge(api, [TAG_STUDY, *lo, *hi, *eq, *edges, rest]), study_id)
    for col, a, b in zip(ranges, lo, hi):
        api.assert_range(a, col_bits[col])
        api.assert_range(b, col_bits[col])
    hist_edges = []
    pos = 0
    for _kind, col, k in stats:
        es = edges[pos : pos + k]
        pos += k
        for e in es:
            api.assert_range(e, col_bits[col] + 1)  # an edge may be max + 1 <= 2^bits
        hist_edges.append(es)

    # 1. the records hash to the chunk root
    api.assert_equal(sponge(api, [TAG_CHUNK, *packed, salt]), chunk_root)

    # 3. statistics over the passing real records
    n_vals = len(value_bits(shape))
    acc = [LC() for _ in range(n_vals)]
    for e, elem in enumerate(packed):
        k = pk.element_records(e)
        bits = api.to_bits(elem, k * rb)
        for r in range(k):
            base = r * rb
            flag = bits[base]
            cells = []
            for j, w in enumerate(col_bits):
                start = base + offs[j]
                x = LC()
                for i in range(w):
                    x = x.combine(bits[start + i], 1 << i)
                cells.append(x)
            p = flag
            for col, a, b in zip(ranges, lo, hi):
                n = col_bits[col]
                p = api.mul(p, geq(api, cells[col], a, n))  # x >= lo
                p = api.mul(p, geq(api, b, cells[col], n))  # hi >= x
            for col, v in zip(equals, eq):
                p = api.mul(p, api.is_equal(cells[col], v))
            acc[0] = acc[0] + p
            px: dict[int, LC] = {}
            slot = 1
            for (kind, col, nk), es in zip(stats, hist_edges):
                x = cells[col]
                if kind in ("sum", "sum_sq") and col not in px:
                    px[col] = api.mul(p, x)
                if kind == "sum":
                    acc[slot] = acc[slot] + px[col]
                    slot += 1
                elif kind == "sum_sq":
                    acc[slot] = acc[slot] + api.mul(px[col], x)
                    slot += 1
                else:
                    n = col_bits[col]
                    ge = [geq(api, x, ed, n) for ed in es]
                    for b in range(nk - 1):
                        acc[slot] = acc[slot] + api.mul(p, ge[b] - ge[b + 1])
                        slot += 1

    # 4. the commitment opens to the statistics with rho < l
    gs, h = ped.generators(n_vals)
    point = None
    for v, w, g in zip(acc, value_bits(shape), gs):
        term = scalar_mul_fixed(api, api.to_bits(v, w), g)
        point = term if point is None else point_add(api, point, term)
    rho_bits = api.to_bits(rho, RHO_BITS)
    api.assert_bits_le_const(rho_bits, L - 1)
    point = point_add(api, point, scalar_mul_fixed(api, rho_bits, h))
    api.assert_equal(point[0], cx)
    api.assert_equal(point[1], cy)


def compile_contribution(shape: CircuitShape, *, cache=True):
    """The compiled circuit for a study shape (memory and disk cache)."""
    return compile_circuit(contribution_circuit, cache=cache, src=source_digest(), **shape.params())


def chunk_statistics(spec: StudySpec, stored: np.ndarray) -> list[int]:
    """The coordinates ``s`` of one chunk's real records (numpy twin of the circuit)."""
    s = spec.schema
    stored = np.asarray(stored, dtype=np.int64)
    mask = np.ones(stored.shape[0], dtype=bool)
    for rc in spec.filter.ranges:
        j = s.index(rc.column)
        off = s.columns[j].offset
        mask &= (stored[:, j] >= rc.lo - off) & (stored[:, j] <= rc.hi - off)
    for ec in spec.filter.equals:
        j = s.index(ec.column)
        mask &= stored[:, j] == ec.value - s.columns[j].offset
    out = [int(mask.sum())]
    for st in spec.statistics:
        j = s.index(st.column)
        x = stored[mask, j]
        if st.kind == "sum":
            out.append(int(x.sum()))
        elif st.kind == "sum_sq":
            out.append(sum(int(v) * int(v) for v in x.tolist()) if x.size and int(x.max()) >= 1 << 31
                       else int((x * x).sum()))
        else:
            off = s.columns[j].offset
            e = [v - off for v in st.edges]
            out += [int(((x >= e[b]) & (x < e[b + 1])).sum()) for b in range(len(e) - 1)]
    return out


def commit(values: list[int], rho: int) -> tuple[int, int]:
    return ped.commit(values, rho)


def circuit_inputs(spec: StudySpec, elements: list[int], salt: int, chunk_root: int, rho: int,
                   point: tuple[int, int]) -> dict:
    shape = spec.shape()
    consts = spec.filter_constants()
    nr, ne = len(shape.range_cols), len(shape.equal_cols)
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
    if nr:
        inputs["range_lo"] = consts[:nr]
        inputs["range_hi"] = consts[nr : 2 * nr]
    if ne:
        inputs["equals"] = consts[2 * nr : 2 * nr + ne]
    if len(consts) > 2 * nr + ne:
        inputs["edges"] = consts[2 * nr + ne :]
    return inputs


__all__ = ["PUBLIC_INPUTS", "chunk_statistics", "circuit_inputs", "commit", "compile_contribution",
           "contribution_circuit", "value_bits"]
