"""Coverage: the digitization indicators of Decision 766/QĐ-TTg, for managers.

Over the records received in the period (both bounds inclusive), per group and in total:
- digitized records rate = records digitized ÷ records received. Strict rule (default): every
  component the record lists has an archived paper and, once its paper result exists, the result too.
  Lenient rule: every component, or the result.
- digitized results rate = records whose paper result is attached ÷ records whose procedure issues a
  paper result and whose result exists (the register says it is issued or the record resolved; a
  register without that information, such as the CSV, counts every such record).
- reuse rate = records with at least one component served by a reused paper ÷ records received.
- points per indicator: full points at ≥ 80 %, else rate × max ÷ 80 %; groups under 80 %
  digitization or 50 % reuse are flagged. An empty denominator is n/a (None), never 0 or 100 %.

The counting is the storage's (digitize/storage/coverage.py): in SQLite each record carries counters
the catalog's triggers keep true, so one GROUP BY over the records table answers every report: its
cost is a scan of the records in the period, not a look-up per component.
"""

from __future__ import annotations

from digitize import csv_export
from digitize.catalog import Catalog
from digitize.errors import BadArgument
from digitize.dates import date_given

FULL_RATE = 0.8  # at or above, an indicator earns full points; below, a unit is flagged
REUSE_FLAG = 0.5
DEFAULT_MAX_POINTS = {"records": 10.0, "results": 10.0, "reuse": 10.0}
CHANNELS = {1: "1 at the counter", 2: "2 online", 3: "3 by post"}

RULES = {
    "strict": "strict rule: every component the record lists has an archived paper and, where its procedure "
              "issues a paper result that exists, the result is archived too",
    "lenient": 'lenient rule ("components or result"): every component the record lists has an archived '
               "paper, or its result is archived",
}

# dimension -> heading; a procedure is one group per code, labelled with the name of its latest record
DIMENSIONS = {"agency": "Agency", "procedure": "Procedure", "channel": "Channel", "month": "Month"}

COLUMNS = ("received", "digitized", "rate", "results_required", "results_digitized", "results_rate",
           "reused", "reuse_rate", "score", "score_max")


def parse_by(by: str | list[str] | None) -> list[str]:
    """`agency,month` → ["agency", "month"], checked."""
    if not by:
        return []
    parts = [p.strip() for p in by.split(",")] if isinstance(by, str) else list(by)
    for part in parts:
        if part not in DIMENSIONS:
            raise BadArgument(f'cannot group coverage by "{part}"; use {", ".join(DIMENSIONS)} '
                              "or a combination such as agency,month")
    if len(set(parts)) != len(parts):
        raise BadArgument(f'"{",".join(parts)}" names a grouping twice')
    return parts


def parse_max_points(text: str | None) -> dict[str, float]:
    """`10` (every indicator) or `records=8,results=6,reuse=6` (unnamed ones keep the default)."""
    points = dict(DEFAULT_MAX_POINTS)
    if not text:
        return points
    try:
        if "=" not in text:
            return {k: _positive(text) for k in points}
        for part in text.split(","):
            key, _, value = part.partition("=")
            if key.strip() not in points:
                raise BadArgument('{max_points}: unknown indicator "{key}"; use records, results, reuse',
                                  field="max_points", key=key.strip())
            points[key.strip()] = _positive(value)
    except ValueError:
        raise BadArgument('{max_points} "{text}": expected a number, or records=N,results=N,reuse=N',
                          field="max_points", text=text) from None
    return points


def coverage(catalog: Catalog, by: str | list[str] | None = None, date_from: str | None = None,
             date_to: str | None = None, rule: str = "strict", max_points: dict | None = None,
             agencies: tuple[str, ...] | None = None) -> dict:
    """The indicators over records received in [date_from, date_to], optionally grouped; of these
    `agencies`' records only (None: all)."""
    dims = parse_by(by)
    if rule not in RULES:
        raise BadArgument(f'unknown rule "{rule}"; use strict or lenient')
    max_points = max_points or dict(DEFAULT_MAX_POINTS)
    date_from, date_to = period(date_from, date_to)

    rows = []
    if dims:
        rows = [_row(dict(zip(dims, label)), *sums, max_points=max_points)
                for label, sums in catalog.coverage.groups(dims, rule, date_from, date_to, agencies)]
        if "month" in dims:
            rows = _every_month(rows, dims, date_from, date_to, max_points)
        totals = [sum(r[k] for r in rows) for k in ("received", "digitized", "results_required",
                                                    "results_digitized", "reused")]
    else:
        totals = catalog.coverage.totals(rule, date_from, date_to, agencies)

    return {
        "definition": definition(rule),
        "rule": rule,
        "by": ",".join(dims) or None,
        "from": date_from,
        "to": date_to,
        "max_points": max_points,
        "rows": rows,
        "total": _row(None, *totals, max_points=max_points),
    }


