"""The statistics registry: one class per statistic kind, in one place.

Each kind declares

* the SQL function(s) that ask for it (:attr:`Kind.functions`) and its arguments (:meth:`Kind.check`);
* the committed sufficient statistics it needs, per cell (:meth:`Kind.moments`: counts, sums,
  cross products, histogram bins — :class:`~zkgate.study.question.Moment`); the per-record circuit
  contribution, the exact plain twin, the bounds and bit widths and the DP sensitivity of each moment
  kind live in :mod:`zkgate.study.statistics.moments`;
* the result derived from one cell's released sums, in declared units, with exact rational arithmetic
  (:meth:`Kind.derive`, see :mod:`zkgate.study.statistics.numbers` for how values are published).

Adding a kind is one class here (registered with :func:`register`) and its tests.
"""

from __future__ import annotations

from fractions import Fraction

from zkgate.study.dataset import Schema
from zkgate.study.errors import SpecError
from zkgate.study.statistics import survival
from zkgate.study.statistics.base import Aggregate, Moment
from zkgate.study.statistics.linalg import solve as _solve
from zkgate.study.statistics.numbers import Exact, Null, Value, exact, ratio_sqrt, sqrt

MAX_REGRESSORS = 8
MAX_HISTOGRAM_BINS = 256

_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    for f in kind.functions:
        if f in _KINDS:
            raise ValueError(f"statistic function {f} registered twice")
        _KINDS[f] = kind
    return kind


def kind(function: str) -> Kind:
    """The kind answering SQL function ``function`` (upper case)."""
    k = _KINDS.get(function)
    if k is None:
        raise SpecError(f"unsupported statistic {function!r}; supported: {', '.join(sorted(_KINDS))}")
    return k


def functions() -> list[str]:
    return sorted(_KINDS)


class CellSums:
    """One cell's released sums in **declared** units (offsets undone), looked up by column.

    Built from the stored-unit coordinates of the cell's moments: ``Σ(x+o) = Σx + n·o`` and
    ``Σ(x+o)(y+p) = Σxy + p·Σx + o·Σy + n·o·p``.
    """

    def __init__(self, schema: Schema, moments: list[Moment], values: list[int]) -> None:
        self._schema = schema
        self._stored: dict[Moment, list[int]] = {}
        pos = 0
        for m in moments:
            self._stored[m] = [int(v) for v in values[pos : pos + m.width]]
            pos += m.width
        if pos != len(values):
            raise SpecError(f"a cell has {len(values)} coordinates, its moments need {pos}")

    @property
    def n(self) -> int:
        return self._stored[Moment("count")][0]

    def _off(self, column: str) -> int:
        return self._schema.column(column).offset

    def sum(self, column: str) -> int:
        return self._stored[Moment("sum", (column,))][0] + self.n * self._off(column)

    def prod(self, a: str, b: str) -> int:
        idx = self._schema.index
        a, b = sorted((a, b), key=idx)
        raw = self._stored[Moment("prod", (a, b))][0]
        oa, ob = self._off(a), self._off(b)
        sa = self._stored[Moment("sum", (a,))][0]
        sb = self._stored[Moment("sum", (b,))][0]
        return raw + ob * sa + oa * sb + self.n * oa * ob

    def hist(self, column: str, edges_declared: tuple[int, ...]) -> list[int]:
        off = self._off(column)
        return self._stored[Moment("hist", (column,), tuple(e - off for e in edges_declared))]

    def moment(self, m: Moment) -> list[int]:
        """The raw (stored-unit) coordinates of a moment: counts per bin need no offsets."""
        return self._stored[m]

    def offset(self, column: str) -> int:
        return self._off(column)


def _prod(schema: Schema, a: str, b: str) -> Moment:
    a, b = sorted((a, b), key=schema.index)
    return Moment("prod", (a, b))


