"""Property-based tests (hypothesis) for the register importer and the Vietnamese text analyzer."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digitize.audit import mask_id
from digitize.errors import InputError
from digitize.register import COLUMNS, read_register
from index.analysis import VietnameseAnalyzer, fold, fold_text, nfc, words

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
LETTERS = VIETNAMESE + VIETNAMESE.upper()
vietnamese_text = st.text(st.sampled_from(LETTERS + " ,.-:;/0123456789\n\"'"), max_size=80)
any_text = st.text(max_size=80)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the analyzer -----------------------------------------------------------------------------
@SETTINGS
@given(any_text)
@example("Đặng Thị Hương")
def test_fold_is_idempotent_and_leaves_no_marks(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert "đ" not in folded and not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", folded))


@SETTINGS
@given(vietnamese_text)
def test_fold_ignores_how_the_text_was_composed_and_keeps_its_length(text):
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
    assert len(fold(text)) == len(nfc(text))  # offsets in the folded text hold in the original


@SETTINGS
@given(st.one_of(vietnamese_text, any_text))
def test_fold_text_fast_path_agrees_with_fold(text):
    assert fold_text(nfc(text)) == fold(text)


@SETTINGS
@given(st.one_of(vietnamese_text, any_text))
def test_folded_analyzer_is_the_fold_of_the_exact_one(text):
    exact = [t.text for t in VietnameseAnalyzer(folded=False)(text)]
    folded = [t.text for t in VietnameseAnalyzer(folded=True)(text)]
    assert exact == words(text)
    assert folded == [fold(w) for w in exact]


@SETTINGS
@given(st.lists(st.one_of(vietnamese_text, st.from_regex(r"[0-9]{9}|[0-9]{12}", fullmatch=True)), max_size=6))
def test_mask_id_hides_every_citizen_id_and_nothing_else(parts):
    text = " ".join(parts)
    masked = mask_id(text)
    assert len(masked) == len(text)
    assert all(a == b or (a.isdigit() and b == "*") for a, b in zip(text, masked))  # only digits become stars
    for word, shown in zip(text.split(), masked.split()):
        if word.isdigit() and len(word) in (9, 12):
            assert shown == word[:4] + "*" * (len(word) - 6) + word[-2:]


# -- the register importer --------------------------------------------------------------------
cell_text = st.text(st.sampled_from(LETTERS + " ,.-\"'()"), min_size=1, max_size=30).map(str.strip).filter(bool)
component = st.text(st.sampled_from(LETTERS + " ,.-\"'()"), min_size=1, max_size=30).map(str.strip).filter(bool)


AGENCY_CODES = st.from_regex(r"[0-9]{3}(\.[0-9A-Z]{2,3}){0,3}", fullmatch=True)


@st.composite
def registers(draw):
    """Valid register rows, values as a clerk's spreadsheet might write them."""
    rows = []
    for seq in range(draw(st.integers(1, 5))):
        received = draw(st.dates(date(2000, 1, 1), date(2099, 12, 31)))
        due = draw(st.none() | st.dates(received, date(2099, 12, 31)))
        names = draw(st.lists(component, min_size=1, max_size=4, unique_by=str.casefold))
        rows.append({
            "record_code": f"{draw(AGENCY_CODES)}-{received:%y%m%d}-{seq:04d}",
            "procedure_code": draw(st.from_regex(r"1\.[0-9]{6}", fullmatch=True)),
            "procedure_name": draw(cell_text), "agency": draw(cell_text),
            "channel": draw(st.sampled_from(["1", "2", "3"])),
            "received_date": draw(st.sampled_from([f"{received:%Y-%m-%d}", f"{received:%d/%m/%Y}",
                                                   f"{received.day}/{received.month}/{received.year}"])),
            "due_date": "" if due is None else f"{due:%d/%m/%Y}",
            "applicant_name": draw(cell_text),
            "applicant_id": draw(st.sampled_from(["", "079203001234", "123456789"])),
            "requires_paper_result": draw(st.sampled_from(["true", "false", "1", "0", "có", "không", "Yes"])),
            "components": ";".join(names),
        })
    return rows


def _import(rows: list[dict], columns=COLUMNS, nfd: bool = False) -> list:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    text = unicodedata.normalize("NFD", out.getvalue()) if nfd else out.getvalue()
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.csv"
        path.write_text(text, encoding="utf-8")
        return read_register(path)


@SETTINGS
@given(registers(), st.permutations(COLUMNS), st.booleans())
def test_every_valid_register_imports_exactly_what_it_says(rows, columns, nfd):
    records = _import(rows, columns, nfd)

    assert [r.record_code for r in records] == [row["record_code"] for row in rows]
    for record, row in zip(records, rows):
        assert record.applicant_name == nfc(row["applicant_name"])
        assert record.components == [nfc(c.strip()) for c in row["components"].split(";")]
        assert record.channel == int(row["channel"])
        assert record.applicant_id == (row["applicant_id"] or None)
        assert record.requires_paper_result == (row["requires_paper_result"].casefold() in ("true", "1", "có", "yes"))
        day, month, year = (int(x) for x in record.received_date.split("-")[::-1])
        assert date(year, month, day)  # ISO, a real date
        assert all(unicodedata.is_normalized("NFC", s) for s in (record.procedure_name, record.agency))


@SETTINGS
@given(registers(), st.data())
def test_one_bad_value_is_reported_on_its_line_and_nothing_is_imported(rows, data):
    victim = data.draw(st.integers(0, len(rows) - 1))
    field, bad = data.draw(st.sampled_from([("channel", "9"), ("applicant_id", "79203001234"),
                                            ("received_date", "31/02/2026"), ("record_code", "H48-2601-1"),
                                            ("requires_paper_result", "maybe")]))
    rows[victim][field] = bad
    try:
        _import(rows)
    except InputError as exc:
        message = str(exc)
    else:
        raise AssertionError("a bad register was imported")
    # Lines: 1 is the header; a quoted value with a newline would shift them, and these have none.
    assert f"register.csv line {victim + 2}: {field}" in message
    assert message.splitlines()[-1] == "register.csv: nothing was imported; correct the file and import it again"


@SETTINGS
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda s: s.encode("utf-8")))
def test_any_file_either_imports_or_says_what_is_wrong(data):
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.csv"
        path.write_bytes(b",".join(c.encode() for c in COLUMNS) + b"\n" + data)
        try:
            records = read_register(path)
        except InputError as exc:
            assert str(exc).startswith("register.csv")
        else:
            assert all(r.record_code for r in records)
