"""The message catalogue: every msgid the code and templates use (found by Babel's extraction with
babel.cfg's map, as `pybabel extract -k N_ -F babel.cfg` finds them) has a Vietnamese and an English translation, and the placeholders of
each translation are the msgid's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.util import pathmatch

from digitize import dates, errors, i18n

ROOT = Path(__file__).resolve().parent.parent
with open(ROOT / "babel.cfg") as cfg:  # the map `pybabel extract -F babel.cfg` reads
    METHODS, OPTIONS = parse_mapping_cfg(cfg)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+(?:![rs])?(?::[^{}]*)?\}")  # the pages' and the errors' (str.format)


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
    # the templates of the errors the pages show (digitize/errors.py): babel.cfg's keywords find them
    assert "no paper {paper} in this archive; find ids with sohoa search" in messages
    assert "{date} {value!r}: {reason}; use YYYY-MM-DD or DD/MM/YYYY" in messages
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


ERROR_KINDS = {k.__name__ for k in (lambda walk: walk(walk, errors.SohoaError))(
    lambda walk, kind: [kind, *(s for sub in kind.__subclasses__() for s in walk(walk, sub))])}


def error_sources() -> list[Path]:
    """The files whose error kinds' templates babel.cfg extracts (a section with the kinds as keywords)."""
    sections = [(pattern, OPTIONS.get(pattern, {}).get("keywords", {})) for pattern, _method in METHODS]
    found = []
    for path in sorted(ROOT.glob("**/*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name.startswith((".venv", "tests", "build")):
            continue
        keywords = next((kw for pattern, kw in sections if pathmatch(pattern, name)), None)
        if keywords is not None and "BadArgument" in keywords:
            found.append(path)
    return found


def test_babel_cfg_extracts_every_error_kind_from_the_pages_sources():
    sources = {p.relative_to(ROOT).as_posix() for p in error_sources()}
    assert {"server/web/desk.py", "digitize/reuse.py", "digitize/dates.py", "digitize/services/common.py"} <= sources
    for pattern, _method in METHODS:
        keywords = OPTIONS.get(pattern, {}).get("keywords")
        if keywords:
            assert set(keywords) >= ERROR_KINDS | {"Text"}, pattern


def test_the_errors_the_pages_show_are_templates_not_f_strings():
    # an f-string message cannot be looked up in the catalogue: its values go in as named values
    built = []
    for path in error_sources():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and node.args and getattr(node.func, "id", None) in ERROR_KINDS | {"Text"}:
                if not isinstance(node.args[0], ast.Constant):
                    if not (isinstance(node.args[0], ast.Name) or isinstance(node.args[0], ast.Call)):
                        built.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not built, f"messages built with their values: {built}"


def test_an_error_renders_in_the_language_asked_and_in_english_by_default():
    from server.web import say

    try:
        dates.date_given("31/31/2020", "issued_from")
    except errors.BadArgument as exc:
        error = exc
    assert str(error) == "--issued-from '31/31/2020': no such date; use YYYY-MM-DD or DD/MM/YYYY"
    assert say(error, "en") == "“issued from” '31/31/2020': no such date; use YYYY-MM-DD or DD/MM/YYYY"
    assert say(error, "vi") == ("“cấp từ ngày” '31/31/2020': không có ngày này; "
                                "hãy nhập dạng YYYY-MM-DD hoặc DD/MM/YYYY")
    braces = errors.NotFound("no job {job}", field="job", job="{x}")  # a value's braces stay text
    assert say(braces, "vi") == "không có tác vụ {x}"
    untranslated = errors.BadArgument("a message no catalogue has {value}", value=1)
    assert say(untranslated, "vi") == "a message no catalogue has 1"
