"""Poor scans are read anyway, through `sohoa scan`: faded photocopies, blurred ID cards, straight
pages with pictures or non-square pixels; a dusty back is still blank, and a page whose ink gives
no words says so. Pages rendered at test time, read by the real Tesseract."""

from __future__ import annotations

import random

from PIL import Image
from pypdf import PdfReader

from samples.papers import Style, paper_set, render
from samples.render import add_picture, degrade, render_page, save, save_multipage
from tests.conftest import page_lines

LAN = page_lines("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "Nguyễn Thị Lan",
                 ["Ngày, tháng, năm sinh: 02/09/1990", "Nơi cư trú: phường Hàng Trống, quận Hoàn Kiếm, Hà Nội"])
BINH = page_lines("TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP", "Trần Văn Bình",
                  ["Ngày, tháng, năm sinh: 11/12/1984", "Nơi sinh: Thành phố Đà Nẵng. Quốc tịch: Việt Nam"])
UNREADABLE = "faded or unreadable, rescan with more contrast"


def sheet(lines: list[str], dpi: int = 300, point_size: float = 12, height_mm: int = 150, seed: int = 1) -> Image.Image:
    return render_page(lines, dpi=dpi, size_mm=(210, height_mm), title_lines=3, point_size=point_size,
                       noise=0.0005, seed=seed)


def scanned_as(image: Image.Image, path):
    """The page saved as a scanner would: JPEG at quality 80, or losslessly by the suffix."""
    if path.suffix == ".jpg":
        return save(image.convert("RGB") if image.mode != "L" else image, path, quality=80)
    return save(image, path)


