"""Who acts, as every service is told."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who acts. The audit log keeps `name`; a server also knows their `role` (clerk, staff, manager,
    admin), the `agencies` whose records they may see (none: all), the `channel` they came by (cli,
    web, api) and their client's `address`, the `lang` of their pages; the audit log keeps all but the agencies."""

    name: str
    role: str | None = None
    agencies: tuple[str, ...] = ()
    channel: str = "cli"
    address: str | None = None
    lang: str = "vi"  # the language of a user's pages (tokens and the command line: Vietnamese)
