"""One small archive shared by the edit, reuse, replace and papers tests: four papers really scanned
(Tesseract, Whoosh, SQLite) once per session, copied afresh for each test that changes it.

Trần Thị Ngọc Ánh (CCCD 001185009876) has an expired and a valid marriage-status certificate and
her ID card; Nguyễn Văn An (079203001234) has a criminal-record certificate. Expiry dates are set
relative to today, so "expired" and "valid" stay true whenever the tests run.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta

import pytest

from digitize.archive import Archive

from tests.conftest import REGISTER_HEADER, Sohoa, make_scan, page_lines

ANH_ID, AN_ID = "001185009876", "079203001234"
MARRIAGE = "000.00.31.H29-260301-0001"  # Ánh's marriage registration, reusing her papers
COMPONENTS = ["Tờ khai đăng ký kết hôn", "Giấy xác nhận tình trạng hôn nhân", "Bản chụp Căn cước công dân"]
TODAY = date.today()


def dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def signed(d: date) -> str:
    return f"Hà Nội, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


# name: (title, holder, lines after the name, issue date, expiry date)
PAPERS = {
    "xnhn-cu.png": ("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "Trần Thị Ngọc Ánh",
                    ["Ngày, tháng, năm sinh: 14/07/1985", f"Số định danh cá nhân: {ANH_ID}",
                     f"Giấy này có giá trị đến ngày {dmy(TODAY - timedelta(days=220))}"],
                    TODAY - timedelta(days=400), TODAY - timedelta(days=220)),
    "xnhn-moi.png": ("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "Trần Thị Ngọc Ánh",
                     ["Ngày, tháng, năm sinh: 14/07/1985", f"Số định danh cá nhân: {ANH_ID}",
                      f"Giấy này có giá trị đến ngày {dmy(TODAY + timedelta(days=160))}"],
                     TODAY - timedelta(days=20), TODAY + timedelta(days=160)),
    "cccd.png": ("CĂN CƯỚC CÔNG DÂN", "TRẦN THỊ NGỌC ÁNH",
                 ["Ngày sinh: 14/07/1985", f"Số / No.: {ANH_ID}", "Có giá trị đến: 14/07/2045",
                  f"Ngày cấp: {dmy(TODAY - timedelta(days=900))}"],
                 TODAY - timedelta(days=900), date(2045, 7, 14)),
    "lltp.png": ("PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1", "Nguyễn Văn An",
                 ["Ngày, tháng, năm sinh: 02/03/2003", f"Số CCCD: {AN_ID}"], TODAY - timedelta(days=60), None),
}



@pytest.fixture(scope="session")
def scanned(tmp_path_factory):
    base = tmp_path_factory.mktemp("citizen")
    cli = Sohoa(base / "archive", "clerk-reuse")
    register = base / "register.csv"
    with open(register, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(REGISTER_HEADER)
        writer.writerow([MARRIAGE, "1.001612", "Đăng ký kết hôn", "UBND phường Hàng Trống", "1", "2026-03-01", "",
                         "Trần Thị Ngọc Ánh", ANH_ID, "true", ";".join(COMPONENTS)])
    cli("records", "import", register)
    for name, (title, holder, extra, issued, _) in PAPERS.items():
        make_scan(base / "scans" / name, page_lines(title, holder, extra + [signed(issued)]), dpi=200)
    ids = {row["source_name"]: row["id"] for row in cli.jsonl("scan", base / "scans")}
    assert set(ids) == set(PAPERS)
    return base / "archive", ids


@pytest.fixture
def archive(scanned, tmp_path):
    """A fresh copy of the scanned archive and the paper ids by file name."""
    root, ids = scanned
    shutil.copytree(root, tmp_path / "archive")
    return Sohoa(tmp_path / "archive", "clerk-reuse"), ids


@pytest.fixture
def opened(scanned, tmp_path):
    """A fresh copy of the scanned archive, opened for calling the services, and the paper ids."""
    root, ids = scanned
    shutil.copytree(root, tmp_path / "archive")
    with Archive(tmp_path / "archive") as archive:
        yield archive, ids
