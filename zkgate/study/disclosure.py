"""Small-cell suppression applied to a study: which cells a release withholds, the proof it
carries, and what a verifier checks (the proof itself is :mod:`zkgate.study.suppression`).

A study with ``min_cell_size = k > 0`` releases every cell whose count is at least k; the
coordinates of the other cells are withheld, ``P`` is not published, and the release carries a
:class:`~zkgate.study.suppression.SuppressionProof` that the published coordinates are those of
``Σ C_i``.  When no cell is below k the release is the ordinary exact one (S and P).

A verifier checks: the withheld coordinates are whole cells of the study's layout; the proof
holds for (study id, ``Σ C_i``, withheld indices, published values); every *published* cell's
count is at least k (a key holder that publishes a small cell breaks the study's disclosure
rule, and the report says so).  It cannot check that a withheld cell really was below k (that
would need a range proof): a key holder can withhold more than asked, never alter a number.
Results derived from a withheld cell, and results across cells when any is withheld, are
``null`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkgate.study import suppression as sup
from zkgate.study.statistics.numbers import Null


def layout(spec) -> tuple[int, int]:
    """``(cells, coordinates per cell)`` of the study (cell-major, count first)."""
    width = sum(m.width for m in spec.moments())
    return spec.n_cells, width


@dataclass(frozen=True)
class Withholding:
    """What a suppressed release publishes instead of S and P."""

    cells: tuple[int, ...]
    withheld: tuple[int, ...]
    published: tuple[int, ...]
    proof: sup.SuppressionProof


def withhold(spec, values, randomness: int, commitment, *, min_cell_size: int | None = None) -> Withholding | None:
    """The key holder's side, after the commitment equation held for the full ``values`` and
    ``randomness``: None when no cell is below k, else the published values, the withheld
    coordinates and a fresh proof."""
    k = spec.min_cell_size if min_cell_size is None else min_cell_size
    n_cells, width = layout(spec)
    cells = sup.cells_below(values, n_cells, width, k)
    if not cells:
        return None
    withheld = sup.cell_coordinates(cells, width)
    published, hidden = sup.split(values, withheld)
    statement = sup.SuppressionStatement(spec.study_id, tuple(commitment), len(values), withheld, published)
    return Withholding(cells, withheld, published, sup.prove(statement, hidden, randomness))


def check_withholding(spec, withheld, published, proof: sup.SuppressionProof, commitment) -> list[tuple[str, bool, str]]:
    """The verifier's checks of a suppressed release, as ``(name, ok, detail)``."""
    n_cells, width = layout(spec)
    n = n_cells * width
    out = []
    cells = sup.whole_cells(withheld, n_cells, width) if all(0 <= j < n for j in withheld) else None
    out.append(("withheld coordinates are whole cells", cells is not None,
                "" if cells is not None else f"withheld coordinates {list(withheld)[:8]} are not whole cells of "
                                              f"{n_cells} cells x {width}"))
    if cells is None or len(published) != n - len(withheld):
        if cells is not None:
            out.append(("released values", False, f"expected {n - len(withheld)} published values, got {len(published)}"))
        return out
    statement = sup.SuppressionStatement(spec.study_id, tuple(commitment), n, tuple(withheld), tuple(int(v) for v in published))
    ok = sup.verify(statement, proof)
    out.append(("suppression proof", ok, "" if ok else "the proof does not show that the published coordinates open "
                                                       "Σ C_i with the withheld ones: the released numbers are not what "
                                                       "the participants proved"))
    full = fill(spec, withheld, published)
    small = [c for c in range(n_cells) if c not in set(cells) and full[c * width] < spec.min_cell_size]
    out.append(("published cells meet the minimum cell size", not small,
                "" if not small else f"cell(s) {small[:8]} are published with fewer than k = {spec.min_cell_size} "
                                     "records"))
    return out


def small_cells(spec, values) -> list[int]:
    """The cells of a full release (every coordinate published) whose count is below the study's k."""
    n_cells, width = layout(spec)
    return list(sup.cells_below(values, n_cells, width, spec.min_cell_size))


def fill(spec, withheld, published) -> list[int]:
    """The full coordinate vector with withheld coordinates as 0 (for naming and layout only)."""
    n_cells, width = layout(spec)
    hidden = set(withheld)
    it = iter(published)
    return [0 if j in hidden else int(next(it)) for j in range(n_cells * width)]


def withheld_reason(k: int) -> str:
    return f"withheld: fewer than k = {k} records in this cell"


def derive_published(spec, withheld, published) -> dict:
    """Results derived from a suppressed release: those of withheld cells, and results across
    cells when any is withheld, are :class:`Null` with the reason."""
    n_cells, width = layout(spec)
    cells = set(j // width for j in withheld)
    reason = Null(withheld_reason(spec.min_cell_size))
    q = spec.question
    if not q.group_by:
        return {a.alias: reason for a in q.aggregates}
    derived = spec.derive(fill(spec, withheld, published))
    labels = [q.cell_label(key) for key in q.cells(spec.schema)]
    hidden_labels = {labels[c] for c in cells}
    across = Null("withheld: computed across cells, some of which are withheld")
    out = {}
    for alias, by_cell in derived.items():
        out[alias] = {label: reason if label in hidden_labels else (v if label in labels else across)
                      for label, v in by_cell.items()}
    return out


def published_names(spec, withheld) -> list[str]:
    hidden = set(withheld)
    return [name for j, name in enumerate(spec.value_names()) if j not in hidden]


def published_bounds(spec, withheld) -> list[int]:
    hidden = set(withheld)
    return [b for j, b in enumerate(spec.value_bounds()) if j not in hidden]


__all__ = ["Withholding", "check_withholding", "derive_published", "fill", "layout", "published_bounds",
           "published_names", "small_cells", "withheld_reason", "withhold"]
