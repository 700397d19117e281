"""Inline SVG charts for released results: one module for the console and the HTML report.

Every function returns a self-contained ``<svg>`` string (or, for :func:`regression_table`,
an HTML ``<table>``) that can be pasted into a page as is:

- every piece of text (titles, labels, series names, which may come from a party) is
  escaped with :func:`html.escape`, so a label like ``<script>`` renders as text;
- no ``style`` attributes, no ``<style>`` elements and no script: only SVG presentation
  attributes, so the page's Content-Security-Policy can forbid inline styles and scripts;
- values may be ``int``, ``float`` or :class:`fractions.Fraction` (the exact results of the
  statistics registry); ``None`` (or NaN) is a missing value and is not drawn.

The API (stable; other modules import it)::

    bar_chart(labels, values, *, title="", x_label="", y_label="") -> str
    histogram(edges, counts, *, title="", x_label="", y_label="count") -> str
    line_chart(xs, series, *, lower=None, upper=None, step=False, title="", x_label="", y_label="") -> str
    heatmap(row_labels, col_labels, matrix, *, title="", x_label="", y_label="") -> str
    regression_table(names, coefficients, *, std_errors=None, extra=None, title="") -> str

All take keyword-only ``width`` and ``height`` (pixels of the viewBox) where they draw.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from numbers import Real

__all__ = ["PALETTE", "bar_chart", "format_number", "heatmap", "histogram", "line_chart", "regression_table"]

#: Series colours (colour-blind-safe Okabe-Ito order), cycled when there are more series.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000")

_MARGIN_LEFT = 56
_MARGIN_RIGHT = 16
_MARGIN_TOP = 28
_MARGIN_BOTTOM = 44
_FONT = 'font-family="sans-serif"'


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _number(value: object) -> float | None:
    """A value as a float, or None when it is missing (None, NaN, infinite)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real | Fraction):
        raise TypeError(f"a chart value must be a number or None, not {type(value).__name__}")
    number = float(value)
    return number if math.isfinite(number) else None


def format_number(value: object, digits: int = 4) -> str:
    """A short, readable rendering of a value: integers exactly, others to ``digits`` significant digits."""
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Fraction) and value.denominator == 1:
        return str(value.numerator)
    number = _number(value)
    if number is None:
        return "–"
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.{digits}g}"


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [low, high]."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    tick = first
    while tick <= high + step * 1e-9:
        ticks.append(round(tick, 12))
        tick += step
    if ticks[-1] < high:
        ticks.append(round(tick, 12))
    return ticks


def _svg_open(width: int, height: int, title: str) -> list[str]:
    label = _esc(title) if title else "chart"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="zkgate-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
        f"<title>{label}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        parts.append(f'<text x="{width / 2:.1f}" y="17" text-anchor="middle" font-size="13" font-weight="bold" {_FONT}>{_esc(title)}</text>')
    return parts


def _axis_labels(parts: list[str], width: int, height: int, x_label: str, y_label: str) -> None:
    if x_label:
        parts.append(f'<text x="{(_MARGIN_LEFT + width - _MARGIN_RIGHT) / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="11" {_FONT}>{_esc(x_label)}</text>')
    if y_label:
        y = (_MARGIN_TOP + height - _MARGIN_BOTTOM) / 2
        parts.append(f'<text x="12" y="{y:.1f}" text-anchor="middle" font-size="11" transform="rotate(-90 12 {y:.1f})" {_FONT}>{_esc(y_label)}</text>')


def _y_axis(parts: list[str], ticks: list[float], to_y, width: int) -> None:
    for tick in ticks:
        y = to_y(tick)
        parts.append(f'<line x1="{_MARGIN_LEFT}" y1="{y:.1f}" x2="{width - _MARGIN_RIGHT}" y2="{y:.1f}" stroke="#e0e0e0" stroke-width="1"/>')
        parts.append(f'<text x="{_MARGIN_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" {_FONT}>{_esc(format_number(tick))}</text>')


