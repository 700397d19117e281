"""Linear-constraint elimination (what circom's ``--O2`` does), run when a circuit compiles.

A linear constraint ``0 · 0 = C`` (``Σ c_w w + c_0 = 0``) that contains an *internal* wire
``w`` defines it: ``w = -(C - c_w w) / c_w``.  Substituting that expression for ``w`` in
every other constraint and dropping the linear one leaves a system whose solutions are
exactly the old solutions with ``w`` forgotten (``w`` was determined by the others), so
soundness is unchanged and the constraint count drops by one.  Outputs, public and
private inputs and the constant wire are never eliminated, so ``public.json`` and the
input wires stay where they were.  A linear constraint whose terms all lie on kept wires
stays (it then constrains inputs/outputs); one that reduces to ``0 = 0`` is dropped.

The witness program is untouched: it still computes every wire, eliminated ones included,
from the constraints as the builder recorded them (the builder keeps that copy for the
solver; the eliminated wires are numbered after the R1CS's own wires and cut off the
returned witness).

Only the constraints that contain a wire of some linear constraint are loaded into
Python; the rest of the system is copied as arrays, so a Poseidon-heavy circuit with a
handful of linear constraints simplifies in milliseconds.  The wire eliminated from each
linear constraint is the one whose substitution adds the fewest non-zeros.
"""

from __future__ import annotations

from array import array

import numpy as np

from zkgate.circuits.field import R, inv


