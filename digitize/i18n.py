"""The message catalogue of the whole project (pages, printable reports): gettext through Babel.

Messages are written in English in the code and templates (the msgids) and translated in
digitize/locale/{vi,en}/LC_MESSAGES/sohoa.po. The .po files are read and compiled in memory at
first use: no .mo binary is committed or built, so a translation edited is a translation served on
the next start, and the wheel carries only text.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("vi", "en")  # Vietnamese first: the default of every user and report
DEFAULT = "vi"
LOCALE = Path(__file__).with_name("locale")
DOMAIN = "sohoa"


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(lang: str = DEFAULT) -> gettext.GNUTranslations:
    """The catalogue of `lang` (one of LANGUAGES), compiled from its .po once per process."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    if lang not in LANGUAGES:
        raise ValueError(f"no such language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    with open(po_path(lang), "rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def language(lang: str | None) -> str:
    """`lang` if it is one of LANGUAGES, else the default (a stale setting never breaks a page)."""
    return lang if lang in LANGUAGES else DEFAULT


def N_(message: str) -> str:
    """Marks `message` as a msgid for extraction where it is translated later (a table's labels)."""
    return message


# The roles as the pages name them (translated where shown: `_(actor.role)`).
ROLE_NAMES = (N_("clerk"), N_("staff"), N_("manager"), N_("admin"), N_("operator"))