class Kind:
    functions: tuple[str, ...] = ()
    n_columns: int | tuple[int, int] = 1  # exact count, or (min, max)
    takes_params = False

    def check(self, agg: Aggregate, schema: Schema) -> None:
        lo, hi = (self.n_columns, self.n_columns) if isinstance(self.n_columns, int) else self.n_columns
        if not lo <= len(agg.columns) <= hi:
            want = str(lo) if lo == hi else f"{lo}..{hi}"
            raise SpecError(f"{agg.function} ({agg.alias}) takes {want} column(s), got {len(agg.columns)}")
        if agg.params and not self.takes_params:
            raise SpecError(f"{agg.function} ({agg.alias}) takes no parameters")

    def moments(self, agg: Aggregate, schema: Schema) -> list[Moment]:
        raise NotImplementedError

    def derive(self, agg: Aggregate, cell: CellSums):
        raise NotImplementedError

    def check_in(self, agg: Aggregate, predicate) -> None:
        """Checks that need the question's predicate (default: none)."""

    def derive_across(self, agg: Aggregate, cells: dict[str, CellSums]) -> dict:
        """Under GROUP BY: extra entries computed across the cells (e.g. a log-rank test), added
        beside the per-group values."""
        return {}

    def describe(self, agg: Aggregate) -> str:
        return f"{agg.function}({', '.join(list(agg.columns) + [str(p) for p in agg.params])})"


# -- one column: count, sum, mean, variance -----------------------------------------------------------

class Count(Kind):
    functions = ("COUNT",)
    n_columns = 0

    def moments(self, agg, schema):
        return [Moment("count")]

    def derive(self, agg, cell):
        return exact(cell.n)

    def describe(self, agg):
        return "COUNT(*)"


class Sum(Kind):
    functions = ("SUM",)

    def moments(self, agg, schema):
        return [Moment("sum", agg.columns)]

    def derive(self, agg, cell):
        return exact(cell.sum(agg.columns[0]))


class Avg(Kind):
    functions = ("AVG",)

    def moments(self, agg, schema):
        return [Moment("sum", agg.columns)]

    def derive(self, agg, cell):
        if cell.n == 0:
            return Null("empty cell: no records")
        return exact(Fraction(cell.sum(agg.columns[0]), cell.n))


def _centred_ss(cell: CellSums, a: str, b: str) -> Fraction:
    """Σ(a − ā)(b − b̄) = Σab − ΣaΣb/n (n > 0)."""
    return Fraction(cell.prod(a, b)) - Fraction(cell.sum(a) * cell.sum(b), cell.n)


class Variance(Kind):
    functions = ("VAR_POP", "VAR_SAMP", "STDDEV_POP", "STDDEV_SAMP", "VARIANCE", "STDDEV")

    def moments(self, agg, schema):
        x = agg.columns[0]
        return [Moment("sum", (x,)), Moment("prod", (x, x))]

    def derive(self, agg, cell):
        x = agg.columns[0]
        sample = agg.function in ("VAR_SAMP", "STDDEV_SAMP", "VARIANCE", "STDDEV")
        need = 2 if sample else 1
        if cell.n < need:
            return Null(f"{agg.function} needs at least {need} record(s), the cell has {cell.n}")
        var = _centred_ss(cell, x, x) / (cell.n - 1 if sample else cell.n)
        if agg.function.startswith("STDDEV"):
            return sqrt(var)
        return Exact(var)


# -- two columns: covariance, correlation, simple regression ------------------------------------------

class Covariance(Kind):
    functions = ("COVAR_POP", "COVAR_SAMP")
    n_columns = 2

    def moments(self, agg, schema):
        a, b = agg.columns
        return [_prod(schema, a, b)]

    def derive(self, agg, cell):
        need = 2 if agg.function == "COVAR_SAMP" else 1
        if cell.n < need:
            return Null(f"{agg.function} needs at least {need} record(s), the cell has {cell.n}")
        return Exact(_centred_ss(cell, *agg.columns) / (cell.n - 1 if need == 2 else cell.n))


class Correlation(Kind):
    functions = ("CORR",)
    n_columns = 2

    def moments(self, agg, schema):
        a, b = agg.columns
        return [_prod(schema, a, b), _prod(schema, a, a), _prod(schema, b, b)]

    def derive(self, agg, cell):
        a, b = agg.columns
        if cell.n < 2:
            return Null(f"CORR needs at least 2 records, the cell has {cell.n}")
        sxx, syy = _centred_ss(cell, a, a), _centred_ss(cell, b, b)
        if sxx == 0 or syy == 0:
            return Null(f"zero variance of {a if sxx == 0 else b}")
        return ratio_sqrt(_centred_ss(cell, a, b), sxx * syy)


