"""Users and API tokens, in SQLite: agencies kept as one newline-separated column (names hold commas)."""

from __future__ import annotations

from digitize.storage.accounts import Accounts
from digitize.storage.sqlite.schema import SqliteStore
from digitize.storage.values import nfc, now_iso


def _agencies(column: str) -> tuple[str, ...]:
    return tuple(a for a in column.split("\n") if a)


def _row(row) -> dict:
    found = dict(row)
    found["agencies"] = _agencies(found["agencies"])
    for flag in ("disabled", "revoked"):
        if flag in found:
            found[flag] = bool(found[flag])
    return found


class SqliteAccounts(SqliteStore, Accounts):
    def add_user(self, name: str, role: str, agencies: tuple[str, ...], password_hash: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO users (name, role, agencies, password_hash, disabled, created) "
                            "VALUES (?,?,?,?,0,?)",
                            (nfc(name), role, "\n".join(nfc(a) for a in agencies), password_hash, now_iso()))

    def user(self, name: str) -> dict | None:
        row = self.db.execute("SELECT name, role, agencies, password_hash, disabled, created, lang FROM users "
                              "WHERE name = ?", (nfc(name),)).fetchone()
        return None if row is None else _row(row)

    def users(self) -> list[dict]:
        return [_row(r) for r in self.db.execute(
            f"SELECT name, role, agencies, disabled, created FROM users ORDER BY name{self.collate}")]

    def set_disabled(self, name: str, disabled: bool = True) -> bool:
        with self.transaction():
            return self.db.execute("UPDATE users SET disabled = ? WHERE name = ?",
                                   (int(disabled), nfc(name))).rowcount > 0

    def set_password(self, name: str, password_hash: str) -> bool:
        with self.transaction():
            return self.db.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                                   (password_hash, nfc(name))).rowcount > 0

    def set_lang(self, name: str, lang: str) -> bool:
        with self.transaction():
            return self.db.execute("UPDATE users SET lang = ? WHERE name = ?", (lang, nfc(name))).rowcount > 0

    def add_token(self, name: str, role: str, agencies: tuple[str, ...], secret_sha256: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO tokens (name, role, agencies, secret_sha256, created, revoked) "
                            "VALUES (?,?,?,?,?,0)",
                            (nfc(name), role, "\n".join(nfc(a) for a in agencies), secret_sha256, now_iso()))

    def token_by_secret(self, secret_sha256: str) -> dict | None:
        row = self.db.execute("SELECT name, role, agencies, created, revoked FROM tokens WHERE secret_sha256 = ?",
                              (secret_sha256,)).fetchone()
        return None if row is None else _row(row)

    def tokens(self) -> list[dict]:
        return [_row(r) for r in self.db.execute(
            f"SELECT name, role, agencies, created, revoked FROM tokens ORDER BY name{self.collate}")]

    def revoke_token(self, name: str) -> bool:
        with self.transaction():
            return self.db.execute("UPDATE tokens SET revoked = 1 WHERE name = ?", (nfc(name),)).rowcount > 0
