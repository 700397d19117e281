"""The universal contribution circuit: one circuit (one ceremony) per schema, capacity and maxima.

Public inputs are those of the per-shape circuit (``chunk_root``, ``study_id``, ``cx``, ``cy``), so
submission, aggregation, release and verification are unchanged.  Private: the packed records and
salt, the question's encoding (:func:`zkgate.study.universal.encode`), ``spec_rest``, ``ρ`` and the
chunk's committed coordinates ``values`` (the question's, zero beyond them).

It proves:

1. the records hash to ``chunk_root`` (and are decomposed into their bits: every value within its
   column's width, every flag a bit);
2. ``poseidon_sponge([TAG_STUDY_UNIVERSAL, constants..., rest]) == study_id``, and the constants are
   well formed: every mask boolean and one-hot where it selects, breakpoints sorted and within the
   column's width + 1 bit, slot indices within the columns, the survival width in [1, 2^bits]; the
   coordinate tags are the bits of their packed elements;
3. per record, with ``p = flag · [every column passes]`` (a column passes iff the alternating sum of
   ``[x >= e_i]`` over its sorted breakpoints, XOR its complement bit, is 1 — a union of intervals; a
   one-bit column's condition is ``a + b·x`` from its truth table, made once per chunk; a column wider
   than two bits compares by a *range lookup*: ``g = [x >= e]`` hinted, ``d = x − e`` or ``e − 1 − x``
   must lie in ``[0, 2^bits)``, its bits above ``TABLE_BITS`` hinted, the rest a key of the table
   ``[0, 2^TABLE_BITS)``, one identity ``Σ 1/(α − key) = Σ_v m_v/(α − v)`` per chunk with the
   multiplicities ``m_v`` range-checked; the hinted bits and the multiplicities are packed and hashed
   into α, so every key is fixed before the challenge):
   the cell key ``K = Σ c_j x_j``, the moment weight ``W = 1/(β−0) + Σ_j x_j (a_j + Σ_{l≥j} b_jl x_l)``
   (``a_j``/``b_jl`` carry ``1/(β − m)`` of every moment slot m that sums ``x_j`` / multiplies
   ``x_j x_l``: computed once per chunk from the masks), the bins key of the selected column
   (``x >> s`` read from its bits) and the survival key (the time bin's bits hinted, pinned by
   ``0 <= t − idx·w < w``: two more range lookups) — and one log-derivative identity over the chunk:

       Σ_r p_r (W_r/(α − K_r) + κ_B/(α − K^B_r) + κ_S/(α − K^S_r)) = Σ_i v_i / ((α − key_i)(β − m_i))

   with ``(key_i, m_i)`` the coordinate tags of the constants and α, β Poseidon hashes of the chunk
   root, the study id, C and the packed hinted bits and multiplicities (Fiat–Shamir: the records,
   every hinted bit and every v_i are fixed before α and β exist).
   As rational functions of (α, β) both sides agree iff each ``v_i`` is exactly the sum over the
   counting records of its cell of its moment's value (a count, sum, product, bin or survival
   count), and every counting record lands in a tagged cell; an unselected moment has no term on the
   left, so its coordinate is 0 and is not released (selection is applied per chunk, to the
   coefficients a_j, b_jl, κ — not per record);
4. ``C = Σ v_i·G_i + ρ·H`` with every ``v_i`` in ``coordinate_bits`` bits and ``ρ < l``: the same
   commitment as the per-shape circuit's for the question's coordinates (zeros add nothing).
"""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

from zkgate.circuits import compile_circuit
from zkgate.circuits import pedersen as ped
from zkgate.circuits.babyjubjub import SUBORDER as L
from zkgate.circuits.field import R
from zkgate.circuits.gadgets.babyjubjub import point_add, scalar_mul_fixed
from zkgate.circuits.lc import LC
from zkgate.study.circuit import circuit_inputs, compile_contribution
from zkgate.study.commitment import TAG_CHUNK, Packing
from zkgate.study.gadgets import geq, source_digest, sponge
from zkgate.study.universal import (
    BINS_BASE,
    GEQ_MAX_BITS,
    SURV_BASE,
    TABLE_BITS,
    TAG_STUDY_UNIVERSAL,
    UniversalParams,
    pad_values,
)