class SimpleRegression(Kind):
    """SQL's REGR_* aggregates: ``REGR_SLOPE(y, x)`` — the dependent variable first."""

    functions = ("REGR_SLOPE", "REGR_INTERCEPT", "REGR_R2", "REGR_COUNT")
    n_columns = 2

    def moments(self, agg, schema):
        y, x = agg.columns
        if agg.function == "REGR_COUNT":
            return [Moment("count")]
        out = [_prod(schema, x, y), _prod(schema, x, x)]
        if agg.function == "REGR_R2":
            out.append(_prod(schema, y, y))
        return out

    def derive(self, agg, cell):
        y, x = agg.columns
        if agg.function == "REGR_COUNT":
            return exact(cell.n)
        if cell.n == 0:
            return Null("empty cell: no records")
        sxx = _centred_ss(cell, x, x)
        if sxx == 0:
            return Null(f"zero variance of {x}")
        sxy = _centred_ss(cell, x, y)
        slope = sxy / sxx
        if agg.function == "REGR_SLOPE":
            return Exact(slope)
        if agg.function == "REGR_INTERCEPT":
            return Exact((Fraction(cell.sum(y)) - slope * cell.sum(x)) / cell.n)
        syy = _centred_ss(cell, y, y)
        if syy == 0:
            return exact(1)  # the SQL standard: VAR_POP(y) = 0 gives 1
        return Exact(sxy * sxy / (sxx * syy))


# -- OLS(y, x1, ..., xk) with intercept ----------------------------------------------------------------

class OrdinaryLeastSquares(Kind):
    """``OLS(y, x1, ..., xk)``: coefficients (intercept first), standard errors, R², n from the released
    XᵀX, Xᵀy and yᵀy (X with a column of ones)."""

    functions = ("OLS",)
    n_columns = (2, 1 + MAX_REGRESSORS)

    def check(self, agg, schema):
        super().check(agg, schema)
        if len(set(agg.columns)) != len(agg.columns):
            raise SpecError(f"OLS ({agg.alias}): the dependent and regressor columns must be distinct")

    def moments(self, agg, schema):
        cols = agg.columns
        return [_prod(schema, a, b) for i, a in enumerate(cols) for b in cols[i:]]

    def derive(self, agg, cell):
        y, xs = agg.columns[0], agg.columns[1:]
        k = len(xs)
        n = cell.n
        if n <= k + 1:
            return Null(f"OLS with {k} regressor(s) and an intercept needs more than {k + 1} records, the cell has {n}")
        terms = [None, *xs]  # None = the intercept column of ones

        def xx(a, b) -> Fraction:
            if a is None and b is None:
                return Fraction(n)
            if a is None or b is None:
                return Fraction(cell.sum(b if a is None else a))
            return Fraction(cell.prod(a, b))

        xtx = [[xx(a, b) for b in terms] for a in terms]
        xty = [Fraction(cell.sum(y)) if a is None else Fraction(cell.prod(a, y)) for a in terms]
        solved = _solve(xtx, xty)
        if solved is None:
            return Null("XᵀX is singular (a regressor is constant or a combination of others)")
        beta, inv = solved
        rss = Fraction(cell.prod(y, y)) - sum(b * v for b, v in zip(beta, xty))
        tss = _centred_ss(cell, y, y)
        sigma2 = rss / (n - k - 1)
        se: list[Value] = [sqrt(sigma2 * inv[i][i]) if sigma2 * inv[i][i] >= 0 else Null("negative variance")
                           for i in range(k + 1)]
        r2: Value = Exact(1 - rss / tss) if tss != 0 else Null(f"zero variance of {y}")
        return {"coef": [Exact(b) for b in beta], "se": se, "r2": r2, "n": exact(n)}


# -- histogram -------------------------------------------------------------------------------------

