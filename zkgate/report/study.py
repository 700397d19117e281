"""A study's released results as a self-contained HTML report, and as text for a terminal.

Pure Python: reads a compiled :class:`~zkgate.study.question.Question` and the results a release
publishes (:func:`zkgate.study.release.release_statistics`: plain JSON keyed by alias; under GROUP BY
each alias maps the cell label — ``"2"``, ``"1|0"`` — to its value, and ``KAPLAN_MEIER`` adds
``"logrank"``).  Charts come from :mod:`zkgate.report.charts` (the module the web console draws
with); the page holds no script, loads nothing (no network: every chart is inline SVG) and declares
a Content-Security-Policy that forbids both.

- :func:`html_report` / :func:`write_report`: the page;
- :func:`summarize`: one short line per value (the demo's tables);
- :func:`text_histogram`, :func:`text_survival`: the histogram and the survival curves as lines of
  text (plain characters: the caller decides how to print them).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from zkgate.fileio import atomic_write
from zkgate.report import charts
from zkgate.study.question import Aggregate, Question

__all__ = ["cell_order", "html_report", "pooled_histogram", "summarize", "text_histogram", "text_survival",
           "write_report"]

_SCALAR_LABELS = {
    "COUNT": "count", "SUM": "sum", "AVG": "mean", "VAR_POP": "variance (population)",
    "VAR_SAMP": "variance (sample)", "STDDEV_POP": "standard deviation (population)",
    "STDDEV_SAMP": "standard deviation (sample)", "COVAR_POP": "covariance (population)",
    "COVAR_SAMP": "covariance (sample)", "CORR": "Pearson correlation", "REGR_SLOPE": "regression slope",
    "REGR_INTERCEPT": "regression intercept", "REGR_R2": "regression R²", "REGR_COUNT": "regression n",
}


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: object, digits: int = 4) -> str:
    return charts.format_number(value, digits) if not isinstance(value, (dict, list)) else str(value)


def cell_order(results: Mapping[str, object], question: Question) -> list[str]:
    """The cell labels of a GROUP BY result in the order the results list them (``logrank`` left out)."""
    if not question.group_by:
        return []
    for agg in question.aggregates:
        value = results.get(agg.alias)
        if isinstance(value, dict):
            return [k for k in value if k != "logrank"]
    return []


def summarize(function: str, value: object) -> str:
    """One short readable line for a result of ``function`` (a released value or the truth)."""
    if value is None:
        return "null"
    if function == "HISTOGRAM" and isinstance(value, list):
        return "[" + ", ".join(_num(v) for v in value) + "]"
    if function == "OLS" and isinstance(value, dict):
        coef = ", ".join(_num(v) for v in value.get("coef") or [])
        return f"coef [{coef}], R² {_num(value.get('r2'))}, n {_num(value.get('n'))}"
    if function == "KAPLAN_MEIER" and isinstance(value, dict):
        if "chi2" in value:
            return f"log-rank chi² {_num(value.get('chi2'))}, df {value.get('df')}, p {_num(value.get('p'))}"
        times, surv = value.get("time") or [], value.get("survival") or []
        if not times:
            return "no bins"
        low, high = (value.get("ci_low") or [None])[-1], (value.get("ci_high") or [None])[-1]
        return (f"S({_num(times[-1])}) = {_num(surv[-1])} [{_num(low)}, {_num(high)}]; "
                f"S({_num(times[0])}) = {_num(surv[0])}; {len(times)} bins")
    if function in ("MEDIAN", "PERCENTILE_CONT") and isinstance(value, dict):
        return f"in [{_num(value.get('low'))}, {_num(value.get('high'))}]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {summarize(function, v)}" for k, v in value.items())
    return _num(value, 6)


def pooled_histogram(question: Question, results: Mapping[str, object]) -> tuple[Aggregate, list] | None:
    """The first ``HISTOGRAM`` of the question and its counts summed over every published cell (exact
    integers; withheld cells, ``null``, are left out), or None when the question has none."""
    for agg in question.aggregates:
        if agg.function != "HISTOGRAM":
            continue
        value = results.get(agg.alias)
        if value is None:
            return agg, []
        if isinstance(value, list):
            return agg, list(value)
        counts = [0] * (len(agg.params) - 1)
        for cell in value.values():
            if isinstance(cell, list):
                counts = [a + int(b) for a, b in zip(counts, cell)]
        return agg, counts
    return None


def text_histogram(edges: Sequence[int], counts: Sequence[object], *, width: int = 40) -> list[str]:
    """One line per bin: ``[lo, hi)``, a bar of ``█`` proportional to the count, the count."""
    numbers = [0 if c is None else int(c) for c in counts]
    top = max(numbers, default=0) or 1
    labels = [f"[{edges[i]}, {edges[i + 1]})" for i in range(len(numbers))]
    pad = max((len(x) for x in labels), default=0)
    lines = []
    for label, n in zip(labels, numbers):
        bar = "█" * round(width * n / top)
        if n and not bar:
            bar = "▏"
        lines.append(f"{label.rjust(pad)} {bar} {n}")
    return lines


_MARKS = "●○▲△■□◆◇"


def text_survival(curves: Mapping[str, Mapping[str, Sequence[object]]], *, width: int = 60,
                  height: int = 12) -> list[str]:
    """Kaplan–Meier step curves on a character grid: S(t) from 1 at t = 0, one mark per group (legend
    below), y from the lowest survival shown to 1."""
    series = {}
    for name, km in curves.items():
        times = [float(t) for t in km.get("time") or []]
        surv = [None if s is None else float(s) for s in km.get("survival") or []]
        if times:
            series[name] = ([0.0, *times], [1.0, *surv])
    if not series:
        return ["(no survival curve: no records)"]
    t_max = max(t[-1] for t, _ in series.values()) or 1.0
    s_min = min([s for _, ys in series.values() for s in ys if s is not None] + [1.0])
    s_low = max(0.0, math.floor(s_min * 10) / 10)
    if s_low >= 1.0:
        s_low = 0.9
    grid = [[" "] * width for _ in range(height)]
    for index, (times, ys) in enumerate(series.values()):
        mark = _MARKS[index % len(_MARKS)]
        for col in range(width):
            t = t_max * col / (width - 1)
            value = None
            for tb, sb in zip(times, ys):  # right-continuous: the last step at or before t
                if tb <= t and sb is not None:
                    value = sb
            if value is None:
                continue
            row = round((1.0 - value) / (1.0 - s_low) * (height - 1))
            row = min(max(row, 0), height - 1)
            if grid[row][col] == " ":
                grid[row][col] = mark
    lines = []
    for r, row in enumerate(grid):
        level = 1.0 - (1.0 - s_low) * r / (height - 1)
        axis = f"{level:4.2f} ┤" if r in (0, height // 2, height - 1) else "     │"
        lines.append(axis + "".join(row).rstrip())
    lines.append("     └" + "─" * width)
    right = f"{t_max:g}"
    lines.append("      0" + right.rjust(width - 1))
    lines.append("      " + "   ".join(f"{_MARKS[i % len(_MARKS)]} {name}" for i, name in enumerate(series)))
    return lines


# -- the HTML page ------------------------------------------------------------------------------------

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"
_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em 0; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 0.8em; white-space: pre-wrap; }
.ok { color: #006400; font-weight: bold; } .bad { color: #b00000; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; } .note { color: #555; font-size: 0.9em; }
"""