def rollup(report: dict, by: str) -> dict:
    """The report regrouped by some of its dimensions (agency,month → agency), without another query."""
    dims = parse_by(by)
    counts = ("received", "digitized", "results_required", "results_digitized", "reused")
    groups: dict[tuple, list[int]] = {}
    for r in report["rows"]:
        key = tuple(f"{r['procedure']} {r['procedure_name']}" if d == "procedure" else r[d] for d in dims)
        sums = groups.setdefault(key, [0] * len(counts))
        for i, k in enumerate(counts):
            sums[i] += r[k]
    rows = [_row(dict(zip(dims, key)), *groups[key], max_points=report["max_points"]) for key in sorted(groups)]
    return {**report, "by": ",".join(dims), "rows": rows}


def definition(rule: str) -> str:
    return (f"Digitized records rate ({RULES[rule]}) = records digitized / records received in the period; "
            "digitized results rate = records with the paper result archived / records whose procedure "
            "issues a paper result that exists; reuse rate = records with a component served by a reused "
            f"paper / records received. Points: full at >= {FULL_RATE:.0%}, else rate x max / {FULL_RATE:.0%}; "
            f"flagged under {FULL_RATE:.0%} digitization or {REUSE_FLAG:.0%} reuse; n/a when nothing to count.")


def missing(catalog: Catalog, date_from: str | None = None, date_to: str | None = None,
            rule: str = "strict", limit: int | None = None, agencies: tuple[str, ...] | None = None) -> dict:
    """Records not digitized under the rule, with what lacks a paper, oldest due date first.

    `count` is all of them; `records` the first `limit` (all when None).
    """
    if rule not in RULES:
        raise BadArgument(f'unknown rule "{rule}"; use strict or lenient')
    date_from, date_to = period(date_from, date_to)
    count, records = catalog.coverage.missing(rule, date_from, date_to, limit, agencies)
    return {"definition": definition(rule), "rule": rule, "from": date_from, "to": date_to,
            "count": count, "records": records}


# -- output -------------------------------------------------------------------------------------
def format_table(report: dict) -> str:
    """An aligned text table: the definition, the period, one line per group and the total."""
    dims = report["by"].split(",") if report["by"] else []
    heading = " / ".join(DIMENSIONS[d] for d in dims)
    header = (heading, "Received", "Digitized", "Rate", "Results", "Rate", "Reused", "Rate", "Score", "Flags")

    def cells(r):
        score = "n/a" if r["score"] is None else f"{r['score']:g}/{r['score_max']:g}"
        return (r["group"], str(r["received"]), str(r["digitized"]), percent(r["rate"]),
                f"{r['results_digitized']}/{r['results_required']}", percent(r["results_rate"]),
                str(r["reused"]), percent(r["reuse_rate"]), score, ", ".join(FLAG_TEXT[f] for f in r["flags"]))

    body = [cells(r) for r in report["rows"]]
    total = cells(report["total"])
    every = [header, *body, total]
    widths = [max(len(c[i]) for c in every) for i in range(len(header))]

    def fmt(c):
        first = c[0].ljust(widths[0])
        middle = "  ".join(x.rjust(w) for x, w in zip(c[1:-1], widths[1:-1]))
        return f"{first}  {middle}  {c[-1]}".rstrip()

    rule = "  ".join("-" * w for w in widths[:-1])
    out = [report["definition"], f"Period: {period_text(report)}", "", fmt(header), rule]
    if body:
        out += [fmt(c) for c in body]
        out.append(rule)
    out.append(fmt(total))
    return "\n".join(out)


FLAG_TEXT = {"digitization": f"digitization < {FULL_RATE:.0%}", "reuse": f"reuse < {REUSE_FLAG:.0%}"}


def csv_columns(report: dict) -> list[str]:
    dims = report["by"].split(",") if report["by"] else []
    return ["group", *dims, *COLUMNS[:8], "points_records", "points_results", "points_reuse",
            "score", "score_max", "flags"]


def to_csv(report: dict) -> str:
    """The JSON's figures, one row per group and the total; rates as fractions, empty for n/a;
    a group named like a formula (`=HYPERLINK(…)`) is made inert (digitize/csv_export.py)."""
    columns = csv_columns(report)
    flat = ({**r, **{f"points_{k}": v for k, v in r["points"].items()}, "flags": ";".join(r["flags"])}
            for r in [*report["rows"], report["total"]])
    return csv_export.to_csv(columns, ([r.get(c) for c in columns] for r in flat))


