"""The counts coverage reports read, in SQLite: one pass over the records table's counters.

Each record carries counters that schema version 4's triggers keep true (missing components, result
papers, reused components), so every report is a scan of the records in the period, not a look-up
per component.
"""

from __future__ import annotations

from digitize.storage.coverage import Coverage
from digitize.storage.sqlite.schema import SqliteStore

# Per-record SQL over the records table's counters (missing, result_papers, reused, result_pending).
RESULT_DUE = "(requires_paper_result = 1 AND (result_pending = 0 OR result_papers > 0))"
DIGITIZED = {
    "strict": f"(missing = 0 AND (NOT {RESULT_DUE} OR result_papers > 0))",
    "lenient": "(missing = 0 OR result_papers > 0)",
}

# dimension -> (SQL label, SQL key)
DIMENSIONS = {
    "agency": ("agency", "agency"),
    # One group per procedure code, labelled with the name of its latest record (a procedure may be
    # renamed): with a single max() aggregate SQLite takes bare columns from that max row.
    "procedure": ("procedure_code || ' ' || procedure_name", "procedure_code"),
    "channel": ("channel", "channel"),
    # Months are rolled up from days: GROUP BY agency, received_date follows the records_coverage
    # index, where grouping by a computed month would sort every record.
    "month": ("received_date", "received_date"),
}


class SqliteCoverage(SqliteStore, Coverage):
    dimensions = DIMENSIONS
    #: The names of a record's components without a paper, in register order, joined by the unit separator.
    missing_names = """SELECT group_concat(name, char(31)) FROM (
                           SELECT name FROM components c
                           WHERE c.record_code = records.record_code AND c.papers = 0 ORDER BY position)"""

    def counts(self, rule: str) -> str:
        """The five sums of `totals`, as SQL over the records table."""
        return ", ".join(["COUNT(*)"] + [f"COALESCE(SUM({self.as_int(c)}), 0)" for c in (
            DIGITIZED[rule], RESULT_DUE, "requires_paper_result = 1 AND result_papers > 0", "reused > 0")])

    def grouping(self, labels: str, keys: str) -> str:
        return f"GROUP BY {keys} ORDER BY {keys}"

    def totals(self, rule: str, date_from: str | None, date_to: str | None,
               agencies: tuple[str, ...] | None = None) -> tuple[int, int, int, int, int]:
        where, params = period(date_from, date_to, agencies)
        return tuple(self.db.execute(f"SELECT {self.counts(rule)} FROM records {where}", params).fetchone())

    def groups(self, dims: list[str], rule: str, date_from: str | None, date_to: str | None,
               agencies: tuple[str, ...] | None = None) -> list[tuple[tuple, list[int]]]:
        where, params = period(date_from, date_to, agencies)
        labels = ", ".join(self.dimensions[d][0] for d in dims)
        keys = ", ".join(self.dimensions[d][1] for d in dims)
        found = self.db.execute(  # MAX(): the bare-column trick above needs exactly one
            f"SELECT {labels}, {self.counts(rule)}, MAX(received_date) FROM records {where} "
            f"{self.grouping(labels, keys)}", params)
        return merge_groups(dims, found)

    def missing(self, rule: str, date_from: str | None, date_to: str | None, limit: int | None,
                agencies: tuple[str, ...] | None = None) -> tuple[int, list[dict]]:
        where, params = period(date_from, date_to, agencies)
        where = f"{where} {'AND' if where else 'WHERE'} NOT {DIGITIZED[rule]}"
        count = self.db.execute(f"SELECT count(*) FROM records {where}", params).fetchone()[0]
        rows = self.db.execute(
            f"""SELECT record_code, agency, procedure_code, procedure_name, received_date, due_date,
                       {RESULT_DUE} AND result_papers = 0 AS result_missing,
                       -- joined by the unit separator: splits faster than JSON parses
                       CASE WHEN missing > 0 THEN ({self.missing_names}) END AS components
                FROM records {where}
                ORDER BY due_date IS NULL, due_date, received_date, record_code{self.collate}
                {'LIMIT ?' if limit is not None else ''}""",
            (*params, *([limit] if limit is not None else []))).fetchall()
        return count, [{
            "record_code": r["record_code"], "agency": r["agency"], "procedure_code": r["procedure_code"],
            "procedure_name": r["procedure_name"], "received_date": r["received_date"], "due_date": r["due_date"],
            "missing_components": r["components"].split("\x1f") if r["components"] else [],
            "result_missing": bool(r["result_missing"]),
        } for r in rows]

    def records(self, rule: str, date_from: str | None, date_to: str | None, agency: str | None = None,
                procedure: str | None = None, not_digitized: bool = False) -> list[dict]:
        where, params = period(date_from, date_to)
        conditions = [where.removeprefix("WHERE ")] if where else []
        if agency is not None:
            conditions.append("agency = ?")
            params.append(agency)
        if procedure is not None:
            conditions.append("(procedure_code = ? OR procedure_name = ?)")
            params += [procedure, procedure]
        if not_digitized:
            conditions.append(f"NOT {DIGITIZED[rule]}")
        rows = self.db.execute(
            f"""SELECT record_code, agency, procedure_code, procedure_name, channel, received_date, due_date,
                       resolved_date, applicant_name, requires_paper_result,
                       (SELECT count(*) FROM components c WHERE c.record_code = records.record_code) AS components,
                       missing AS components_missing, {self.as_int('result_papers > 0')} AS result_digitized,
                       {self.as_int(RESULT_DUE)} AS result_due, {self.as_int('reused > 0')} AS reused,
                       {self.as_int(DIGITIZED[rule])} AS digitized
                FROM records {'WHERE ' + ' AND '.join(conditions) if conditions else ''}
                ORDER BY received_date, record_code{self.collate}""", params)
        return [dict(r) for r in rows]


def merge_groups(dims: list[str], found) -> list[tuple[tuple, list[int]]]:
    """Rows of (label per dimension, the five counts, latest received date) as `Coverage.groups` gives
    them: days rolled up into months, a procedure's rows into one labelled by its latest record."""
    groups: dict[tuple, list] = {}
    for values in found:
        label = tuple(v[:7] if d == "month" else v for d, v in zip(dims, values))
        key = tuple(v.partition(" ")[0] if d == "procedure" else v for d, v in zip(dims, label))
        sums, latest = list(values[len(dims):len(dims) + 5]), values[-1]
        if key not in groups:
            groups[key] = [label, sums, latest]
            continue
        group = groups[key]
        group[1] = [a + b for a, b in zip(group[1], sums)]
        if latest > group[2]:  # a procedure is labelled by its latest record
            group[0], group[2] = label, latest
    return [(groups[key][0], groups[key][1]) for key in sorted(groups)]  # Python's str order is SQLite's BINARY order


def period(date_from: str | None, date_to: str | None,
           agencies: tuple[str, ...] | None = None) -> tuple[str, list]:
    conditions, params = [], []
    if agencies is not None:  # none given: no record ("1 = 0": PostgreSQL has no WHERE 0)
        conditions.append(f"agency IN ({', '.join('?' * len(agencies))})" if agencies else "1 = 0")
        params.extend(agencies)
    if date_from:
        conditions.append("received_date >= ?")
        params.append(date_from)
    if date_to:
        conditions.append("received_date <= ?")
        params.append(date_to)
    return ("WHERE " + " AND ".join(conditions)) if conditions else "", params