def _label(cell: str, group_names: Mapping[str, str] | None) -> str:
    if group_names and cell in group_names:
        return f"{cell} ({group_names[cell]})"
    return cell


def _match(released: object, truth: object) -> str:
    return "yes" if released == truth else "NO"


def _values_table(agg: Aggregate, cells: list[str], released: object, truth: object | None,
                  group_names: Mapping[str, str] | None) -> str:
    head = "<tr><th>group</th><th>released (verified)</th>" + (
        "<th>truth (clear text)</th><th>match</th>" if truth is not None else "") + "</tr>"
    rows = []
    keys = cells if cells else [None]
    for cell in keys:
        r = released.get(cell) if cell is not None and isinstance(released, dict) else released
        t = None
        if truth is not None:
            t = truth.get(cell) if cell is not None and isinstance(truth, dict) else truth
        row = f"<tr><th>{_esc(_label(cell, group_names) if cell is not None else 'all')}</th>"
        row += f'<td class="num">{_esc(summarize(agg.function, r))}</td>'
        if truth is not None:
            row += f'<td class="num">{_esc(summarize(agg.function, t))}</td><td>{_match(r, t)}</td>'
        rows.append(row + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _per_cell(value: object, cells: list[str]) -> dict[str, object]:
    if cells and isinstance(value, dict):
        return {c: value.get(c) for c in cells}
    return {"all": value}


def _section(agg: Aggregate, released: object, truth: object | None, cells: list[str],
             group_names: Mapping[str, str] | None, group_by: Sequence[str] = ()) -> str:
    f = agg.function
    arguments = ", ".join(agg.columns + tuple(str(p) for p in agg.params)) or "*"
    parts = [f"<h2>{_esc(agg.alias)}: {_esc(f)}({_esc(arguments)})</h2>"]
    by_cell = _per_cell(released, cells)
    names = {c: _label(c, group_names) for c in by_cell}
    charts_html: list[str] = []
    if f == "HISTOGRAM":
        for cell, counts in by_cell.items():
            if isinstance(counts, list):
                charts_html.append(charts.histogram(list(agg.params), counts, title=f"{agg.alias}: {names[cell]}",
                                                    x_label=agg.columns[0]))
    elif f == "KAPLAN_MEIER":
        curves = {c: v for c, v in by_cell.items() if isinstance(v, dict) and v.get("time")}
        if curves:
            first = next(iter(curves.values()))
            xs = [0, *first["time"]]
            series = {names[c]: [1, *v["survival"]] for c, v in curves.items()}
            lower = {names[c]: [1, *v["ci_low"]] for c, v in curves.items()}
            upper = {names[c]: [1, *v["ci_high"]] for c, v in curves.items()}
            charts_html.append(charts.line_chart(xs, series, lower=lower, upper=upper, step=True,
                                                 title=f"{agg.alias}: survival (95% CI)", x_label=agg.columns[0],
                                                 y_label="S(t)", width=640, height=320))
        if isinstance(released, dict) and isinstance(released.get("logrank"), dict):
            lr = released["logrank"]
            parts.append(f"<p>Log-rank test across the groups: χ² = {_esc(_num(lr.get('chi2')))}, "
                         f"df = {_esc(lr.get('df'))}, p = {_esc(_num(lr.get('p')))}.</p>")
    elif f == "OLS":
        terms = ["intercept", *agg.columns[1:]]
        for cell, fit in by_cell.items():
            if isinstance(fit, dict) and fit.get("coef") is not None:
                charts_html.append(charts.regression_table(
                    terms, fit["coef"], std_errors=fit.get("se"),
                    title=f"{agg.columns[0]} ~ {' + '.join(agg.columns[1:])}: {names[cell]} "
                          f"(R² {_num(fit.get('r2'))}, n {_num(fit.get('n'))})"))
            else:
                charts_html.append(f"<p>{_esc(names[cell])}: no fit (null)</p>")
    elif f in ("MEDIAN", "PERCENTILE_CONT"):
        parts.append('<p class="note">The released histogram and the exact rank give an interval that provably '
                     "holds the quantile (<code>zkgate requester refine-quantile</code> narrows it).</p>")
    elif cells and all(not isinstance(v, (dict, list)) for v in by_cell.values()):
        charts_html.append(charts.bar_chart(list(by_cell), list(by_cell.values()),  # short keys; names below
                                            title=f"{agg.alias}: {_SCALAR_LABELS.get(f, f)}",
                                            x_label=" | ".join(group_by), y_label=agg.alias))
    if charts_html:
        parts.append('<div class="charts">' + "".join(charts_html) + "</div>")
    parts.append(_values_table(agg, cells, released, truth, group_names))
    return "".join(parts)


def html_report(*, question: Question, results: Mapping[str, object] | None, truth: Mapping[str, object] | None = None,
                verified: bool, title: str = "zkgate study report", facts: Mapping[str, object] | None = None,
                failures: Sequence[str] = (), group_names: Mapping[str, str] | None = None) -> str:
    """The whole page as a string: verdict, facts (study id, parties, ...), the question as SQL, then one
    section per result (chart where the kind has one, released values beside the truth if given)."""
    results = results or {}
    cells = cell_order(results, question)
    verdict = ('<p class="ok">VERIFIED: every proof, the commitment equation and every derived value were '
               "checked from the public record.</p>" if verified else
               '<p class="bad">VERIFICATION FAILED: ' + _esc("; ".join(failures)) + "</p>")
    fact_rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in (facts or {}).items())
    sections = [_section(agg, results.get(agg.alias), None if truth is None else truth.get(agg.alias), cells,
                         group_names, question.group_by) for agg in question.aggregates]
    sql = question.sql or question.describe()
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_esc(title)}</h1>", verdict,
        f"<table>{fact_rows}</table>" if fact_rows else "",
        "<h2>Question</h2>", f"<pre>{_esc(sql)}</pre>",
        '<p class="note">Results in declared units. Rational results are exact fractions; irrational ones are '
        "computed at 50 decimal digits and published to 15 significant digits (shown here to 4); "
        "<code>null</code> comes with a reason (empty cell, singular design, ...).</p>",
        *sections,
        "</body></html>\n",
    ])


def write_report(path: str | Path, page: str) -> Path:
    """Write the page atomically (mode 0644: a report is meant to be shared); returns the path."""
    target = Path(path)
    atomic_write(target, page.encode("utf-8"), mode=0o644)
    return target
