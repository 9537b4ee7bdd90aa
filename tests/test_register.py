"""The register of received records (CSV and JSON): parsing, checking every record, importing and re-importing."""

import copy
import csv
import io
import json
import re
import unicodedata

import pytest

from digitize.catalog import Catalog, NewPaper, PageInfo, RegisterResult
from digitize.errors import InputError
from digitize.register import (MAX_COMPONENTS, MAX_DEPTH, MAX_PROBLEMS_SHOWN, MAX_TEXT, import_register, parse_date,
                               read_register)

HEADER = ("record_code,procedure_code,procedure_name,agency,channel,received_date,due_date,"
          "applicant_name,applicant_id,requires_paper_result,components")
ROW1 = ('000.00.53.H48-220921-0099,1.001612,Đăng ký khai sinh,000.00.53.H48,1,2022-09-21,'
        '23/09/2022,Nguyễn Văn An,001090012345,false,Tờ khai đăng ký khai sinh;Giấy chứng sinh')
ROW2 = ('000.00.53.H48-220922-0001,1.000894,"Cấp giấy phép xây dựng, sửa chữa",000.00.53.H48,2,'
        '22/9/2022,,Trần Thị Bình,,có,Đơn đề nghị; Bản vẽ thiết kế ;Giấy tờ đất')
ROW3 = ('000.00.12.H48-221001-0002,1.001612,Đăng ký khai sinh,000.00.12.H48,3,1/10/2022,'
        '2022-10-05,Lê Văn Cường,123456789,Yes,Tờ khai đăng ký khai sinh')


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    yield cat
    cat.close()