class Histogram(Kind):
    """``HISTOGRAM(x, e0, e1, ...)``: counts of bins ``[e_b, e_{b+1})`` (declared units)."""

    functions = ("HISTOGRAM",)
    takes_params = True

    def check(self, agg, schema):
        super().check(agg, schema)
        c = schema.column(agg.columns[0])
        e = agg.params
        if not 2 <= len(e) <= MAX_HISTOGRAM_BINS + 1:
            raise SpecError(f"HISTOGRAM ({agg.alias}): give 2..{MAX_HISTOGRAM_BINS + 1} edges")
        if any(b <= a for a, b in zip(e, e[1:])):
            raise SpecError(f"HISTOGRAM ({agg.alias}): edges must increase strictly, got {list(e)}")
        if e[0] < c.lo or e[-1] > c.hi + 1:
            raise SpecError(f"HISTOGRAM ({agg.alias}): edges must lie in [{c.lo}, {c.hi + 1}] (the declared range of "
                            f"{c.name!r})")

    def moments(self, agg, schema):
        off = schema.column(agg.columns[0]).offset
        return [Moment("hist", agg.columns, tuple(e - off for e in agg.params))]

    def derive(self, agg, cell):
        return [exact(v) for v in cell.hist(agg.columns[0], agg.params)]


# -- survival: KAPLAN_MEIER(time, event, bins) ---------------------------------------------------------

