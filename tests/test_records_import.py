"""`sohoa records import`: the register in, upserted by record code, all-or-nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REGISTER_HEADER, RECORDS
from tests.postgres import archive_sql

pytestmark = pytest.mark.usefixtures("catalog_backend")  # on SQLite and on PostgreSQL (tests/postgres.py)


def _count(archive_dir, table: str) -> int:
    return archive_sql(archive_dir, f"SELECT count(*) FROM {table}")[0][0]


def test_import_then_reimport_updates_without_duplicates(sohoa, archive_dir, register_csv):
    first = sohoa.json("records", "import", register_csv)
    assert (first["new"], first["updated"]) == (3, 0)

    text = register_csv.read_text(encoding="utf-8").replace("Đặng Thị Hương", "Đặng Thị Thu Hương")
    register_csv.write_text(text, encoding="utf-8")
    again = sohoa("records", "import", register_csv)

    assert "3 records imported (0 new, 3 updated)" in again.stdout
    assert _count(archive_dir, "records") == 3
    (name,), = archive_sql(archive_dir, "SELECT applicant_name FROM records WHERE record_code = ?", (RECORDS[1][0],))
    assert name == "Đặng Thị Thu Hương"


def test_a_bad_row_is_named_by_line_and_nothing_is_imported(sohoa, archive_dir, tmp_path):
    bad = tmp_path / "bad.csv"
    rows = [list(r) for r in RECORDS]
    rows[2][4] = "7"  # channel
    bad.write_text("\n".join([",".join(REGISTER_HEADER)] + [",".join(r) for r in rows]) + "\n", encoding="utf-8")

    result = sohoa("records", "import", bad, expect=3)

    assert 'bad.csv line 4: channel must be 1, 2 or 3 (got "7")' in result.stderr
    assert "Traceback" not in result.stderr
    assert _count(archive_dir, "records") == 0


def test_missing_file_is_a_usage_error(sohoa, tmp_path):
    result = sohoa("records", "import", tmp_path / "nope.csv", expect=2)
    assert "does not exist" in result.stderr


def test_json_register_imports_and_reimports_updates(sohoa, archive_dir, tmp_path):
    records = [{
        "record_code": code, "procedure_code": proc, "procedure_name": name, "agency": agency,
        "channel": int(channel), "received_date": received, "due_date": due or None, "applicant_name": applicant,
        "applicant_id": applicant_id, "components": [{"name": c} for c in comps.split(";")],
        "results": [{"name": "Kết quả", "paper": requires == "true", "issued_date": None}],
    } for code, proc, name, agency, channel, received, due, applicant, applicant_id, requires, comps in RECORDS]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    assert sohoa.json("records", "import", path) == {"file": str(path), "new": 3, "updated": 0}

    records[0]["components"][0]["status"] = "bổ sung"
    records[0]["results"][0]["issued_date"] = "2026-01-08"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    assert "3 records imported (0 new, 3 updated)" in sohoa("records", "import", path).stdout
    shown = sohoa.json("records", "show", RECORDS[0][0])
    assert shown["components"][0]["status"] == "bổ sung"
    assert shown["results"] == [{"name": "Kết quả", "paper": True, "issued_date": "2026-01-08"}]
    assert _count(archive_dir, "records") == 3


def test_a_bad_json_record_is_named_by_position_and_nothing_is_imported(sohoa, archive_dir, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"record_code": RECORDS[0][0], "components": [{"name": "A"}, {}]}]), encoding="utf-8")
    result = sohoa("records", "import", path, expect=3)
    assert "export.json records[0].components[1].name is empty" in result.stderr
    assert "export.json records[0].agency is empty" in result.stderr
    assert "Traceback" not in result.stderr and _count(archive_dir, "records") == 0
