"""`sohoa coverage --html`: one self-contained page a manager can open offline or print.

Everything is inline: CSS (with print rules), SVG charts drawn here from the coverage figures, no
script, no font, no image from elsewhere. The figures are those of `coverage()` (the JSON and CSV
carry the same), so the page can never disagree with the other outputs.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from html import escape
from pathlib import Path

from digitize.catalog import Catalog
from digitize.coverage import FLAG_TEXT, FULL_RATE, REUSE_FLAG, coverage, percent, period_text, rollup

INK, MUTED, GOOD, BAD = "#1f2937", "#6b7280", "#2563eb", "#b91c1c"
LINES = (("rate", "Digitized records", GOOD, ""), ("results_rate", "Digitized results", "#047857", "6 3"),
         ("reuse_rate", "Reuse", "#7c3aed", "2 3"))

CSS = """
body { font: 14px/1.4 system-ui, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2937; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { margin-top: 1.6em; font-size: 1.2em; } h3 { font-size: 1.05em; }
.meta, .definition { color: #4b5563; } .definition { font-size: .9em; max-width: 60em; }
.cards { display: flex; gap: 1em; flex-wrap: wrap; margin: 1em 0; }
.card { border: 1px solid #d1d5db; border-radius: 6px; padding: .6em 1em; min-width: 12em; }
.card b { display: block; font-size: 1.6em; }
table { border-collapse: collapse; margin: .5em 0 1.2em; font-size: .9em; }
th, td { border-bottom: 1px solid #e5e7eb; padding: .25em .6em; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; } th:last-child, td:last-child { text-align: left; }
thead th { border-bottom: 2px solid #9ca3af; } tr.total td { font-weight: bold; border-top: 2px solid #9ca3af; }
.flag { color: #b91c1c; font-weight: bold; } .na { color: #9ca3af; } small { color: #6b7280; }
svg { display: block; margin: .5em 0 1em; max-width: 100%; height: auto; }
@page { size: A4; margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; color: #000; }
  section { break-inside: avoid; page-break-inside: avoid; }
  section.unit { break-inside: auto; }
  tr { break-inside: avoid; } thead { display: table-header-group; }
  .card { border-color: #000; } th, td { border-color: #999; }
}
"""


def write_html(catalog: Catalog, path: Path, **options) -> None:
    """Render and write atomically (a half-written report is never left behind)."""
    path = Path(path)
    text = render(catalog, **options)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=".coverage-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def render(catalog: Catalog, date_from: str | None = None, date_to: str | None = None, rule: str = "strict",
           max_points: dict | None = None, agencies: tuple[str, ...] | None = None) -> str:
    units = coverage(catalog, by="agency,month", date_from=date_from, date_to=date_to, rule=rule,
                     max_points=max_points, agencies=agencies)
    by_agency, by_month = rollup(units, "agency"), rollup(units, "month")  # one pass over the records
    total = by_agency["total"]
    points = by_agency["max_points"]

    parts = [
        "<!DOCTYPE html>", '<html lang="vi">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Digitization coverage (Decision 766/QĐ-TTg)</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        "<h1>Digitization coverage — Decision 766/QĐ-TTg indicators</h1>",
        f'<p class="meta">Period: {escape(period_text(by_agency))} · rule: <b>{escape(rule)}</b> · '
        f"full points: records {points['records']:g}, results {points['results']:g}, reuse {points['reuse']:g} · "
        f"generated {datetime.now().strftime('%Y-%m-%d %H:%M')}</p>",
        f'<p class="definition">{escape(by_agency["definition"])}</p>',
        '<section class="cards">',
        _card("Digitized records", total["rate"], total["digitized"], total["received"]),
        _card("Digitized results", total["results_rate"], total["results_digitized"], total["results_required"]),
        _card("Reuse", total["reuse_rate"], total["reused"], total["received"]),
        f'<div class="card">Score<b>{_score(total)}</b><small>points of the indicators that apply</small></div>',
        "</section>",
        "<section><h2>Digitized records rate by agency</h2>", _bar_chart(by_agency["rows"]), "</section>",
        "<section><h2>Monthly trend</h2>", _trend_chart(by_month["rows"]), "</section>",
        "<section><h2>By agency</h2>", _table(by_agency, "Agency"), "</section>",
    ]
    for agency in by_agency["rows"]:
        rows = [r for r in units["rows"] if r["agency"] == agency["agency"]]
        parts += [f'<section class="unit"><h2>{escape(agency["agency"])}</h2>',
                  _table({"rows": rows, "total": agency}, "Month"), "</section>"]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _card(title: str, rate, numerator: int, denominator: int) -> str:
    return (f'<div class="card">{escape(title)}<b>{percent(rate)}</b>'
            f"<small>{numerator} / {denominator}</small></div>")


def _score(r: dict) -> str:
    return "n/a" if r["score"] is None else f"{r['score']:g} / {r['score_max']:g}"


def _cell(rate, numerator: int, denominator: int, flagged: bool = False) -> str:
    cls = ' class="na"' if rate is None else ' class="flag"' if flagged else ""
    return f"<td{cls}>{percent(rate)} <small>{numerator}/{denominator}</small></td>"


def _table(report: dict, heading: str) -> str:
    head = (f"<thead><tr><th>{escape(heading)}</th><th>Received</th><th>Digitized records</th>"
            "<th>Digitized results</th><th>Reuse</th><th>Score</th><th>Flags</th></tr></thead>")
    lines = ["<table>", head, "<tbody>"]
    for r in [*report["rows"], report["total"]]:
        label = r["month"] if heading == "Month" and "month" in r else r["group"]
        cls = ' class="total"' if r is report["total"] else ""
        flags = ", ".join(FLAG_TEXT[f] for f in r["flags"])
        lines.append(
            f"<tr{cls}><td>{escape(str(label))}</td><td>{r['received']}</td>"
            + _cell(r["rate"], r["digitized"], r["received"], "digitization" in r["flags"])
            + _cell(r["results_rate"], r["results_digitized"], r["results_required"])
            + _cell(r["reuse_rate"], r["reused"], r["received"], "reuse" in r["flags"])
            + f"<td>{_score(r)}</td><td class=\"flag\">{'⚑ ' + escape(flags) if flags else ''}</td></tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def _bar_chart(rows: list[dict]) -> str:
    """Horizontal bars (agency names are long), a dashed line at 80 %."""
    label_w, plot_w, bar_h, gap, top = 280, 520, 18, 8, 24
    height = top + len(rows) * (bar_h + gap) + 24
    width = label_w + plot_w + 170
    x80 = label_w + plot_w * FULL_RATE
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="Digitized records rate by agency" '
           f'font-family="sans-serif" font-size="12">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + plot_w * tick
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 20}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">{tick:.0%}</text>')
    for i, r in enumerate(rows):
        y = top + i * (bar_h + gap)
        name = r["group"] if len(r["group"]) <= 40 else r["group"][:39] + "…"
        out.append(f'<text x="{label_w - 8}" y="{y + bar_h - 5}" text-anchor="end" fill="{INK}">'
                   f"<title>{escape(r['group'])}</title>{escape(name)}</text>")
        if r["rate"] is None:
            out.append(f'<text x="{label_w + 4}" y="{y + bar_h - 5}" fill="{MUTED}">n/a (no records)</text>')
            continue
        w = plot_w * r["rate"]
        colour = BAD if "digitization" in r["flags"] else GOOD
        # an edge keeps bars visible when printed without colour; the figures sit right of the plot
        out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" '
                   'stroke="#000" stroke-width="0.6"/>')
        out.append(f'<text x="{label_w + plot_w + 8}" y="{y + bar_h - 5}" fill="{INK}">'
                   f"{percent(r['rate'])} ({r['digitized']}/{r['received']})</text>")
    out.append(f'<line x1="{x80:.1f}" y1="{top - 10}" x2="{x80:.1f}" y2="{height - 20}" stroke="{BAD}" '
               'stroke-width="1.5" stroke-dasharray="5 3"/>')
    out.append(f'<text x="{x80 + 4:.1f}" y="{top - 12}" fill="{BAD}">80% target</text>')
    out.append("</svg>")
    return "\n".join(out)


def _trend_chart(rows: list[dict]) -> str:
    """One line per indicator over the months; a month with nothing to count leaves a gap."""
    if not rows:
        return '<p class="na">No records in the period.</p>'
    left, top, plot_w, plot_h = 48, 16, 760, 220
    width, height = left + plot_w + 130, top + plot_h + 70
    step = plot_w / max(len(rows) - 1, 1)

    def xy(i, rate):
        return left + (i * step if len(rows) > 1 else plot_w / 2), top + plot_h * (1 - rate)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="Monthly trend of the indicators" '
           f'font-family="sans-serif" font-size="12">']
    for tick in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        _, y = xy(0, tick)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{tick:.0%}</text>')
    for limit, label in ((FULL_RATE, "80% digitization"), (REUSE_FLAG, "50% reuse")):
        _, y = xy(0, limit)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{BAD}" '
                   f'stroke-dasharray="5 3"/><text x="{left + plot_w + 6}" y="{y + 4:.1f}" '
                   f'fill="{BAD}">{label}</text>')
    every = max(1, len(rows) // 12)  # at most ~12 month labels
    for i, r in enumerate(rows):
        x, _ = xy(i, 0)
        if i % every == 0 or i == len(rows) - 1:
            out.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="{MUTED}">'
                       f"{escape(r['month'])}</text>")
    for n, (key, label, colour, dash) in enumerate(LINES):
        segment: list[str] = []
        segments = [segment]
        for i, r in enumerate(rows):
            if r[key] is None:
                segment = []
                segments.append(segment)
                continue
            x, y = xy(i, r[key])
            segment.append(f"{x:.1f},{y:.1f}")
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                       f"<title>{escape(r['month'])}: {escape(label)} {percent(r[key])}</title></circle>")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for points in segments:
            if len(points) > 1:
                out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                           f'stroke-width="2"{dash_attr}/>')
        lx = left + n * 200
        ly = top + plot_h + 44
        out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 30}" y2="{ly}" stroke="{colour}" stroke-width="2"{dash_attr}/>'
                   f'<text x="{lx + 36}" y="{ly + 4}" fill="{INK}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)
