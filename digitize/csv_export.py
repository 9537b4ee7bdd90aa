"""CSV for spreadsheets, where no cell can run as a formula.

A spreadsheet takes a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) as a
formula, and names from the register reach Sohoa's CSV exports: such a text cell gets a leading
single quote, which spreadsheets read as "this is text" (OWASP, "CSV Injection"). Numbers are
written as numbers; text is neutralised whoever wrote it. Every CSV Sohoa writes for people goes
through `to_csv` (registers that samples/ and bench/ write for Sohoa to read back keep their values).
"""

from __future__ import annotations

import csv
import io
from typing import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """One value as a CSV cell: empty for None, floats to 4 decimals (rates 0–1, points), text made inert."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def to_csv(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """A header and rows of values as CSV text (RFC 4180 quoting, `\\n` line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return buf.getvalue()