def write(tmp_path, *lines, name="register.csv", bom=False, newline="\n"):
    path = tmp_path / name
    text = newline.join(lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def problems_of(excinfo):
    """The problem lines of the message, without the closing advice row problems end with."""
    lines = str(excinfo.value).splitlines()
    advice = "nothing was imported; correct the file and import it again"
    return lines[:-1] if lines[-1].endswith(advice) else lines


# -- parse_date ----------------------------------------------------------------------------
@pytest.mark.parametrize("text, iso", [
    ("2022-09-21", "2022-09-21"),
    ("21/09/2022", "2022-09-21"),
    ("1/2/2024", "2024-02-01"),
    ("29/02/2024", "2024-02-29"),
    (" 2022-09-21 ", "2022-09-21"),
])
def test_parse_date_accepts_iso_and_vietnamese_forms(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("text, reason", [
    ("2023-02-29", "no such date"),
    ("31/04/2024", "no such date"),
    ("12/31/2024", "day comes first"),
    ("2024/03/05", "expected YYYY-MM-DD or DD/MM/YYYY"),
    ("05-03-2024", "expected YYYY-MM-DD or DD/MM/YYYY"),
    ("5/3/24", "expected YYYY-MM-DD or DD/MM/YYYY"),
    ("2024-3-5", "expected YYYY-MM-DD or DD/MM/YYYY"),
    ("", "expected YYYY-MM-DD or DD/MM/YYYY"),
    ("hôm qua", "expected YYYY-MM-DD or DD/MM/YYYY"),
])
def test_parse_date_rejects_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(text)


# -- good registers --------------------------------------------------------------------------
def test_good_register_imports_every_field(tmp_path, catalog):
    path = write(tmp_path, HEADER, ROW1, ROW2, ROW3)
    assert import_register(catalog, path) == (3, 0)
    assert catalog.record_codes() == [
        "000.00.12.H48-221001-0002", "000.00.53.H48-220921-0099", "000.00.53.H48-220922-0001"]

    r1 = catalog.get_record("000.00.53.H48-220921-0099")
    assert (r1.procedure_code, r1.procedure_name, r1.agency) == ("1.001612", "Đăng ký khai sinh", "000.00.53.H48")
    assert (r1.channel, r1.received_date, r1.due_date) == (1, "2022-09-21", "2022-09-23")
    assert (r1.applicant_name, r1.applicant_id, r1.requires_paper_result) == ("Nguyễn Văn An", "001090012345", False)
    assert r1.components == ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]

    r2 = catalog.get_record("000.00.53.H48-220922-0001")
    assert r2.procedure_name == "Cấp giấy phép xây dựng, sửa chữa"  # quoted comma
    assert (r2.channel, r2.received_date, r2.due_date) == (2, "2022-09-22", None)
    assert (r2.applicant_id, r2.requires_paper_result) == (None, True)
    assert r2.components == ["Đơn đề nghị", "Bản vẽ thiết kế", "Giấy tờ đất"]  # trimmed

    r3 = catalog.get_record("000.00.12.H48-221001-0002")
    assert (r3.channel, r3.received_date, r3.due_date, r3.applicant_id) == (3, "2022-10-01", "2022-10-05", "123456789")


def test_column_order_may_differ_and_crlf_bom_blank_lines_are_fine(tmp_path, catalog):
    columns = HEADER.split(",")
    order = list(reversed(range(len(columns))))
    values = next(csv.reader(io.StringIO(ROW1)))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([columns[i] for i in order])
    w.writerow([values[i] for i in order])
    w.writerow([""] * len(columns))  # a spreadsheet's empty row
    path = tmp_path / "register.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (buf.getvalue() + "\r\n").encode())
    assert import_register(catalog, path) == (1, 0)
    assert catalog.get_record("000.00.53.H48-220921-0099").components == [
        "Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]


def test_bom_is_tolerated(tmp_path, catalog):
    path = write(tmp_path, HEADER, ROW1, bom=True)
    assert import_register(catalog, path) == (1, 0)


def test_text_is_nfc_normalised_and_stripped(tmp_path, catalog):
    nfd = unicodedata.normalize("NFD", ROW1.replace("Nguyễn Văn An", "  Nguyễn Văn An  "))
    assert nfd != unicodedata.normalize("NFC", nfd)
    path = write(tmp_path, HEADER, nfd)
    import_register(catalog, path)
    record = catalog.get_record("000.00.53.H48-220921-0099")
    assert record.applicant_name == "Nguyễn Văn An"
    assert record.applicant_name == unicodedata.normalize("NFC", record.applicant_name)
    assert record.components == ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]
    assert all(unicodedata.is_normalized("NFC", c) for c in record.components)


@pytest.mark.parametrize("word, expected", [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("Có", True), ("CÓ", True),
    ("false", False), ("0", False), ("No", False), ("không", False), ("Không", False), ("KHÔNG", False),
])
def test_requires_paper_result_words(tmp_path, word, expected):
    path = write(tmp_path, HEADER, ROW1.replace(",false,", f",{word},"))
    assert read_register(path)[0].requires_paper_result is expected


def test_reimport_updates_without_duplicating(tmp_path, catalog):
    import_register(catalog, write(tmp_path, HEADER, ROW1, ROW2))
    changed = ROW1.replace("Nguyễn Văn An", "Nguyễn Văn Ân").replace(
        "Tờ khai đăng ký khai sinh;Giấy chứng sinh", "Giấy chứng sinh;Tờ khai;CCCD của mẹ")
    assert import_register(catalog, write(tmp_path, HEADER, changed, ROW2, ROW3, name="again.csv")) == (1, 2)
    assert len(catalog.record_codes()) == 3
    record = catalog.get_record("000.00.53.H48-220921-0099")
    assert record.applicant_name == "Nguyễn Văn Ân"
    assert record.components == ["Giấy chứng sinh", "Tờ khai", "CCCD của mẹ"]
    count = catalog.db.execute(
        "SELECT COUNT(*) FROM components WHERE record_code = ?", (record.record_code,)).fetchone()[0]
    assert count == 3
    # the same file again changes nothing but the update stamp
    assert import_register(catalog, write(tmp_path, HEADER, changed, ROW2, ROW3, name="again.csv")) == (0, 3)
    assert len(catalog.record_codes()) == 3


# -- bad registers ---------------------------------------------------------------------------
def replace_field(row, column, value):
    values = next(csv.reader(io.StringIO(row)))
    values[HEADER.split(",").index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue()


BAD_FIELDS = [
    ("record_code", "", "record_code is empty"),
    ("record_code", "000.00.53.H48-220921-99", "record_code must look like AGENCY-YYMMDD-NNNN"),
    ("record_code", "000.00.53.H48/220921/0099", "record_code must look like AGENCY-YYMMDD-NNNN"),
    ("record_code", "000..53.H48-220921-0099", "record_code must look like AGENCY-YYMMDD-NNNN"),
    ("record_code", "000.00.53.H48-220231-0099", "record_code has no such date 220231"),
    ("procedure_code", " ", "procedure_code is empty"),
    ("procedure_name", "", "procedure_name is empty"),
    ("agency", "", "agency is empty"),
    ("applicant_name", "", "applicant_name is empty"),
    ("channel", "4", 'channel must be 1, 2 or 3 (got "4")'),
    ("channel", "", 'channel must be 1, 2 or 3 (got "")'),
    ("received_date", "", "received_date is empty"),
    ("received_date", "2022-13-01", 'received_date: no such date (got "2022-13-01")'),
    ("received_date", "21.09.2022", 'received_date: expected YYYY-MM-DD or DD/MM/YYYY (got "21.09.2022")'),
    ("due_date", "31/09/2022", 'due_date: no such date (got "31/09/2022")'),
    ("due_date", "2022-09-20", "due_date 2022-09-20 is before received_date 2022-09-21"),
    ("applicant_id", "12345", 'applicant_id must be 9 or 12 digits (got "12345")'),
    ("applicant_id", "1090012345", "applicant_id must be 9 or 12 digits; a spreadsheet may have dropped "
                                   'leading zeros: format the column as text (got "1090012345")'),
    ("applicant_id", "00109001234X", "applicant_id must be 9 or 12 digits"),
    ("requires_paper_result", "maybe", 'requires_paper_result must be one of true/false, 1/0, yes/no, có/không (got "maybe")'),
    ("requires_paper_result", "", "requires_paper_result must be one of"),
    ("components", "", "components is empty"),
    ("components", "Tờ khai;;Giấy chứng sinh", "components has an empty name between ';'"),
    ("components", "Tờ khai;", "components has an empty name between ';'"),
    ("components", "Tờ khai; Giấy chứng sinh ;tờ khai", 'components lists "tờ khai" twice'),
]


@pytest.mark.parametrize("column, value, message", BAD_FIELDS)
def test_each_bad_field_is_reported_with_its_line_and_nothing_is_imported(tmp_path, catalog, column, value, message):
    path = write(tmp_path, HEADER, ROW2, replace_field(ROW1, column, value), ROW3)
    with pytest.raises(InputError) as excinfo:
        import_register(catalog, path)
    problems = problems_of(excinfo)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"register.csv line 3: {message}"), problems
    assert excinfo.value.exit_code == 3
    assert catalog.record_codes() == []


def test_example_message_shape(tmp_path):
    path = write(tmp_path, HEADER, ROW1, ROW2, ROW3, ROW3.replace("-0002,", "-0003,").replace(",3,", ",4,", 1),
                 "", "", replace_field(ROW1.replace("-0099", "-0100"), "channel", "4"))
    with pytest.raises(InputError) as excinfo:
        read_register(path)
    assert problems_of(excinfo) == [
        'register.csv line 5: channel must be 1, 2 or 3 (got "4")',
        'register.csv line 8: channel must be 1, 2 or 3 (got "4")',
    ]


def test_all_problems_are_collected_one_line_each(tmp_path, catalog):
    import_register(catalog, write(tmp_path, HEADER, ROW1, name="first.csv"))
    before = catalog.get_record("000.00.53.H48-220921-0099")
    bad_row = replace_field(replace_field(ROW3, "channel", "9"), "received_date", "32/01/2022")
    path = write(
        tmp_path, HEADER,
        ROW1.replace("Nguyễn Văn An", "Someone Else"),     # line 2: fine, but must not be imported
        bad_row,                                           # line 3: two problems
        ROW2,                                              # line 4: fine
        ROW2.replace("Trần Thị Bình", "Trần Thị B"),       # line 5: same record code as line 4
        "000.00.53.H48-220923-0001,1.001612,Too few",      # line 6: wrong field count
    )
    with pytest.raises(InputError) as excinfo:
        import_register(catalog, path)
    assert problems_of(excinfo) == [
        'register.csv line 3: channel must be 1, 2 or 3 (got "9")',
        'register.csv line 3: received_date: no such date (got "32/01/2022")',
        'register.csv line 5: record_code "000.00.53.H48-220922-0001" is repeated (first on line 4)',
        "register.csv line 6: has 3 fields, expected 11 (a comma inside a value needs the value in double quotes)",
    ]
    assert excinfo.value.problems == problems_of(excinfo)
    assert catalog.record_codes() == ["000.00.53.H48-220921-0099"]
    assert catalog.get_record("000.00.53.H48-220921-0099") == before


def test_a_wholly_wrong_file_shows_the_first_problems_and_counts_the_rest(tmp_path, catalog):
    rows = [",".join(["bad"] * 11)] * 30
    path = tmp_path / "register.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        import_register(catalog, path)
    lines = problems_of(excinfo)
    assert len(lines) == MAX_PROBLEMS_SHOWN + 1
    assert lines[-1] == f"register.csv: … and {len(excinfo.value.problems) - MAX_PROBLEMS_SHOWN} more problems"


def test_repeated_record_code_is_reported_even_when_the_first_row_is_bad(tmp_path):
    path = write(tmp_path, HEADER, replace_field(ROW1, "channel", "7"), ROW2, ROW1)
    with pytest.raises(InputError) as excinfo:
        read_register(path)
    assert problems_of(excinfo) == [
        'register.csv line 2: channel must be 1, 2 or 3 (got "7")',
        'register.csv line 4: record_code "000.00.53.H48-220921-0099" is repeated (first on line 2)',
    ]


def test_line_numbers_count_lines_inside_quoted_values(tmp_path):
    multi_line = ROW2.replace('"Cấp giấy phép xây dựng, sửa chữa"', '"Cấp giấy phép xây dựng,\nsửa chữa\nnhà ở"')
    path = write(tmp_path, HEADER, multi_line, replace_field(ROW1, "channel", "0"))
    with pytest.raises(InputError) as excinfo:
        read_register(path)
    assert problems_of(excinfo) == ['register.csv line 5: channel must be 1, 2 or 3 (got "0")']


def test_unclosed_quote_is_reported(tmp_path):
    path = write(tmp_path, HEADER, ROW1, ROW2.replace('sửa chữa"', "sửa chữa"))
    with pytest.raises(InputError, match=r"register.csv line 3: cannot read the row: .*check its quotes"):
        read_register(path)


def test_missing_columns_are_named(tmp_path, catalog):
    header = HEADER.replace("channel,", "").replace(",applicant_id", "")
    path = write(tmp_path, header, "x")
    with pytest.raises(InputError) as excinfo:
        import_register(catalog, path)
    assert problems_of(excinfo) == ["register.csv line 1: missing columns: channel, applicant_id"]


def test_unknown_and_repeated_columns(tmp_path):
    path = write(tmp_path, HEADER + ",notes,agency", ROW1 + ",x,y")
    with pytest.raises(InputError) as excinfo:
        read_register(path)
    assert problems_of(excinfo) == [
        'register.csv line 1: unknown columns: "notes"',
        "register.csv line 1: repeated columns: agency",
    ]


def test_semicolon_separated_file_gets_a_hint(tmp_path):
    path = write(tmp_path, HEADER.replace(",", ";"), ROW1.replace(",", ";"))
    with pytest.raises(InputError, match="seems to use ';' between columns"):
        read_register(path)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_empty_file_is_an_error(tmp_path, catalog, content):
    path = tmp_path / "register.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="register.csv: the file is empty"):
        import_register(catalog, path)


def test_header_only_is_an_error(tmp_path, catalog):
    with pytest.raises(InputError, match="register.csv: no records"):
        import_register(catalog, write(tmp_path, HEADER))
    with pytest.raises(InputError, match="register.csv: no records"):
        import_register(catalog, write(tmp_path, HEADER, "", ",,,,,,,,,,"))


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "register.csv"
    legacy = ROW3.encode("utf-8").replace("Cường".encode(), b"C\xf6\xf4ng")  # a Windows code page
    path.write_bytes((HEADER + "\n" + ROW1 + "\n").encode() + legacy + b"\n")
    with pytest.raises(InputError, match="register.csv line 3: the file is not UTF-8 text"):
        read_register(path)


def test_utf16_file_is_refused_clearly(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes((HEADER + "\n" + ROW1 + "\n").encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        read_register(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="register.csv: cannot read the register"):
        read_register(tmp_path / "register.csv")


# -- the JSON register ---------------------------------------------------------------------------

JSON_RECORD = {
    "record_code": "000.00.53.H48-220922-0001", "procedure_code": "1.000894",
    "procedure_name": "Cấp giấy phép xây dựng", "agency": "000.00.53.H48", "channel": 2,
    "received_date": "22/9/2022", "due_date": "2022-10-06", "resolved_date": None,
    "applicant_name": "Trần Thị Bình", "applicant_id": "001090012345",
    "components": [{"name": "Đơn đề nghị", "status": "đã nộp"}, {"name": " Bản vẽ thiết kế "}, "Giấy tờ đất"],
    "results": [{"name": "Giấy phép xây dựng", "paper": True, "issued_date": None}],
    "export_id": 81723,  # an export's own key: ignored
}


def write_json(tmp_path, data, name="register.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def stored(catalog, code):
    comps = [tuple(r) for r in catalog.db.execute(
        "SELECT name, status FROM components WHERE record_code = ? ORDER BY position", (code,))]
    results = [tuple(r) for r in catalog.db.execute(
        "SELECT name, paper, issued_date FROM results WHERE record_code = ? ORDER BY position", (code,))]
    resolved, pending = catalog.db.execute(
        "SELECT resolved_date, result_pending FROM records WHERE record_code = ?", (code,)).fetchone()
    return comps, results, resolved, pending


def test_json_register_imports_components_and_results(tmp_path, catalog):
    assert import_register(catalog, write_json(tmp_path, [JSON_RECORD])) == (1, 0)
    record = catalog.get_record(JSON_RECORD["record_code"])
    assert (record.channel, record.received_date, record.due_date) == (2, "2022-09-22", "2022-10-06")
    assert record.requires_paper_result is True  # said by the result on paper
    assert stored(catalog, record.record_code) == (
        [("Đơn đề nghị", "đã nộp"), ("Bản vẽ thiết kế", ""), ("Giấy tờ đất", "")],
        [("Giấy phép xây dựng", 1, None)], None, 1)  # not resolved, nothing issued: the result is pending


def test_json_may_wrap_the_list_and_may_omit_results(tmp_path):
    bare = {k: v for k, v in JSON_RECORD.items() if k not in ("results", "resolved_date")}
    bare["requires_paper_result"] = "có"
    [record] = read_register(write_json(tmp_path, {"records": [bare]}, name="export.txt"))  # found by its content
    assert (record.requires_paper_result, record.results, record.resolved_date) == (True, None, None)


def test_json_reimport_updates_status_resolution_and_issued_results(tmp_path, catalog):
    import_register(catalog, write_json(tmp_path, [JSON_RECORD]))
    later = copy.deepcopy(JSON_RECORD)
    later["components"][1]["status"] = "bổ sung"
    later["components"].pop(2)
    later["resolved_date"] = "05/10/2022"
    later["results"] = [{"name": "Giấy phép xây dựng", "issued_date": "2022-10-05"},
                        {"name": "Bản vẽ đóng dấu", "paper": False}]
    assert import_register(catalog, write_json(tmp_path, [later], name="later.json")) == (0, 1)
    assert stored(catalog, JSON_RECORD["record_code"]) == (
        [("Đơn đề nghị", "đã nộp"), ("Bản vẽ thiết kế", "bổ sung")],
        [("Giấy phép xây dựng", 1, "2022-10-05"), ("Bản vẽ đóng dấu", 0, None)], "2022-10-05", 0)
    # a CSV of the same record changes its fields but keeps what only the JSON says
    import_register(catalog, write(tmp_path, HEADER, ROW2.replace("Trần Thị Bình", "Trần Thị Bình An")))
    comps, results, resolved, pending = stored(catalog, JSON_RECORD["record_code"])
    assert comps[0] == ("Đơn đề nghị", "đã nộp") and len(results) == 2 and (resolved, pending) == ("2022-10-05", 0)
    assert catalog.get_record(JSON_RECORD["record_code"]).applicant_name == "Trần Thị Bình An"


def test_pending_follows_the_register(tmp_path, catalog):
    def pending_of(**changes):
        item = {**JSON_RECORD, **changes}
        [record] = read_register(write_json(tmp_path, [item]))
        catalog.upsert_records([record])
        return stored(catalog, record.record_code)[3]

    assert pending_of() == 1
    assert pending_of(resolved_date="2022-10-01") == 0
    assert pending_of(results=[{"name": "Giấy phép", "issued_date": "2022-10-01"}]) == 0
    assert pending_of(results=[], requires_paper_result=False) == 0


def json_with(path, value):
    """JSON_RECORD with the value at a dotted path (components.1.name) replaced, or removed if ..."""
    item = copy.deepcopy(JSON_RECORD)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = item
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return item


BAD_JSON = [
    ("record_code", ..., "records[1].record_code is empty"),
    ("record_code", "000.00.53.H48-220922-1", "records[1].record_code must look like AGENCY-YYMMDD-NNNN"),
    ("procedure_code", 1.000894, "records[1].procedure_code must be a string in quotes (codes such as 1.001612 are text"),
    ("applicant_id", 1090012345, "records[1].applicant_id must be a string in quotes (a number loses leading zeros"),
    ("channel", 4, 'records[1].channel must be 1, 2 or 3 (got "4")'),
    ("channel", [1], "records[1].channel must be a string (got a list)"),
    ("received_date", "2022-09-31", 'records[1].received_date: no such date (got "2022-09-31")'),
    ("due_date", "2022-09-01", "records[1].due_date 2022-09-01 is before received_date 2022-09-22"),
    ("resolved_date", "2022-09-01", "records[1].resolved_date 2022-09-01 is before received_date 2022-09-22"),
    ("resolved_date", 20221001, "records[1].resolved_date must be a date string"),
    ("applicant_name", " ", "records[1].applicant_name is empty"),
    ("components", [], "records[1].components must be a non-empty list"),
    ("components", "Đơn;Bản vẽ", "records[1].components must be a non-empty list"),
    ("components.1.name", "", "records[1].components[1].name is empty"),
    ("components.1", ["Bản vẽ"], "records[1].components[1] must be an object with a name (got a list)"),
    ("components.2", {"name": "đơn đề nghị"}, 'records[1].components[2].name "đơn đề nghị" is repeated (first in components[0])'),
    ("components.0.status", 3, "records[1].components[0].status must be a string (got a number)"),
    ("components.0.nam", "x", 'records[1].components[0] has unknown key "nam" (did you mean name?)'),
    ("results", {"name": "Giấy phép"}, "records[1].results must be a list"),
    ("results", 3, "records[1].results must be a list"),
    ("results.0.paper", "yes", 'records[1].results[0].paper must be true or false (got "yes")'),
    ("results.0.issued_date", "20/20/2022", "records[1].results[0].issued_date: no such date"),
    ("results.0.issued_date", "2022-01-01", "records[1].results[0].issued_date 2022-01-01 is before received_date"),
    ("results.0.name", None, "records[1].results[0].name is empty"),
    ("requires_paper_result", False, "records[1].requires_paper_result is false but a result is on paper"),
    ("resolve_date", "2022-10-01", 'records[1] has unknown key "resolve_date" (did you mean resolved_date?)'),
]


@pytest.mark.parametrize("path, value, message", BAD_JSON)
def test_each_bad_json_value_is_reported_with_its_position(tmp_path, catalog, path, value, message):
    good = json_with("record_code", "000.00.53.H48-220921-0001")
    data = [good, json_with(path, value)]
    with pytest.raises(InputError) as excinfo:
        import_register(catalog, write_json(tmp_path, data))
    problems = problems_of(excinfo)
    assert len(problems) == 1 and problems[0].startswith(f"register.json {message}"), problems
    assert catalog.record_codes() == []


def test_json_problems_are_all_collected(tmp_path):
    data = [JSON_RECORD, 7, json_with("channel", 9), JSON_RECORD]
    with pytest.raises(InputError) as excinfo:
        read_register(write_json(tmp_path, data))
    assert problems_of(excinfo) == [
        "register.json records[1] must be an object with record_code, components… (got a number)",
        'register.json records[2].channel must be 1, 2 or 3 (got "9")',
        'register.json records[2].record_code "000.00.53.H48-220922-0001" is repeated (first in records[0])',
        'register.json records[3].record_code "000.00.53.H48-220922-0001" is repeated (first in records[0])',
    ]


@pytest.mark.parametrize("text, message", [
    ('[{"record_code": "x",}]', r"register.json line 1 column 22: not valid JSON: Expecting property name"),
    ('{"rows": []}', r'register.json: expected a JSON list of records \(or \{"records": \[...\]\}\), got an object'),
    ("[]", "register.json: no records"),
])
def test_unreadable_json(tmp_path, catalog, text, message):
    path = tmp_path / "register.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        import_register(catalog, path)


def test_json_result_objects_become_register_results(tmp_path):
    [record] = read_register(write_json(tmp_path, [json_with("results", [{"name": "A"}, {"name": "B", "paper": False}])]))
    assert record.results == [RegisterResult("A", True, None), RegisterResult("B", False, None)]
    assert record.statuses == {"Đơn đề nghị": "đã nộp", "Bản vẽ thiết kế": "", "Giấy tờ đất": ""}


def test_a_corrected_record_sends_its_papers_back_to_the_index(tmp_path, catalog):
    import_register(catalog, write(tmp_path, HEADER, ROW1, ROW2))
    paper_id = catalog.add_paper(NewPaper(
        sha256="c" * 64, source_name="to-khai.png", source_path="/in/to-khai.png", pdf_path="cc/c.pdf", text="",
        pages=[PageInfo(2480, 3508, 300, "L", 90.0, "ocr", "vie")], ocr_languages="vie", scanned_by="clerk"),
        link={"record_code": "000.00.53.H48-220921-0099", "component": "Giấy chứng sinh", "is_result": False})
    catalog.mark_indexed([paper_id])

    def indexed():
        return catalog.db.execute("SELECT indexed FROM papers WHERE id = ?", (paper_id,)).fetchone()[0]

    import_register(catalog, write(tmp_path, HEADER, ROW1, ROW2.replace("Trần Thị Bình", "Trần Thị Bích")))
    assert indexed() == 1  # another record changed
    import_register(catalog, write(tmp_path, HEADER, ROW1.replace("Nguyễn Văn An", "Nguyễn Văn Ân")))
    assert indexed() == 0


# -- bounds: a hostile or broken register is refused at once, with where ------------------------------
def test_a_register_nested_100000_levels_deep_is_refused_before_parsing(sohoa, archive_dir, tmp_path):
    path = tmp_path / "export.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")

    result = sohoa("records", "import", path, expect=3)

    assert result.stderr.splitlines() == [f"sohoa: export.json line 1 column {MAX_DEPTH + 1}: not a register: "
                                          f"JSON nested more than {MAX_DEPTH} levels deep (a register needs 5 at most)"]
    assert not (archive_dir / "catalog.sqlite").exists() or sohoa.json("records", "list") == []


def test_nesting_is_located_and_brackets_inside_strings_do_not_count(tmp_path):
    brackets = '[{"\\\\"}' * 40 + "]]" * 40  # inside a name, with escapes that must not end the string early
    ok = json_with("components.0.name", brackets[:MAX_TEXT])
    assert read_register(write_json(tmp_path, [ok]))[0].components[0] == brackets[:MAX_TEXT].strip()

    deep = json_with("export_id", "x")
    for _ in range(MAX_DEPTH - 2):  # in the list of records, in a record
        deep["export_id"] = [deep["export_id"]]
    read_register(write_json(tmp_path, [deep]))  # exactly MAX_DEPTH levels: an export's extra keys may nest
    deep["export_id"] = [deep["export_id"]]
    path = write_json(tmp_path, [deep])  # indent=1: one bracket a line
    with pytest.raises(InputError) as excinfo:
        read_register(path)
    (line,) = problems_of(excinfo)
    text = path.read_text(encoding="utf-8").splitlines()
    number, column = (int(n) for n in re.fullmatch(r"register.json line (\d+) column (\d+): .*", line).groups())
    assert text[number - 1][column - 1] in "[{" and f"nested more than {MAX_DEPTH} levels" in line


def test_unbalanced_brackets_are_still_reported_by_the_json_parser(tmp_path):
    path = tmp_path / "register.json"
    path.write_text("[" * (MAX_DEPTH + 5) + "}", encoding="utf-8")
    with pytest.raises(InputError, match="nested more than"):
        read_register(path)
    path.write_text('[{"record_code": "x"]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"register.json line 1 column 21: not valid JSON"):
        read_register(path)


def test_a_number_too_long_to_convert_is_refused(tmp_path):
    path = tmp_path / "register.json"
    path.write_text(f'[{{"channel": {"1" * 5000}}}]', encoding="utf-8")
    with pytest.raises(InputError, match=r"register.json: not a register: a number in it has more than \d+ digits"):
        read_register(path)


def test_a_record_of_20000_components_is_refused_in_json_and_csv(tmp_path, catalog):
    huge = json_with("components", [{"name": f"Thành phần {i} " + "x" * 730} for i in range(20_000)])  # 15 MB
    huge["record_code"] = "000.00.53.H48-220922-0002"
    with pytest.raises(InputError) as excinfo:
        import_register(catalog, write_json(tmp_path, [JSON_RECORD, huge]))
    assert problems_of(excinfo) == [f"register.json records[1].components has 20,000 entries, at most "
                                    f"{MAX_COMPONENTS} (a procedure asks for a few dozen papers)"]
    assert catalog.record_codes() == []

    row = ROW1.replace("Tờ khai đăng ký khai sinh;Giấy chứng sinh", ";".join(f"TP {i}" for i in range(MAX_COMPONENTS + 1)))
    with pytest.raises(InputError) as excinfo:
        import_register(catalog, write(tmp_path, HEADER, ROW2, row))
    assert problems_of(excinfo) == [f"register.csv line 3: components has {MAX_COMPONENTS + 1} entries, "
                                    f"at most {MAX_COMPONENTS} (a procedure asks for a few dozen papers)"]
    assert catalog.record_codes() == []

    most = ROW1.replace("Tờ khai đăng ký khai sinh;Giấy chứng sinh", ";".join(f"TP {i}" for i in range(MAX_COMPONENTS)))
    assert import_register(catalog, write(tmp_path, HEADER, most)) == (1, 0)
    assert len(catalog.component_names("000.00.53.H48-220921-0099")) == MAX_COMPONENTS


def test_too_many_results_are_refused(tmp_path):
    item = json_with("results", [{"name": f"Kết quả {i}"} for i in range(MAX_COMPONENTS + 1)])
    with pytest.raises(InputError) as excinfo:
        read_register(write_json(tmp_path, [item]))
    assert problems_of(excinfo) == [f"register.json records[0].results has {MAX_COMPONENTS + 1:,} entries, "
                                    f"at most {MAX_COMPONENTS} (a procedure asks for a few dozen papers)"]


@pytest.mark.parametrize("path, message", [
    ("components.1.name", "records[0].components[1].name is 1,001 characters long, at most 1,000"),
    ("components.0.status", "records[0].components[0].status is 1,001 characters long, at most 1,000"),
    ("results.0.name", "records[0].results[0].name is 1,001 characters long, at most 1,000"),
    ("procedure_name", "records[0].procedure_name is 1,001 characters long, at most 1,000"),
    ("record_code", "records[0].record_code is 1,001 characters long, at most 1,000"),
])
def test_a_json_value_too_long_is_refused_with_its_position(tmp_path, path, message):
    with pytest.raises(InputError) as excinfo:
        read_register(write_json(tmp_path, [json_with(path, "Đ" * (MAX_TEXT + 1))]))
    (problem,) = problems_of(excinfo)  # and not also about the value's form
    assert problem.startswith(f"register.json {message} (got \"ĐĐĐ")


def test_values_at_the_limits_are_imported(tmp_path, catalog):
    longest = "Đ" * MAX_TEXT
    item = json_with("procedure_name", longest)
    item["components"] = [{"name": f"{n:03d}" + longest[3:], "status": longest} for n in range(MAX_COMPONENTS)]
    item["results"] = [{"name": f"{n:03d}" + longest[3:]} for n in range(MAX_COMPONENTS)]
    assert import_register(catalog, write_json(tmp_path, [item])) == (1, 0)
    comps, results, _, _ = stored(catalog, item["record_code"])
    assert len(comps) == len(results) == MAX_COMPONENTS and comps[-1] == (f"{MAX_COMPONENTS - 1:03d}" + longest[3:], longest)


def test_a_csv_value_too_long_is_refused_on_its_line(tmp_path):
    long_agency = ROW2.replace(",000.00.53.H48,2,", f",{'Ư' * (MAX_TEXT + 1)},2,")
    long_component = ROW3.replace("Tờ khai đăng ký khai sinh", "Tờ khai " + "x" * MAX_TEXT)
    with pytest.raises(InputError) as excinfo:
        read_register(write(tmp_path, HEADER, ROW1, long_agency, long_component))
    assert [p.split(" (got ")[0] for p in problems_of(excinfo)] == [
        "register.csv line 3: agency is 1,001 characters long, at most 1,000",
        "register.csv line 4: components has a name that is 1,008 characters long, at most 1,000"]