def format_missing(report: dict) -> str:
    lines = [f"{report['count']} records not digitized ({report['rule']} rule), period: {period_text(report)}"]
    for r in report["records"]:
        lacking = [*r["missing_components"], *(["result (kết quả)"] if r["result_missing"] else [])]
        lines.append(f"due {r['due_date'] or '-':10}  {r['record_code']}  {r['agency']}  {r['procedure_code']}  "
                     f"missing: {'; '.join(lacking)}")
    if len(report["records"]) < report["count"]:
        lines.append(f"… and {report['count'] - len(report['records'])} more (raise --limit)")
    return "\n".join(lines)


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def period_text(report: dict) -> str:
    start, end = report["from"], report["to"]
    if start and end:
        return f"{start} to {end} (received date, inclusive)"
    if start:
        return f"from {start} (received date, inclusive)"
    if end:
        return f"up to {end} (received date, inclusive)"
    return "all records"


# -- helpers ----------------------------------------------------------------------------
def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(text)
    return value


def _bound(which: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return date_given(value, which, quoted=True)


def period(date_from, date_to) -> tuple[str | None, str | None]:
    """The period's bounds as ISO dates (None: open), checked."""
    date_from = _bound("from", date_from)
    date_to = _bound("to", date_to)
    if date_from and date_to and date_from > date_to:
        raise BadArgument(f"the period is empty: from {date_from} is after to {date_to}")
    return date_from, date_to


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _points(rate: float | None, maximum: float) -> float | None:
    if rate is None:
        return None
    return maximum if rate >= FULL_RATE else round(rate * maximum / FULL_RATE, 2)


def _label(dim: str, value) -> str:
    return CHANNELS.get(value, str(value)) if dim == "channel" else str(value)


def _row(group: dict | None, received, digitized, results_required, results_digitized, reused, *_,
         max_points: dict) -> dict:
    rates = {"records": _rate(digitized, received), "results": _rate(results_digitized, results_required),
             "reuse": _rate(reused, received)}
    points = {k: _points(rates[k], max_points[k]) for k in rates}
    applicable = [k for k in points if points[k] is not None]
    keys = {}
    for dim, value in (group or {}).items():
        if dim == "procedure":  # the label is "code name"; the key is the code
            code, _, name = value.partition(" ")
            keys.update(procedure=code, procedure_name=name)
        else:
            keys[dim] = value
    return {
        "group": " / ".join(_label(d, v) for d, v in group.items()) if group else "total",
        **keys,
        "received": received, "digitized": digitized, "rate": rates["records"],
        "results_required": results_required, "results_digitized": results_digitized,
        "results_rate": rates["results"], "reused": reused, "reuse_rate": rates["reuse"],
        "points": points,
        "score": round(sum(points[k] for k in applicable), 2) if applicable else None,
        "score_max": sum(max_points[k] for k in applicable) if applicable else None,
        "flags": [flag for flag, rate, limit in (("digitization", rates["records"], FULL_RATE),
                                                 ("reuse", rates["reuse"], REUSE_FLAG))
                  if rate is not None and rate < limit],
    }


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _every_month(rows: list[dict], dims: list[str], date_from: str | None, date_to: str | None,
                 max_points: dict) -> list[dict]:
    """Fill the months of the period that received nothing, so they read n/a instead of vanishing.

    With other groupings (agency,month) every group gets every month of the period.
    """
    seen = sorted({r["month"] for r in rows})
    first = date_from[:7] if date_from else (seen[0] if seen else None)
    last = date_to[:7] if date_to else (seen[-1] if seen else None)
    first, last = first or last, last or first
    if first is None:
        return rows
    others = [d for d in dims if d != "month"]
    found = {_key(r, dims): r for r in rows}
    prefixes = list(dict.fromkeys(_key(r, others) for r in rows)) or [()]
    filled = []
    for prefix in prefixes:
        for month in _months(first, last):
            values = dict(zip(others, prefix), month=month)
            key = tuple(values[d] for d in dims)
            if key in found:
                filled.append(found[key])
            else:
                group = {d: _group_value(rows, others, prefix, d, values[d]) for d in dims}
                filled.append(_row(group, 0, 0, 0, 0, 0, max_points=max_points))
    return filled


def _key(row: dict, dims: list[str]) -> tuple:
    return tuple(row[d] for d in dims)


def _group_value(rows, others, prefix, dim, value):
    """The label SQL gave a dimension (procedure: "code name"), for a filled-in row."""
    if dim != "procedure":
        return value
    for r in rows:
        if _key(r, others) == prefix:
            return f"{r['procedure']} {r['procedure_name']}"
    return value