RHO_BITS = 252
TAG_CHALLENGE = int.from_bytes(b"zkgate/study/universal/challenge/v1", "big")


def _one_hot_of(index: int, *, n: int) -> list[int]:
    return [int(index == j + 1) for j in range(n)]


def _floor_div_bits(t: int, w: int, *, n: int) -> list[int]:
    q = t // w if w else 0
    return [(q >> i) & 1 for i in range(n)]


def _one_hot(api, index, n: int) -> list:
    """Masks m_0..m_{n-1}: boolean, at most one set, Σ (j+1)·m_j == index (so index 0 = none)."""
    ms = api.hint(partial(_one_hot_of, n=n), index, n_out=n)
    ms = ms if isinstance(ms, list) else [ms]
    total, weighted = LC(), LC()
    for j, m in enumerate(ms):
        api.assert_boolean(m)
        total = total + m
        weighted = weighted.combine(m, j + 1)
    api.assert_boolean(total)
    api.assert_equal(weighted, index)
    return ms


def _geq_bit(x: int, e: int) -> int:
    return int(x >= e)


def _high_bits(d: int, *, n: int) -> list[int]:
    return [(d >> (TABLE_BITS + i)) & 1 for i in range(n)]


def _table_counts(*keys: int, size: int) -> list[int]:
    out = [0] * size
    for k in keys:
        if 0 <= k < size:
            out[k] += 1
    return out


def _record_hints(*args: int, positions: tuple[int, ...], cmp_bits: tuple[int, ...], idx_bits: int,
                  big: int) -> list[int]:
    """One record's hinted values in one call (args: the packed element holding the record, ``e`` per
    filter lookup, then ``t, w``; the lookup's column value is read from the element at
    ``positions[c]``, ``cmp_bits[c]`` wide): per lookup ``[x >= e]`` and the high bits of its ``d``; the
    survival bin's bits; the high bits of ``t − idx·w`` and of ``w − 1 − t + idx·w``."""
    elem = args[0]
    out: list[int] = []
    for c, (pos, b) in enumerate(zip(positions, cmp_bits)):
        x, e = (elem >> pos) & ((1 << b) - 1), args[1 + c]
        g = _geq_bit(x, e)
        out.append(g)
        if b > TABLE_BITS:
            out += _high_bits(((2 * g - 1) * (x - e) + g - 1) % R, n=b - TABLE_BITS)
    t, w = args[1 + len(cmp_bits)], args[2 + len(cmp_bits)]
    ib = _floor_div_bits(t, w, n=idx_bits)
    out += ib
    rem = (t - sum(b << i for i, b in enumerate(ib)) * w) % R
    if big > TABLE_BITS:
        out += _high_bits(rem, n=big - TABLE_BITS) + _high_bits((w - 1 - rem) % R, n=big - TABLE_BITS)
    return out


def _geq_lookup(api, x, e, bits: int, hints, hinted: list, ranged: list) -> LC:
    """``[x >= e]`` for ``x < 2^bits``, ``e <= 2^bits`` (both bounded by the caller) by a range lookup:
    g hinted and boolean, ``d = (2g − 1)(x − e) + g − 1`` (``x − e`` or ``e − 1 − x``) must lie in
    ``[0, 2^bits)`` — its ``bits − TABLE_BITS`` high bits hinted and boolean, the rest (scaled to the
    table's width when narrower) one key of the range table.  Since ``|x − e| <= 2^bits`` exactly one g
    satisfies it.  ``g`` and the high bits (taken from the iterator ``hints``) go to ``hinted`` (the
    challenge hashes them: the keys are fixed before it), the key to ``ranged``.  3 + max(0, bits −
    TABLE_BITS) constraints."""
    g = next(hints)
    api.assert_boolean(g)
    hinted.append(g)
    _range_lookup(api, api.mul(g * 2 - 1, LC() + x - e) + g - 1, bits, hints, hinted, ranged)
    return g