def _empty(parts: list[str], width: int, height: int) -> str:
    parts.append(f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" font-size="12" fill="#666666" {_FONT}>no data</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    labels: Sequence[object],
    values: Sequence[object],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    width: int = 480,
    height: int = 260,
    color: str = PALETTE[0],
) -> str:
    """A vertical bar chart: one bar per label (negative values hang below zero)."""
    if len(labels) != len(values):
        raise ValueError(f"bar_chart: {len(labels)} labels but {len(values)} values")
    numbers = [_number(v) for v in values]
    parts = _svg_open(width, height, title)
    _axis_labels(parts, width, height, x_label, y_label)
    present = [n for n in numbers if n is not None]
    if not present:
        return _empty(parts, width, height)
    ticks = _nice_ticks(min(0.0, min(present)), max(0.0, max(present)))
    low, high = ticks[0], ticks[-1]
    plot_h = height - _MARGIN_TOP - _MARGIN_BOTTOM
    plot_w = width - _MARGIN_LEFT - _MARGIN_RIGHT
    to_y = lambda v: _MARGIN_TOP + plot_h * (high - v) / (high - low)
    _y_axis(parts, ticks, to_y, width)
    slot = plot_w / len(numbers)
    bar_w = max(slot * 0.8, 1.0)
    label_every = max(1, math.ceil(len(labels) * 40 / plot_w))
    for i, (label, number) in enumerate(zip(labels, numbers)):
        x = _MARGIN_LEFT + i * slot + (slot - bar_w) / 2
        if number is not None:
            top, bottom = sorted((to_y(number), to_y(0.0)))
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_w:.1f}" height="{max(bottom - top, 0.5):.1f}" fill="{_esc(color)}">'
                f"<title>{_esc(label)}: {_esc(format_number(values[i]))}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - _MARGIN_BOTTOM + 14}" text-anchor="middle" font-size="10" {_FONT}>{_esc(label)}</text>')
    parts.append(f'<line x1="{_MARGIN_LEFT}" y1="{to_y(0.0):.1f}" x2="{width - _MARGIN_RIGHT}" y2="{to_y(0.0):.1f}" stroke="#333333" stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    edges: Sequence[object],
    counts: Sequence[object],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "count",
    width: int = 480,
    height: int = 260,
) -> str:
    """A histogram: ``len(edges) == len(counts) + 1`` bin edges, bar ``i`` covering [edges[i], edges[i+1])."""
    if len(edges) != len(counts) + 1:
        raise ValueError(f"histogram: {len(counts)} bins need {len(counts) + 1} edges, got {len(edges)}")
    labels = [f"{format_number(edges[i])}–{format_number(edges[i + 1])}" for i in range(len(counts))]
    return bar_chart(labels, counts, title=title, x_label=x_label, y_label=y_label, width=width, height=height)


