"""Generate Sohoa's bundled sample set: a register of received records and scans of their papers.

    python samples/make_samples.py           regenerate everything (old scans are deleted first)
    python samples/make_samples.py --check   do nothing if every output exists, else regenerate

Writes samples/register.csv, samples/scans/<record code>/NN-<paper>.<ext> and
samples/scans/manifest.tsv. Deterministic: fixed seed, fixed dates, no clock or locale input,
so re-running produces the same bytes (for a given Pillow version).

Only the standard library and Pillow are used, so `make demo` can run it before anything else
is installed. Every person, address and number here is invented.
"""

from __future__ import annotations

import csv
import math
import random
import shutil
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from samples.render import font_path, page_size, render_page, save, save_multipage  # noqa: E402

SAMPLES = ROOT / "samples"
SCANS = SAMPLES / "scans"
REGISTER = SAMPLES / "register.csv"
MANIFEST = SCANS / "manifest.tsv"
REGISTER_HEADER = [
    "record_code", "procedure_code", "procedure_name", "agency", "channel", "received_date",
    "due_date", "applicant_name", "applicant_id", "requires_paper_result", "components",
]
SEED = 20260105
A5 = (148, 210)
A5_LANDSCAPE = (210, 148)
A4 = (210, 297)
CARD = (125, 85)  # an ID card photographed with some table around it
PDF_DATE = datetime(2026, 1, 9, 8, 30).timetuple()  # fixed, so the PDF bytes are reproducible

# ---------------------------------------------------------------------------------------------
# Domain tables

AGENCIES = {
    # key: (agency code used in record codes, name in the register)
    "ward": ("000.02.31.H29", "UBND phường Bến Nghé"),
    "district": ("000.00.31.H29", "UBND quận 1"),
    "justice": ("000.00.15.H29", "Sở Tư pháp TP. Hồ Chí Minh"),
}

COMP = {
    "tk_ks": "Tờ khai đăng ký khai sinh",
    "gcs": "Giấy chứng sinh",
    "tk_kh": "Tờ khai đăng ký kết hôn",
    "xnhn": "Giấy xác nhận tình trạng hôn nhân",
    "ban_chinh": "Bản chính giấy tờ cần chứng thực",
    "ban_sao": "Bản sao giấy tờ cần chứng thực",
    "tk_lltp": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
    "cccd": "Bản chụp Căn cước công dân",
    "cu_tru": "Giấy xác nhận thông tin về cư trú",
}


@dataclass
class Procedure:
    code: str
    name: str
    paper_result: bool
    working_days: int  # time limit for the due date


PROCEDURES = {
    "1.001193": Procedure("1.001193", "Đăng ký khai sinh", True, 1),
    "1.001612": Procedure("1.001612", "Đăng ký kết hôn", True, 5),
    # The certified copy is handed back to the citizen; the agency issues no paper of its own.
    "2.000908": Procedure(
        "2.000908",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền "
        "của Việt Nam cấp hoặc chứng nhận",
        False,
        0,
    ),
    "1.004227": Procedure(
        "1.004227",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
        True,
        10,
    ),
}

PROVINCES = {
    1: "Hà Nội", 31: "Hải Phòng", 36: "Nam Định", 38: "Thanh Hóa", 40: "Nghệ An", 42: "Hà Tĩnh",
    46: "Thừa Thiên Huế", 48: "Đà Nẵng", 52: "Bình Định", 75: "Đồng Nai", 79: "TP. Hồ Chí Minh",
    83: "Bến Tre", 89: "An Giang", 92: "Cần Thơ", 94: "Sóc Trăng",
}

# Public holidays that fall on weekdays in the period (New Year, Tết Bính Ngọ).
HOLIDAYS = {date(2026, 1, 1)} | {date(2026, 2, d) for d in range(16, 21)}

BEN_NGHE = "phường Bến Nghé, quận 1, TP. Hồ Chí Minh"

rng = random.Random(SEED)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass
class Person:
    name: str
    sex: str  # "Nam" / "Nữ"
    dob: date
    province: int  # where the birth was registered: the ID's first three digits
    address: str
    id: str = ""
    cccd_issued: date | None = None

    @property
    def hometown(self) -> str:
        return PROVINCES[self.province]


def person(name: str, sex: str, dob: str, province: int, address: str) -> Person:
    """A person with a 12-digit personal ID consistent with sex, century and birth year."""
    p = Person(nfc(name), sex, date.fromisoformat(dob), province, nfc(address))
    century = 0 if p.dob.year < 2000 else 2
    gender = 0 if sex == "Nam" else 1
    p.id = f"{province:03d}{century + gender}{p.dob.year % 100:02d}{rng.randrange(10**6):06d}"
    if p.dob.year < 2015:  # adults and teenagers hold a chip-based CCCD
        p.cccd_issued = max(date(2021, 3, 1), date(p.dob.year + 14, 6, 1)) + timedelta(days=rng.randrange(700))
    return p


def check_id(p: Person) -> None:
    digit = int(p.id[3])
    assert len(p.id) == 12 and p.id.isdigit(), p
    assert 1 <= int(p.id[:3]) <= 96, p
    assert digit == (0 if p.dob.year < 2000 else 2) + (0 if p.sex == "Nam" else 1), p
    assert int(p.id[4:6]) == p.dob.year % 100, p


