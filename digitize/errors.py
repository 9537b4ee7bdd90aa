"""Errors a user can act on, each with its exit code (the command line) and its HTTP status (a web API).

Every interface shows an error as its own words around the library's message: the CLI as one line
on stderr and the exit code, a web API as the status and the message. Anything else is a bug and
keeps its traceback.

    kind               exit  HTTP  when
    SohoaError            1   400  (the base; not raised itself)
    BadArgument           2   422  a value given is wrong: a bad date, an unknown component, a missing reason
    NotFound              2   404  no such paper or record
    Conflict              2   409  the paper's state forbids it: expired or replaced, already replaced
    InputError            3   422  an input file cannot be read: empty, truncated, not a scan, bad register row
    TooLarge              3   413  an upload is over the server's size limit
    UnsupportedMedia      3   415  a request body of a type the route does not read
    EncryptedPDF          4   422  a PDF needs a password
    MissingDependency     5   503  a program or language data is not installed
    ArchiveLocked         6   423  another process holds the archive longer than we wait
    CatalogBusy           6   503  the catalog's writers queued longer than we wait (many at once): try again
    ArchiveError          7   503  the archive itself is unusable: newer schema, damaged catalog
    DiskFull              8   507  the archive's disk is full
    ArchiveReadOnly       9   503  the archive cannot be written (reading still works)
    Unauthorized         10   401  no credentials, or wrong ones: a password, a token, an expired session
    Forbidden            11   403  the actor's role or agencies do not allow this action or this record
    TooManyAttempts      12   429  too many failed logins for one name from one address: wait and try again
    SignatureInvalid     13   422  a signature does not verify: altered after signing, untrusted, expired,
                                   revoked, a bad time stamp; or a file that should be signed is not

An error about one value carries its `field` ("reason", "from", "holder_id"), and its message names
fields as placeholders — `"{force} needs {reason:TEXT}"`, the text after the colon being what a
command line shows after the option — with the user's values passed apart (`value=...`), so that
braces in them stay text. `str(error)` names fields as the command line does (`--force needs
--reason TEXT`); another interface passes its own wording to `render`.

The message, before its values go in, is the msgid of the project's catalogue (digitize/i18n.py;
babel.cfg extracts the kinds' first arguments): the pages pass `render` a `translate` and show it in
the user's language, the command line and the JSON API keep the English. So a message is a literal
template, never an f-string with the values in it; a value that is itself a message (a `Text`, or
another error) is translated with it.
"""

import errno
import string
from contextlib import contextmanager
from typing import Callable


ONE_LINE = 200  # characters of another program's or library's error text shown inside a message


def one_line(said) -> str:
    """An exception's (or a program's) error text as one line of at most ONE_LINE characters, to
    quote inside a message; an exception that says nothing is named by its class."""
    text = " ".join(str(said).split())[:ONE_LINE]
    return text or (type(said).__name__ if isinstance(said, BaseException) else "")


def option(field: str, metavar: str) -> str:
    """A field as a command line names it: `holder_id`, `ID` → `--holder-id ID`."""
    return "--" + field.replace("_", "-") + (f" {metavar}" if metavar else "")


