"""Reuse of archived papers in later records, and papers replaced by newer ones."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Reuse(ABC):
    @abstractmethod
    def log_reuse(self, paper_id: int, record_code: str, component: str, validity: str, forced: bool,
                  reason: str, user: str) -> None:
        """Log that a paper was reused there, valid or not (`validity` says) and why if forced."""

    @abstractmethod
    def reuses(self, paper_id: int) -> list[dict]:
        """[{record_code, component, validity, forced, reason, reused_by, reused_at}] of a paper, oldest first."""

    @abstractmethod
    def replace(self, old_id: int, new_id: int, user: str) -> None:
        """Record that paper `new_id` replaces `old_id` (a paper is replaced once)."""