def working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def add_working_days(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if working_day(d):
            n -= 1
    return d


def dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def vn_date(d: date) -> str:
    """'ngày 06 tháng 01 năm 2026': Decree 30/2020 pads days below 10 and months 1 and 2."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def words_below_100(n: int) -> str:
    if n < 10:
        return DIGITS[n]
    tens, unit = divmod(n, 10)
    head = "mười" if tens == 1 else DIGITS[tens] + " mươi"
    if unit == 0:
        return head
    tail = {1: "mốt" if tens > 1 else "một", 4: "tư" if tens > 1 else "bốn", 5: "lăm"}.get(unit, DIGITS[unit])
    return f"{head} {tail}"


def year_words(y: int) -> str:
    thousands, rest = divmod(y, 1000)
    hundreds, rest = divmod(rest, 100)
    text = f"{DIGITS[thousands]} nghìn {DIGITS[hundreds]} trăm"
    if rest == 0:
        return text
    return f"{text} linh {DIGITS[rest]}" if rest < 10 else f"{text} {words_below_100(rest)}"


def date_words(d: date) -> str:
    months = ["một", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một", "mười hai"]
    return f"Ngày {words_below_100(d.day)}, tháng {months[d.month - 1]}, năm {year_words(d.year)}"


# ---------------------------------------------------------------------------------------------
# Page description: plain strings, plus a few markers the layout turns into positions

@dataclass
class R:
    """A line centred in the right half of the page (dates, signature blocks)."""
    text: str


@dataclass
class Sign:
    """A blank line with a handwritten signature, and optionally an official seal."""
    seal: str = ""


@dataclass
class Page:
    lines: list
    title_lines: int = 0
    size_mm: tuple[int, int] = A5
    point_size: float = 10
    dpi: int = 200
    noise: float = 0.0005
    mode: str = "L"
    tint: tuple[int, int, int] | None = None  # RGB background of a coloured card


HEADER = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", ""]


def titled(titles: list[str], body: list, **kw) -> Page:
    return Page(HEADER + titles + [""] + body, title_lines=len(HEADER) + len(titles), **kw)


def signature_block(*heads: str, name: str, seal: str = "", note: str = "") -> list:
    block = [R(h) for h in heads]
    if note:
        block.append(R(note))
    return block + [Sign(seal), R(name)]


def draw_signature(draw: ImageDraw.ImageDraw, x: float, y: float, width: float, dpi: int, fill, seed: int) -> None:
    r = random.Random(seed)
    height = 4 / 25.4 * dpi
    points = []
    steps = 60
    loops = r.uniform(2.5, 4.5)
    phase = r.uniform(0, math.pi)
    for i in range(steps + 1):
        t = i / steps
        px = x + t * width + math.sin(t * loops * 2 * math.pi) * width * 0.04
        py = y + math.cos(t * loops * 2 * math.pi + phase) * height * 0.6 * (1 - 0.5 * t) + t * height * 0.6
        points.append((px, py))
    draw.line(points, fill=fill, width=max(2, dpi // 90), joint="curve")
    draw.line([(x + width * 0.15, y + height * 1.4), (x + width * 0.85, y + height * 1.1)], fill=fill, width=max(2, dpi // 120))


def draw_seal(image: Image.Image, center: tuple[float, float], radius: float, text: str, color) -> None:
    """A round official seal: two rings, a star and the issuing body's name along the ring."""
    size = int(radius * 2) + 8
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    c = size / 2
    ring = max(3, int(radius * 0.045))
    draw.ellipse([c - radius, c - radius, c + radius, c + radius], outline=255, width=ring)
    inner = radius * 0.62
    draw.ellipse([c - inner, c - inner, c + inner, c + inner], outline=255, width=max(2, ring // 2))
    star = []
    for k in range(10):
        rr = radius * (0.26 if k % 2 == 0 else 0.11)
        a = -math.pi / 2 + k * math.pi / 5
        star.append((c + rr * math.cos(a), c + rr * math.sin(a)))
    draw.polygon(star, fill=255)
    font = ImageFont.truetype(str(font_path("sans-bold")), max(8, int(radius * 0.2)))
    chars = list(text.upper())
    span = math.radians(min(300, 13 * len(chars)))
    for k, ch in enumerate(chars):
        angle = -math.pi / 2 - span / 2 + span * (k + 0.5) / len(chars)
        glyph = Image.new("L", (int(radius * 0.4),) * 2, 0)
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, fill=255, font=font, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        gx = c + radius * 0.81 * math.cos(angle) - glyph.width / 2
        gy = c + radius * 0.81 * math.sin(angle) - glyph.height / 2
        mask.paste(255, (int(gx), int(gy)), glyph)
    mask = mask.point(lambda v: v * 80 // 100)  # ink is never fully opaque
    ink = Image.new(image.mode, mask.size, color)
    image.paste(ink, (int(center[0] - size / 2), int(center[1] - size / 2)), mask)


def render(page: Page, seed: int) -> Image.Image:
    """Lay the markers out as plain lines, render with render_page, then add signatures and seals."""
    width_px, height_px = page_size(page.dpi, page.size_mm)
    px = page.point_size * page.dpi / 72
    body = ImageFont.truetype(str(font_path("serif")), round(px))
    bold = ImageFont.truetype(str(font_path("serif-bold")), round(px * 1.15))
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    margin = round(20 / 25.4 * page.dpi)
    usable = width_px - 2 * margin
    space = measure.textlength(" ", font=body)
    centre = margin + usable * 0.72
    lines: list[str] = []
    marks: list[tuple[int, float, Sign]] = []
    for n, item in enumerate(page.lines):
        if n < page.title_lines:
            assert isinstance(item, str) and measure.textlength(item, font=bold) <= usable, item
            lines.append(item)
        elif isinstance(item, R):
            w = measure.textlength(item.text, font=body)
            x = min(centre - w / 2, width_px - margin - w)
            assert x >= margin, item.text
            lines.append(" " * round((x - margin) / space) + item.text)
        elif isinstance(item, Sign):
            marks.append((len(lines), centre, item))
            lines.append("")
        else:
            lines.extend(wrap(item, body, usable, measure))
    step = round(px * 1.7)
    bottom = margin + (len(lines) - 1) * step + px * 1.3
    assert bottom <= height_px - page.dpi * 8 / 25.4, f"page overflows: {lines[page.title_lines]!r}"
    image = render_page(
        lines, dpi=page.dpi, size_mm=page.size_mm, point_size=page.point_size,
        title_lines=page.title_lines, noise=page.noise, seed=seed, mode=page.mode,
    )
    if page.tint:
        image = ImageChops.multiply(image, Image.new("RGB", image.size, page.tint))
        image.info["dpi"] = (page.dpi, page.dpi)
    draw = ImageDraw.Draw(image)
    colour = page.mode == "RGB"
    for n, x, sign in marks:
        y = margin + n * step + px * 0.4
        if sign.seal:
            ink = (196, 32, 38) if colour else 150
            draw_seal(image, (x - 17 / 25.4 * page.dpi, y), 15 / 25.4 * page.dpi * page.point_size / 10, sign.seal, ink)
        sig = (28, 42, 140) if colour else 40
        sig_width = 26 / 25.4 * page.dpi
        draw_signature(draw, x - sig_width / 2, y - px * 0.2, sig_width, page.dpi, sig, seed + n)
    return image


def wrap(text: str, font, width: float, measure: ImageDraw.ImageDraw) -> list[str]:
    if measure.textlength(text, font=font) <= width:
        return [text]
    out, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and measure.textlength(candidate, font=font) > width:
            out.append(current)
            current = "    " + word  # continuation lines are indented a little
        else:
            current = candidate
    out.append(current)
    return out


# ---------------------------------------------------------------------------------------------
# Papers. Each builder returns the pages of one paper.

OFFICIALS = {
    "ward": "Nguyễn Thị Thu Trang",
    "district": "Lâm Quốc Hùng",
    "justice": "Trần Hữu Bảy",
    "police": "Thượng tá Võ Minh Khang",
    "cccd": "Trung tướng Tô Văn Huệ",
    "moet": "Lê Hồng Sơn",
}


def to_khai_khai_sinh(ctx: dict) -> list[Page]:
    a, child, mother, father, d = ctx["applicant"], ctx["child"], ctx["mother"], ctx["father"], ctx["received"]
    relation = "Cha" if a is father else "Mẹ"
    return [titled(["TỜ KHAI ĐĂNG KÝ KHAI SINH"], [
        "Kính gửi: Ủy ban nhân dân phường Bến Nghé, quận 1",
        f"Họ, chữ đệm, tên người yêu cầu: {a.name}",
        f"Số định danh cá nhân: {a.id}",
        f"Nơi cư trú: {a.address}",
        f"Quan hệ với người được khai sinh: {relation}",
        "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
        f"Họ, chữ đệm và tên: {child.name}",
        f"Ngày, tháng, năm sinh: {dmy(child.dob)}",
        f"Giới tính: {child.sex}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
        f"Nơi sinh: {ctx['hospital']}, TP. Hồ Chí Minh",
        f"Quê quán: {father.hometown}",
        f"Họ, chữ đệm, tên người mẹ: {mother.name}",
        f"Năm sinh: {mother.dob.year}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
        f"Họ, chữ đệm, tên người cha: {father.name}",
        f"Năm sinh: {father.dob.year}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
        "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật và chịu "
        "trách nhiệm trước pháp luật về cam đoan của mình.",
        R(f"Phường Bến Nghé, {vn_date(d)}"),
        *signature_block("NGƯỜI YÊU CẦU", note="(Ký, ghi rõ họ, chữ đệm, tên)", name=a.name),
    ], point_size=9.5)]


def giay_chung_sinh(ctx: dict) -> list[Page]:
    mother, child = ctx["mother"], ctx["child"]
    r = random.Random(child.id)
    return [titled(["GIẤY CHỨNG SINH"], [
        f"Sở Y tế TP. Hồ Chí Minh - {ctx['hospital']}",
        f"Số: {r.randrange(1000, 9999)}/GCS    Quyển số: {child.dob.month:02d}/{child.dob.year}",
        f"Họ và tên mẹ: {mother.name}",
        f"Năm sinh: {mother.dob.year}    Dân tộc: Kinh",
        f"Số định danh cá nhân: {mother.id}",
        f"Nơi cư trú: {mother.address}",
        f"Đã sinh con vào lúc: {r.randrange(24):02d} giờ {r.randrange(60):02d} phút, {vn_date(child.dob)}",
        f"Tại: {ctx['hospital']}, TP. Hồ Chí Minh",
        f"Số con trong lần sinh: 01    Giới tính của con: {child.sex}",
        f"Cân nặng: {r.randrange(28, 37) * 100} gram",
        f"Dự định đặt tên con là: {child.name}",
        "Ghi chú: Sinh thường, mẹ và con khỏe mạnh.",
        R(f"TP. Hồ Chí Minh, {vn_date(child.dob + timedelta(days=2))}"),
        *signature_block("GIÁM ĐỐC BỆNH VIỆN", name="BS. CKII Trần Ngọc Hải", seal=ctx["hospital"]),
    ])]


def giay_khai_sinh(ctx: dict, old: bool = False) -> list[Page]:
    """The birth certificate: the result of 1.001193, or an old original brought for certification."""
    child, mother, father, a = ctx["child"], ctx["mother"], ctx["father"], ctx["applicant"]
    reg, office, number = ctx["registered"], ctx["office"], ctx["number"]
    lines = [
        f"Số: {number}    Quyển số: 01/{reg.year}",
        f"Họ, chữ đệm, tên: {child.name.upper()}",
        f"Ngày, tháng, năm sinh: {dmy(child.dob)}",
        f"ghi bằng chữ: {date_words(child.dob)}",
        f"Giới tính: {child.sex}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
        f"Nơi sinh: {ctx['birthplace']}",
        f"Quê quán: {father.hometown}",
    ]
    if not old:
        lines.append(f"Số định danh cá nhân: {child.id}")
    for role, p in (("mẹ", mother), ("cha", father)):
        lines += [
            f"Họ, chữ đệm, tên người {role}: {p.name.upper()}",
            f"Năm sinh: {p.dob.year}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
            f"Nơi cư trú: {p.address}",
        ]
    lines += [
        f"Họ, chữ đệm, tên người đi khai sinh: {a.name}",
        f"Nơi đăng ký khai sinh: Ủy ban nhân dân {office}",
        f"Ngày, tháng, năm đăng ký: {dmy(reg)}",
        *signature_block("NGƯỜI KÝ GIẤY KHAI SINH", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                         name=ctx["official"], seal=f"UBND {office.split(',')[0]}"),
    ]
    return [titled(["GIẤY KHAI SINH"], lines, size_mm=A4, point_size=11)]


def to_khai_ket_hon(ctx: dict) -> list[Page]:
    bride, groom, d = ctx["bride"], ctx["groom"], ctx["received"]
    page1 = ["Kính gửi: Ủy ban nhân dân phường Bến Nghé, quận 1"]
    for side, p in (("THÔNG TIN BÊN NỮ", bride), ("THÔNG TIN BÊN NAM", groom)):
        page1 += [
            "",
            side,
            f"Họ, chữ đệm, tên: {p.name}",
            f"Ngày, tháng, năm sinh: {dmy(p.dob)}",
            "Dân tộc: Kinh    Quốc tịch: Việt Nam",
            f"Nơi cư trú: {p.address}",
            f"Số định danh cá nhân: {p.id}",
            "Kết hôn lần thứ mấy: Lần đầu",
        ]
    page2 = [
        "CAM ĐOAN VÀ ĐỀ NGHỊ",
        "",
        "Chúng tôi cam đoan những lời khai trên đây là đúng sự thật, việc kết hôn của chúng tôi "
        "là tự nguyện, không vi phạm quy định của Luật Hôn nhân và gia đình Việt Nam.",
        "Chúng tôi chịu trách nhiệm trước pháp luật về lời cam đoan của mình.",
        "Đề nghị Quý cơ quan đăng ký.",
        "Đề nghị cấp bản sao Trích lục kết hôn: Có, số lượng: 02 bản.",
        "",
        R(f"Phường Bến Nghé, {vn_date(d)}"),
        "BÊN NỮ",
        "(Ký, ghi rõ họ, chữ đệm, tên)",
        "",
        "",
        bride.name,
        "",
        *signature_block("BÊN NAM", note="(Ký, ghi rõ họ, chữ đệm, tên)", name=groom.name),
        "",
        "Trang 2/2",
    ]
    return [titled(["TỜ KHAI ĐĂNG KÝ KẾT HÔN"], page1), Page(page2, title_lines=1)]


def xac_nhan_hon_nhan(ctx: dict) -> list[Page]:
    p, other, issued = ctx["single"], ctx["other"], ctx["xnhn_date"]
    office = ctx["xnhn_office"]
    return [titled(["GIẤY XÁC NHẬN", "TÌNH TRẠNG HÔN NHÂN"], [
        f"Số: {random.Random(p.id).randrange(100, 900)}/UBND-XNTTHN",
        f"Ủy ban nhân dân {office}",
        f"Xét đề nghị của {p.name} về việc xác nhận tình trạng hôn nhân,",
        "XÁC NHẬN:",
        f"Họ, chữ đệm, tên: {p.name}",
        f"Ngày, tháng, năm sinh: {dmy(p.dob)}    Giới tính: {p.sex}",
        "Dân tộc: Kinh    Quốc tịch: Việt Nam",
        f"Số định danh cá nhân: {p.id}",
        f"Nơi cư trú: {p.address}",
        "Tình trạng hôn nhân: Hiện tại chưa đăng ký kết hôn với ai.",
        f"Giấy này được cấp để làm thủ tục đăng ký kết hôn với {other.name}, sinh năm "
        f"{other.dob.year}, tại Ủy ban nhân dân phường Bến Nghé.",
        "Giấy này có giá trị sử dụng 06 tháng kể từ ngày cấp.",
        R(f"{office[0].upper()}{office[1:].split(',')[0]}, {vn_date(issued)}"),
        *signature_block("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", name=ctx["xnhn_official"],
                         seal=f"UBND {office.split(',')[0]}"),
    ], point_size=9.5)]


def giay_chung_nhan_ket_hon(ctx: dict) -> list[Page]:
    bride, groom, reg = ctx["bride"], ctx["groom"], ctx["registered"]
    lines = [f"Số: {ctx['number']}    Quyển số: 01/{reg.year}"]
    for role, p in (("vợ", bride), ("chồng", groom)):
        lines += [
            f"Họ, chữ đệm, tên {role}: {p.name.upper()}",
            f"Ngày, tháng, năm sinh: {dmy(p.dob)}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
            f"Nơi cư trú: {p.address}",
            f"Giấy tờ tùy thân: Căn cước công dân số {p.id}",
            "",
        ]
    lines += [
        f"Nơi đăng ký kết hôn: Ủy ban nhân dân {BEN_NGHE}",
        f"Ngày, tháng, năm đăng ký: {dmy(reg)}",
        "",
        "Vợ: " + bride.name + "    Chồng: " + groom.name + "    (đã ký)",
        *signature_block("NGƯỜI KÝ GIẤY CHỨNG NHẬN KẾT HÔN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                         name=OFFICIALS["ward"], seal="UBND phường Bến Nghé"),
    ]
    return [titled(["GIẤY CHỨNG NHẬN KẾT HÔN"], lines, size_mm=A4, point_size=11)]


def bang_tot_nghiep(ctx: dict) -> list[Page]:
    p = ctx["applicant"]
    year = p.dob.year + 18
    r = random.Random(p.id)
    province = p.hometown
    return [titled(["BẰNG TỐT NGHIỆP TRUNG HỌC PHỔ THÔNG"], [
        f"GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO {province.upper()}",
        "cấp bằng tốt nghiệp trung học phổ thông cho:",
        f"Họ và tên: {p.name}    Giới tính: {p.sex}",
        f"Ngày sinh: {dmy(p.dob)}    Nơi sinh: {province}",
        f"Học sinh trường: {ctx['school']}",
        f"Năm tốt nghiệp: {year}    Xếp loại tốt nghiệp: {ctx['grade']}",
        R(f"{province}, {vn_date(date(year, 7, r.randrange(10, 28)))}"),
        *signature_block("GIÁM ĐỐC", name=OFFICIALS["moet"], seal=f"SỞ GD&ĐT {province}"),
        f"Số hiệu: A {r.randrange(10**6, 10**7)}    Số vào sổ cấp bằng: {r.randrange(1000, 9999)}/THPT",
    ], size_mm=A5_LANDSCAPE)]


def card_expiry(p: Person) -> date | None:
    """Cards run to the holder's 25th, 40th or 60th birthday; one issued within two years of
    such an age runs to the next one, and one issued after 58 has no expiry."""
    age = p.cccd_issued.year - p.dob.year
    for limit in (25, 40, 60):
        if age < limit - 2:
            return date(p.dob.year + limit, p.dob.month, p.dob.day)
    return None


def cccd_front(p: Person) -> list:
    expiry = card_expiry(p)
    expiry = dmy(expiry) if expiry else "Không thời hạn"
    return [
        f"Số / No.: {p.id}",
        f"Họ và tên / Full name: {p.name.upper()}",
        f"Ngày sinh / Date of birth: {dmy(p.dob)}",
        f"Giới tính / Sex: {p.sex}    Quốc tịch / Nationality: Việt Nam",
        f"Quê quán / Place of origin: {p.hometown}",
        f"Nơi thường trú / Place of residence: {p.address}",
        f"Có giá trị đến / Date of expiry: {expiry}",
    ]


def mrz(p: Person) -> list[str]:
    """The three 30-character lines on the back of a chip-based CCCD (ICAO 9303 TD1)."""
    def check(s: str) -> str:
        value = lambda ch: int(ch) if ch.isdigit() else (0 if ch == "<" else ord(ch) - 55)
        return str(sum(value(ch) * (7, 3, 1)[k % 3] for k, ch in enumerate(s)) % 10)

    number = p.id[3:]
    line1 = f"IDVNM{number}{check(number)}{p.id}".ljust(30, "<")
    dob = p.dob.strftime("%y%m%d")
    expiry = card_expiry(p)
    expiry = expiry.strftime("%y%m%d") if expiry else "<<<<<<"
    line2 = f"{dob}{check(dob)}{'M' if p.sex == 'Nam' else 'F'}{expiry}{check(expiry)}VNM".ljust(29, "<")
    line2 += check(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    ascii_name = unicodedata.normalize("NFD", p.name.replace("Đ", "D").replace("đ", "d"))
    ascii_name = "".join(ch for ch in ascii_name if not unicodedata.combining(ch)).upper().split()
    line3 = (ascii_name[0] + "<<" + "<".join(ascii_name[1:])).ljust(30, "<")[:30]
    return [line1, line2, line3]


def cccd_back(p: Person) -> list:
    marks = ["Nốt ruồi C: 1cm trên sau đầu mày phải", "Sẹo chấm C: 2cm dưới trước cánh mũi trái",
             "Nốt ruồi C: 1,5cm dưới sau mép trái"]
    return [
        f"Đặc điểm nhân dạng / Personal identification: {marks[int(p.id[-1]) % 3]}",
        f"Ngày, tháng, năm / Date, month, year: {dmy(p.cccd_issued)}",
        "CỤC TRƯỞNG CỤC CẢNH SÁT QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI",
        "DIRECTOR GENERAL OF THE POLICE DEPARTMENT FOR ADMINISTRATIVE MANAGEMENT OF SOCIAL ORDER",
        *signature_block(name=OFFICIALS["cccd"], seal="BỘ CÔNG AN"),
        *mrz(p),
    ]


def cccd_photos(ctx: dict) -> list[Page]:
    """Front and back of the card, photographed in colour: two small RGB pages."""
    p = ctx["applicant"]
    common = dict(size_mm=CARD, point_size=7, dpi=300, mode="RGB", tint=(226, 236, 244), noise=0.0002)
    front = Page(HEADER[:2] + ["CĂN CƯỚC CÔNG DÂN / CITIZEN IDENTITY CARD"] + cccd_front(p), title_lines=3, **common)
    back = Page(cccd_back(p), **common)
    return [front, back]


def cccd_photocopy(ctx: dict) -> list[Page]:
    """Both sides photocopied on one sheet, the usual paper copy handed in at the counter."""
    p = ctx["applicant"]
    return [titled(["CĂN CƯỚC CÔNG DÂN"], [
        "Mặt trước:", *cccd_front(p), "", "Mặt sau:", *cccd_back(p),
    ], point_size=8.5, noise=0.001)]


def to_khai_lltp(ctx: dict) -> list[Page]:
    p, d = ctx["applicant"], ctx["received"]
    page1 = titled(["TỜ KHAI YÊU CẦU CẤP", "PHIẾU LÝ LỊCH TƯ PHÁP"], [
        "(Dùng cho cá nhân có yêu cầu cấp Phiếu lý lịch tư pháp)",
        "Kính gửi: Sở Tư pháp TP. Hồ Chí Minh",
        f"1. Họ và tên: {p.name}",
        f"2. Giới tính: {p.sex}",
        f"3. Ngày, tháng, năm sinh: {dmy(p.dob)}",
        f"4. Nơi sinh: {p.hometown}",
        "5. Quốc tịch: Việt Nam",
        f"6. Nơi thường trú: {p.address}",
        "7. Nơi tạm trú: Không",
        f"8. Số định danh cá nhân: {p.id}    Ngày cấp: {dmy(p.cccd_issued)}",
        "    Nơi cấp: Cục Cảnh sát quản lý hành chính về trật tự xã hội",
        f"9. Họ và tên cha: {ctx['father_name']}",
        f"10. Họ và tên mẹ: {ctx['mother_name']}",
        f"11. Họ và tên vợ/chồng: {ctx.get('spouse_name', 'Không')}",
        f"12. Số điện thoại: {ctx['phone']}",
    ])
    page2 = Page([
        "QUÁ TRÌNH CƯ TRÚ, NGHỀ NGHIỆP",
        "CỦA BẢN THÂN",
        "",
        *ctx["history"],
        "",
        "Tình trạng án tích: Không có án tích.",
        "Yêu cầu cấp Phiếu lý lịch tư pháp: Số 1.",
        f"Mục đích sử dụng Phiếu lý lịch tư pháp: {ctx['purpose']}.",
        "Số lượng Phiếu lý lịch tư pháp yêu cầu cấp: 01 Phiếu.",
        "Tôi xin cam đoan những lời khai trên là đúng sự thật và chịu trách nhiệm về lời khai của mình.",
        "",
        R(f"TP. Hồ Chí Minh, {vn_date(d)}"),
        *signature_block("NGƯỜI KHAI", note="(Ký và ghi rõ họ tên)", name=p.name),
    ], title_lines=2)
    return [page1, page2]


def xac_nhan_cu_tru(ctx: dict) -> list[Page]:
    p = ctx["applicant"]
    ward = ctx["police_ward"]
    issued = ctx["received"] - timedelta(days=random.Random(p.id).randrange(3, 12))
    return [titled(["GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ"], [
        f"Số: {random.Random(p.name).randrange(100, 999)}/XN-CAP",
        f"Công an {ward} xác nhận thông tin về cư trú của công dân như sau:",
        f"1. Họ, chữ đệm và tên: {p.name}",
        f"2. Ngày, tháng, năm sinh: {dmy(p.dob)}    3. Giới tính: {p.sex}",
        f"4. Số định danh cá nhân: {p.id}",
        "5. Dân tộc: Kinh    6. Tôn giáo: Không    7. Quốc tịch: Việt Nam",
        f"8. Quê quán: {p.hometown}",
        f"9. Nơi thường trú: {p.address}",
        "10. Nơi tạm trú: Không",
        f"11. Nơi ở hiện tại: {p.address}",
        f"12. Họ, chữ đệm và tên chủ hộ: {p.name}    Quan hệ với chủ hộ: Chủ hộ",
        "Giấy xác nhận có giá trị 30 ngày kể từ ngày cấp.",
        R(f"TP. Hồ Chí Minh, {vn_date(issued)}"),
        *signature_block("TRƯỞNG CÔNG AN PHƯỜNG", name=OFFICIALS["police"], seal=f"CÔNG AN {ward}"),
    ], point_size=9.5)]


def phieu_lltp(ctx: dict) -> list[Page]:
    p, issued = ctx["applicant"], ctx["registered"]
    return [titled(["PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1"], [
        f"Số: {ctx['number']}/STP-LLTP",
        "Căn cứ Luật Lý lịch tư pháp ngày 17 tháng 6 năm 2009;",
        f"Căn cứ Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp ngày {dmy(ctx['received'])};",
        "SỞ TƯ PHÁP TP. HỒ CHÍ MINH XÁC NHẬN:",
        f"1. Họ và tên: {p.name.upper()}    2. Giới tính: {p.sex}",
        f"3. Ngày, tháng, năm sinh: {dmy(p.dob)}    4. Nơi sinh: {p.hometown}",
        "5. Quốc tịch: Việt Nam",
        f"6. Nơi cư trú: {p.address}",
        f"7. Số định danh cá nhân: {p.id}",
        f"8. Họ và tên cha: {ctx['father_name']}",
        f"9. Họ và tên mẹ: {ctx['mother_name']}",
        f"10. Họ và tên vợ/chồng: {ctx.get('spouse_name', 'Không')}",
        "11. Tình trạng án tích: Không có án tích.",
        "12. Thông tin về việc cấm đảm nhiệm chức vụ, thành lập, quản lý doanh nghiệp, hợp tác xã: "
        "Không bị cấm đảm nhiệm chức vụ, thành lập, quản lý doanh nghiệp, hợp tác xã.",
        R(f"TP. Hồ Chí Minh, {vn_date(issued)}"),
        *signature_block("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", name=OFFICIALS["justice"], seal="SỞ TƯ PHÁP TP. HỒ CHÍ MINH"),
        "Người lập phiếu: Phạm Thị Yến",
    ], size_mm=A4, point_size=11, mode=ctx.get("result_mode", "L"))]


def photocopy(builder):
    """A greyer, dustier copy of a paper (the citizen's photocopy brought for certification)."""
    def build(ctx: dict) -> list[Page]:
        pages = builder(ctx)
        for page in pages:
            page.noise = 0.0008
        return pages
    return build


def old_birth_certificate(ctx: dict) -> list[Page]:
    return giay_khai_sinh(ctx["old_gks"], old=True)


# ---------------------------------------------------------------------------------------------
# The register: 20 records over 3 agencies and 4 procedures

@dataclass
class Scan:
    component: str | None  # a COMP key, None for the result
    paper: object  # builder
    slug: str
    fmt: str  # png | jpg | tif | pdf | png-pages | jpg-pages
    names: tuple[str, ...] = ()  # file-name suffixes when a multi-page paper becomes several files


@dataclass
class Rec:
    agency: str
    procedure: str
    received: date
    channel: int
    applicant: Person
    components: list[str]
    scans: list[Scan] = field(default_factory=list)
    ctx: dict = field(default_factory=dict)
    iso: bool = True  # date format in the register: ISO or DD/MM/YYYY
    code: str = ""

    @property
    def due(self) -> date:
        return add_working_days(self.received, PROCEDURES[self.procedure].working_days)


def ben_nghe(number: str, street: str) -> str:
    return f"Số {number} {street}, {BEN_NGHE}"


def build_records() -> list[Rec]:
    records: list[Rec] = []
    KS, KH, CT, LL = "1.001193", "1.001612", "2.000908", "1.004227"
    ks_components = ["tk_ks", "gcs"]
    ks_scans_full = [Scan("tk_ks", to_khai_khai_sinh, "to-khai-khai-sinh", "png"),
                     Scan("gcs", giay_chung_sinh, "giay-chung-sinh", "png")]

    def birth(received, channel, applicant, other, child, hospital, scans, iso=True):
        father, mother = (applicant, other) if applicant.sex == "Nam" else (other, applicant)
        ctx = dict(applicant=applicant, child=child, mother=mother, father=father, hospital=hospital,
                   birthplace=f"{hospital}, TP. Hồ Chí Minh", office=BEN_NGHE, official=OFFICIALS["ward"])
        records.append(Rec("ward", KS, received, channel, applicant, ks_components, scans, ctx, iso))

    # --- UBND phường Bến Nghé: birth registrations
    an = person("Nguyễn Văn An", "Nam", "1988-04-17", 79, ben_nghe("24", "Lê Thánh Tôn"))
    birth(date(2026, 1, 6), 1, an,
          person("Trần Thị Mai", "Nữ", "1990-09-02", 83, ben_nghe("24", "Lê Thánh Tôn")),
          person("Nguyễn Minh Khôi", "Nam", "2025-11-20", 79, ben_nghe("24", "Lê Thánh Tôn")),
          "Bệnh viện Từ Dũ",
          ks_scans_full + [Scan(None, giay_khai_sinh, "giay-khai-sinh", "png")])
    birth(date(2026, 1, 14), 2,
          person("Đặng Thị Hương", "Nữ", "1992-06-25", 36, ben_nghe("8", "Mạc Đĩnh Chi")),
          person("Lương Văn Tài", "Nam", "1989-12-11", 42, ben_nghe("8", "Mạc Đĩnh Chi")),
          person("Lương Gia Hân", "Nữ", "2025-12-28", 79, ben_nghe("8", "Mạc Đĩnh Chi")),
          "Bệnh viện Hùng Vương", ks_scans_full, iso=False)
    birth(date(2026, 2, 5), 1,
          person("Trần Thị Ngọc Ánh", "Nữ", "1995-03-08", 79, ben_nghe("115", "Hai Bà Trưng")),
          person("Phạm Minh Tuấn", "Nam", "1993-07-19", 38, ben_nghe("115", "Hai Bà Trưng")),
          person("Phạm Ngọc Bảo Anh", "Nữ", "2026-01-09", 79, ben_nghe("115", "Hai Bà Trưng")),
          "Bệnh viện Từ Dũ", ks_scans_full[:1])  # the birth certificate was not scanned
    birth(date(2026, 3, 3), 2,
          person("Huỳnh Quốc Bảo", "Nam", "2001-10-30", 79, ben_nghe("42", "Nguyễn Thị Minh Khai")),
          person("Lý Thanh Trúc", "Nữ", "2002-02-14", 94, ben_nghe("42", "Nguyễn Thị Minh Khai")),
          person("Huỳnh Gia Huy", "Nam", "2026-01-30", 79, ben_nghe("42", "Nguyễn Thị Minh Khai")),
          "Bệnh viện Hùng Vương", ks_scans_full, iso=False)
    birth(date(2026, 3, 24), 2,
          person("Bùi Thị Mỹ Duyên", "Nữ", "2002-08-05", 75, ben_nghe("19", "Thái Văn Lung")),
          person("Cao Văn Lộc", "Nam", "1998-05-21", 75, ben_nghe("19", "Thái Văn Lung")),
          person("Cao Bảo Ngọc", "Nữ", "2026-02-27", 79, ben_nghe("19", "Thái Văn Lung")),
          "Bệnh viện Từ Dũ", [])

    # --- UBND phường Bến Nghé: marriages
    def marriage(received, channel, applicant, partner, components, scans, xnhn_office, iso=True):
        groom, bride = (applicant, partner) if applicant.sex == "Nam" else (partner, applicant)
        ctx = dict(applicant=applicant, bride=bride, groom=groom, single=partner, other=applicant,
                   xnhn_office=xnhn_office, xnhn_date=received - timedelta(days=23),
                   xnhn_official="Hà Văn Sáu")
        records.append(Rec("ward", KH, received, channel, applicant, components, scans, ctx, iso))

    kh_both = ["tk_kh", "xnhn"]
    marriage(date(2026, 1, 9), 1,
             person("Phạm Đức Thắng", "Nam", "1983-02-03", 40, ben_nghe("3", "Tôn Đức Thắng")),
             person("Lê Thị Thanh Tâm", "Nữ", "1987-11-15", 79,
                    "Số 61 Trần Quang Khải, phường Tân Định, quận 1, TP. Hồ Chí Minh"),
             kh_both,
             [Scan("tk_kh", to_khai_ket_hon, "to-khai-ket-hon", "pdf"),
              Scan("xnhn", xac_nhan_hon_nhan, "xac-nhan-tinh-trang-hon-nhan", "png"),
              Scan(None, giay_chung_nhan_ket_hon, "giay-chung-nhan-ket-hon", "png")],
             "phường Tân Định, quận 1")
    marriage(date(2026, 2, 10), 1,
             person("Võ Thị Thu Hằng", "Nữ", "1997-05-29", 52, ben_nghe("27", "Nguyễn Du")),
             person("Trịnh Quang Vinh", "Nam", "1994-08-08", 1,
                    "Số 14 ngõ 92 Nguyễn Khánh Toàn, phường Quan Hoa, quận Cầu Giấy, Hà Nội"),
             kh_both,
             [Scan("tk_kh", to_khai_ket_hon, "to-khai-ket-hon", "png-pages", ("trang-1", "trang-2")),
              Scan("xnhn", xac_nhan_hon_nhan, "xac-nhan-tinh-trang-hon-nhan", "png")],
             "phường Quan Hoa, quận Cầu Giấy, Hà Nội", iso=False)
    marriage(date(2026, 3, 12), 2,
             person("Lê Hoàng Phương", "Nam", "1990-01-26", 48, ben_nghe("9", "Lý Tự Trọng")),
             person("Nguyễn Thị Thảo Vy", "Nữ", "1996-04-04", 79,
                    "Số 88 Võ Văn Tần, phường Võ Thị Sáu, quận 3, TP. Hồ Chí Minh"),
             kh_both,
             [Scan("tk_kh", to_khai_ket_hon, "to-khai-ket-hon", "png-pages", ("trang-1", "trang-2"))],
             "phường Võ Thị Sáu, quận 3")  # the marital-status certificate is missing
    marriage(date(2026, 3, 27), 1,
             person("Mai Xuân Trường", "Nam", "1993-12-01", 38, ben_nghe("56", "Đồng Khởi")),
             person("Tạ Thị Kiều Oanh", "Nữ", "1995-10-10", 79, ben_nghe("56", "Đồng Khởi")),
             ["tk_kh"], [], "phường Bến Nghé, quận 1")

    # --- UBND quận 1: certified copies (no paper result)
    def certify(received, applicant, components, scans, iso=True, **extra):
        records.append(Rec("district", CT, received, 1, applicant, components, scans,
                           dict(applicant=applicant, **extra), iso))

    certify(date(2026, 1, 8),
            person("Đỗ Minh Trí", "Nam", "1979-09-14", 1, ben_nghe("73", "Nguyễn Huệ")),
            ["ban_chinh", "ban_sao"],
            [Scan("ban_chinh", bang_tot_nghiep, "ban-chinh-bang-tot-nghiep", "png"),
             Scan("ban_sao", photocopy(bang_tot_nghiep), "ban-sao-bang-tot-nghiep", "jpg")],
            school="Trường THPT Chu Văn An, Hà Nội", grade="Khá")
    lyu = person("Hoàng Thị Lựu", "Nữ", "1965-03-21", 42,
                 "Số 5 Cô Giang, phường Cô Giang, quận 1, TP. Hồ Chí Minh")
    certify(date(2026, 1, 21), lyu, ["ban_chinh"],
            [Scan("ban_chinh", old_birth_certificate, "ban-chinh-giay-khai-sinh", "png")], iso=False,
            old_gks=dict(
                applicant=person("Hoàng Văn Tư", "Nam", "1938-01-01", 42, "Xã Thạch Long, huyện Thạch Hà, Hà Tĩnh"),
                child=lyu,
                mother=person("Nguyễn Thị Nhàn", "Nữ", "1941-05-05", 42, "Xã Thạch Long, huyện Thạch Hà, Hà Tĩnh"),
                birthplace="Xã Thạch Long, huyện Thạch Hà, tỉnh Hà Tĩnh",
                office="xã Thạch Long, huyện Thạch Hà, tỉnh Hà Tĩnh",
                registered=date(1965, 4, 2), number="27", official="Phan Đình Lữ"))
    old = records[-1].ctx["old_gks"]
    old["father"] = old["applicant"]
    tung = person("Ngô Thanh Tùng", "Nam", "1999-07-07", 92,
                  "Số 210 Nguyễn Trãi, phường Nguyễn Cư Trinh, quận 1, TP. Hồ Chí Minh")
    tung_father = person("Ngô Văn Hậu", "Nam", "1970-02-12", 92, "Phường An Hòa, quận Ninh Kiều, Cần Thơ")
    tung_gks = dict(
        applicant=tung_father, child=tung, father=tung_father,
        mother=person("Dương Thị Lan", "Nữ", "1973-06-30", 92, "Phường An Hòa, quận Ninh Kiều, Cần Thơ"),
        birthplace="Bệnh viện Đa khoa Trung ương Cần Thơ",
        office="phường An Hòa, quận Ninh Kiều, thành phố Cần Thơ",
        registered=date(1999, 7, 19), number="142", official="Trương Văn Nghĩa")
    certify(date(2026, 2, 24), tung, ["ban_chinh", "ban_sao"],
            [Scan("ban_chinh", old_birth_certificate, "ban-chinh-giay-khai-sinh", "png"),
             Scan("ban_sao", photocopy(old_birth_certificate), "ban-sao-giay-khai-sinh", "jpg")],
            old_gks=tung_gks)
    certify(date(2026, 3, 10),
            person("Dương Thị Bích Ngọc", "Nữ", "1994-11-19", 79,
                   "Số 33 Pasteur, phường Bến Nghé, quận 1, TP. Hồ Chí Minh"),
            ["ban_chinh"],
            [Scan("ban_chinh", bang_tot_nghiep, "ban-chinh-bang-tot-nghiep", "png")],
            school="Trường THPT Trưng Vương, TP. Hồ Chí Minh", grade="Giỏi")
    certify(date(2026, 3, 19),
            person("Phan Văn Đức", "Nam", "1986-05-02", 83,
                   "Số 150 Trần Hưng Đạo, phường Cầu Kho, quận 1, TP. Hồ Chí Minh"),
            ["ban_chinh", "ban_sao"], [], iso=False)

    # --- Sở Tư pháp TP. Hồ Chí Minh: criminal-record certificates
    def lltp(received, channel, applicant, components, scans, iso=True, **extra):
        r = random.Random(applicant.id)
        ctx = dict(applicant=applicant, phone=f"09{r.randrange(10**7, 10**8)}", police_ward="phường Tân Định",
                   purpose="Bổ sung hồ sơ xin việc")
        ctx.update(extra)
        records.append(Rec("justice", LL, received, channel, applicant, components, scans, ctx, iso))

    lltp(date(2026, 1, 12), 2,
         person("Vũ Thị Hoa", "Nữ", "1991-12-24", 31,
                "Số 18 Trần Nhật Duật, phường Tân Định, quận 1, TP. Hồ Chí Minh"),
         ["tk_lltp", "cccd"],
         [Scan("tk_lltp", to_khai_lltp, "to-khai-lltp", "tif"),
          Scan("cccd", cccd_photos, "cccd", "jpg-pages", ("mat-truoc", "mat-sau")),
          Scan(None, phieu_lltp, "phieu-ly-lich-tu-phap", "png")],
         father_name="Vũ Văn Cường", mother_name="Đoàn Thị Nụ", spouse_name="Không",
         result_mode="RGB",  # the one colour scan of the set: red seal, blue signature
         history=["Từ năm 2009 đến năm 2013: sinh viên, Trường Đại học Hàng hải Việt Nam.",
                  "Từ năm 2013 đến nay: kế toán, Công ty TNHH Thương mại Sao Mai, TP. Hồ Chí Minh."])
    lltp(date(2026, 1, 27), 3,
         person("Trương Công Thành", "Nam", "1975-08-16", 89,
                "Số 7 Đặng Dung, phường Tân Định, quận 1, TP. Hồ Chí Minh"),
         ["tk_lltp", "cccd", "cu_tru"],
         [Scan("tk_lltp", to_khai_lltp, "to-khai-lltp", "png-pages", ("trang-1", "trang-2")),
          Scan("cccd", cccd_photocopy, "cccd", "png"),
          Scan("cu_tru", xac_nhan_cu_tru, "xac-nhan-cu-tru", "png"),
          Scan(None, phieu_lltp, "phieu-ly-lich-tu-phap", "png")],
         iso=False, father_name="Trương Công Danh", mother_name="Huỳnh Thị Mến",
         spouse_name="Lâm Thị Thu", purpose="Xin cấp giấy phép lao động",
         history=["Từ năm 1993 đến năm 2000: làm nông, xã Mỹ Hòa Hưng, thành phố Long Xuyên, An Giang.",
                  "Từ năm 2000 đến nay: lái xe, Hợp tác xã Vận tải Sài Gòn, TP. Hồ Chí Minh."])
    lltp(date(2026, 2, 4), 2,
         person("Lý Thị Kim Oanh", "Nữ", "2000-10-03", 94,
                "Số 45 Nguyễn Đình Chiểu, phường Đa Kao, quận 1, TP. Hồ Chí Minh"),
         ["tk_lltp", "cccd"],
         [Scan("tk_lltp", to_khai_lltp, "to-khai-lltp", "png-pages", ("trang-1", "trang-2")),
          Scan("cccd", cccd_photocopy, "cccd", "png")],
         father_name="Lý Văn Sang", mother_name="Thạch Thị Sa Rươl",
         history=["Từ năm 2018 đến năm 2022: sinh viên, Trường Đại học Kinh tế TP. Hồ Chí Minh.",
                  "Từ năm 2022 đến nay: nhân viên, Ngân hàng TMCP Á Châu, TP. Hồ Chí Minh."])
    lltp(date(2026, 3, 4), 2,
         person("Hồ Thị Thúy Vy", "Nữ", "2003-06-18", 46,
                "Số 102 Nguyễn Văn Thủ, phường Đa Kao, quận 1, TP. Hồ Chí Minh"),
         ["tk_lltp", "cccd"], [], father_name="Hồ Văn Quý", mother_name="Lê Thị Hường",
         history=[])
    lltp(date(2026, 3, 16), 1,
         person("Đinh Quang Hưng", "Nam", "1981-03-29", 79,
                "Số 12 Hai Bà Trưng, phường Bến Nghé, quận 1, TP. Hồ Chí Minh"),
         ["tk_lltp", "cccd"],
         [Scan("tk_lltp", to_khai_lltp, "to-khai-lltp", "png-pages", ("trang-1", "trang-2")),
          Scan("cccd", cccd_photocopy, "cccd", "png")],
         iso=False, father_name="Đinh Văn Bình", mother_name="Nguyễn Thị Hạnh", spouse_name="Phùng Thị Mỹ",
         purpose="Đăng ký thành lập doanh nghiệp",
         history=["Từ năm 1999 đến năm 2003: sinh viên, Trường Đại học Bách khoa TP. Hồ Chí Minh.",
                  "Từ năm 2003 đến nay: kỹ sư xây dựng, Công ty Cổ phần Xây dựng Hòa Bình."])
    lltp(date(2026, 3, 26), 3,
         person("Châu Thị Ngọc Lan", "Nữ", "1998-09-09", 89,
                "Số 66 Lê Lai, phường Bến Thành, quận 1, TP. Hồ Chí Minh"),
         ["tk_lltp", "cccd", "cu_tru"], [], father_name="Châu Văn Thiện", mother_name="Trần Thị Bé",
         history=[])

    records.sort(key=lambda r: (r.received, r.agency))
    used: set[str] = set()
    seq_rng = random.Random(SEED + 1)
    for n, rec in enumerate(records):
        assert working_day(rec.received), rec.received
        while True:
            code = f"{AGENCIES[rec.agency][0]}-{rec.received:%y%m%d}-{seq_rng.randint(1, 48):04d}"
            if code not in used:
                break
        used.add(code)
        rec.code = code
        rec.ctx.setdefault("received", rec.received)
        rec.ctx.setdefault("registered", rec.due)
        rec.ctx.setdefault("number", str(seq_rng.randint(10, 400)))
        check_id(rec.applicant)
        for value in list(rec.ctx.values()) + list(rec.ctx.get("old_gks", {}).values()):
            if isinstance(value, Person):
                check_id(value)
    return records


# ---------------------------------------------------------------------------------------------
# Output

def write_register(records: list[Rec]) -> None:
    with open(REGISTER, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(REGISTER_HEADER)
        for rec in records:
            proc = PROCEDURES[rec.procedure]
            fmt = (lambda d: d.isoformat()) if rec.iso else dmy
            writer.writerow([nfc(str(v)) for v in [
                rec.code, proc.code, proc.name, AGENCIES[rec.agency][1], rec.channel,
                fmt(rec.received), fmt(rec.due), rec.applicant.name, rec.applicant.id,
                "true" if proc.paper_result else "false",
                ";".join(COMP[c] for c in rec.components),
            ]])


def write_scans(records: list[Rec]) -> list[tuple[str, str, str, int]]:
    rows = []
    for r_index, rec in enumerate(records):
        folder = SCANS / rec.code
        number = 0
        for s_index, scan in enumerate(rec.scans):
            assert scan.component is None or scan.component in rec.components, (rec.code, scan)
            seed = SEED + 100 * r_index + 10 * s_index
            images = [render(page, seed + k) for k, page in enumerate(scan.paper(rec.ctx))]
            component = "" if scan.component is None else COMP[scan.component]
            prefix = "ket-qua-" if scan.component is None else ""
            files = []
            if scan.fmt in ("png-pages", "jpg-pages"):
                ext = scan.fmt.split("-")[0]
                assert len(scan.names) == len(images)
                for image, suffix in zip(images, scan.names):
                    number += 1
                    files.append((folder / f"{number:02d}-{prefix}{scan.slug}-{suffix}.{ext}", [image]))
            else:
                number += 1
                files.append((folder / f"{number:02d}-{prefix}{scan.slug}.{scan.fmt}", images))
            for path, pages in files:
                assert path.name.isascii()
                if path.suffix == ".png":
                    assert len(pages) == 1
                    save(pages[0], path, optimize=True)
                elif path.suffix == ".jpg":
                    assert len(pages) == 1
                    save(pages[0], path, quality=80)
                elif path.suffix == ".tif":
                    save_multipage(pages, path, compression="tiff_deflate")
                elif path.suffix == ".pdf":
                    save_multipage(pages, path, quality=70, title=f"{rec.code} {scan.slug}",
                                   creationDate=PDF_DATE, modDate=PDF_DATE, producer="Sohoa samples")
                else:
                    raise ValueError(path)
                rows.append((path.relative_to(ROOT).as_posix(), rec.code, component, 0 if scan.component else 1))
    return rows


def write_manifest(rows) -> None:
    with open(MANIFEST, "w", encoding="utf-8", newline="") as f:
        f.write("file\trecord_code\tcomponent\tresult\n")
        for file, code, component, result in rows:
            assert "\t" not in component and "\n" not in component
            f.write(f"{file}\t{code}\t{nfc(component)}\t{result}\n")


def outputs_exist() -> bool:
    if not (REGISTER.is_file() and MANIFEST.is_file()):
        return False
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()[1:]
    return bool(lines) and all((ROOT / line.split("\t")[0]).is_file() for line in lines)


def summary(records: list[Rec], rows) -> str:
    scanned = {}
    for _, code, component, result in rows:
        scanned.setdefault(code, set()).add("\0result" if result else component)
    full = partial = none = 0
    for rec in records:
        have = scanned.get(rec.code, set())
        comps = {COMP[c] for c in rec.components}
        needs_result = PROCEDURES[rec.procedure].paper_result
        if comps <= have and (not needs_result or "\0result" in have):
            full += 1
        elif have:
            partial += 1
        else:
            none += 1
    size = sum((ROOT / f).stat().st_size for f, *_ in rows)
    return (f"{len(records)} records, {len(rows)} scan files ({size / 1e6:.2f} MB); "
            f"fully digitized {full}, partly {partial}, not at all {none}")


def main(argv: list[str]) -> int:
    if argv and argv[0] not in ("--check",) or len(argv) > 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: python samples/make_samples.py [--check]", file=sys.stderr)
        return 2
    if argv == ["--check"] and outputs_exist():
        return 0
    records = build_records()
    if SCANS.exists():
        shutil.rmtree(SCANS)
    SCANS.mkdir(parents=True)
    write_register(records)
    rows = write_scans(records)
    write_manifest(rows)
    print(summary(records, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
