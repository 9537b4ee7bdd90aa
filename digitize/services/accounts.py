"""Who may use the server: users with passwords, machine clients with tokens, and the Actor each
request acts as. Passwords are kept as Argon2 hashes, tokens as the SHA-256 of their secret (a
token is random enough that a slow hash adds nothing); a token's secret is shown once, at creation.

The Actor is read again from the catalog on every request, so a disabled user's open session and a
revoked token stop working at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from digitize.archive import Archive
from digitize.errors import ArchiveError, BadArgument, Conflict, NotFound, Text, Unauthorized
from digitize.i18n import N_
from digitize.services import access
from digitize.services.actor import Actor

MIN_PASSWORD = 8
TOKEN_PREFIX = "sohoa_"  # recognisable in a leaked log or a secret scanner
SECRET_FILE = "server.secret"  # the key that signs session cookies, kept in the archive (0600)
_WRONG = N_("wrong user name or password")


def _hasher():
    from argon2 import PasswordHasher  # the server's extra: loaded only by who uses accounts

    return PasswordHasher()


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so the answer takes as long."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher().hash(secrets.token_hex(16))
    return _DUMMY_HASH


def _role(role: str) -> str:
    if role not in access.ROLES:
        raise BadArgument("{role} must be one of {roles}, not {value!r}", field="role", roles=", ".join(access.ROLES),
                          value=role)
    return role


def _password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadArgument("the password must have at least {count} characters", field="password", count=MIN_PASSWORD)
    return password


def _name(name: str, what: str) -> str:
    name = name.strip()
    if not name or any(not c.isprintable() for c in name):
        raise BadArgument("a {what} name must be printable text, not {value!r}", field="name", what=Text(what), value=name)
    return name


def _shown(row: dict) -> dict:
    return {k: (list(v) if k == "agencies" else v) for k, v in row.items() if k != "password_hash"}


def add_user(archive: Archive, actor: Actor, name: str, role: str, password: str,
             agencies: tuple[str, ...] = ()) -> dict:
    """A new user who logs in with `password`: {name, role, agencies, disabled, created}."""
    access.require(actor, "users")
    name, role = _name(name, "user"), _role(role)
    if archive.catalog.accounts.user(name) is not None:
        raise Conflict("there is already a user {value!r}; change their password with sohoa users passwd",
                       field="name", value=name)
    archive.catalog.accounts.add_user(name, role, tuple(agencies), _hasher().hash(_password(password)))
    return _shown(archive.catalog.accounts.user(name))


def list_users(archive: Archive, actor: Actor) -> list[dict]:
    access.require(actor, "users")
    return [_shown(u) for u in archive.catalog.accounts.users()]


def disable_user(archive: Archive, actor: Actor, name: str) -> dict:
    """The user can no longer log in; a session they hold stops at its next request."""
    access.require(actor, "users")
    if not archive.catalog.accounts.set_disabled(name):
        raise NotFound("no user {value!r}; see sohoa users list", field="name", value=name)
    return _shown(archive.catalog.accounts.user(name))


def set_password(archive: Archive, actor: Actor, name: str, password: str) -> dict:
    access.require(actor, "users")
    if not archive.catalog.accounts.set_password(name, _hasher().hash(_password(password))):
        raise NotFound("no user {value!r}; see sohoa users list", field="name", value=name)
    return _shown(archive.catalog.accounts.user(name))


def create_token(archive: Archive, actor: Actor, name: str, role: str, agencies: tuple[str, ...] = ()) -> dict:
    """A token for a machine client: {name, role, agencies, created, revoked, token}; `token`, the
    secret, is in no other answer: only its hash is kept."""
    access.require(actor, "tokens")
    name, role = _name(name, "token"), _role(role)
    if any(t["name"] == name for t in archive.catalog.accounts.tokens()):
        raise Conflict("there is already a token {value!r}; revoke it or choose another name", field="name", value=name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    archive.catalog.accounts.add_token(name, role, tuple(agencies), _sha256(secret))
    found = archive.catalog.accounts.token_by_secret(_sha256(secret))
    return {**_shown(found), "token": secret}


def list_tokens(archive: Archive, actor: Actor) -> list[dict]:
    access.require(actor, "tokens")
    return [_shown(t) for t in archive.catalog.accounts.tokens()]


def revoke_token(archive: Archive, actor: Actor, name: str) -> dict:
    access.require(actor, "tokens")
    if not archive.catalog.accounts.revoke_token(name):
        raise NotFound("no token {value!r}; see sohoa tokens list", field="name", value=name)
    return next(_shown(t) for t in archive.catalog.accounts.tokens() if t["name"] == name)


def login(archive: Archive, name: str, password: str, channel: str = "web", address: str | None = None) -> Actor:
    """The Actor of a user whose password is right; Unauthorized, in about the same time, for an
    unknown user, a wrong password or a disabled user."""
    from argon2.exceptions import VerificationError

    found = archive.catalog.accounts.user(name)
    try:
        _hasher().verify(found["password_hash"] if found else _dummy_hash(), password)
    except VerificationError:
        raise Unauthorized(_WRONG) from None
    except Exception:  # a damaged hash is as good as a wrong password, and says nothing more
        raise Unauthorized(_WRONG) from None
    if found is None or found["disabled"]:
        raise Unauthorized(_WRONG)
    return Actor(found["name"], found["role"], found["agencies"], channel, address, found.get("lang") or "vi")


def actor_for_user(archive: Archive, name: str, channel: str = "web", address: str | None = None) -> Actor:
    """The Actor of a logged-in user as the catalog has them now (role changed, disabled)."""
    found = archive.catalog.accounts.user(name)
    if found is None or found["disabled"]:
        raise Unauthorized("the user {name!r} may no longer log in; log in again or ask an admin", name=name)
    return Actor(found["name"], found["role"], found["agencies"], channel, address, found.get("lang") or "vi")


def set_lang(archive: Archive, actor: Actor, lang: str) -> Actor:
    """The language of the acting user's own pages (any logged-in user may set theirs)."""
    from digitize.i18n import LANGUAGES

    if lang not in LANGUAGES:
        raise BadArgument("no such language {value!r}; choose one of {languages}", field="lang", value=lang,
                          languages=", ".join(LANGUAGES))
    if actor.role is None or not archive.catalog.accounts.set_lang(actor.name, lang):
        raise NotFound("no user {name!r} to keep a language for", field="lang", name=actor.name)
    return dataclasses.replace(actor, lang=lang)


def actor_for_token(archive: Archive, secret: str, address: str | None = None) -> Actor:
    found = archive.catalog.accounts.token_by_secret(_sha256(secret))
    if found is None or found["revoked"]:
        raise Unauthorized("unknown or revoked token; ask an admin for a new one (sohoa tokens create)")
    return Actor(found["name"], found["role"], found["agencies"], "api", address)


def session_secret(archive: Archive) -> bytes:
    """The archive's key for signing session cookies, made on first use, readable by its owner only:
    every server process of the archive signs alike, and a restart keeps sessions."""
    path = Path(archive.root) / SECRET_FILE
    if not path.exists():
        # Written whole under a temporary name, then linked: two servers starting at once both
        # end up with the one key that got there first.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    key = path.read_bytes()
    if len(key) < 32:
        raise ArchiveError("{path}: the session key is damaged; delete it (every session then ends) "
                           "and start the server again", path=str(path))
    return key


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
