"""The coverage charts (digitize/charts.py) as SVG a browser and a reader take: well-formed, titled,
and register names only ever text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from digitize import i18n
from digitize.charts import bar_chart, rate_text, trend_chart

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert(1)</script> Sở <img src=x onerror="alert(2)">'
_ = i18n.translations("en").gettext


def row(group: str, received: int, digitized: int, reused: int = 0, month: str | None = None) -> dict:
    rate = digitized / received if received else None
    return {"group": group, "month": month, "received": received, "digitized": digitized, "rate": rate,
            "results_rate": None, "reused": reused, "reuse_rate": reused / received if received else None,
            "flags": ["digitization"] if rate is not None and rate < 0.8 else []}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything not well-formed


def test_a_hostile_agency_name_stays_text_in_the_bar_chart():
    root = parse(bar_chart([row(HOSTILE, 4, 1), row("Phường 1", 5, 5)], _, "Rate by <agency>"))
    assert not list(root.iter(SVG + "script")) and not list(root.iter("script"))
    assert not [e for e in root.iter() if "onerror" in e.attrib or e.tag.endswith("img")]
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert any(HOSTILE[:39] in t for t in texts)  # the long name is cut for the label, whole in its title
    titles = [t.text for t in root.iter(SVG + "title")]
    assert titles[0] == "Rate by <agency>" and root.get("aria-label") == "Rate by <agency>"
    assert f"{HOSTILE}: 25.0% (1/4)" in titles


def test_each_bar_is_as_long_as_its_rate_and_an_empty_group_has_none():
    root = parse(bar_chart([row("A", 4, 1), row("B", 4, 4), row("C", 0, 0)], _, "t"))
    widths = [float(r.get("width")) for r in root.iter(SVG + "rect")]
    assert len(widths) == 2 and abs(widths[1] - 4 * widths[0]) < 0.5
    assert any("n/a" in "".join(t.itertext()) for t in root.iter(SVG + "text"))


def test_the_trend_chart_gives_each_point_its_title_and_leaves_gaps():
    rows = [row(HOSTILE, 2, 1, month="2024-01"), row("x", 0, 0, month="2024-02"), row("y", 4, 4, 1, month="2024-03")]
    root = parse(trend_chart(rows, _))
    assert root.find(SVG + "title").text == "Monthly trend of the indicators"
    points = [c.find(SVG + "title").text for c in root.iter(SVG + "circle")]
    assert "2024-01: Digitized records 50.0%" in points and "2024-03: Reuse 25.0%" in points
    assert not any(p.startswith("2024-02") for p in points)  # nothing to count: no point, a gap
    assert not list(root.iter(SVG + "polyline"))  # two points a gap apart make no line


def test_the_charts_speak_vietnamese_by_default():
    vi = i18n.translations("vi").gettext
    root = parse(trend_chart([row("a", 1, 1, month="2024-01")], vi))
    assert root.find(SVG + "title").text == vi("Monthly trend of the indicators") != "Monthly trend of the indicators"
    assert rate_text(None, vi) == vi("n/a")
