"""A Sohoa server's REST API as a client on a clerk's PC sees it (`sohoa sign --server`).

The standard library's HTTP client, so that the PC needs nothing of the server's extras. An error
the server answers (`{"error": {"kind", "message", "field"}}`) is raised again here as the same
kind, so the command exits as it would on the archive's own machine; a server that cannot be
reached, or answers something else, is an ArchiveError.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote

from digitize import errors
from digitize.errors import ArchiveError, BadArgument, SohoaError, one_line

API = "/api/v1"
TIMEOUT = 120  # seconds: a prepare or finish rewrites one PDF, a big one takes a while


class Server:
    """`url` (http(s)://host[:port], a path prefix kept) with an API token sent as Bearer."""

    def __init__(self, url: str, api_token: str):
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise BadArgument("{server} {value!r}: give the server's address as http(s)://HOST[:PORT]",
                              field="server", value=url)
        if not api_token.strip():
            raise BadArgument("the API token is empty", field="api_token_file")
        self.url, self.api_token = url, api_token.strip()

    def post(self, path: str, body: dict) -> dict:
        """POST `body` as JSON to API + `path`: the answer's JSON, or the server's error raised."""
        request = urllib.request.Request(
            self.url + API + quote(path), data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "Authorization": f"Bearer {self.api_token}"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise _error(self.url, exc.code, exc.read()) from None
        except (urllib.error.URLError, OSError) as exc:
            why = getattr(exc, "reason", exc)
            raise ArchiveError(f"the server {self.url} cannot be reached ({one_line(why)}); check the address "
                               "and the network") from None
        except ValueError:
            raise ArchiveError(f"the server {self.url} did not answer JSON; is it a Sohoa server?") from None


def _error(url: str, status: int, body: bytes) -> SohoaError:
    """The server's error as its own kind (by name), with its message; an answer that is not one of
    Sohoa's errors (a proxy's page) is an ArchiveError naming the status."""
    try:
        said = json.loads(body)["error"]
        kind = getattr(errors, str(said["kind"]), None)
        message = str(said["message"])
    except (ValueError, KeyError, TypeError):
        return ArchiveError(f"the server {url} answered HTTP {status}, not a Sohoa error; is it a Sohoa server?")
    if not (isinstance(kind, type) and issubclass(kind, SohoaError)):
        kind = SohoaError
    return kind(message)  # no field given: the message is shown as the server wrote it, braces and all
