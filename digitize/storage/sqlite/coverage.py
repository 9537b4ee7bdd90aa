"""The counts coverage reports read, in SQLite: one pass over the records table's counters.

Each record carries counters that schema version 4's triggers keep true (missing components, result
papers, reused components), so every report is a scan of the records in the period, not a look-up
per component.
"""

from __future__ import annotations

# Per-record SQL over the records table's counters (missing, result_papers, reused, result_pending).
RESULT_DUE = "(requires_paper_result = 1 AND (result_pending = 0 OR result_papers > 0))"
DIGITIZED = {
    "strict": f"(missing = 0 AND (NOT {RESULT_DUE} OR result_papers > 0))",
    "lenient": "(missing = 0 OR result_papers > 0)",
}
