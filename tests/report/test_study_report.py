"""zkgate.report.study: the HTML report and the terminal drawings of a study's results (issues 19/20).

The results are the plain truth of the demo's question over synthetic patients (the same JSON a
release publishes), so nothing here proves anything: seconds on both backends.
"""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

from zkgate.report.study import (
    html_report,
    pooled_histogram,
    summarize,
    text_histogram,
    text_survival,
    write_report,
)
from zkgate.study.patients import PATIENT_SCHEMA, patient_table
from zkgate.study.sql import compile_sql
from zkgate.study.statistics import moments
from zkgate.study.statistics.numbers import to_json

DEMO_LIKE = (
    "SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS mean_chol, CORR(age, cholesterol) AS r, "
    "OLS(cholesterol, age, bmi, sex) AS fit, HISTOGRAM(sbp, 80, 100, 120, 140, 160, 180, 200, 221) AS h, "
    "MEDIAN(sbp) AS med, KAPLAN_MEIER(followup_days, died, 12) AS km "
    "FROM patients WHERE age BETWEEN 40 AND 75 GROUP BY diagnosis"
)


def _results(sql: str, n: int = 300, seed: int = 3):
    question = compile_sql(sql, PATIENT_SCHEMA)
    rows = patient_table(np.random.default_rng(seed), n)
    plain = [dict(zip(PATIENT_SCHEMA.names, (int(v) for v in row))) for row in rows.tolist()]
    return question, to_json(moments.truth(question, PATIENT_SCHEMA, plain))


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_report_is_self_contained_and_draws_every_result(tmp_path):
    question, results = _results(DEMO_LIKE)
    page = html_report(question=question, results=results, truth=results, verified=True,
                       facts={"study id": "ab" * 32}, group_names={"1": "hypertension"})
    parser = _Tags()
    parser.feed(page)
    # no script, no external resource, no event handler: the page loads nothing and runs nothing
    assert "script" not in parser.tags and "iframe" not in parser.tags and "link" not in parser.tags
    assert not any(name.startswith("on") for name, _ in parser.attrs)
    for name, value in parser.attrs:
        if name in ("src", "href"):
            raise AssertionError(f"the report refers to {value!r}")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "VERIFIED" in page and "FAILED" not in page
    for alias in ("n", "mean_chol", "r", "fit", "h", "med", "km"):
        assert f"<h2>{alias}: " in page
    assert "<h2>n: COUNT(*)</h2>" in page
    # charts: a bar chart per scalar result, a histogram per group, one survival chart with 4 curves
    assert page.count("<svg") >= 3 + 4 + 1
    assert page.count('class="zkgate-regression"') == 4  # one OLS table per diagnosis
    assert "Log-rank test across the groups" in page
    assert "1 (hypertension)" in page
    assert ">NO<" not in page  # released == truth everywhere
    written = write_report(tmp_path / "report.html", page)
    assert written.read_text(encoding="utf-8") == page
    assert written.stat().st_mode & 0o777 == 0o644


def test_report_shows_a_mismatch_and_a_failed_verification():
    question, results = _results("SELECT COUNT(*) AS n, AVG(bmi) AS b FROM patients")
    released = dict(results, n=results["n"] + 1)
    page = html_report(question=question, results=released, truth=results, verified=False,
                       failures=["proof 2 of <hospital-b> does not verify"])
    assert "VERIFICATION FAILED" in page
    assert "&lt;hospital-b&gt;" in page and "<hospital-b>" not in page  # party text escaped
    assert page.count(">NO<") == 1 and page.count(">yes<") == 1


def test_hostile_group_names_and_nulls_are_escaped_and_shown():
    question, results = _results("SELECT sex, COUNT(*) AS n, VAR_SAMP(bmi) AS v FROM patients WHERE age > 88 "
                                 "GROUP BY sex", n=40)
    page = html_report(question=question, results=results, verified=True,
                       group_names={"0": "<script>alert(1)</script>", "1": "women"})
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "null" in page or "–" in page  # an empty or one-record cell has no variance


def test_pooled_histogram_is_the_sum_of_the_cells():
    question, results = _results(DEMO_LIKE)
    agg, pooled = pooled_histogram(question, results)
    _, ungrouped = _results(DEMO_LIKE.replace("diagnosis, COUNT", "COUNT").replace(" GROUP BY diagnosis", ""))
    assert agg.alias == "h" and pooled == ungrouped["h"]
    assert sum(pooled) == sum(results["n"].values())
    assert pooled_histogram(*_results("SELECT COUNT(*) AS n FROM patients")[:1], {}) is None


def test_text_histogram_bars_are_proportional():
    lines = text_histogram([0, 10, 20, 30], [5, 10, 0], width=20)
    assert lines == [" [0, 10) " + "█" * 10 + " 5", "[10, 20) " + "█" * 20 + " 10", "[20, 30)  0"]
    assert text_histogram([0, 1, 2], [1, 1000], width=10)[0] == "[0, 1) ▏ 1"  # a count is never drawn as nothing
    assert text_histogram([0, 1], [None]) == ["[0, 1)  0"]


def test_text_survival_draws_each_group_and_a_legend():
    question, results = _results(DEMO_LIKE)
    curves = {k: v for k, v in results["km"].items() if k != "logrank"}
    lines = text_survival(curves, width=50, height=10)
    assert lines[0].startswith("1.00 ┤")  # S(0) = 1 at the top
    assert len(lines) == 10 + 3
    legend = lines[-1]
    for i, group in enumerate(curves):
        assert f"{'●○▲△'[i]} {group}" in legend
    assert text_survival({}) == ["(no survival curve: no records)"]


@pytest.mark.parametrize("function, value, expected", [
    ("AVG", None, "null"),
    ("COUNT", 12, "12"),
    ("MEDIAN", {"low": 128, "high": 131}, "in [128, 131]"),
    ("OLS", {"coef": [1.5, 2], "se": [0.1, 0.2], "r2": 0.25, "n": 10}, "coef [1.5, 2], R² 0.25, n 10"),
    ("KAPLAN_MEIER", {"chi2": 3.5, "df": 2, "p": 0.17}, "log-rank chi² 3.5, df 2, p 0.17"),
    ("HISTOGRAM", [1, 0, 3], "[1, 0, 3]"),
])
def test_summarize(function, value, expected):
    assert summarize(function, value) == expected