def survival_bins(schema: Schema, time: str, bins: int) -> tuple[int, int]:
    """(width, bins) of the equal-width bins over ``time``'s declared range (stored units from 0)."""
    span = schema.column(time).max_stored + 1
    width = -(-span // bins)
    return width, -(-span // width)


class KaplanMeier(Kind):
    """``KAPLAN_MEIER(time, event, bins)``: events and censorings per equal-width time bin over the declared
    range of ``time`` (times coarsened to the bin's upper edge; within a bin, censorings after events) →
    S(t) at each edge with the Greenwood 95% confidence interval in lifelines' log(−log) form; under GROUP
    BY, per group, and the log-rank test across the groups that have records."""

    functions = ("KAPLAN_MEIER",)
    n_columns = 2
    takes_params = True

    def check(self, agg, schema):
        super().check(agg, schema)
        t, e = agg.columns
        ev = schema.column(e)
        if (ev.lo, ev.hi) != (0, 1):
            raise SpecError(f"KAPLAN_MEIER ({agg.alias}): the event column {e!r} must be declared [0, 1], not [{ev.lo}, {ev.hi}]")
        if len(agg.params) != 1 or not 1 <= agg.params[0] <= MAX_HISTOGRAM_BINS:
            raise SpecError(f"KAPLAN_MEIER ({agg.alias}): give the number of time bins, 1..{MAX_HISTOGRAM_BINS}")

    def moments(self, agg, schema):
        return [Moment("surv", agg.columns, survival_bins(schema, agg.columns[0], agg.params[0]))]

    def _counts(self, agg, cell):
        m = Moment("surv", agg.columns, survival_bins(cell._schema, agg.columns[0], agg.params[0]))
        w, nb = m.edges
        raw = cell.moment(m)
        return w, nb, raw[:nb], raw[nb:]

    def derive(self, agg, cell):
        w, nb, events, censored = self._counts(agg, cell)
        off = cell.offset(agg.columns[0])
        return survival.kaplan_meier([off + (b + 1) * w for b in range(nb)], events, censored)

    def derive_across(self, agg, cells):
        groups = {label: self._counts(agg, c)[2:] for label, c in cells.items()}
        return {"logrank": survival.logrank(groups)}

    def describe(self, agg):
        return f"KAPLAN_MEIER({agg.columns[0]}, {agg.columns[1]}, {agg.params[0]})"


# -- quantiles: PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x), MEDIAN(x) ------------------------------------

DEFAULT_QUANTILE_BINS = 64


def quantile_bins(schema: Schema, column: str, max_bins: int) -> tuple[int, int]:
    """(shift, bins): the narrowest power-of-two width 2^shift giving at most ``max_bins`` bins over the
    stored range of ``column`` (bin = stored value >> shift, read from the value's bits)."""
    top = schema.column(column).max_stored
    shift = 0
    while (top >> shift) + 1 > max_bins:
        shift += 1
    return shift, (top >> shift) + 1


def rank_bins(counts: list[int], h: Fraction, below: int = 0) -> tuple[int, int]:
    """The bins holding the order statistics at ranks ⌊h⌋ and ⌈h⌉ (0-based), of a histogram whose first
    bin starts after ``below`` records; ``ValueError`` when a rank lies outside it."""
    def bin_of(rank: int) -> int:
        seen = below
        for b, c in enumerate(counts):
            seen += c
            if rank < seen:
                return b
        raise ValueError(f"rank {rank} lies beyond the histogram's {seen} records")

    return bin_of(h.numerator // h.denominator), bin_of(-(-h.numerator // h.denominator))


def _interval(low: int, high: int, h: Fraction, shift: int) -> dict:
    """The published interval; with unit bins its ends are the order statistics x_⌊h⌋ and x_⌈h⌉ themselves,
    so the interpolated percentile is exact too (``"value"``)."""
    out = {"low": exact(low), "high": exact(high)}
    if shift == 0:
        out["value"] = Exact(low + (h - h.numerator // h.denominator) * (high - low))
    return out


class Percentile(Kind):
    """``PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x)`` and ``MEDIAN(x)`` (p = 1/2): an exact histogram over
    power-of-two bins and the exact rank give the interval ``{"low", "high"}`` (declared units, inclusive)
    that provably contains SQL's interpolated percentile — the bins holding the ranks ⌊(n−1)p⌋ and
    ⌈(n−1)p⌉ (0-based), so interpolation across two adjacent bins and an even-n half-integer median are
    covered.  Params: ``(p_num, p_den[, max_bins])``."""

    functions = ("PERCENTILE_CONT", "MEDIAN")
    takes_params = True

    def _params(self, agg) -> tuple[Fraction, int]:
        p = agg.params
        if agg.function == "MEDIAN":
            return Fraction(1, 2), (p[0] if p else DEFAULT_QUANTILE_BINS)
        return Fraction(p[0], p[1]), (p[2] if len(p) > 2 else DEFAULT_QUANTILE_BINS)

    def check(self, agg, schema):
        super().check(agg, schema)
        p = agg.params
        if agg.function == "MEDIAN" and len(p) > 1 or agg.function == "PERCENTILE_CONT" and not 2 <= len(p) <= 3:
            raise SpecError(f"{agg.function} ({agg.alias}): malformed parameters {list(p)}")
        if agg.function == "PERCENTILE_CONT" and (p[1] <= 0 or not 0 <= p[0] <= p[1]):
            raise SpecError(f"PERCENTILE_CONT ({agg.alias}): the fraction must lie in [0, 1]")
        _, max_bins = self._params(agg)
        if not 1 <= max_bins <= MAX_HISTOGRAM_BINS:
            raise SpecError(f"{agg.function} ({agg.alias}): at most {MAX_HISTOGRAM_BINS} bins")

    def moments(self, agg, schema):
        _, max_bins = self._params(agg)
        return [Moment("bins", agg.columns, quantile_bins(schema, agg.columns[0], max_bins))]

    def derive(self, agg, cell):
        p, max_bins = self._params(agg)
        column = agg.columns[0]
        shift, nb = quantile_bins(cell._schema, column, max_bins)
        counts = cell.moment(Moment("bins", agg.columns, (shift, nb)))
        n = sum(counts)
        if n == 0:
            return Null("empty cell: no records")
        h = (n - 1) * p
        b_lo, b_hi = rank_bins(counts, h)
        off, top = cell.offset(column), cell._schema.column(column).hi
        low = off + (b_lo << shift)
        high = min(top, off + ((b_hi + 1) << shift) - 1)
        return _interval(low, high, h, shift)

    def describe(self, agg):
        if agg.function == "MEDIAN":
            return f"MEDIAN({agg.columns[0]})"
        return f"PERCENTILE_CONT({agg.params[0]}/{agg.params[1]}) WITHIN GROUP (ORDER BY {agg.columns[0]})"


class PercentileRefine(Kind):
    """``PERCENTILE_REFINE(x, p_num, p_den, lo, hi, below, inside, n[, max_bins])``: the follow-up of a
    quantile interval ``[lo, hi]`` (``zkgate requester refine-quantile``).  The follow-up study's filter is
    the parent's AND ``x BETWEEN lo AND hi``; it commits a finer histogram of ``x`` inside the window
    (power-of-two bins, ``(x − lo) >> s``), and with the parent's published ``below`` (records under
    ``lo``), ``inside`` (records in the window) and ``n`` (all records) gives a narrower interval for
    the same rank.  A follow-up whose window count differs from the parent's ``inside`` yields ``null``
    with the reason (verify-study then refuses it)."""

    functions = ("PERCENTILE_REFINE",)
    takes_params = True

    def _params(self, agg):
        p = agg.params
        return Fraction(p[0], p[1]), p[2], p[3], p[4], p[5], p[6], (p[7] if len(p) > 7 else DEFAULT_QUANTILE_BINS)

    def _window(self, agg, schema):
        _, lo, hi, _, _, _, max_bins = self._params(agg)
        c = schema.column(agg.columns[0])
        lo_st, hi_st = c.store(lo), c.store(hi)
        shift = 0
        while ((hi_st - lo_st) >> shift) + 1 > max_bins:
            shift += 1
        return lo_st, shift, ((hi_st - lo_st) >> shift) + 1

    def check(self, agg, schema):
        super().check(agg, schema)
        p = agg.params
        if not 7 <= len(p) <= 8:
            raise SpecError(f"PERCENTILE_REFINE ({agg.alias}): give p_num, p_den, lo, hi, below, inside, n[, max_bins]")
        frac, lo, hi, below, inside, n, max_bins = self._params(agg)
        c = schema.column(agg.columns[0])
        if p[1] <= 0 or not 0 <= frac <= 1:
            raise SpecError(f"PERCENTILE_REFINE ({agg.alias}): the fraction must lie in [0, 1]")
        if not c.lo <= lo <= hi <= c.hi:
            raise SpecError(f"PERCENTILE_REFINE ({agg.alias}): the window [{lo}, {hi}] must lie in {c.name!r}'s declared "
                            f"range [{c.lo}, {c.hi}]")
        if not (0 <= below and 1 <= inside and below + inside <= n):
            raise SpecError(f"PERCENTILE_REFINE ({agg.alias}): need 0 <= below, 1 <= inside, below + inside <= n")
        h = (n - 1) * frac
        if not below <= h.numerator // h.denominator and -(-h.numerator // h.denominator) < below + inside:
            raise SpecError(f"PERCENTILE_REFINE ({agg.alias}): the quantile's ranks do not fall in the window")
        if not 1 <= max_bins <= MAX_HISTOGRAM_BINS:
            raise SpecError(f"PERCENTILE_REFINE ({agg.alias}): at most {MAX_HISTOGRAM_BINS} bins")
        lo_st, shift, _ = self._window(agg, schema)
        if lo_st % (1 << shift):
            raise SpecError(f"PERCENTILE_REFINE ({agg.alias}): the window's start {lo} is not a multiple of its bin "
                            f"width {1 << shift} (stored units): refine a parent bin")

    def check_in(self, agg, predicate):
        _, lo, hi, *_ = self._params(agg)
        terms = predicate.terms if type(predicate).__name__ == "And" else (predicate,)
        window = [t for t in terms if type(t).__name__ == "Between" and (t.column, t.lo, t.hi) == (agg.columns[0], lo, hi)]
        if not window:
            raise SpecError(f"PERCENTILE_REFINE ({agg.alias}): the filter must include {agg.columns[0]} BETWEEN {lo} AND "
                            f"{hi} as a top-level AND term (only the window's records count)")

    def moments(self, agg, schema):
        return [Moment("wbins", agg.columns, self._window(agg, schema))]

    def derive(self, agg, cell):
        frac, lo, hi, below, inside, n, _ = self._params(agg)
        lo_st, shift, nb = self._window(agg, cell._schema)
        counts = cell.moment(Moment("wbins", agg.columns, (lo_st, shift, nb)))
        found = sum(counts)
        if found != inside:
            return Null(f"the follow-up counts {found} records in [{lo}, {hi}], the parent study {inside}: "
                        "not the same records")
        h = (n - 1) * frac
        b_lo, b_hi = rank_bins(counts, h, below)
        low = lo + (b_lo << shift)
        high = min(hi, lo + ((b_hi + 1) << shift) - 1)
        return {**_interval(low, high, h, shift), "count": exact(found)}

    def describe(self, agg):
        return f"PERCENTILE_REFINE({agg.columns[0]}, {', '.join(str(p) for p in agg.params)})"


for _k in (Count(), Sum(), Avg(), Variance(), Covariance(), Correlation(), SimpleRegression(),
           OrdinaryLeastSquares(), Histogram(), KaplanMeier(), Percentile(), PercentileRefine()):
    register(_k)


__all__ = ["CellSums", "Kind", "MAX_HISTOGRAM_BINS", "MAX_REGRESSORS", "functions", "kind", "register"]
