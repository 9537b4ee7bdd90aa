"""`digitize.metadata`: document type, holder, citizen ID, dates, codes, number and issuer read from
OCR text; accuracy measured on rendered papers read by real Tesseract."""

from __future__ import annotations

from datetime import date

import pytest

from digitize.metadata import FIELDS, check_citizen_id, extract, load_doc_types
from samples.papers import accuracy, format_accuracy, ocr_texts, paper_set

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"


def values(text: str) -> dict:
    return {f: v.value for f, v in extract(text).items()}


# -- measured on real OCR ------------------------------------------------------------------------
# Floors sit a little under what this set measures (see bench/metadata_accuracy.py), so OCR noise
# on another Tesseract build does not fail them, while a broken rule does.
FLOORS = {  # field: (precision, recall)
    "doc_type": (0.95, 0.95), "holder_name": (0.85, 0.85), "holder_id": (1.0, 0.9),
    "issue_date": (0.9, 0.9), "birth_date": (0.9, 0.9), "expiry_date": (0.9, 0.85),
    "record_code": (1.0, 0.75), "procedure_code": (1.0, 0.75), "number": (0.85, 0.8), "issuer": (0.85, 0.85),
}


@pytest.fixture(scope="module")
def measured():
    papers = paper_set(32)
    texts = ocr_texts(papers, jobs=2)
    pairs = [(p.truth, {f: v.value for f, v in extract(t).items()}) for p, t in zip(papers, texts)]
    table = accuracy(pairs)
    print("\n" + format_accuracy(table))
    return papers, pairs, table


def test_the_set_is_varied_and_has_every_field(measured):
    papers, _, table = measured
    assert len(papers) >= 30
    assert len({p.truth["doc_type"] for p in papers}) >= 12
    assert {p.style.font for p in papers} == {"sans", "serif"}
    assert {p.style.header for p in papers} == {"stacked", "columns", "motto-first"}
    assert len({p.style.dpi for p in papers}) >= 2 and len({p.style.point for p in papers}) >= 2
    assert any(p.truth["holder_id"] is None and "cccd" in p.name for p in papers)  # an invalid ID on a card
    assert all(table[f]["present"] >= 3 for f in FIELDS)


@pytest.mark.parametrize("field", FIELDS)
def test_accuracy_floor(measured, field):
    _, _, table = measured
    precision, recall = FLOORS[field]
    row = table[field]
    assert row["precision"] is not None and row["precision"] >= precision, (field, row)
    assert row["recall"] >= recall, (field, row)


def test_invalid_citizen_ids_are_never_taken(measured):
    _, pairs, _ = measured
    for truth, found in pairs:
        if found.get("holder_id") is not None:
            assert found["holder_id"] == truth["holder_id"]


def test_confidences_are_between_0_and_1():
    found = extract(MOTTO + "GIẤY KHAI SINH\nHọ và tên: Lê Văn An\nSinh ngày: 01/02/2003")
    assert found and all(0 < v.confidence <= 1 for v in found.values())


