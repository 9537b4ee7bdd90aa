"""`sohoa coverage --html`: one self-contained page a manager can open offline or print.

Everything is inline: CSS (with print rules), SVG charts (digitize/charts.py) from the coverage figures, no
script, no font, no image from elsewhere. The figures are those of `coverage()` (the JSON and CSV
carry the same), so the page can never disagree with the other outputs. Its words come from the
project's message catalogue (digitize/i18n.py): Vietnamese by default, English with lang="en".
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from html import escape
from pathlib import Path

from digitize import i18n
from digitize.catalog import Catalog
from digitize.coverage import FULL_RATE, REUSE_FLAG, coverage, rollup
from digitize.charts import bar_chart, rate_text, trend_chart
from digitize.i18n import N_

RULE_TEXT = {
    "strict": N_("strict rule: every component the record lists has an archived paper and, where its procedure "
                 "issues a paper result that exists, the result is archived too"),
    "lenient": N_('lenient rule ("components or result"): every component the record lists has an archived '
                  "paper, or its result is archived"),
}
RULE_NAME = {"strict": N_("strict"), "lenient": N_("lenient")}

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
           max_points: dict | None = None, agencies: tuple[str, ...] | None = None,
           lang: str = i18n.DEFAULT) -> str:
    _ = i18n.translations(lang).gettext
    units = coverage(catalog, by="agency,month", date_from=date_from, date_to=date_to, rule=rule,
                     max_points=max_points, agencies=agencies)
    by_agency, by_month = rollup(units, "agency"), rollup(units, "month")  # one pass over the records
    total = by_agency["total"]
    points = by_agency["max_points"]

    parts = [
        "<!DOCTYPE html>", f'<html lang="{escape(lang)}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(_('Digitization coverage (Decision 766/QĐ-TTg)'))}</title>", f"<style>{CSS}</style>",
        "</head>", "<body>",
        f"<h1>{escape(_('Digitization coverage — Decision 766/QĐ-TTg indicators'))}</h1>",
        '<p class="meta">' + escape(_("Period: %(period)s · rule: %(rule)s · full points: records %(records)s, "
                                      "results %(results)s, reuse %(reuse)s · generated %(at)s") % {
            "period": _period(by_agency, _), "rule": _(RULE_NAME.get(rule, rule)), "records": f"{points['records']:g}",
            "results": f"{points['results']:g}", "reuse": f"{points['reuse']:g}",
            "at": datetime.now().strftime("%Y-%m-%d %H:%M")}) + "</p>",
        f'<p class="definition">{escape(definition(rule, _))}</p>',
        '<section class="cards">',
        _card(_("Digitized records"), total["rate"], total["digitized"], total["received"], _),
        _card(_("Digitized results"), total["results_rate"], total["results_digitized"], total["results_required"], _),
        _card(_("Reuse"), total["reuse_rate"], total["reused"], total["received"], _),
        f'<div class="card">{escape(_("Score"))}<b>{_score(total, _)}</b>'
        f'<small>{escape(_("points of the indicators that apply"))}</small></div>',
        "</section>",
        f"<section><h2>{escape(_('Digitized records rate by agency'))}</h2>", bar_chart(by_agency["rows"], _, _("Digitized records rate by agency")),
        "</section>",
        f"<section><h2>{escape(_('Monthly trend'))}</h2>", trend_chart(by_month["rows"], _), "</section>",
        f"<section><h2>{escape(_('By agency'))}</h2>", _table(by_agency, _("Agency"), _), "</section>",
    ]
    for agency in by_agency["rows"]:
        rows = [r for r in units["rows"] if r["agency"] == agency["agency"]]
        parts += [f'<section class="unit"><h2>{escape(agency["agency"])}</h2>',
                  _table({"rows": rows, "total": agency}, _("Month"), _, by_month=True), "</section>"]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def definition(rule: str, _) -> str:
    """What the indicators count under `rule`, in the language of `_` (the report and the dashboard)."""
    return _("Digitized records rate (%(rule)s) = records digitized / records received in the period; "
             "digitized results rate = records with the paper result archived / records whose procedure "
             "issues a paper result that exists; reuse rate = records with a component served by a reused "
             "paper / records received. Points: full at >= %(full)s, else rate x max / %(full)s; "
             "flagged under %(full)s digitization or %(reuse)s reuse; n/a when nothing to count.") % {
        "rule": _(RULE_TEXT[rule]), "full": f"{FULL_RATE:.0%}", "reuse": f"{REUSE_FLAG:.0%}"}


def _period(report: dict, _) -> str:
    start, end = report["from"], report["to"]
    if start and end:
        return _("%(start)s to %(end)s (received date, inclusive)") % {"start": start, "end": end}
    if start:
        return _("from %(start)s (received date, inclusive)") % {"start": start}
    if end:
        return _("up to %(end)s (received date, inclusive)") % {"end": end}
    return _("all records")


def _flag_text(flag: str, _) -> str:
    if flag == "digitization":
        return _("digitization < %(rate)s") % {"rate": f"{FULL_RATE:.0%}"}
    return _("reuse < %(rate)s") % {"rate": f"{REUSE_FLAG:.0%}"}


def _card(title: str, rate, numerator: int, denominator: int, _) -> str:
    return (f'<div class="card">{escape(title)}<b>{rate_text(rate, _)}</b>'
            f"<small>{numerator} / {denominator}</small></div>")


def _score(r: dict, _) -> str:
    return _("n/a") if r["score"] is None else f"{r['score']:g} / {r['score_max']:g}"


def _cell(rate, numerator: int, denominator: int, _, flagged: bool = False) -> str:
    cls = ' class="na"' if rate is None else ' class="flag"' if flagged else ""
    return f"<td{cls}>{rate_text(rate, _)} <small>{numerator}/{denominator}</small></td>"


def _table(report: dict, heading: str, _, by_month: bool = False) -> str:
    names = (_("Received"), _("Digitized records"), _("Digitized results"), _("Reuse"), _("Score"), _("Flags"))
    head = (f"<thead><tr><th>{escape(heading)}</th>" + "".join(f"<th>{escape(n)}</th>" for n in names)
            + "</tr></thead>")
    lines = ["<table>", head, "<tbody>"]
    for r in [*report["rows"], report["total"]]:
        label = r["month"] if by_month and "month" in r else r["group"]
        label = _("Total") if r is report["total"] else label
        cls = ' class="total"' if r is report["total"] else ""
        flags = ", ".join(_flag_text(f, _) for f in r["flags"])
        lines.append(
            f"<tr{cls}><td>{escape(str(label))}</td><td>{r['received']}</td>"
            + _cell(r["rate"], r["digitized"], r["received"], _, "digitization" in r["flags"])
            + _cell(r["results_rate"], r["results_digitized"], r["results_required"], _)
            + _cell(r["reuse_rate"], r["reused"], r["received"], _, "reuse" in r["flags"])
            + f"<td>{_score(r, _)}</td><td class=\"flag\">{'⚑ ' + escape(flags) if flags else ''}</td></tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)
