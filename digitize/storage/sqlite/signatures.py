"""Signatures of papers' archived copies, in SQLite."""

from __future__ import annotations

from digitize.storage.signatures import Signatures
from digitize.storage.sqlite.schema import SqliteStore
from digitize.storage.values import nfc

_COLUMNS = ("field_name", "signer_subject", "signer_serial", "signer_issuer", "signer_organization", "signed_at",
            "level", "timestamp_at", "revision_size", "revision_sha256", "pdf_sha256")


class SqliteSignatures(SqliteStore, Signatures):
    def add(self, paper_id: int, signed: dict, user: str) -> None:
        values = [nfc(signed[c]) if isinstance(signed[c], str) else signed[c] for c in _COLUMNS]
        self.db.execute(f"INSERT INTO signatures (paper_id, {', '.join(_COLUMNS)}, signed_by) "
                        f"VALUES (?, {', '.join('?' for _ in _COLUMNS)}, ?)", (paper_id, *values, nfc(user)))

    def of_paper(self, paper_id: int) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            f"SELECT {', '.join(_COLUMNS)}, signed_by FROM signatures WHERE paper_id = ? ORDER BY id", (paper_id,))]

    def signed_papers(self) -> dict[int, list[dict]]:
        found: dict[int, list[dict]] = {}
        for r in self.db.execute(f"SELECT paper_id, {', '.join(_COLUMNS)}, signed_by FROM signatures ORDER BY id"):
            row = dict(r)
            found.setdefault(row.pop("paper_id"), []).append(row)
        return found