# -- document type -----------------------------------------------------------------------------
@pytest.mark.parametrize("title, expected", [
    ("GIẤY KHAI SINH", "Giấy khai sinh"),
    ("GIAY KHAI SINH", "Giấy khai sinh"),  # no marks
    ("GIẤY CHỨNG NHẬN KẾT H0N", "Giấy chứng nhận kết hôn"),  # an OCR error
    ("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "Giấy xác nhận tình trạng hôn nhân"),
    ("Căn cước công dân", "Căn cước công dân"),
    ("GIẤY CHỨNG MINH NHÂN DÂN", "Chứng minh nhân dân"),
    ("GIẤY CHỨNG NHẬN\nQUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở\nVÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT",
     "Giấy chứng nhận quyền sử dụng đất"),  # a title over three lines
    ("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP", "Giấy chứng nhận đăng ký doanh nghiệp"),
    ("GIẤY PHÉP XÂY DỰNG", "Giấy phép xây dựng"),
    ("PHIẾU LÝ LỊCH TƯ PHÁP SỐ 2", "Phiếu lý lịch tư pháp"),
    ("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", "Đơn đề nghị"),
    ("TỜ KHAI ĐĂNG KÝ KẾT HÔN", "Tờ khai"),
    ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    ("QUYẾT ĐỊNH\nVề việc cấp giấy phép", "Quyết định"),
    ("BẢN SAO GIẤY KHAI SINH", "Giấy khai sinh"),
])
def test_document_type_from_the_title(title, expected):
    assert values(MOTTO + title + "\nHọ và tên: Lê Văn An")["doc_type"] == expected


def test_no_type_when_the_title_is_unknown_and_body_mentions_do_not_count():
    text = MOTTO + "BẢNG KÊ VẬT TƯ\nKèm theo giấy khai sinh số 12 và quyết định số 3/QĐ-UBND của xã"
    assert "doc_type" not in extract(text)


def test_the_types_file_is_editable(tmp_path):
    path = tmp_path / "types.tsv"
    path.write_text("# mine\nSổ hộ nghèo\twhole\tGiấy chứng nhận hộ nghèo\n", encoding="utf-8")
    types = load_doc_types(path)
    assert extract(MOTTO + "GIẤY CHỨNG NHẬN HỘ NGHÈO", types)["doc_type"].value == "Sổ hộ nghèo"
    path.write_text("Sổ hộ nghèo\tsometimes\n", encoding="utf-8")
    with pytest.raises(ValueError, match="whole.*prefix"):
        load_doc_types(path)


def test_the_bundled_types_cover_the_issue_list():
    names = {t.name for t in load_doc_types()}
    assert {"Giấy khai sinh", "Căn cước công dân", "Chứng minh nhân dân", "Giấy chứng nhận quyền sử dụng đất",
            "Giấy chứng nhận đăng ký doanh nghiệp", "Giấy phép xây dựng", "Phiếu lý lịch tư pháp",
            "Giấy chứng nhận kết hôn", "Giấy xác nhận tình trạng hôn nhân", "Đơn đề nghị", "Tờ khai",
            "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "Quyết định"} <= names


# -- holder's name -----------------------------------------------------------------------------
@pytest.mark.parametrize("line", [
    "Họ và tên: NGUYỄN VĂN AN", "Họ, chữ đệm và tên: Nguyễn Văn An", "Họ, chữ đệm, tên: nguyễn văn an",
    "Họ tên người yêu cầu: Nguyễn Văn An", "Ho va ten: Nguyễn Văn An", "HỌ VÀ TÊN: NGUYỄN VĂN AN   Giới tính: Nam",
    "Họ và tên / Full name:\nNGUYỄN VĂN AN", "Người sử dụng đất: Ông Nguyễn Văn An, năm sinh 1970",
])
def test_holder_name_after_its_label(line):
    assert values(MOTTO + "GIẤY KHAI SINH\n" + line)["holder_name"] == "Nguyễn Văn An"


def test_someone_elses_name_is_not_the_holder():
    text = MOTTO + "GIẤY CHỨNG NHẬN KẾT HÔN\nHọ, chữ đệm, tên chồng: LÊ VĂN AN\nHọ, chữ đệm, tên vợ: TRẦN THỊ BÍCH"
    assert "holder_name" not in extract(text)
    text = MOTTO + "GIẤY KHAI SINH\nHọ và tên mẹ: Trần Thị Bích\nHọ, chữ đệm, tên: Lê Văn Con"
    assert values(text)["holder_name"] == "Lê Văn Con"


def test_a_misread_surname_gets_its_marks_back():
    assert values(MOTTO + "Họ và tên: Lẽ Minh Hùng")["holder_name"] == "Lê Minh Hùng"


# -- citizen IDs -------------------------------------------------------------------------------
def test_cccd_rules():
    assert check_citizen_id("079203001234") is None  # HCMC, male, born 2003
    assert check_citizen_id("001185009876") is None  # Hà Nội, female, born 1985
    assert "province" in check_citizen_id("099203001234")
    assert "province" in check_citizen_id("003203001234")  # 003 is not assigned
    assert "birth year" in check_citizen_id("079503001234", today=date(2026, 1, 1))  # century digit 5: 2103
    assert "1985, the paper says 1986" in check_citizen_id("001185009876", birth_year=1986)
    assert check_citizen_id("025123456") is None  # a 9-digit CMND
    assert check_citizen_id("07920300123") is not None


def test_holder_id_is_checked_against_the_birth_date_and_kept_as_text_when_invalid():
    ok = extract(MOTTO + "Họ và tên: Lê Văn An\nNgày sinh: 05/11/2003\nSố CCCD: 079203001234")
    assert ok["holder_id"].value == "079203001234" and ok["holder_id"].confidence >= 0.9
    bad = extract(MOTTO + "Họ và tên: Lê Văn An\nNgày sinh: 05/11/2004\nSố CCCD: 079203001234")
    assert bad["holder_id"].value is None
    assert bad["holder_id"].text == "079203001234" and "2003" in bad["holder_id"].note


def test_cmnd_needs_a_label_and_other_peoples_ids_are_skipped():
    assert values("Họ tên: Lê Văn An\nSố CMND: 025123456")["holder_id"] == "025123456"
    assert "holder_id" not in extract("Họ tên: Lê Văn An\nTài khoản 025123456")
    text = "Họ và tên mẹ: Trần Thị Bích\nSố định danh cá nhân của mẹ: 079185001234"
    assert "holder_id" not in extract(text)


# -- dates -------------------------------------------------------------------------------------
def test_dates_numeric_and_spelled_out_classified_by_context():
    found = values(MOTTO + "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN\nHọ và tên: Lê Văn An\n"
                   "Ngày, tháng, năm sinh: 5-11-1990\nGiấy tờ tùy thân: CCCD số 079090001234, cấp ngày 01/02/2021\n"
                   "Giấy này có giá trị đến ngày 05 tháng 05 năm 2026\nHà Nội, ngày 05 tháng 11 năm 2025\n"
                   "Căn cứ Quyết định số 12/2018/QĐ-UBND ngày 12/03/2018")
    assert found["birth_date"] == "1990-11-05"
    assert found["expiry_date"] == "2026-05-05"
    assert found["issue_date"] == "2025-11-05"  # not the ID card's own, nor the referenced decision's


def test_labelled_dates_and_impossible_ones():
    found = values("Ngày cấp: 12.03.2021\nCó giá trị đến: 31/02/2030\nDate of expiry: 12/03/2046")
    assert found["issue_date"] == "2021-03-12"
    assert found["expiry_date"] == "2046-03-12"  # 31/02 is no date


# -- codes, number, issuer ----------------------------------------------------------------------
def test_codes_and_number():
    found = values("ỦY BAN NHÂN DÂN\nQUẬN 1\n" + MOTTO + "Số: 123/QĐ-UBND\nQUYẾT ĐỊNH\n"
                   "Căn cứ Quyết định số 45/2020/QĐ-UBND\nMã hồ sơ: 000.00.53.H48-220921-0099\n"
                   "Mã TTHC: 1.001612.000.00.00.H48 (thủ tục 1.001612)")
    assert found["number"] == "123/QĐ-UBND"
    assert found["record_code"] == "000.00.53.H48-220921-0099"
    assert found["procedure_code"] == "1.001612.000.00.00.H48"
    assert found["issuer"] == "ỦY BAN NHÂN DÂN QUẬN 1"


def test_number_with_year_and_a_bare_number():
    assert values("Số 12/2023/GP-UBND\nGIẤY PHÉP XÂY DỰNG")["number"] == "12/2023/GP-UBND"
    assert values("Số: 178\nGIẤY KHAI SINH")["number"] == "178"
    assert "number" not in extract("Địa chỉ: số 12/3 đường Lê Lợi\nSố điện thoại: 0912345678")


def test_issuer_from_two_columns_or_a_label():
    text = "ỦY BẠN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nPHƯỜNG BẾN NGHÉ Độc lập - Tự do - Hạnh phúc\nGIẤY KHAI SINH"
    assert values(text)["issuer"] == "ỦY BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ"  # marks restored, motto cut off
    assert values("GIẤY CHỨNG MINH NHÂN DÂN\nNơi cấp: Công an tỉnh Nghệ An")["issuer"] == "Công an tỉnh Nghệ An"
    assert values("UBND TỈNH HÀ TĨNH\nSỞ Y TẾ\nQUYẾT ĐỊNH")["issuer"] == "UBND TỈNH HÀ TĨNH - SỞ Y TẾ"
