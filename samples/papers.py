"""A set of rendered Vietnamese administrative papers with the metadata printed on each.

    from samples.papers import paper_set
    for paper in paper_set(36): paper.image (a page, with its dpi), paper.truth {field: value or None}

Used by tests/test_metadata.py and bench/metadata_accuracy.py to measure extraction on real
Tesseract output. Deterministic (fixed seed); layouts, fonts, sizes, dpi, date styles, labels and
title spellings vary from paper to paper, and some papers carry distractors (a mother's ID, a
referenced decision, an ID card's own issue date) or an invalid citizen ID (truth: no ID).
Every person, number and place is invented.
"""

from __future__ import annotations

import random
import zlib
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from PIL import Image, ImageDraw, ImageFont

from samples.render import font_path, page_size

FIELDS = ("doc_type", "holder_name", "holder_id", "issue_date", "birth_date", "expiry_date",
          "record_code", "procedure_code", "number", "issuer")

HO = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
      "Dương", "Lý"]
DEM = {"Nam": ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công"],
       "Nữ": ["Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim"]}
TEN = {"Nam": ["An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khoa", "Long", "Phúc", "Quang", "Sơn",
               "Tuấn", "Việt"],
       "Nữ": ["Anh", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Phương", "Thảo", "Trang", "Tuyết", "Yến", "Hằng"]}
# (province code, province, district-level body, ward-level body, place in the date line)
PLACES = [
    ("001", "THÀNH PHỐ HÀ NỘI", "QUẬN HOÀN KIẾM", "PHƯỜNG HÀNG TRỐNG", "Hà Nội"),
    ("079", "THÀNH PHỐ HỒ CHÍ MINH", "QUẬN 1", "PHƯỜNG BẾN NGHÉ", "Thành phố Hồ Chí Minh"),
    ("040", "TỈNH NGHỆ AN", "THÀNH PHỐ VINH", "PHƯỜNG HƯNG BÌNH", "Nghệ An"),
    ("048", "THÀNH PHỐ ĐÀ NẴNG", "QUẬN HẢI CHÂU", "PHƯỜNG THẠCH THANG", "Đà Nẵng"),
    ("092", "THÀNH PHỐ CẦN THƠ", "QUẬN NINH KIỀU", "PHƯỜNG AN HÒA", "Cần Thơ"),
    ("038", "TỈNH THANH HÓA", "HUYỆN ĐÔNG SƠN", "XÃ ĐÔNG HOÀNG", "Thanh Hóa"),
]
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def strip_marks(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return nfc("".join(c for c in text if not unicodedata.combining(c)))


@dataclass
class Person:
    name: str
    sex: str
    dob: date
    id: str


@dataclass
class Style:
    font: str
    point: float
    dpi: int
    header: str  # stacked | columns | motto-first
    dates: str  # slash | dash | spelled
    title: str  # upper | plain | no-marks
    noise: float
    angle: float


@dataclass
class SamplePaper:
    name: str
    rows: list
    truth: dict
    style: Style

    @property
    def image(self) -> Image.Image:
        return render(self.rows, self.style, seed=zlib.crc32(self.name.encode()))


class _Maker:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def person(self, sex: str | None = None, born: tuple[int, int] = (1960, 2004), province: str | None = None,
               valid_id: bool = True) -> Person:
        r = self.rng
        sex = sex or r.choice(["Nam", "Nữ"])
        name = f"{r.choice(HO)} {r.choice(DEM[sex])} {r.choice(TEN[sex])}"
        dob = date(r.randint(*born), r.randint(1, 12), r.randint(1, 28))
        province = province or r.choice(PLACES)[0]
        digit = (0 if dob.year < 2000 else 2) + (sex == "Nữ")
        year = dob.year % 100
        if not valid_id:  # a birth year that disagrees with the date of birth, or no such province
            year, province = ((year + 3) % 100, province) if r.random() < 0.5 else (year, "099")
        return Person(nfc(name), sex, dob, f"{province}{digit}{year:02d}{r.randrange(10**6):06d}")

    def record_code(self, received: date) -> str:
        r = self.rng
        return f"000.{r.randint(0, 2):02d}.{r.randint(10, 99)}.H{r.randint(10, 99)}-{received:%y%m%d}-{r.randint(1, 9999):04d}"

    def day(self, start: int = 2015, end: int = 2025) -> date:
        return date(self.rng.randint(start, end), self.rng.randint(1, 12), self.rng.randint(1, 28))


def fmt(d: date, style: str) -> str:
    if style == "dash":
        return f"{d.day}-{d.month}-{d.year}"
    if style == "spelled":
        return f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def signed(place: str, d: date) -> str:
    return f"{place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


def title(text: str, style: Style) -> tuple:
    if style.title == "plain":
        return ("C", text[0] + text[1:].lower())
    if style.title == "no-marks":
        return ("C", strip_marks(text.upper()))
    return ("C", text.upper())


def header(issuer: list[str], style: Style) -> list:
    """The issuing body and the national motto, in the paper's layout."""
    if not issuer:
        return [("C", MOTTO[0]), ("C", MOTTO[1])]
    if style.header == "columns":
        rows = [(issuer[0], MOTTO[0]), (issuer[1] if len(issuer) > 1 else "", MOTTO[1])]
        return rows + issuer[2:]
    if style.header == "motto-first":
        return [("C", MOTTO[0]), ("C", MOTTO[1]), *issuer]
    return [*issuer, ("C", MOTTO[0]), ("C", MOTTO[1])]


def name_label(r: random.Random) -> str:
    return r.choice(["Họ và tên", "Họ, chữ đệm và tên", "Họ, chữ đệm, tên", "HỌ VÀ TÊN", "Họ tên"])


# -- the paper types ----------------------------------------------------------------------------
def khai_sinh(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    child = m.person(born=(2015, 2024), province=code)
    mother = m.person("Nữ", born=(1980, 1995))
    issued = child.dob + timedelta(days=r.randint(3, 40))
    number = str(r.randint(1, 400))
    rows = header(["ỦY BAN NHÂN DÂN", ward], s) + [
        f"Số: {number}", title("GIẤY KHAI SINH", s),
        f"{name_label(r)}: {child.name.upper()}", f"Ngày, tháng, năm sinh: {fmt(child.dob, s.dates)}",
        f"Giới tính: {child.sex}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
        f"Số định danh cá nhân: {child.id}",
        f"Họ, chữ đệm, tên người mẹ: {mother.name}", f"Số định danh cá nhân của mẹ: {mother.id}",
        f"Nơi đăng ký khai sinh: Ủy ban nhân dân {ward.lower()}", signed(place, issued),
    ]
    return rows, dict(doc_type="Giấy khai sinh", holder_name=child.name, holder_id=child.id,
                      issue_date=issued, birth_date=child.dob, number=number, issuer=f"ỦY BAN NHÂN DÂN {ward}")


def cccd(m: _Maker, s: Style):
    r = m.rng
    valid = r.random() > 0.3
    p = m.person(born=(1965, 2005), valid_id=valid)
    issued = m.day(2021, 2024)
    # A CCCD runs to the holder's 25th, 40th or 60th birthday, the first at least two years away.
    age = next((a for a in (25, 40, 60) if p.dob.year + a > issued.year + 2), None)
    expiry = date(p.dob.year + age, p.dob.month, p.dob.day) if age else None
    rows = [("C", MOTTO[0]), ("C", "SOCIALIST REPUBLIC OF VIET NAM"), title("CĂN CƯỚC CÔNG DÂN", s),
            f"Số / No.: {p.id}", "Họ và tên / Full name:", p.name.upper(),
            f"Ngày sinh / Date of birth: {fmt(p.dob, 'slash')}", f"Giới tính / Sex: {p.sex}",
            "Quốc tịch / Nationality: Việt Nam",
            f"Có giá trị đến / Date of expiry: {fmt(expiry, 'slash') if expiry else 'Không thời hạn'}",
            f"Ngày, tháng, năm / Date, month, year: {fmt(issued, 'slash')}",
            "CỤC TRƯỞNG CỤC CẢNH SÁT", "QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI"]
    return rows, dict(doc_type="Căn cước công dân", holder_name=p.name, holder_id=p.id if valid else None,
                      issue_date=issued, birth_date=p.dob, expiry_date=expiry)


def cmnd(m: _Maker, s: Style):
    r = m.rng
    p = m.person(born=(1960, 1990))
    number = f"{r.randint(1, 38):02d}{r.randrange(10**7):07d}"
    issued = m.day(2005, 2014)
    rows = [("C", MOTTO[0]), ("C", MOTTO[1]), title("GIẤY CHỨNG MINH NHÂN DÂN", s), f"Số: {number}",
            f"Họ tên: {p.name.upper()}", f"Sinh ngày: {fmt(p.dob, s.dates)}",
            "Nguyên quán: Nghệ An", f"Ngày cấp: {fmt(issued, s.dates)}", "Nơi cấp: Công an tỉnh Nghệ An"]
    return rows, dict(doc_type="Chứng minh nhân dân", holder_name=p.name, holder_id=number,
                      issue_date=issued, birth_date=p.dob, issuer="Công an tỉnh Nghệ An")


def dat(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    p = m.person("Nam", born=(1955, 1990))
    issued = m.day()
    number = f"{r.randint(100, 9999)}/GCN-STNMT"
    rows = header(["ỦY BAN NHÂN DÂN", province], s) + [
        f"Số: {number}", ("C", "GIẤY CHỨNG NHẬN"), ("C", "QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở"),
        ("C", "VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT"),
        f"Người sử dụng đất: Ông {p.name}, năm sinh {p.dob.year}", f"CCCD số: {p.id}",
        f"Địa chỉ thường trú: {r.randint(1, 200)} đường Lê Lợi, {ward.lower()}",
        f"Thửa đất số: {r.randint(1, 900)}, tờ bản đồ số: {r.randint(1, 60)}",
        f"Diện tích: {r.randint(40, 400)},{r.randint(0, 9)} m2", signed(place, issued),
    ]
    return rows, dict(doc_type="Giấy chứng nhận quyền sử dụng đất", holder_name=p.name, holder_id=p.id,
                      issue_date=issued, number=number, issuer=f"ỦY BAN NHÂN DÂN {province}")


def doanh_nghiep(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    p = m.person(born=(1965, 1995))
    issued = m.day(2012, 2025)
    rows = header(["SỞ KẾ HOẠCH VÀ ĐẦU TƯ", province, "PHÒNG ĐĂNG KÝ KINH DOANH"], s) + [
        title("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP", s), ("C", "CÔNG TY TRÁCH NHIỆM HỮU HẠN"),
        f"Mã số doanh nghiệp: 0{r.randrange(10**9):09d}",
        f"Đăng ký lần đầu: {fmt(issued, 'spelled')}",
        "Tên công ty viết bằng tiếng Việt: CÔNG TY TNHH THƯƠNG MẠI AN PHÚ",
        "Người đại diện theo pháp luật của công ty",
        f"{name_label(r)}: {p.name.upper()}    Giới tính: {p.sex}",
        f"Sinh ngày: {fmt(p.dob, s.dates)}", f"Số định danh cá nhân: {p.id}",
    ]
    return rows, dict(doc_type="Giấy chứng nhận đăng ký doanh nghiệp", holder_name=p.name, holder_id=p.id,
                      issue_date=issued, birth_date=p.dob,
                      issuer=f"SỞ KẾ HOẠCH VÀ ĐẦU TƯ {province} - PHÒNG ĐĂNG KÝ KINH DOANH")


def xay_dung(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    p = m.person(born=(1960, 1995))
    issued = m.day(2020, 2025)
    expiry = issued + timedelta(days=365)
    number = f"{r.randint(1, 999)}/GPXD"
    rows = header(["ỦY BAN NHÂN DÂN", district], s) + [
        f"Số: {number}", title("GIẤY PHÉP XÂY DỰNG", s), "Sử dụng cho: nhà ở riêng lẻ",
        f"Cấp cho: Ông/bà: {p.name}", f"Số CCCD: {p.id}",
        f"Địa chỉ: {r.randint(1, 300)} đường Trần Phú, {ward.lower()}",
        f"Giấy phép có giá trị đến ngày {fmt(expiry, s.dates if s.dates != 'spelled' else 'slash')}",
        signed(place, issued),
    ]
    return rows, dict(doc_type="Giấy phép xây dựng", holder_name=p.name, holder_id=p.id, issue_date=issued,
                      expiry_date=expiry, number=number, issuer=f"ỦY BAN NHÂN DÂN {district}")


def ly_lich(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    p = m.person(born=(1970, 2004))
    issued = m.day(2022, 2025)
    number = f"{r.randint(100, 9999)}/STP-LLTP"
    rows = header(["SỞ TƯ PHÁP", province], s) + [
        f"Số: {number}", title("PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1", s),
        f"{name_label(r)}: {p.name}", f"Giới tính: {p.sex}",
        f"Ngày, tháng, năm sinh: {fmt(p.dob, s.dates)}", "Nơi sinh: Việt Nam",
        f"Số CCCD: {p.id}", "Án tích: Không có án tích", signed(place, issued),
    ]
    return rows, dict(doc_type="Phiếu lý lịch tư pháp", holder_name=p.name, holder_id=p.id, issue_date=issued,
                      birth_date=p.dob, number=number, issuer=f"SỞ TƯ PHÁP {province}")


def ket_hon(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    husband, wife = m.person("Nam", born=(1980, 2000)), m.person("Nữ", born=(1982, 2002))
    issued = m.day(2018, 2025)
    number = str(r.randint(1, 300))
    rows = header(["ỦY BAN NHÂN DÂN", ward], s) + [
        f"Số: {number}", title("GIẤY CHỨNG NHẬN KẾT HÔN", s),
        f"Họ, chữ đệm, tên chồng: {husband.name.upper()}", f"Số định danh cá nhân của chồng: {husband.id}",
        f"Họ, chữ đệm, tên vợ: {wife.name.upper()}", f"Số định danh cá nhân của vợ: {wife.id}",
        f"Ngày đăng ký: {fmt(issued, s.dates)}",
    ]
    return rows, dict(doc_type="Giấy chứng nhận kết hôn", issue_date=issued, number=number,
                      issuer=f"ỦY BAN NHÂN DÂN {ward}")


def hon_nhan(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    p = m.person(born=(1975, 2003))
    issued = m.day(2023, 2025)
    id_issued = m.day(2021, 2022)
    number = f"{r.randint(1, 900)}/UBND-XNHN"
    rows = header(["ỦY BAN NHÂN DÂN", ward], s) + [
        f"Số: {number}", title("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", s),
        f"{name_label(r)}: {p.name}", f"Ngày, tháng, năm sinh: {fmt(p.dob, s.dates)}",
        f"Giấy tờ tùy thân: CCCD số {p.id}, cấp ngày {fmt(id_issued, 'slash')}",
        "Tình trạng hôn nhân: Chưa đăng ký kết hôn với ai",
        f"Giấy này có giá trị đến ngày {fmt(issued + timedelta(days=180), 'slash')}",
        signed(place, issued),
    ]
    return rows, dict(doc_type="Giấy xác nhận tình trạng hôn nhân", holder_name=p.name, holder_id=p.id,
                      issue_date=issued, birth_date=p.dob, expiry_date=issued + timedelta(days=180),
                      number=number, issuer=f"ỦY BAN NHÂN DÂN {ward}")


def to_khai(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    valid = r.random() > 0.25
    p = m.person(born=(1970, 2004), valid_id=valid)
    child = m.person(born=(2024, 2025))
    signed_on = m.day(2025, 2025)
    rows = [("C", MOTTO[0]), ("C", MOTTO[1]), title("TỜ KHAI ĐĂNG KÝ KHAI SINH", s),
            f"Kính gửi: Ủy ban nhân dân {ward.lower()}",
            f"Họ, chữ đệm, tên người yêu cầu: {p.name}", f"Ngày, tháng, năm sinh: {fmt(p.dob, s.dates)}",
            f"Giấy tờ tùy thân: CCCD số {p.id}", "Quan hệ với người được khai sinh: Mẹ",
            f"Họ, chữ đệm, tên người được khai sinh: {child.name}",
            f"Ngày, tháng, năm sinh: {fmt(child.dob, s.dates)}", signed(place, signed_on),
            f"Mã hồ sơ: {(record := m.record_code(signed_on))}", f"Mã thủ tục: {(procedure := '1.001193.000.00.00.H29')}"]
    return rows, dict(doc_type="Tờ khai", holder_name=p.name, holder_id=p.id if valid else None,
                      issue_date=signed_on, birth_date=p.dob, record_code=record, procedure_code=procedure)


def tiep_nhan(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    p = m.person(born=(1970, 2004))
    received = m.day(2025, 2025)
    record = m.record_code(received)
    procedure = r.choice(["1.001193", "1.001612", "2.000908", "1.004227"])
    rows = header(["ỦY BAN NHÂN DÂN", district, "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"], s) + [
        title("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", s), f"Mã hồ sơ: {record}",
        f"Họ tên người nộp: {p.name}", f"Số CCCD: {p.id}",
        f"Thủ tục: Đăng ký khai sinh (Mã TTHC: {procedure})",
        f"Ngày nhận hồ sơ: {fmt(received, 'slash')}",
        f"Ngày hẹn trả kết quả: {fmt(received + timedelta(days=3), 'slash')}",
        signed(place, received),
    ]
    return rows, dict(doc_type="Giấy tiếp nhận hồ sơ và hẹn trả kết quả", holder_name=p.name, holder_id=p.id,
                      issue_date=received, record_code=record, procedure_code=procedure,
                      issuer=f"ỦY BAN NHÂN DÂN {district} - BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ")


def quyet_dinh(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    p = m.person(born=(1960, 2000))
    issued = m.day(2019, 2025)
    number = f"{r.randint(10, 3000)}/QĐ-UBND"
    rows = header(["ỦY BAN NHÂN DÂN", district], s) + [
        f"Số: {number}", signed(place, issued), title("QUYẾT ĐỊNH", s),
        "Về việc cấp phép kinh doanh vận tải",
        f"Căn cứ Quyết định số {r.randint(1, 99)}/2018/QĐ-UBND ngày {fmt(m.day(2018, 2018), 'slash')};",
        f"Điều 1. Cấp phép cho ông/bà: {p.name}", f"Số định danh cá nhân: {p.id}",
        f"Quyết định có hiệu lực đến ngày {fmt(issued + timedelta(days=730), 'slash')}",
    ]
    return rows, dict(doc_type="Quyết định", holder_name=p.name, holder_id=p.id, issue_date=issued,
                      expiry_date=issued + timedelta(days=730), number=number, issuer=f"ỦY BAN NHÂN DÂN {district}")


def don(m: _Maker, s: Style):
    r = m.rng
    code, province, district, ward, place = r.choice(PLACES)
    p = m.person(born=(1960, 2000))
    signed_on = m.day(2024, 2025)
    rows = [("C", MOTTO[0]), ("C", MOTTO[1]), title("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", s),
            f"Kính gửi: Ủy ban nhân dân {district.lower()}",
            f"Họ tên người đề nghị: {p.name}", f"Số CCCD: {p.id}",
            f"Địa chỉ liên hệ: {r.randint(1, 300)} đường Nguyễn Huệ, {ward.lower()}",
            f"Số điện thoại: 09{r.randrange(10**8):08d}", signed(place, signed_on)]
    return rows, dict(doc_type="Đơn đề nghị", holder_name=p.name, holder_id=p.id, issue_date=signed_on)


def chung_sinh(m: _Maker, s: Style):
    r = m.rng
    mother = m.person("Nữ", born=(1985, 2000))
    child = m.person(born=(2024, 2025))
    number = str(r.randint(1, 9000))
    rows = header(["SỞ Y TẾ", "BỆNH VIỆN PHỤ SẢN"], s) + [
        f"Số: {number}", title("GIẤY CHỨNG SINH", s), f"Họ và tên mẹ: {mother.name}",
        f"Số định danh cá nhân của mẹ: {mother.id}",
        f"Đã sinh con lúc 10 giờ 30 phút, ngày {fmt(child.dob, 'slash')}",
        f"Giới tính của con: {child.sex}", "Cân nặng: 3.200 gram"]
    return rows, dict(doc_type="Giấy chứng sinh", birth_date=child.dob, number=number,
                      issuer="SỞ Y TẾ - BỆNH VIỆN PHỤ SẢN")


TEMPLATES = [khai_sinh, cccd, cmnd, dat, doanh_nghiep, xay_dung, ly_lich, ket_hon, hon_nhan, to_khai,
             tiep_nhan, quyet_dinh, don, chung_sinh]


def paper_set(count: int = 36, seed: int = 20260105) -> list[SamplePaper]:
    """`count` papers cycling through the templates, each with its own style and people."""
    maker = _Maker(seed)
    r = maker.rng
    papers = []
    for n in range(count):
        template = TEMPLATES[n % len(TEMPLATES)]
        style = Style(font=r.choice(["sans", "serif"]), point=r.choice([10, 11, 12]), dpi=r.choice([200, 250, 300]),
                      header=r.choice(["stacked", "columns", "motto-first"]), dates=r.choice(["slash", "dash", "spelled"]),
                      title=r.choice(["upper", "upper", "plain", "no-marks"]), noise=r.choice([0.0005, 0.001, 0.002]),
                      angle=r.choice([0.0, 0.0, 0.3, -0.4]))
        rows, truth = template(maker, style)
        values = {f: truth.get(f) for f in FIELDS}
        values = {f: v.isoformat() if isinstance(v, date) else v for f, v in values.items()}
        papers.append(SamplePaper(f"{n:02d}-{template.__name__}", rows, values, style))
    return papers


def render(rows: list, style: Style, seed: int = 0) -> Image.Image:
    """Rows top-down: a string (left), ("C", text) a bold centred title, (left, right) two columns."""
    px = style.point * style.dpi / 72
    step = round(px * 1.7)
    margin = round(15 / 25.4 * style.dpi)
    width, _ = page_size(style.dpi, (210, 297))
    height = 2 * margin + step * len(rows)
    image = Image.new("L", (width, height), "white")
    draw = ImageDraw.Draw(image)
    body = ImageFont.truetype(str(font_path(style.font)), round(px))
    bold = ImageFont.truetype(str(font_path(style.font + "-bold")), round(px * 1.1))
    small = ImageFont.truetype(str(font_path(style.font + "-bold")), round(px * 0.9))  # header columns
    y = margin
    for row in rows:
        if isinstance(row, str):
            draw.text((margin, y), row, fill="black", font=body)
        elif row[0] == "C":
            draw.text(((width - draw.textlength(row[1], font=bold)) / 2, y), row[1], fill="black", font=bold)
        else:
            left, right = row
            draw.text((margin, y), left, fill="black", font=small)
            draw.text((width * 0.42, y), right, fill="black", font=small)
            if margin + draw.textlength(left, font=small) > width * 0.4:
                raise ValueError(f"{left!r} runs into the right column")
        text, font = (row, body) if isinstance(row, str) else (row[1], bold) if row[0] == "C" else (row[1], small)
        if draw.textlength(text, font=font) > width - 2 * margin:
            raise ValueError(f"{row!r} is wider than the page")
        y += step
    if style.angle:
        image = image.rotate(style.angle, resample=Image.BICUBIC, fillcolor="white", expand=False)
    if style.noise:
        rng = random.Random(seed)
        pixels = image.load()
        for _ in range(int(width * height * style.noise)):
            pixels[rng.randrange(width), rng.randrange(height)] = rng.randint(0, 160)
    image.info["dpi"] = (style.dpi, style.dpi)
    return image


def ocr_texts(papers: list[SamplePaper], jobs: int = 2) -> list[str]:
    """Each paper rendered to a PNG and read once by Tesseract (`jobs` at a time), in order."""
    import tempfile
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from ocr import TesseractEngine
    from samples.render import save

    engine = TesseractEngine()
    engine.check()
    with tempfile.TemporaryDirectory(prefix="sohoa-papers-") as tmp, ThreadPoolExecutor(jobs) as pool:
        def read(paper):
            return engine.read(save(paper.image, Path(tmp) / f"{paper.name}.png"), paper.style.dpi).text
        return list(pool.map(read, papers))


def _same(a: str | None, b: str | None) -> bool:
    def norm(v):
        return " ".join(nfc(v).casefold().split()) if v is not None else None
    return norm(a) == norm(b)


def accuracy(pairs: list[tuple[dict, dict]]) -> dict[str, dict]:
    """Per field over (truth, extracted) pairs, each {field: value or None}: precision (extracted
    values that are right), recall (values on the papers that were found right) and the counts.
    Values compare without regard to case or spacing; marks and digits must be right."""
    table = {}
    for f in FIELDS:
        right = sum(1 for t, e in pairs if e.get(f) is not None and _same(t[f], e[f]))
        extracted = sum(1 for _, e in pairs if e.get(f) is not None)
        present = sum(1 for t, _ in pairs if t[f] is not None)
        table[f] = {"right": right, "extracted": extracted, "present": present,
                    "precision": right / extracted if extracted else None,
                    "recall": right / present if present else None}
    return table


def format_accuracy(table: dict[str, dict]) -> str:
    def pct(v):
        return "  n/a" if v is None else f"{v:5.0%}"
    lines = [f"{'field':15} {'precision':>9} {'recall':>7}  right/extracted/present"]
    for f, row in table.items():
        lines.append(f"{f:15} {pct(row['precision']):>9} {pct(row['recall']):>7}  "
                     f"{row['right']}/{row['extracted']}/{row['present']}")
    return "\n".join(lines)
