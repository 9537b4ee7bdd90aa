"""The message catalogue: every msgid the code and templates use (found by Babel's extraction with
babel.cfg's map, as `pybabel extract -k N_ -F babel.cfg` finds them) has a Vietnamese and an English translation, and the placeholders of
each translation are the msgid's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from digitize import i18n

ROOT = Path(__file__).resolve().parent.parent
with open(ROOT / "babel.cfg") as cfg:  # the map `pybabel extract -F babel.cfg` reads
    METHODS, OPTIONS = parse_mapping_cfg(cfg)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def used() -> dict[str, str]:
    """msgid → where it is first used."""
    found = {}
    for path, line, message, _comments, _context in extract_from_dir(
            ROOT, METHODS, options_map=OPTIONS, keywords=KEYWORDS,
            directory_filter=lambda d: not any(p in d for p in (".venv", "tests", "build", ".git"))):
        msgid = message[0] if isinstance(message, tuple) else message  # a plural is kept by its singular
        if msgid:
            found.setdefault(msgid, f"{path}:{line}")
    return found


def test_extraction_finds_the_pages_messages():
    messages = used()
    assert "Log in" in messages and "Counter" in messages and "Not allowed" in messages
    assert any(where.startswith("server/web/templates/") for where in messages.values())


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_message_used_is_translated(lang):
    with open(i18n.po_path(lang), "rb") as po:
        catalog = read_po(po, locale=lang)
    missing = {m: where for m, where in used().items() if m not in catalog or catalog[m].fuzzy
               or not all(catalog[m].string if isinstance(catalog[m].string, tuple) else (catalog[m].string,))}
    assert not missing, f"{lang}: no translation for {missing}"
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if ids[0]:
            for text in strings:
                assert set(PLACEHOLDER.findall(ids[-1])) == set(PLACEHOLDER.findall(text)), message.id


def test_the_catalogue_speaks_vietnamese_first():
    assert i18n.DEFAULT == "vi"
    assert i18n.translations("vi").gettext("Log in") == "Đăng nhập"
    assert i18n.translations("en").gettext("Log in") == "Log in"
    assert i18n.language("fr") == "vi"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_no_message_is_translated_twice(lang):
    # Babel keeps the last of two entries silently: two helpers translating one msgid apart would
    # have one page say the other's words.
    ids = re.findall(r'^msgid ("(?:[^"\\]|\\.)*"(?:\n"(?:[^"\\]|\\.)*")*)', i18n.po_path(lang).read_text("utf-8"), re.M)
    twice = {m for m in ids if ids.count(m) > 1 and m != '""'}
    assert not twice, f"{lang}: translated twice: {sorted(twice)}"
