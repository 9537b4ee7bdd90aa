"""`sohoa records list`: the register by received date, filtered, with what is digitized."""

from __future__ import annotations

import pytest

from tests.conftest import RECORDS, make_scan, page_lines

pytestmark = pytest.mark.usefixtures("catalog_backend")  # on SQLite and on PostgreSQL (tests/postgres.py)

CODE_AN, CODE_HUONG, CODE_ANH = (r[0] for r in RECORDS)


@pytest.fixture
def register(sohoa, register_csv, tmp_path):
    """Hương: her component and result (digitized). An: one of two components. Ánh: nothing."""
    sohoa("records", "import", register_csv)
    [scan] = sohoa.jsonl("scan", make_scan(tmp_path / "tk.png", page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Đặng Thị Hương")))
    sohoa("attach", scan["id"], "--record", CODE_HUONG, "--component", "Tờ khai đăng ký khai sinh")
    sohoa("attach", scan["id"], "--record", CODE_HUONG, "--result")
    sohoa("attach", scan["id"], "--record", CODE_AN, "--component", "Tờ khai đăng ký khai sinh")
    return sohoa


def test_lists_every_record_by_received_date_with_its_state(register):
    rows = register.json("records", "list")
    assert [r["record_code"] for r in rows] == [CODE_AN, CODE_HUONG, CODE_ANH]
    an, huong, anh = rows
    assert (an["components"], an["components_missing"], an["result_due"], an["result_digitized"], an["digitized"]) == (
        2, 1, True, False, False)
    assert (huong["components_missing"], huong["result_digitized"], huong["digitized"]) == (0, True, True)
    assert (anh["requires_paper_result"], anh["result_due"], anh["digitized"]) == (False, False, False)
    assert (anh["agency"], anh["procedure_code"], anh["channel"], anh["received_date"]) == (
        "Sở Tư pháp", "1.004227", 1, "2026-02-10")
    text = register("records", "list").stdout.splitlines()
    assert text[-1] == "3 records"
    assert text[1].startswith(f"{CODE_HUONG}  2026-01-06  digitized ") and "components 1/1  result ✓" in text[1]


@pytest.mark.parametrize("args, codes", [
    (["--not-digitized"], [CODE_AN, CODE_ANH]),
    (["--not-digitized", "--rule", "lenient"], [CODE_AN, CODE_ANH]),
    (["--agency", "Sở Tư pháp"], [CODE_ANH]),
    (["--procedure", "1.001193"], [CODE_AN, CODE_HUONG]),
    (["--procedure", "Cấp phiếu lý lịch tư pháp"], [CODE_ANH]),
    (["--from", "06/01/2026", "--to", "2026-02-09"], [CODE_HUONG]),
    (["--from", "2026-03-01"], []),
    (["--agency", "UBND phường Bến Nghé", "--not-digitized"], [CODE_AN]),
])
def test_filters(register, args, codes):
    assert [r["record_code"] for r in register.json("records", "list", *args)] == codes


@pytest.mark.parametrize("args, message", [
    (["--agency", "UBND phuong Ben Nghe"], 'no records of agency "UBND phuong Ben Nghe"; the register has UBND phường Bến Nghé'),
    (["--procedure", "1.999999"], 'no records of procedure "1.999999"'),
    (["--from", "2026-02-30"], "--from '2026-02-30': no such date"),
])
def test_bad_filters_are_usage_errors(register, args, message):
    result = register("records", "list", *args, expect=2)
    assert message in result.stderr and "Traceback" not in result.stderr
