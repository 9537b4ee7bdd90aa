"""Who may log in: users (a name, a role, agencies, an Argon2 password hash) and API tokens (stored
only as the SHA-256 of their secret). Hashing is the services' business: the store keeps strings."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Accounts(ABC):
    @abstractmethod
    def add_user(self, name: str, role: str, agencies: tuple[str, ...], password_hash: str) -> None:
        """A new user, enabled; the database's integrity error when the name is taken."""

    @abstractmethod
    def user(self, name: str) -> dict | None:
        """{name, role, agencies (a tuple), password_hash, disabled (bool), created, lang} or None."""

    @abstractmethod
    def users(self) -> list[dict]:
        """Every user as `user` gives them, less the hash, by name."""

    @abstractmethod
    def set_disabled(self, name: str, disabled: bool = True) -> bool:
        """Whether a user of that name was there."""

    @abstractmethod
    def set_password(self, name: str, password_hash: str) -> bool:
        """Whether a user of that name was there."""

    @abstractmethod
    def set_lang(self, name: str, lang: str) -> bool:
        """Whether a user of that name was there; their pages are in `lang` from now on."""

    @abstractmethod
    def add_token(self, name: str, role: str, agencies: tuple[str, ...], secret_sha256: str) -> None:
        """A new token; the database's integrity error when the name is taken."""

    @abstractmethod
    def token_by_secret(self, secret_sha256: str) -> dict | None:
        """{name, role, agencies, created, revoked (bool)} of the token with that secret's hash, or None."""

    @abstractmethod
    def tokens(self) -> list[dict]:
        """Every token as `token_by_secret` gives them, by name."""

    @abstractmethod
    def revoke_token(self, name: str) -> bool:
        """Whether a token of that name was there."""
