"""Coverage: the digitized records rate of Decision 766/QĐ-TTg, for managers.

Strict rule: a record counts as digitized when every component it lists has at least one attached
paper and, if its procedure issues a paper result, the result is attached too. Records are counted
in the period by received date (both bounds inclusive).

All counting happens in SQLite: one query decides per record (a CTE, using the primary-key indexes
of components and attachments) and GROUP BY rolls the records up, so the cost grows with the
records in the period, not with Python work per record.
"""

from __future__ import annotations

import csv
import io

from digitize.catalog import Catalog
from digitize.errors import BadArgument
from digitize.register import parse_date

DEFINITION = (
    "Digitized records rate (strict rule): a record received in the period counts as digitized "
    "when every component it lists has at least one attached paper and, if its procedure issues "
    "a paper result, that result is attached too; rate = digitized / received."
)

# by -> (SQL label of a group, SQL GROUP BY key, table heading)
GROUPINGS = {
    "agency": ("agency", "agency", "Agency"),
    # One group per procedure code, labelled with the name of its latest record (a procedure may be
    # renamed): with a single max() aggregate SQLite takes bare columns from that max row.
    "procedure": ("procedure_code || ' ' || procedure_name", "procedure_code", "Procedure"),
    "month": ("substr(received_date, 1, 7)", "substr(received_date, 1, 7)", "Month"),
}

_PER_RECORD = """
WITH per_record AS (
    SELECT r.agency, r.procedure_code, r.procedure_name, r.received_date,
           (NOT EXISTS (
                SELECT 1 FROM components c
                WHERE c.record_code = r.record_code
                  AND NOT EXISTS (
                      SELECT 1 FROM attachments a
                      WHERE a.record_code = c.record_code AND a.component = c.name AND a.is_result = 0))
            AND (r.requires_paper_result = 0 OR EXISTS (
                SELECT 1 FROM attachments a WHERE a.record_code = r.record_code AND a.is_result = 1))
           ) AS digitized
    FROM records r
    {where}
)
"""


def coverage(catalog: Catalog, by: str | None = None, date_from: str | None = None,
             date_to: str | None = None) -> dict:
    """Digitized records rate over records received in [date_from, date_to], optionally grouped."""
    if by is not None and by not in GROUPINGS:
        raise BadArgument(f'cannot group coverage by "{by}"; use agency, procedure or month')
    date_from = _bound("from", date_from)
    date_to = _bound("to", date_to)
    if date_from and date_to and date_from > date_to:
        raise BadArgument(f"the period is empty: from {date_from} is after to {date_to}")

    conditions, params = [], []
    if date_from:
        conditions.append("r.received_date >= ?")
        params.append(date_from)
    if date_to:
        conditions.append("r.received_date <= ?")
        params.append(date_to)
    # Without bounds the index on received_date would only add random reads: scan the table.
    sql = _PER_RECORD.format(where=("WHERE " + " AND ".join(conditions)) if conditions else "")

    rows = []
    if by is None:
        received, digitized = catalog.db.execute(
            sql + "SELECT COUNT(*), COALESCE(SUM(digitized), 0) FROM per_record", params).fetchone()
    else:
        label, key, _ = GROUPINGS[by]
        result = catalog.db.execute(
            sql + f"""SELECT {label} AS grp, COUNT(*), SUM(digitized), MAX(received_date)
                      FROM per_record GROUP BY {key} ORDER BY grp""", params).fetchall()
        rows = [_row(group, n, d) for group, n, d, _ in result]
        if by == "month":
            rows = _every_month(rows, date_from, date_to)
        received = sum(r["received"] for r in rows)
        digitized = sum(r["digitized"] for r in rows)

    return {
        "definition": DEFINITION,
        "by": by,
        "from": date_from,
        "to": date_to,
        "rows": rows,
        "total": _row("total", received, digitized),
    }


def format_table(report: dict) -> str:
    """An aligned text table: the definition, the period, one line per group and the total."""
    heading = GROUPINGS[report["by"]][2] if report["by"] else ""
    lines_data = [(r["group"], str(r["received"]), str(r["digitized"]), _percent(r["rate"]))
                  for r in report["rows"]]
    total = report["total"]
    total_data = (total["group"], str(total["received"]), str(total["digitized"]), _percent(total["rate"]))
    header = (heading, "Received", "Digitized", "Rate")
    every = [header, *lines_data, total_data]
    widths = [max(len(cells[i]) for cells in every) for i in range(4)]

    def fmt(cells):
        first = cells[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(cells[1:], widths[1:]))
        return f"{first}  {rest}".rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [report["definition"], f"Period: {_period(report)}", "", fmt(header), rule]
    if lines_data:
        out += [fmt(cells) for cells in lines_data]
        out.append(rule)
    out.append(fmt(total_data))
    return "\n".join(out)


def to_csv(report: dict) -> str:
    """`group,received,digitized,rate` with a total row; rate is a fraction, empty for n/a."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["group", "received", "digitized", "rate"])
    for r in [*report["rows"], report["total"]]:
        writer.writerow([r["group"], r["received"], r["digitized"],
                         "" if r["rate"] is None else f"{r['rate']:.4f}"])
    return buf.getvalue()


# -- helpers ----------------------------------------------------------------------------
def _bound(which: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise BadArgument(f'"{which}" date "{value}": {exc}') from exc


def _row(group: str, received: int, digitized: int | None) -> dict:
    digitized = digitized or 0
    rate = round(digitized / received, 4) if received else None
    return {"group": group, "received": received, "digitized": digitized, "rate": rate}


def _every_month(rows: list[dict], date_from: str | None, date_to: str | None) -> list[dict]:
    """Fill the months of the period that received nothing, so they read n/a instead of vanishing."""
    found = {r["group"]: r for r in rows}
    first = date_from[:7] if date_from else (rows[0]["group"] if rows else None)
    last = date_to[:7] if date_to else (rows[-1]["group"] if rows else None)
    first, last = first or last, last or first
    if first is None:
        return rows
    year, month = int(first[:4]), int(first[5:7])
    filled = []
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        filled.append(found.get(key) or _row(key, 0, 0))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return filled


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def _period(report: dict) -> str:
    start, end = report["from"], report["to"]
    if start and end:
        return f"{start} to {end} (received date, inclusive)"
    if start:
        return f"from {start} (received date, inclusive)"
    if end:
        return f"up to {end} (received date, inclusive)"
    return "all records"