def eliminate_linear(lc_offsets, lc_wires, lc_coeffs, coeff_list: list[int], coeff_of, eliminable: np.ndarray):
    """Eliminate linear constraints from a builder's constraint arrays.

    ``lc_offsets`` / ``lc_wires`` / ``lc_coeffs``: numpy views of the builder's arrays
    (LC ``3i + {0,1,2}`` = A, B, C of constraint i; coefficients are indices into
    ``coeff_list``); ``coeff_of(int) -> index`` interns a new coefficient;
    ``eliminable``: bool per wire.  Returns None when nothing changes, else
    ``(offsets, wires, coeffs, eliminated_wires)`` (numpy arrays, same wire numbering)."""
    m = (len(lc_offsets) - 1) // 3
    if m == 0:
        return None
    # A or B empty (strided compares: no array of all LC lengths for big circuits)
    o = lc_offsets
    linear = (o[0 : 3 * m : 3] == o[1 : 3 * m : 3]) | (o[1 : 3 * m : 3] == o[2 : 3 * m : 3])
    lin_ids = np.nonzero(linear)[0]
    if not len(lin_ids):
        return None
    # candidate wires: eliminable wires occurring in the C of some linear constraint
    c_starts, c_ends = lc_offsets[3 * lin_ids + 2], lc_offsets[3 * lin_ids + 3]
    sel = _ranges(c_starts, c_ends)
    cand = np.zeros(len(eliminable), dtype=bool)
    lw = lc_wires[sel]
    cand[lw[eliminable[lw]]] = True
    if not cand.any():
        return None
    # constraints that mention a candidate (only those can change)
    hit = cand[lc_wires]
    entry_lc = np.searchsorted(lc_offsets, np.nonzero(hit)[0], side="right") - 1
    affected = np.unique(entry_lc // 3)
    affected = np.union1d(affected, lin_ids[_has_candidate(lin_ids, lc_offsets, lc_wires, cand)])

    coeffs = coeff_list
    cons: dict[int, list[dict[int, int]]] = {}
    occ: dict[int, set[int]] = {}
    off = lc_offsets
    for i in affected.tolist():
        parts = []
        for t in range(3):
            lo, hi = int(off[3 * i + t]), int(off[3 * i + t + 1])
            d: dict[int, int] = {}
            for w, c in zip(lc_wires[lo:hi].tolist(), lc_coeffs[lo:hi].tolist()):
                d[w] = (d.get(w, 0) + coeffs[c]) % R
                if cand[w]:
                    occ.setdefault(w, set()).add(i)
            parts.append({w: c for w, c in d.items() if c})
        cons[i] = parts

    removed: set[int] = set()
    eliminated: list[int] = []
    for i in lin_ids.tolist():
        if i not in cons:
            continue  # no candidate: stays as it is
        a, b, c = cons[i]
        if a and b:  # cannot happen (a linear constraint stays linear), kept for safety
            continue
        if not c:  # 0 = 0
            removed.add(i)
            continue
        best, best_cost = None, None
        for w in c:
            if not cand[w]:
                continue
            users = occ.get(w, ())
            cost = sum(sum(1 for p in cons[j] if w in p) for j in users if j != i and j not in removed) * (len(c) - 1)
            if best is None or cost < best_cost or (cost == best_cost and w > best):
                best, best_cost = w, cost
        if best is None:
            continue  # only kept wires: the constraint stays
        w = best
        k = inv(c[w])
        sub = {v: (-cv * k) % R for v, cv in c.items() if v != w}  # w = Σ sub[v]·v
        removed.add(i)
        eliminated.append(w)
        cand[w] = False
        for v in c:
            if v in occ:
                occ[v].discard(i)
        for j in occ.pop(w, ()):
            if j in removed:
                continue
            for p in cons[j]:
                kw = p.pop(w, None)
                if kw is None:
                    continue
                for v, cv in sub.items():
                    nv = (p.get(v, 0) + kw * cv) % R
                    if nv:
                        p[v] = nv
                        if cand[v]:
                            occ.setdefault(v, set()).add(j)
                    else:
                        p.pop(v, None)
    if not eliminated and not removed:
        return None
    return _rebuild(lc_offsets, lc_wires, lc_coeffs, cons, removed, coeff_of, m) + (np.array(eliminated, dtype=np.int64),)


def _ranges(starts, ends) -> np.ndarray:
    """Concatenated ``arange(s, e)`` for each pair."""
    lens = ends - starts
    if not len(lens) or lens.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    rep = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return rep + np.arange(int(lens.sum()))


def _has_candidate(ids, off, wires, cand) -> np.ndarray:
    out = np.zeros(len(ids), dtype=bool)
    for n, i in enumerate(ids.tolist()):
        lo, hi = int(off[3 * i + 2]), int(off[3 * i + 3])
        out[n] = bool(cand[wires[lo:hi]].any()) if hi > lo else True  # an empty C: drop it
    return out


def _rebuild(off, wires, coeffs, cons, removed, coeff_of, m):
    """New constraint arrays: untouched constraints copied in slices, changed ones
    re-encoded, removed ones dropped."""
    lens = np.diff(off).copy()
    pieces_w, pieces_c = [], []
    prev = 0  # entry index copied up to
    for i in sorted(cons):
        start, end = int(off[3 * i]), int(off[3 * i + 3])
        pieces_w.append(wires[prev:start])
        pieces_c.append(coeffs[prev:start])
        prev = end
        if i in removed:
            continue
        for t, p in enumerate(cons[i]):
            ws = array("I", p.keys())
            cs = array("I", (coeff_of(c) for c in p.values()))
            pieces_w.append(np.frombuffer(ws, dtype=np.uint32) if len(ws) else np.zeros(0, np.uint32))
            pieces_c.append(np.frombuffer(cs, dtype=np.uint32) if len(cs) else np.zeros(0, np.uint32))
            lens[3 * i + t] = len(p)
    pieces_w.append(wires[prev:])
    pieces_c.append(coeffs[prev:])
    keep = np.ones(m, dtype=bool)
    if removed:
        keep[np.fromiter(removed, dtype=np.int64)] = False
    new_lens = lens.reshape(m, 3)[keep].reshape(-1)
    new_off = np.zeros(len(new_lens) + 1, dtype=np.int64)
    np.cumsum(new_lens, out=new_off[1:])
    new_w = np.concatenate(pieces_w).astype(np.uint32, copy=False)
    new_c = np.concatenate(pieces_c).astype(np.uint32, copy=False)
    return new_off, new_w, new_c


__all__ = ["eliminate_linear"]