class SohoaError(Exception):
    """Something went wrong that the user can fix; the message says what to do."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str = "", field: str | None = None, **values):
        super().__init__(message)
        self.field = field
        self.values = values

    def render(self, spell: Callable[[str, str], str] = option,
               translate: Callable[[str], str] | None = None) -> str:
        """The message with each field named by `spell(field, metavar)`; with `translate` (a
        catalogue's gettext), the template and the `Text` values in that language."""
        message = self.args[0] if self.args else ""
        if translate is not None and message:
            message = translate(message)
        if self.field is None and not self.values:  # plain text, braces and all
            return message
        return _Wording(spell, translate).vformat(message, (), self.values)

    def __str__(self) -> str:
        return self.render()


class Text(str):
    """A value of a message that is a message itself (a date's reason): a msgid, translated with it."""


class Field:
    """A value that names a field (a template's placeholder whose field is known only at run time):
    spelled by the interface as the message's own fields are (several: a list of them)."""

    def __init__(self, *names: str):
        self.names = names


class _Wording(string.Formatter):
    """Values by name; any other name in the message is a field, spelled by the interface."""

    def __init__(self, spell: Callable[[str, str], str], translate: Callable[[str], str] | None = None):
        self.spell, self.translate = spell, translate

    def get_value(self, key, args, kwargs):
        return kwargs[key] if key in kwargs else Field(key)

    def format_field(self, value, format_spec):
        if isinstance(value, Field):
            return ", ".join(self.spell(name, format_spec) for name in value.names)
        if isinstance(value, SohoaError):
            return value.render(self.spell, self.translate)
        if isinstance(value, Text) and self.translate is not None and value:
            value = Text(self.translate(value))
        return super().format_field(value, format_spec)


class BadArgument(SohoaError):
    """A value given is wrong (unknown component, bad date, missing reason...)."""

    exit_code = 2
    http_status = 422


class NotFound(BadArgument):
    """No paper or record of that id or code."""

    http_status = 404


class Conflict(BadArgument):
    """What was asked contradicts the paper's state: reusing an expired paper, replacing one twice."""

    http_status = 409


class InputError(SohoaError):
    """An input file cannot be read: empty, truncated, not an image or PDF, bad register row."""

    exit_code = 3
    http_status = 422


class TooLarge(InputError):
    """An upload is larger than the server takes (`sohoa serve --max-upload`)."""

    http_status = 413


class UnsupportedMedia(InputError):
    """A request body of a type the route does not read (JSON where a form upload is expected)."""

    http_status = 415


class EncryptedPDF(InputError):
    """A PDF needs a password before it can be read."""

    exit_code = 4


class MissingDependency(SohoaError):
    """A program or language data Sohoa needs is not installed."""

    exit_code = 5
    http_status = 503


class ArchiveLocked(SohoaError):
    """Another process holds the archive (index writer) longer than we are willing to wait."""

    exit_code = 6
    http_status = 423


class CatalogBusy(ArchiveLocked):
    """The catalog's writers queued longer than we wait: a server under load answers 503, try again."""

    http_status = 503


class ArchiveError(SohoaError):
    """The archive itself is unusable: newer schema, missing file, damaged catalog."""

    exit_code = 7
    http_status = 503


class DiskFull(SohoaError):
    """The archive's file system has no room left: the command stops, and running it again finishes."""

    exit_code = 8
    http_status = 507


class ArchiveReadOnly(SohoaError):
    """The archive cannot be written (read-only mount or permissions): reading commands still work."""

    exit_code = 9
    http_status = 503

    @classmethod
    def because(cls, archive, what: str) -> "ArchiveReadOnly":
        return cls(f"{archive}: the archive is read-only and {what}; mount it read-write (or let this user "
                   "write to it) and run the command again")


class Unauthorized(SohoaError):
    """Who is asking is not known: no credentials, wrong ones, a disabled user, a revoked token."""

    exit_code = 10
    http_status = 401


class Forbidden(SohoaError):
    """The actor is known but their role or agencies do not allow this action on this record or paper."""

    exit_code = 11
    http_status = 403


class TooManyAttempts(SohoaError):
    """Too many failed logins for one name from one address in a short time."""

    exit_code = 12
    http_status = 429
class SignatureInvalid(SohoaError):
    """A digital signature does not verify (or there is none where one was asked for)."""

    exit_code = 13
    http_status = 422


_NO_ROOM = (errno.ENOSPC, errno.EDQUOT)


def disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an error it was raised from (an InputError wrapping a failed write), is a
    full disk or quota: DiskFull (the catalog's storage raises it for its own), OSError ENOSPC/EDQUOT."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull) or (isinstance(exc, OSError) and exc.errno in _NO_ROOM):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def from_library(exc: BaseException) -> SohoaError | None:
    """The error kind, same message, of an exception `ocr/` or `index/` raised (they know nothing of
    exit codes); None for any other exception."""
    from index import errors as search
    from ocr import errors as ocr

    kinds = ((ocr.UnreadablePage, InputError), (ocr.TesseractMissing, MissingDependency),
             (search.IndexLocked, ArchiveLocked), (search.IndexDamaged, ArchiveError),
             (search.UnknownEngine, ArchiveError), (search.EngineInUse, BadArgument),
             (search.EngineMissing, MissingDependency), (search.SearchUnavailable, BadArgument))
    return next((kind(str(exc)) for library, kind in kinds if isinstance(exc, library)), None)


@contextmanager
def library_errors():
    """Around a call into `ocr/` or `index/`: what they raise, as this module's kinds."""
    try:
        yield
    except Exception as exc:
        kind = from_library(exc)
        if kind is None:
            raise
        raise kind from exc
