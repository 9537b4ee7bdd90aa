"""The browser pages: server-rendered HTML (Jinja2, autoescaped everywhere: register and OCR text is
hostile) with a little htmx, every asset served from server/web/static, every message through the
project's catalogue (digitize/i18n.py) in the user's language."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

from digitize import i18n

HERE = Path(__file__).parent
TEMPLATES, STATIC = HERE / "templates", HERE / "static"

# Each role's pages, in the header's nav: (path, msgid).
NAV: dict[str, list[tuple[str, str]]] = {
    "clerk": [("/counter", i18n.N_("Counter")), ("/records", i18n.N_("Records"))],
    "staff": [("/search", i18n.N_("Search")), ("/records", i18n.N_("Records"))],
    "manager": [("/dashboard", i18n.N_("Dashboard")), ("/records", i18n.N_("Records")), ("/audit", i18n.N_("Audit log"))],
    "admin": [("/users", i18n.N_("Users")), ("/tokens", i18n.N_("Tokens"))],
}


N_ = i18n.N_
# The scan's rescan reasons (digitize/prepare.py keeps them in English in the catalog), as shown.
REASONS = [(re.compile(r"scanned at (?P<dpi>\d+) dpi, under (?P<min>\d+)"), N_("scanned at %(dpi)s dpi, under %(min)s")),
           (re.compile(r"blank page"), N_("blank page")),
           (re.compile(r"faded or unreadable, rescan with more contrast"),
            N_("faded or unreadable, rescan with more contrast")),
           (re.compile(r"nearly empty \((?P<words>\d+) words read\)"), N_("nearly empty (%(words)s words read)")),
           (re.compile(r"low OCR confidence \((?P<value>\d+) < (?P<min>\d+)\)"),
            N_("low OCR confidence (%(value)s < %(min)s)"))]


def reason(text: str, gettext) -> str:
    """A rescan reason in the page's language (one this does not know stays as it is)."""
    for pattern, msgid in REASONS:
        found = pattern.fullmatch(text)
        if found:
            return gettext(msgid) % found.groupdict()
    return text


# Fields as a page names them inside a service's message (others: the form's own name, quoted).
FIELDS = {"reason": N_("reason"), "record": N_("record"), "component": N_("component"), "paper": N_("paper"),
          "force": N_("reuse anyway"), "from": N_("from"), "to": N_("to"), "issued_from": N_("issued from"),
          "issued_to": N_("issued to"), "expires_from": N_("expires from"), "expires_to": N_("expires to"),
          "date_from": N_("from"), "date_to": N_("to"), "name": N_("user name"), "password": N_("password"),
          "q": N_("search"), "code": N_("record code")}


def say(error, lang: str) -> str:
    """A service's error (digitize/errors.py) in `lang`: its template translated by the catalogue,
    then its values put in (a template the catalogue lacks stays English)."""
    catalogue = i18n.translations(i18n.language(lang))

    def spell(field: str, metavar: str) -> str:
        return f"“{catalogue.gettext(FIELDS[field])}”" if field in FIELDS else f"'{field}'"

    return error.render(spell, catalogue.gettext)


@lru_cache(maxsize=None)
def environment(lang: str) -> Environment:
    """The templates in `lang`: one environment per language, its gettext the language's catalogue
    (newstyle: `_("… %(name)s", name=x)` formats and escapes x like any other value)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), extensions=["jinja2.ext.i18n"],
                      autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True, default=True),
                      trim_blocks=True, lstrip_blocks=True)
    catalogue = i18n.translations(lang)
    env.install_gettext_translations(catalogue, newstyle=True)
    env.filters["reason"] = lambda text: reason(text, catalogue.gettext)
    env.globals.update(lang=lang, languages=i18n.LANGUAGES, nav=NAV, quote=quote)
    return env


def render(template: str, lang: str, /, **context) -> str:
    """`template` in `lang` (an unknown language: the default)."""
    return environment(i18n.language(lang)).get_template(template).render(**context)