def line_chart(
    xs: Sequence[object],
    series: Mapping[str, Sequence[object]],
    *,
    lower: Mapping[str, Sequence[object]] | None = None,
    upper: Mapping[str, Sequence[object]] | None = None,
    step: bool = False,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    width: int = 480,
    height: int = 260,
) -> str:
    """Lines over shared x values, one per series, with an optional band between ``lower`` and ``upper``.

    ``step=True`` draws a right-continuous step function (Kaplan–Meier survival curves).
    ``lower``/``upper`` map a series name to its band's bounds (e.g. a confidence interval).
    """
    lower = lower or {}
    upper = upper or {}
    x_numbers = [_number(x) for x in xs]
    for name, ys in [*series.items(), *lower.items(), *upper.items()]:
        if len(ys) != len(xs):
            raise ValueError(f"line_chart: series {name!r} has {len(ys)} values for {len(xs)} x values")
    parts = _svg_open(width, height, title)
    _axis_labels(parts, width, height, x_label, y_label)
    all_y = [
        n
        for ys in [*series.values(), *lower.values(), *upper.values()]
        for n in (_number(y) for y in ys)
        if n is not None
    ]
    all_x = [x for x in x_numbers if x is not None]
    if not all_y or not all_x:
        return _empty(parts, width, height)
    y_ticks = _nice_ticks(min(all_y), max(all_y))
    x_ticks = _nice_ticks(min(all_x), max(all_x))
    y_low, y_high = y_ticks[0], y_ticks[-1]
    x_low, x_high = x_ticks[0], x_ticks[-1]
    plot_h = height - _MARGIN_TOP - _MARGIN_BOTTOM
    plot_w = width - _MARGIN_LEFT - _MARGIN_RIGHT
    to_y = lambda v: _MARGIN_TOP + plot_h * (y_high - v) / (y_high - y_low)
    to_x = lambda v: _MARGIN_LEFT + plot_w * (v - x_low) / (x_high - x_low)
    _y_axis(parts, y_ticks, to_y, width)
    for tick in x_ticks:
        parts.append(f'<text x="{to_x(tick):.1f}" y="{height - _MARGIN_BOTTOM + 14}" text-anchor="middle" font-size="10" {_FONT}>{_esc(format_number(tick))}</text>')
    parts.append(f'<line x1="{_MARGIN_LEFT}" y1="{height - _MARGIN_BOTTOM}" x2="{width - _MARGIN_RIGHT}" y2="{height - _MARGIN_BOTTOM}" stroke="#333333" stroke-width="1"/>')

    def path_points(ys: Sequence[object]) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for x, y in zip(x_numbers, ys):
            y_number = _number(y)
            if x is None or y_number is None:
                continue
            if step and points:
                points.append((to_x(x), points[-1][1]))
            points.append((to_x(x), to_y(y_number)))
        return points

    def d_of(points: list[tuple[float, float]]) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))

    for index, (name, ys) in enumerate(series.items()):
        color = PALETTE[index % len(PALETTE)]
        if name in lower and name in upper:
            low_points = path_points(lower[name])
            high_points = path_points(upper[name])
            if low_points and high_points:
                band = d_of(high_points + list(reversed(low_points))) + " Z"
                parts.append(f'<path d="{band}" fill="{color}" fill-opacity="0.15" stroke="none"/>')
        points = path_points(ys)
        if points:
            parts.append(f'<path d="{d_of(points)}" fill="none" stroke="{color}" stroke-width="2"><title>{_esc(name)}</title></path>')
        legend_y = _MARGIN_TOP + 4 + 14 * index
        legend_x = width - _MARGIN_RIGHT - 120
        parts.append(f'<rect x="{legend_x}" y="{legend_y}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="{legend_y + 9}" font-size="10" {_FONT}>{_esc(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _heat_color(fraction: float) -> str:
    """White (0) to deep blue (1)."""
    fraction = min(max(fraction, 0.0), 1.0)
    r = round(255 + (8 - 255) * fraction)
    g = round(255 + (69 - 255) * fraction)
    b = round(255 + (148 - 255) * fraction)
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    row_labels: Sequence[object],
    col_labels: Sequence[object],
    matrix: Sequence[Sequence[object]],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    cell: int = 40,
) -> str:
    """A heat map of a table (a contingency table): one cell per (row, column), its value written in it."""
    if len(matrix) != len(row_labels) or any(len(row) != len(col_labels) for row in matrix):
        raise ValueError(f"heatmap: the matrix must be {len(row_labels)} rows of {len(col_labels)} values")
    left = 16 + 7 * max([len(str(r)) for r in row_labels] + [4])
    left = min(left, 160)
    top = _MARGIN_TOP + 16
    width = left + cell * len(col_labels) + _MARGIN_RIGHT
    height = top + cell * len(row_labels) + 24
    width = max(width, 200)
    parts = _svg_open(width, height, title)
    numbers = [[_number(v) for v in row] for row in matrix]
    present = [n for row in numbers for n in row if n is not None]
    if not present:
        return _empty(parts, width, height)
    low, high = min(present), max(present)
    span = high - low or 1.0
    for j, label in enumerate(col_labels):
        parts.append(f'<text x="{left + cell * j + cell / 2:.1f}" y="{top - 4}" text-anchor="middle" font-size="10" {_FONT}>{_esc(label)}</text>')
    for i, label in enumerate(row_labels):
        y = top + cell * i
        parts.append(f'<text x="{left - 4}" y="{y + cell / 2 + 4:.1f}" text-anchor="end" font-size="10" {_FONT}>{_esc(label)}</text>')
        for j, number in enumerate(numbers[i]):
            x = left + cell * j
            fraction = 0.0 if number is None else (number - low) / span
            fill = "#f4f4f4" if number is None else _heat_color(fraction)
            text_fill = "#ffffff" if fraction > 0.6 else "#000000"
            shown = _esc(format_number(matrix[i][j]))
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" stroke="#ffffff" stroke-width="1">'
                f"<title>{_esc(label)} / {_esc(col_labels[j])}: {shown}</title></rect>"
            )
            parts.append(f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" font-size="10" fill="{text_fill}" {_FONT}>{shown}</text>')
    if x_label:
        parts.append(f'<text x="{left + cell * len(col_labels) / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="11" {_FONT}>{_esc(x_label)}</text>')
    if y_label:
        parts.append(f'<text x="4" y="{top - 4}" font-size="11" {_FONT}>{_esc(y_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def regression_table(
    names: Sequence[object],
    coefficients: Sequence[object],
    *,
    std_errors: Sequence[object] | None = None,
    extra: Mapping[str, Sequence[object]] | None = None,
    title: str = "",
) -> str:
    """An HTML ``<table class="zkgate-regression">``: one row per term with its coefficient.

    ``std_errors`` adds a standard-error column; ``extra`` adds further named columns
    (e.g. ``{"t": [...], "95% CI low": [...]}``), each as long as ``names``.
    """
    columns: dict[str, Sequence[object]] = {"coefficient": coefficients}
    if std_errors is not None:
        columns["std. error"] = std_errors
    columns.update(extra or {})
    for column, values in columns.items():
        if len(values) != len(names):
            raise ValueError(f"regression_table: column {column!r} has {len(values)} values for {len(names)} terms")
    parts = ['<table class="zkgate-regression">']
    if title:
        parts.append(f"<caption>{_esc(title)}</caption>")
    parts.append("<thead><tr><th>term</th>" + "".join(f"<th>{_esc(c)}</th>" for c in columns) + "</tr></thead><tbody>")
    for i, name in enumerate(names):
        cells = "".join(f'<td class="num">{_esc(format_number(values[i]))}</td>' for values in columns.values())
        parts.append(f"<tr><th>{_esc(name)}</th>{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