def _range_lookup(api, d, bits: int, hints, hinted: list, ranged: list) -> None:
    """``0 <= d < 2^bits`` for ``d`` an integer of a few more bits (or its negative): the bits above the
    table hinted (from the iterator ``hints``) and boolean (to ``hinted``), the rest — scaled to the
    table's width when narrower — one key of the range table (to ``ranged``); 1 + max(0, bits −
    TABLE_BITS) constraints with the lookup."""
    if bits <= TABLE_BITS:
        ranged.append(d.scaled(1 << (TABLE_BITS - bits)))
        return
    hb = [next(hints) for _ in range(bits - TABLE_BITS)]
    low = d
    for i, b in enumerate(hb):
        api.assert_boolean(b)
        hinted.append(b)
        low = low.combine(b, -(1 << (TABLE_BITS + i)) % R)
    ranged.append(low)


def _assert_masks(api, masks: list) -> LC:
    """Each mask boolean, at most one set; returns their sum (whether one is set)."""
    total = LC()
    for m in masks:
        api.assert_boolean(m)
        total = total + m
    api.assert_boolean(total)
    return total


def universal_circuit(api, names, col_bits, capacity, terms, groups, binary, shifts, max_cells, max_moments,
                      n_coordinates, coordinate_bits, tag_layout, surv_idx_bits, src):
    n = len(names)
    pk = Packing(tuple(col_bits), capacity)
    rb, offs = pk.record_bits, pk.field_offsets()
    big = max(col_bits)
    bins_stride = 1 << max(b - s for b, s in zip(col_bits, shifts))  # above every x >> shift
    chunk_root = api.public_input("chunk_root")
    study_id = api.public_input("study_id")
    cx = api.public_input("cx")
    cy = api.public_input("cy")
    packed = list(api.private_input("packed", pk.n_elements))
    salt = api.private_input("chunk_salt")
    local_bits, slot_bits, per = tag_layout
    tag_width = local_bits + 2 + slot_bits
    n_tag_elems = -(-n_coordinates // per)
    n_const = (sum(terms) + n + 2 * len(groups) + 2 * (max_moments - 1) + 2 * n + len(binary) + 1
               + n_tag_elems)
    consts = list(api.private_input("constants", n_const))
    rest = api.private_input("spec_rest")
    rho = api.private_input("rho")
    values = list(api.private_input("values", n_coordinates))

    # 2. the constants belong to the study and are well formed
    api.assert_equal(sponge(api, [TAG_STUDY_UNIVERSAL, *consts, rest]), study_id)
    it = iter(consts)
    breaks, comps = [], []
    for j in range(n):
        es = [next(it) for _ in range(terms[j])]
        for e in es:
            api.assert_range(e, col_bits[j] + 1)
        for a, b in zip(es, es[1:]):
            api.assert_equal(geq(api, b, a, col_bits[j] + 1), 1)  # sorted
        comp = next(it)
        api.assert_boolean(comp)
        breaks.append(es)
        comps.append(comp)
    # a one-bit column's condition as a + b·x: its truth table at 0 and 1, once per chunk
    truth = {}
    for j in range(n):
        if col_bits[j] == 1:
            at = []
            for v in (0, 1):
                inside = LC()
                for i, br in enumerate(breaks[j]):
                    g = geq(api, v, br, 1)
                    inside = inside + g if i % 2 == 0 else inside - g
                at.append(comps[j] + inside - api.mul(comps[j], inside) * 2)
            truth[j] = (at[0], at[1] - at[0])
    g_hi, g_lo = [], []
    for _ in groups:
        g_hi.append(next(it))
        g_lo.append(next(it))
    _assert_masks(api, g_hi)
    has_lo = _assert_masks(api, g_lo)
    for h, lo_ in zip(g_hi, g_lo):
        api.assert_zero(api.mul(h, lo_))  # two distinct columns
    api.assert_zero(api.mul(sum(g_hi, LC()), 1 - has_lo))  # a high column only with a low one
    lo_span = LC()
    for j, m in zip(groups, g_lo):
        lo_span = lo_span.combine(m, 1 << col_bits[j])
    cell_coef = {j: api.mul(h, lo_span) + lo_ for j, h, lo_ in zip(groups, g_hi, g_lo)}
    slots = [(next(it), next(it)) for _ in range(1, max_moments)]
    bins_sel = [next(it) for _ in range(n)]
    use_bins = _assert_masks(api, bins_sel)
    time_sel = [next(it) for _ in range(n)]
    use_surv = _assert_masks(api, time_sel)
    event_sel = [next(it) for _ in binary]
    api.assert_equal(_assert_masks(api, event_sel), use_surv)
    width = next(it)
    api.assert_range(width - 1, big)  # 1 <= w <= 2^big
    tags = []  # (key, β-slot) per coordinate slot, linear in the bits of the packed elements
    for e in range(n_tag_elems):
        k = min(per, n_coordinates - e * per)
        tbits = api.to_bits(next(it), k * tag_width)
        for i in range(k):
            b = tbits[i * tag_width : (i + 1) * tag_width]
            key = LC().combine(b[local_bits], BINS_BASE).combine(b[local_bits + 1], SURV_BASE)
            for q in range(local_bits):
                key = key.combine(b[q], 1 << q)
            slot = LC()
            for q in range(slot_bits):
                slot = slot.combine(b[local_bits + 2 + q], 1 << q)
            tags.append((key, slot))

    # 1. the records hash to the chunk root
    api.assert_equal(sponge(api, [TAG_CHUNK, *packed, salt]), chunk_root)

    # 3a. per record, what needs no challenge: the decoded values, the filter (its range lookups'
    # keys and hinted bits), the cell, bins and survival keys
    recs = []
    hinted: list = []  # booleans hinted by the filter's comparisons, hashed into the challenge
    ranged: list = []  # the range lookups' keys (each must lie in [0, 2^TABLE_BITS))
    for e, elem in enumerate(packed):
        k = pk.element_records(e)
        bits = api.to_bits(elem, k * rb)
        for r in range(k):
            base = r * rb
            flag = bits[base]
            xs, xbits = [], []
            for j in range(n):
                start = base + offs[j]
                v = LC()
                for i in range(col_bits[j]):
                    v = v.combine(bits[start + i], 1 << i)
                xs.append(v)
                xbits.append(bits[start : start + col_bits[j]])
            t = LC()
            for j in range(n):
                t = t + api.mul(time_sel[j], xs[j])
            # every hinted value of the record in one call: the filter's lookups, the survival bin
            cmps = [(j, br) for j in range(n) if col_bits[j] > GEQ_MAX_BITS and j not in truth for br in breaks[j]]
            n_hints = (sum(1 + max(0, col_bits[j] - TABLE_BITS) for j, _ in cmps) + surv_idx_bits
                       + 2 * max(0, big - TABLE_BITS))
            # (the column values are read from the packed element: a hint's arguments are evaluated
            # term by term, and a value's LC has a term per bit)
            hv = api.hint(partial(_record_hints, positions=tuple(base + offs[j] for j, _ in cmps),
                                  cmp_bits=tuple(col_bits[j] for j, _ in cmps), idx_bits=surv_idx_bits, big=big),
                          elem, *(br for _, br in cmps), t, width, n_out=n_hints)
            hints = iter(hv if isinstance(hv, list) else [hv])
            passing = LC()
            for j in range(n):
                if j in truth:  # one bit: pass = a + b·x
                    passing = passing + truth[j][0] + api.mul(truth[j][1], xs[j])
                    continue
                inside = LC()
                for i, br in enumerate(breaks[j]):
                    if col_bits[j] <= GEQ_MAX_BITS:
                        g = geq(api, xs[j], br, col_bits[j])
                    else:
                        g = _geq_lookup(api, xs[j], br, col_bits[j], hints, hinted, ranged)
                    inside = inside + g if i % 2 == 0 else inside - g
                # inside XOR comp = comp + inside − 2·comp·inside
                passing = passing + comps[j] + inside - api.mul(comps[j], inside) * 2
            p = api.is_equal(passing + flag, n + 1)  # a real record and every column passes
            kc = LC()
            for j in groups:
                kc = kc + api.mul(cell_coef[j], xs[j])
            kb = LC()
            for j in range(n):
                top = LC()
                for i, b in enumerate(xbits[j][shifts[j]:]):
                    top = top.combine(b, 1 << i)
                kb = kb + api.mul(bins_sel[j], top)
            ev = LC()
            for j, s in zip(binary, event_sel):
                ev = ev + api.mul(s, xs[j])
            # the time bin: its bits hinted (it is below max_surv_bins), pinned by 0 <= t − idx·w < w
            ib = [next(hints) for _ in range(surv_idx_bits)]
            idx = LC()
            for i, b in enumerate(ib):
                api.assert_boolean(b)
                hinted.append(b)
                idx = idx.combine(b, 1 << i)
            rem = t - api.mul(idx, width)
            _range_lookup(api, rem, big, hints, hinted, ranged)
            _range_lookup(api, width - 1 - rem, big, hints, hinted, ranged)
            key_s = SURV_BASE + (kc * 2 + 1 - ev) * (1 << surv_idx_bits) + idx
            recs.append((p, xs, kc, kc * bins_stride + kb + BINS_BASE, key_s))

    # the range table's multiplicities, each range-checked so that they pack without ambiguity
    counts, count_bits = [], max(1, len(ranged).bit_length())  # = UniversalParams.range_count_bits()
    if ranged:
        counts = api.hint(partial(_table_counts, size=1 << TABLE_BITS), *ranged, n_out=1 << TABLE_BITS)
        packed_counts = []
        per_elem = 253 // count_bits
        for i in range(0, len(counts), per_elem):
            acc = LC()
            for q, c in enumerate(counts[i : i + per_elem]):
                api.assert_range(c, count_bits)
                acc = acc.combine(c, 1 << (q * count_bits))
            packed_counts.append(acc)
        hinted_elems = []
        for i in range(0, len(hinted), 253):
            acc = LC()
            for q, hb in enumerate(hinted[i : i + 253]):
                acc = acc.combine(hb, 1 << q)
            hinted_elems.append(acc)
    else:
        packed_counts = hinted_elems = []

    # the challenges (after the records, the commitment, the filter's hinted bits and the range table's
    # multiplicities are fixed)
    alpha = sponge(api, [TAG_CHALLENGE, chunk_root, study_id, cx, cy, *hinted_elems, *packed_counts])
    beta = sponge(api, [TAG_CHALLENGE, alpha])
    if ranged:  # every range key is a table entry, as often as its multiplicity says
        left = LC()
        for key in ranged:
            left = left + api.inverse(alpha - key)
        right = LC()
        for v, c in enumerate(counts):
            right = right + api.div(c, alpha - v)
        api.assert_equal(left, right)
    inv = [api.inverse(beta - m) for m in range(max_moments + 1)]
    lin = [LC() for _ in range(n)]
    quad = [[LC() for _ in range(n)] for _ in range(n)]
    for m, (a, b) in enumerate(slots, start=1):
        am = _one_hot(api, a, n)
        bm = _one_hot(api, b, n)
        is_sum = 1 - sum(bm, LC())
        w_sum = api.mul(inv[m], is_sum)
        for j in range(n):
            lin[j] = lin[j] + api.mul(w_sum, am[j])
            wa = api.mul(inv[m], am[j])
            for k in range(n):
                lo_, hi_ = min(j, k), max(j, k)
                quad[lo_][hi_] = quad[lo_][hi_] + api.mul(wa, bm[k])
    for j in range(n):
        if col_bits[j] == 1:  # x² = x for a one-bit column: its square rides in the linear term
            lin[j] = lin[j] + quad[j][j]
            quad[j][j] = LC()
    kappa = inv[max_moments]
    kappa_b = api.mul(kappa, use_bins)
    kappa_s = api.mul(kappa, use_surv)

    # 3b. per record, the left side of the identity
    lhs = LC()
    for p, xs, kc, key_b, key_s in recs:
        wsum = inv[0]
        for j in range(n):
            z = lin[j]
            for k2 in range(j, n):
                z = z + api.mul(quad[j][k2], xs[k2])
            wsum = api.mul_add(xs[j], z, wsum)
        terms_r = api.div(wsum, alpha - kc)
        terms_r = terms_r + api.div(kappa_b, alpha - key_b)
        terms_r = terms_r + api.div(kappa_s, alpha - key_s)
        lhs = lhs + api.mul(p, terms_r)  # one product by p for the three lookup terms

    # the right side: every committed coordinate under its tag
    rhs = LC()
    for v, (key, slot) in zip(values, tags):
        rhs = rhs + api.div(v, api.mul(alpha - key, beta - slot))
    api.assert_equal(lhs, rhs)

    # 4. the commitment opens to the coordinates with rho < l
    gens, h = ped.generators(n_coordinates)
    point = None
    for v, g in zip(values, gens):
        term = scalar_mul_fixed(api, api.to_bits(v, coordinate_bits), g)
        point = term if point is None else point_add(api, point, term)
    rho_bits = api.to_bits(rho, RHO_BITS)
    api.assert_bits_le_const(rho_bits, L - 1)
    point = point_add(api, point, scalar_mul_fixed(api, rho_bits, h))
    api.assert_equal(point[0], cx)
    api.assert_equal(point[1], cy)


def compile_universal(params: UniversalParams, *, cache=True):
    """The compiled universal circuit (memory and disk cache)."""
    return compile_circuit(universal_circuit, cache=cache, src=source_digest() + "u" + _own_digest(),
                           **params.circuit_params())


def _own_digest() -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in ("universal.py", "universal_circuit.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def universal_inputs(constants: list[int], rest: int, study_id: int, elements: list[int], salt: int,
                     chunk_root: int, rho: int, point: tuple[int, int], values: list[int]) -> dict:
    return {"chunk_root": chunk_root, "study_id": study_id, "cx": point[0], "cy": point[1],
            "packed": list(elements), "chunk_salt": salt, "constants": [c % R for c in constants],
            "spec_rest": rest, "rho": rho, "values": list(values)}


# -- a study's circuit, per-shape or universal ------------------------------------------------------

def compile_for(spec):
    """The compiled contribution circuit a study names: universal when ``spec.universal`` is set."""
    if spec.universal is not None:
        return compile_universal(spec.universal)
    return compile_contribution(spec.shape())


def chunk_inputs(spec, elements: list[int], salt: int, chunk_root: int, rho: int, point: tuple[int, int],
                 values: list[int]) -> dict:
    """The circuit inputs of one chunk for either circuit (``values``: the chunk's coordinates)."""
    if spec.universal is None:
        return circuit_inputs(spec, elements, salt, chunk_root, rho, point)
    return universal_inputs(spec.universal_constants(), spec.rest_element(), spec.study_id, elements, salt,
                            chunk_root, rho, point, pad_values(values, spec.universal))


__all__ = ["chunk_inputs", "compile_for", "compile_universal", "universal_circuit", "universal_inputs"]
