"""The counts coverage reports read, over records received in a period (bounds inclusive, None: open).

Rules (digitize/coverage.py says them in words): a record's result is *due* when its procedure
issues a paper result and the register does not say it is pending (or a result paper is attached
anyway). Strict: every listed component has a paper and a due result is attached. Lenient: every
component has a paper, or the result is attached. A record is *reused* when a reused paper serves one
of its components. Dimensions: agency, procedure (labelled "code name" by its latest record),
channel, month ("YYYY-MM" of the received date). `agencies` (totals, groups, missing): only the
records of these agencies (a user bound to them, Decree 30); None: all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Coverage(ABC):
    @abstractmethod
    def totals(self, rule: str, date_from: str | None, date_to: str | None,
               agencies: tuple[str, ...] | None = None) -> tuple[int, int, int, int, int]:
        """(received, digitized, results_required, results_digitized, reused) over the period;
        results_required counts records whose procedure issues a paper result and whose result is due,
        results_digitized those with a result paper attached."""

    @abstractmethod
    def groups(self, dims: list[str], rule: str, date_from: str | None, date_to: str | None,
               agencies: tuple[str, ...] | None = None) -> list[tuple[tuple, list[int]]]:
        """Per group of the dimensions: (its label per dimension, the five `totals`), ordered by
        key (a procedure's key is its code), groups without records left out."""

    @abstractmethod
    def missing(self, rule: str, date_from: str | None, date_to: str | None, limit: int | None,
                agencies: tuple[str, ...] | None = None) -> tuple[int, list[dict]]:
        """How many records of the period are not digitized under the rule, and the first `limit`
        (all when None), oldest due date first (none last), then received date and code:
        [{record_code, agency, procedure_code, procedure_name, received_date, due_date,
        missing_components (names in register order), result_missing (bool)}]."""

    @abstractmethod
    def records(self, rule: str, date_from: str | None, date_to: str | None, agency: str | None = None,
                procedure: str | None = None, not_digitized: bool = False) -> list[dict]:
        """Records of the period (of the agency, of the procedure by code or exact name; only those not
        digitized), by received date then code: [{record_code, agency, procedure_code, procedure_name,
        channel, received_date, due_date, resolved_date, applicant_name, requires_paper_result,
        components (how many), components_missing, result_digitized, result_due, reused, digitized}],
        flags 0 or 1."""
