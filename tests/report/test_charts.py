"""zkgate.report.charts: well-formed SVG, escaped text, no inline styles or scripts, input checks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from zkgate.report import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert(1)</script>"&'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML or this raises
    assert root.tag == SVG + "svg"
    for element in root.iter():
        assert element.tag not in (SVG + "script", SVG + "style", SVG + "foreignObject")
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter() if element.tag in (SVG + "text", SVG + "title")]


def test_bar_chart_escapes_labels_and_draws_one_bar_per_value():
    svg = charts.bar_chart([HOSTILE, "b", "c"], [3, Fraction(7, 2), None], title=HOSTILE, y_label="n")
    assert "<script>" not in svg
    root = parse(svg)
    assert HOSTILE in texts(root)  # the text survives, as text
    bars = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    assert len(bars) == 2  # None is not drawn
    assert any((b.find(SVG + "title").text or "").endswith("3.5") for b in bars)


def test_bar_chart_heights_follow_values():
    root = parse(charts.bar_chart(["a", "b"], [1, 4]))
    bars = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == pytest.approx(4 * heights[0], rel=0.02)


def test_histogram_needs_one_more_edge_than_bins():
    root = parse(charts.histogram([0, 10, 20], [5, 6], title="age"))
    assert "0–10" in texts(root)
    with pytest.raises(ValueError, match="edges"):
        charts.histogram([0, 10], [5, 6])


def test_line_chart_step_band_and_legend():
    xs = [0, 1, 2, 3]
    svg = charts.line_chart(
        xs,
        {HOSTILE: [1, Fraction(4, 5), 0.5, 0.4]},
        lower={HOSTILE: [1, 0.7, 0.4, 0.3]},
        upper={HOSTILE: [1, 0.9, 0.6, 0.5]},
        step=True,
        title="survival",
    )
    root = parse(svg)
    paths = list(root.iter(SVG + "path"))
    assert len(paths) == 2  # the band and the curve
    curve = paths[1].get("d")
    assert curve.count("L") == 2 * (len(xs) - 1)  # a step: horizontal then vertical per point
    assert HOSTILE in texts(root)
    with pytest.raises(ValueError, match="series"):
        charts.line_chart([0, 1], {"s": [1]})


def test_heatmap_cells_and_missing_values():
    root = parse(charts.heatmap(["r1", HOSTILE], ["c1", "c2"], [[1, 2], [3, None]], title="table"))
    cells = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    assert len(cells) == 4
    fills = [c.get("fill") for c in cells]
    assert fills[0] == "#ffffff" and fills[2] == "#084594" and fills[3] == "#f4f4f4"
    with pytest.raises(ValueError, match="matrix"):
        charts.heatmap(["r"], ["c1", "c2"], [[1]])


def test_empty_charts_say_no_data():
    assert "no data" in charts.bar_chart(["a"], [None])
    assert "no data" in charts.line_chart([], {})
    parse(charts.heatmap([], [], []))


def test_regression_table_escapes_and_formats():
    table = charts.regression_table(["(intercept)", HOSTILE], [Fraction(1, 3), 2], std_errors=[0.25, None])
    assert "<script>" not in table and "&lt;script&gt;" in table
    assert "0.3333" in table and "<td class=\"num\">2</td>" in table and "–" in table
    root = ET.fromstring(table)
    assert [th.text for th in root.iter("th")][:3] == ["term", "coefficient", "std. error"]
    with pytest.raises(ValueError, match="column"):
        charts.regression_table(["a"], [1, 2])


def test_values_must_be_numbers():
    with pytest.raises(TypeError):
        charts.bar_chart(["a"], ["1"])
    assert charts.format_number(Fraction(6, 3)) == "2"
    assert charts.format_number(float("nan")) == "–"