def grey_dusty_back(dpi: int) -> Image.Image:
    """The back of a sheet of grey recycled paper: grain, dust, the front faintly showing through."""
    front = sheet(BINH, dpi=dpi).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    back = degrade(front.point(lambda v: 255 - (255 - v) * 6 // 100), paper=215, grain=10, seed=4)
    rng = random.Random(5)
    pixels = back.load()
    for _ in range(back.width * back.height // 1000):
        pixels[rng.randrange(back.width), rng.randrange(back.height)] = rng.randint(0, 120)
    return back


def test_a_faded_photocopy_is_read_archived_as_scanned_and_found_by_its_holders_name(sohoa, tmp_path):
    # grey print on grey paper, once clean (a greyscale TIFF), once grainy and a little soft (a JPEG,
    # from which Tesseract reads nothing unless the grain is smoothed and the contrast stretched)
    tiff = scanned_as(degrade(sheet(LAN), ink=150, paper=215), tmp_path / "ban-sao.tif")
    jpeg = scanned_as(degrade(sheet(LAN, point_size=10, seed=2), ink=170, paper=210, blur=1, grain=12, seed=2),
                      tmp_path / "ban-sao-mo.jpg")

    rows = sohoa.jsonl("scan", tiff, jpeg)

    assert [(r["status"], r["rescan"]) for r in rows] == [("new", []), ("new", [])]
    found = sohoa.json("search", "nguyen thi lan")
    assert sorted(hit["id"] for hit in found) == sorted(r["id"] for r in rows)
    # the archived page shows the JPEG as scanned, byte for byte, under the text read from the prepared copy
    archived = PdfReader(rows[1]["pdf_path"]).pages[0]
    (image,) = archived["/Resources"]["/XObject"].values()
    assert image.get_object().get_data() == jpeg.read_bytes()
    assert "Nguyễn Thị Lan" in archived.extract_text()


def test_a_blurred_id_card_gives_its_holders_citizen_id(sohoa, tmp_path):
    card = next(p for p in paper_set(60) if "cccd" in p.name and p.truth["holder_id"])
    style = Style(**{**card.style.__dict__, "dpi": 300, "point": 10, "angle": 0.0, "noise": 0.0005})
    # a cheap camera's copy: out of focus by 4 px at 300 dpi, grainy, JPEG
    photo = scanned_as(degrade(render(card.rows, style, seed=1), blur=4, grain=15, seed=3), tmp_path / "cccd.jpg")

    (row,) = sohoa.jsonl("scan", photo)

    assert row["status"] == "new" and not row["rescan"]
    assert [hit["id"] for hit in sohoa.json("search", f"id:{card.truth['holder_id']}")] == [row["id"]]
    assert row["id"] in [hit["id"] for hit in sohoa.json("search", f"holder:\"{card.truth['holder_name']}\"")]


def test_a_dusty_back_of_grey_paper_still_separates_faded_papers(sohoa, tmp_path):
    faded = [degrade(sheet(lines, dpi=200, seed=n), ink=160, paper=215, grain=8, seed=n)
             for n, lines in enumerate((LAN, BINH))]
    batch = save_multipage([faded[0], grey_dusty_back(200), faded[1]], tmp_path / "feeder.tif")

    rows = sohoa.jsonl("scan", batch, "--split", "blank")

    assert [(r["status"], r["page_range"], r["rescan"]) for r in rows] == [("new", "1", []), ("new", "3", [])]
    assert "Nguyễn Thị Lan" in sohoa("text", rows[0]["id"]).stdout
    assert "Trần Văn Bình" in sohoa("text", rows[1]["id"]).stdout


def test_straight_pages_with_a_picture_or_non_square_pixels_are_not_turned_and_are_read(sohoa, tmp_path):
    # text above a figure: hatching slanted 10° across the page, a portrait; and a page of 200×100 dpi
    hatched = add_picture(sheet(LAN, dpi=200, height_mm=297), "hatching", (0.1, 0.5, 0.9, 0.95))
    portrait = add_picture(sheet(BINH, height_mm=297), "photo", (0.55, 0.5, 0.92, 0.95))
    flat = sheet(LAN, dpi=200, seed=3)
    flat = flat.resize((flat.width, flat.height // 2))
    flat.info["dpi"] = (200, 100)
    paths = [scanned_as(image, tmp_path / name) for image, name in
             ((hatched, "hatched.png"), (portrait, "portrait.jpg"), (flat, "flat.png"))]

    rows = sohoa.jsonl("scan", *paths)

    for row, name in zip(rows, ("Nguyễn Thị Lan", "Trần Văn Bình", "Nguyễn Thị Lan")):
        (page,) = sohoa.json("show", row["id"])["pages"]
        assert (row["source_name"], page["rotation"], page["skew"]) == (row["source_name"], 0, 0.0)
        assert name in sohoa("text", row["id"]).stdout, row["source_name"]


def test_a_page_whose_ink_gives_no_words_is_flagged_unreadable_not_blank(sohoa, tmp_path):
    washed_out = degrade(sheet(LAN), ink=120, paper=200, blur=12, grain=8, seed=6)  # grey, and a blur of 1 mm

    (row,) = sohoa.jsonl("scan", scanned_as(washed_out, tmp_path / "mo.jpg"))

    assert row["status"] == "new" and row["rescan"] == [f"page 1: {UNREADABLE}"]
    assert [r["reasons"] for r in sohoa.json("rescan")] == [[UNREADABLE]]


def test_a_multi_page_tiff_in_fax_resolution_keeps_its_pixels_squared(sohoa, tmp_path):
    # TIFF frames become work PNGs before OCR; their 200×100 dpi must survive that, or the page is
    # read squashed to half its height
    frames = []
    for seed, lines in ((3, LAN), (4, BINH)):
        flat = sheet(lines, dpi=200, seed=seed)
        flat = flat.resize((flat.width, flat.height // 2))
        flat.info["dpi"] = (200, 100)
        frames.append(flat)
    path = tmp_path / "fax.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(200, 100), compression="tiff_lzw")

    (row,) = sohoa.jsonl("scan", path)

    pages = sohoa.json("show", row["id"])["pages"]
    assert [(p["rotation"], p["skew"]) for p in pages] == [(0, 0.0), (0, 0.0)]
    text = sohoa("text", row["id"]).stdout
    assert "Nguyễn Thị Lan" in text and "Trần Văn Bình" in text
