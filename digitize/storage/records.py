"""Records of the register (hồ sơ) with their components and results: what a backend stores of them.

Values cross this interface as plain Python: `Record` in, `Record` or dicts out; flags are 0 or 1.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterable


@dataclass
class Record:
    record_code: str
    procedure_code: str
    procedure_name: str
    agency: str
    channel: int
    received_date: str  # ISO YYYY-MM-DD
    due_date: str | None
    applicant_name: str
    applicant_id: str | None
    requires_paper_result: bool
    components: list[str] = field(default_factory=list)
    # What a JSON register adds; None means "the register does not say": an import keeps what is stored.
    statuses: dict[str, str] | None = None  # component name -> status
    results: list[RegisterResult] | None = None  # replaces the stored results and resolved_date
    resolved_date: str | None = None  # ISO date the record was resolved (results given only)


@dataclass
class RegisterResult:
    """A result the agency issues for a record (giấy tờ kết quả)."""

    name: str
    paper: bool  # issued on paper, so it is to be digitized
    issued_date: str | None = None  # ISO; None while not issued


def result_pending(r: Record) -> bool:
    """The register says the paper result is not issued yet: the record is not resolved and no result is."""
    return (r.requires_paper_result and r.resolved_date is None
            and not any(x.issued_date for x in (r.results or []) if x.paper))


class Records(ABC):
    @abstractmethod
    def upsert(self, records: Iterable[Record]) -> tuple[int, int]:
        """Insert or update records by record code, all in one transaction; returns (new, updated).

        Text is stored NFC. The register's component list is authoritative: components it no longer
        names go, papers attached to the names it keeps stay. `statuses` None keeps the stored
        statuses; `results` None keeps the stored results, resolved date and `result_pending`.
        """

    @abstractmethod
    def get(self, record_code: str) -> Record | None:
        """The record with its component names (not its statuses or results)."""

    @abstractmethod
    def component_names(self, record_code: str) -> list[str]:
        """In the register's order."""

    @abstractmethod
    def codes(self) -> list[str]:
        """Every record code, sorted."""

    @abstractmethod
    def agencies(self) -> list[str]:
        """The distinct agencies of the register."""

    @abstractmethod
    def agencies_of(self, record_codes: list[str]) -> dict[str, str]:
        """{code: agency} of those of `record_codes` that are registered."""

    @abstractmethod
    def procedure_codes(self) -> list[str]:
        """The distinct procedure codes of the register."""

    @abstractmethod
    def has_procedure(self, code_or_name: str) -> bool:
        """Some record's procedure has this exact code or name."""

    @abstractmethod
    def describe(self, record_code: str) -> dict | None:
        """The record's stored fields (not its components or results) and how far it is digitized:
        flags `digitized` (strict rule), `digitized_lenient`, `result_due` and `reused`, as coverage
        counts them (see Coverage)."""

    @abstractmethod
    def components(self, record_code: str) -> list[dict]:
        """[{name, status}] in the register's order."""

    @abstractmethod
    def results(self, record_code: str) -> list[dict]:
        """[{name, paper, issued_date}] in the register's order."""
