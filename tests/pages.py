"""Pages as scanners give them, rendered at test time: a paper, the same turned or skewed, a blank back
with show-through, a reception receipt with its record code in a QR (the prepare, scan, show, watch
and rescan tests share them)."""

from __future__ import annotations

import io
import random

import segno
from PIL import Image

from samples.render import render_page
from tests.conftest import page_lines

PAGE_MM = (210, 150)
AN = page_lines("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Nguyễn Văn An",
                ["Ngày, tháng, năm sinh: 05/11/2023", "Nơi sinh: Bệnh viện Từ Dũ, Thành phố Hồ Chí Minh",
                 "Quốc tịch: Việt Nam. Dân tộc: Kinh"])


def page(lines: list[str], dpi: int = 300, seed: int = 1) -> Image.Image:
    return render_page(lines, dpi=dpi, size_mm=PAGE_MM, title_lines=3, noise=0.0005, seed=seed)


def turned(image: Image.Image, degrees: float) -> Image.Image:
    """The page as a scanner gives it when put in crooked (counter-clockwise degrees), dpi kept."""
    if degrees % 90 == 0:
        out = image.rotate(degrees, expand=True)
    else:
        out = image.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=255)
    out.info["dpi"] = image.info["dpi"]
    return out


def blank_back(dpi: int = 300, seed: int = 7, strength: int = 12) -> Image.Image:
    """The back of a printed sheet: scanner dust and the front's text faintly showing through."""
    front = page(AN, dpi=dpi, seed=seed).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    faint = front.point(lambda v: 255 - (255 - v) * strength // 100)  # ink at ~12 % strength: grey 224
    rng = random.Random(seed)
    pixels = faint.load()
    for _ in range(faint.width * faint.height // 1000):  # 0.1 % dust specks
        pixels[rng.randrange(faint.width), rng.randrange(faint.height)] = rng.randint(0, 120)
    faint.info["dpi"] = (dpi, dpi)
    return faint


def receipt(record_code: str, dpi: int = 300) -> Image.Image:
    """A reception receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) whose QR holds the record code."""
    image = render_page(["UBND PHƯỜNG BẾN NGHÉ", "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
                         "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", f"Mã hồ sơ: {record_code}",
                         "Ngày hẹn trả kết quả: 08/01/2026"], dpi=dpi, size_mm=PAGE_MM, title_lines=3, noise=0.0005)
    qr = io.BytesIO()
    segno.make(f"https://dichvucong.gov.vn/tra-cuu?ma={record_code}", error="m").save(qr, kind="png", scale=6, border=2)
    qr_image = Image.open(io.BytesIO(qr.getvalue())).convert("L")
    image.paste(qr_image, (image.width - qr_image.width - dpi // 3, image.height - qr_image.height - dpi // 3))
    image.info["dpi"] = (dpi, dpi)
    return image
