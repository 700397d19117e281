"""How the console draws released results (pure functions: no gateway, both backends)."""

from __future__ import annotations

from types import SimpleNamespace

from zkgate.services.console.app import chart_svgs
from zkgate.services.console.source import release_charts_data

SPEC = SimpleNamespace(statistics=[SimpleNamespace(kind="histogram", column="sbp", edges=(80, 120, 160))])


def test_each_result_shape_gets_its_chart():
    released = {"statistics": {
        "count": 12,
        "hist_sbp": [5, 7],
        "km": {"time": [1, 2, 3], "survival": [1, "3/4", 0.5], "ci_low": [1, 0.5, None], "ci_high": [1, 0.9, 0.8]},
        "ols": {"coef": [1.5, "-1/3"], "se": [0.1, 0.2], "r2": 0.25, "n": 40},
        "table": [[1, 2], [3, 4]],
        "by_sex": {"0": [1, 2, 3], "1": [4, 5, 6]},
        "<script>x</script>": [1, 2],
    }}
    charts = release_charts_data(SPEC, released)
    kinds = [(c["kind"], c["name"]) for c in charts]
    assert kinds == [("histogram", "hist_sbp"), ("survival", "km"), ("regression", "ols"), ("heatmap", "table"),
                     ("bar", "by_sex [0]"), ("bar", "by_sex [1]"), ("bar", "<script>x</script>")]
    assert charts[1]["survival"] == [1, 0.75, 0.5] and charts[1]["ci_low"][2] is None
    svgs = chart_svgs({"charts": charts})
    assert len(svgs) == len(charts)
    assert all("<script" not in svg for svg in svgs) and "&lt;script&gt;x&lt;/script&gt;" in svgs[-1]
    assert "80–120" in svgs[0] and svgs[2].startswith("<table") and "-0.3333" in svgs[2]


def test_nothing_to_draw():
    assert release_charts_data(SPEC, None) == []
    assert release_charts_data(SPEC, {"statistics": {"count": 3, "mean": None, "hist_sbp": [None, None]}}) == []


def test_histogram_edges_come_from_the_release_bins():
    spec = SimpleNamespace()  # a spec without the legacy statistics (compiled questions)
    for key in ("hist_sbp", "sbp"):
        released = {"statistics": {"hist_sbp": [2, 0, 1]}, "histogram_bins": {key: ["[80, 120)", "[120, 140)", "[140, 201)"]}}
        (chart,) = release_charts_data(spec, released)
        assert chart["kind"] == "histogram" and chart["edges"] == [80, 120, 140, 201]
    broken = {"statistics": {"hist_sbp": [2, 0]}, "histogram_bins": {"hist_sbp": ["[80, 120)", "[130, 140)"]}}
    assert release_charts_data(spec, broken)[0]["kind"] == "bar"  # bins that do not chain: no edges invented
