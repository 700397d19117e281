"""The two value types the question and the statistics registry share: an aggregate as asked, and a
committed moment (re-exported by :mod:`zkgate.study.question`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Aggregate:
    """One result: ``function(columns..., params...) AS alias``."""

    alias: str
    function: str
    columns: tuple[str, ...]
    params: tuple[int, ...] = ()


@dataclass(frozen=True, order=True)
class Moment:
    """A committed sufficient statistic of one cell, in stored units.

    ``kind`` is ``"count"`` (no columns), ``"sum"`` (one column), ``"prod"`` (two columns in
    schema order, possibly the same: a sum of squares), ``"hist"`` (one column and its edges in
    stored units; ``len(edges) - 1`` coordinates, bin b = ``[e_b, e_{b+1})``; the edges are question
    constants bound into the study id), ``"bins"`` (one column, ``edges = (s, nbins)``: equal bins of
    width 2^s over stored values, bin = ``x >> s``, read from the value's bits; structure, not
    constants) or ``"surv"`` (a time and an event column, ``edges = (w, nbins)``: equal bins of width w
    over stored times; ``2·nbins`` coordinates, the events of each bin then the censorings of each bin).
    ``"wbins"`` is ``bins`` inside a window (a quantile refinement): ``edges = (lo, s, nbins)``, bin =
    ``(x − lo) >> s`` for ``lo <= x`` (lo a multiple of 2^s), ``lo`` a question constant bound into the
    study id, ``(s, nbins)`` structure.
    """

    kind: str
    columns: tuple[str, ...] = ()
    edges: tuple[int, ...] = ()

    @property
    def width(self) -> int:
        if self.kind == "hist":
            return len(self.edges) - 1
        if self.kind == "bins":
            return self.edges[1]
        if self.kind == "surv":
            return 2 * self.edges[1]
        if self.kind == "wbins":
            return self.edges[2]
        return 1

    @property
    def binned(self) -> bool:
        """A histogram-like moment (several coordinates; listed after counts, sums and products)."""
        return self.kind in ("hist", "bins", "surv", "wbins")

    @property
    def name(self) -> str:
        if self.kind == "count":
            return "count"
        return f"{self.kind}({','.join(self.columns)})"


__all__ = ["Aggregate", "Moment"]
