"""The manager's pages: the dashboard (the Decision 766 indicators by agency, procedure or month over
a period, with their points, flags and SVG charts; from a group, its missing records and what each
lacks; CSV and the printable report to download) and the audit log with its filters."""

from __future__ import annotations

import calendar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from markupsafe import Markup

from digitize import i18n
from digitize.charts import bar_chart, trend_chart
from digitize.errors import BadArgument, SohoaError
from digitize.report_html import definition
from digitize.services import records, upkeep
from server.web.desk import field_error, run
from server.web.pages import html, page

router = APIRouter(include_in_schema=False)
N_ = i18n.N_
GROUPINGS = {"agency": N_("agency"), "procedure": N_("procedure"), "month": N_("month")}
RULES = ("strict", "lenient")


def _choice(value: str, allowed, field: str) -> str:
    if value not in allowed:
        raise BadArgument("choose one of {allowed}", field=field, allowed=", ".join(allowed))
    return value


def group_key(by: str, row: dict) -> str:
    """What a row's drill-down link names its group by: the agency, the procedure's code, the month."""
    return str(row.get(by) or "")


@router.get("/dashboard", **page("coverage"))
async def dashboard(request: Request, by: str = "agency", date_from: str = "", date_to: str = "", rule: str = "strict"):
    form = {"by": by, "date_from": date_from, "date_to": date_to, "rule": rule}
    gettext = i18n.translations(i18n.language(request.state.actor.lang)).gettext
    period = {"date_from": date_from or None, "date_to": date_to or None}
    report = trend = None
    errors: dict = {}
    try:
        _choice(by, GROUPINGS, "by")
        _choice(rule, RULES, "rule")

        def work(archive, actor):
            return (records.coverage(archive, actor, by=by, rule=rule, **period),
                    records.coverage(archive, actor, by="month", rule=rule, **period))

        report, trend = await run(request, work)
    except SohoaError as exc:
        errors = field_error(request, exc, ("by", "rule", "date_from", "date_to"), "by")
    charts = {}
    if report:
        title = gettext("Digitized records rate by %(group)s") % {"group": gettext(GROUPINGS[by])}
        # the charts escape every label themselves (digitize/charts.py): safe to put in as they are
        charts = {"bars": Markup(bar_chart(report["rows"], gettext, title)),
                  "trend": Markup(trend_chart(trend["rows"], gettext))}
        report["definition"] = definition(rule, gettext)
        for row in report["rows"]:
            row["drill"] = "/dashboard/missing?" + urlencode({"by": by, "group": group_key(by, row), **_kept(form)})
    query = urlencode({k: v for k, v in {"by": by, "from": date_from, "to": date_to, "rule": rule}.items() if v})
    printable = urlencode({k: v for k, v in {"from": date_from, "to": date_to, "rule": rule,
                                            "lang": request.state.actor.lang}.items() if v})
    return html(request, "dashboard.html", form=form, report=report, charts=charts, errors=errors,
                groupings=GROUPINGS, rules=RULES, csv="/api/v1/coverage.csv?" + query,
                printable="/api/v1/coverage.html?" + printable, back="/")


def _kept(form: dict) -> dict:
    return {k: form[k] for k in ("date_from", "date_to", "rule") if form.get(k)}


@router.get("/dashboard/missing", **page("missing"))
async def missing(request: Request, by: str = "agency", group: str = "", date_from: str = "", date_to: str = "",
                  rule: str = "strict"):
    form = {"by": by, "group": group, "date_from": date_from, "date_to": date_to, "rule": rule}
    period = {"date_from": date_from or None, "date_to": date_to or None}
    if by == "month" and len(group) == 7:  # a month is a period of its own, within the one chosen
        year, month = int(group[:4]), int(group[5:7])
        period = {"date_from": max(f"{group}-01", date_from or ""),
                  "date_to": min(f"{group}-{calendar.monthrange(year, month)[1]:02d}", date_to or "9999")}
    found = await run(request, lambda archive, actor: records.missing(archive, actor, rule=_choice(rule, RULES, "rule"),
                                                                     limit=0, **period))
    key = {"agency": "agency", "procedure": "procedure_code"}.get(by)
    rows = [r for r in found["records"] if key is None or str(r.get(key) or "") == group]
    back = "/dashboard?" + urlencode({"by": by, **_kept(form)})
    return html(request, "missing.html", form=form, rows=rows, grouping=GROUPINGS.get(by, by), back=back)


@router.get("/audit", **page("audit_log"))
async def audit(request: Request, user: str = "", paper: str = "", holder_id: str = "", since: str = ""):
    form = {"user": user, "paper": paper, "holder_id": holder_id, "since": since}
    rows, errors = [], {}
    try:
        if paper and not paper.strip().isdigit():
            raise BadArgument("a paper is a number", field="paper")
        rows = await run(request, lambda archive, actor: upkeep.audit_log(
            archive, actor, paper_id=int(paper) if paper.strip() else None, holder_id=holder_id or None,
            since=since or None))
    except SohoaError as exc:
        errors = field_error(request, exc, tuple(form), "user")
    if user.strip():
        rows = [r for r in rows if r.get("user") == user.strip()]
    return html(request, "audit.html", form=form, rows=rows[-500:][::-1], total=len(rows), errors=errors, back="/")
