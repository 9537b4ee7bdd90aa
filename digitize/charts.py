"""The coverage indicators as inline SVG charts, for the printable report and the manager's dashboard.

Pure text from the `coverage()` rows: no script, no font, nothing fetched. Group names come from the
register and are hostile, so every label is escaped; each chart carries a <title> (and aria-label)
a screen reader says, and each bar or point its own <title> with the figures.
"""

from __future__ import annotations

from html import escape

from digitize.coverage import FULL_RATE, REUSE_FLAG, percent
from digitize.i18n import N_

INK, MUTED, GOOD, BAD = "#1f2937", "#6b7280", "#2563eb", "#b91c1c"
LINES = (("rate", N_("Digitized records"), GOOD, ""), ("results_rate", N_("Digitized results"), "#047857", "6 3"),
         ("reuse_rate", N_("Reuse"), "#7c3aed", "2 3"))


def rate_text(rate, _) -> str:
    """A rate as a percentage, or "n/a" (translated) when there was nothing to count."""
    return _("n/a") if rate is None else percent(rate)


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
            f'font-family="sans-serif" font-size="12"><title>{escape(title)}</title>')


def bar_chart(rows: list[dict], _, title: str) -> str:
    """The digitized records rate of each row (`group`), as horizontal bars (agency names are long),
    a dashed line at 80 %; `title`: what the chart shows, already translated."""
    label_w, plot_w, bar_h, gap, top = 280, 520, 18, 8, 24
    height = top + len(rows) * (bar_h + gap) + 24
    width = label_w + plot_w + 170
    x80 = label_w + plot_w * FULL_RATE
    out = [_open(width, height, title)]
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
            out.append(f'<text x="{label_w + 4}" y="{y + bar_h - 5}" fill="{MUTED}">{escape(_("n/a (no records)"))}</text>')
            continue
        w = plot_w * r["rate"]
        colour = BAD if "digitization" in r["flags"] else GOOD
        # an edge keeps bars visible when printed without colour; the figures sit right of the plot
        out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" '
                   f'stroke="#000" stroke-width="0.6"><title>{escape(r["group"])}: {percent(r["rate"])} '
                   f"({r['digitized']}/{r['received']})</title></rect>")
        out.append(f'<text x="{label_w + plot_w + 8}" y="{y + bar_h - 5}" fill="{INK}">'
                   f"{percent(r['rate'])} ({r['digitized']}/{r['received']})</text>")
    out.append(f'<line x1="{x80:.1f}" y1="{top - 10}" x2="{x80:.1f}" y2="{height - 20}" stroke="{BAD}" '
               'stroke-width="1.5" stroke-dasharray="5 3"/>')
    out.append(f'<text x="{x80 + 4:.1f}" y="{top - 12}" fill="{BAD}">{escape(_("%(rate)s target") % {"rate": f"{FULL_RATE:.0%}"})}</text>')
    out.append("</svg>")
    return "\n".join(out)


def trend_chart(rows: list[dict], _) -> str:
    """One line per indicator over the months; a month with nothing to count leaves a gap."""
    if not rows:
        return f'<p class="na">{escape(_("No records in the period."))}</p>'
    left, top, plot_w, plot_h = 48, 16, 760, 220
    width, height = left + plot_w + 130, top + plot_h + 70
    step = plot_w / max(len(rows) - 1, 1)

    def xy(i, rate):
        return left + (i * step if len(rows) > 1 else plot_w / 2), top + plot_h * (1 - rate)

    out = [_open(width, height, _("Monthly trend of the indicators"))]
    for tick in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        y = xy(0, tick)[1]
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{tick:.0%}</text>')
    for limit, label in ((FULL_RATE, _("%(rate)s digitization") % {"rate": f"{FULL_RATE:.0%}"}),
                         (REUSE_FLAG, _("%(rate)s reuse") % {"rate": f"{REUSE_FLAG:.0%}"})):
        y = xy(0, limit)[1]
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{BAD}" '
                   f'stroke-dasharray="5 3"/><text x="{left + plot_w + 6}" y="{y + 4:.1f}" '
                   f'fill="{BAD}">{escape(label)}</text>')
    every = max(1, len(rows) // 12)  # at most ~12 month labels
    for i, r in enumerate(rows):
        x = xy(i, 0)[0]
        if i % every == 0 or i == len(rows) - 1:
            out.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="{MUTED}">'
                       f"{escape(r['month'])}</text>")
    for n, (key, msgid, colour, dash) in enumerate(LINES):
        label = _(msgid)
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
                       f"<title>{escape(r['month'])}: {escape(label)} {rate_text(r[key], _)}</title></circle>")
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
