"""`sohoa coverage`: the digitized records rate, from the command line, in three formats."""

from __future__ import annotations

import csv
import io

from tests.conftest import RECORDS, make_scan, page_lines

CODE_AN, CODE_HUONG, CODE_ANH = (r[0] for r in RECORDS)


def _digitize_huong(sohoa, tmp_path):
    """Record 2 gets its only component and its required result: digitized. Record 1 gets half."""
    sohoa("scan", make_scan(tmp_path / "tk.png", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Đặng Thị Hương")),
          "--record", CODE_HUONG, "--component", "Tờ khai đăng ký khai sinh")
    sohoa("scan", make_scan(tmp_path / "ks.png", page_lines("GIẤY KHAI SINH", "Đặng Thị Hương")),
          "--record", CODE_HUONG, "--result")
    sohoa("scan", make_scan(tmp_path / "cs.png", page_lines("GIẤY CHỨNG SINH", "Nguyễn Văn An")),
          "--record", CODE_AN, "--component", "Giấy chứng sinh")


def test_json_by_agency_counts_and_rates(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)

    report = sohoa.json("coverage", "--by", "agency")

    rows = {r["group"]: r for r in report["rows"]}
    assert (rows["UBND phường Bến Nghé"]["received"], rows["UBND phường Bến Nghé"]["digitized"]) == (2, 1)
    assert rows["UBND phường Bến Nghé"]["rate"] == 0.5
    assert (rows["Sở Tư pháp"]["received"], rows["Sở Tư pháp"]["digitized"], rows["Sở Tư pháp"]["rate"]) == (1, 0, 0.0)
    assert (report["total"]["received"], report["total"]["digitized"]) == (3, 1)
    assert "strict" in report["definition"]


def test_period_filter_and_empty_period_reads_na(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)

    january = sohoa.json("coverage", "--from", "01/01/2026", "--to", "2026-01-31")
    assert (january["total"]["received"], january["total"]["digitized"]) == (2, 1)

    empty = sohoa("coverage", "--from", "2025-01-01", "--to", "2025-01-31").stdout
    assert "n/a" in empty and "0.0 %" not in empty and "100" not in empty


def test_csv_and_table_by_month(sohoa, register_csv, tmp_path):
    sohoa("records", "import", register_csv)
    _digitize_huong(sohoa, tmp_path)

    rows = list(csv.DictReader(io.StringIO(sohoa("coverage", "--by", "month", "--csv").stdout)))
    assert [(r["group"], r["received"], r["digitized"]) for r in rows] == [
        ("2026-01", "2", "1"), ("2026-02", "1", "0"), ("total", "3", "1")]
    table = sohoa("coverage", "--by", "month").stdout
    assert "2026-01" in table and "50.0" in table


def test_bad_date_is_a_usage_error(sohoa):
    result = sohoa("coverage", "--from", "31/02/2026", expect=2)
    assert "--from" in result.stderr and "Traceback" not in result.stderr
