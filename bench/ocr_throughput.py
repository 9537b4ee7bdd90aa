"""OCR throughput: raw parallel Tesseract vs `sohoa scan` vs OCRmyPDF on the same scanned batch.

    .venv/bin/python bench/ocr_throughput.py              # 40 pages: speed of (a), (b), (c)
    .venv/bin/python bench/ocr_throughput.py --pages 200 --only b   # the memory figure

Builds N Vietnamese A4 pages at 300 dpi (samples/render.py, scanner dust, a slight random skew of
up to ±1.5°), stores them as one multi-page PDF of JPEG pages (as a scanner's feeder does), and
extracts the very same JPEGs as page files for raw Tesseract. Then, in one run:

  (a) `tesseract PAGE out -l vie+eng pdf` over all pages, one process per core, OMP_THREAD_LIMIT=1
  (b) `sohoa scan batch.pdf` into a fresh archive (deskew, orientation check, blank check included)
  (c) `ocrmypdf -l vie+eng --output-type pdf --jobs CORES` where installed (bench/out/ocrmypdf-venv)

and prints pages/min for each, the ratios b/a and b/c, and the peak memory of (b): the sum of the
resident memory of sohoa and every process under it (workers, Tesseracts), polled every 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from PIL import Image
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from samples.render import render_page  # noqa: E402

OUT = ROOT / "bench" / "out"
CORES = os.cpu_count() or 1
OCRMYPDF = OUT / "ocrmypdf-venv" / "bin" / "ocrmypdf"

NAMES = ["Nguyễn Văn An", "Đặng Thị Hương", "Trần Thị Ngọc Ánh", "Phạm Đức Thắng", "Lê Hoàng Bảo Châu"]
TITLES = ["TỜ KHAI ĐĂNG KÝ KHAI SINH", "GIẤY CHỨNG SINH", "TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP",
          "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "ĐƠN ĐỀ NGHỊ CẤP BẢN SAO"]
BODY = [
    "Kính gửi: Ủy ban nhân dân phường Bến Nghé, quận 1, Thành phố Hồ Chí Minh.",
    "Họ, chữ đệm, tên người yêu cầu: {name}",
    "Nơi cư trú: số 12 đường Lê Duẩn, phường Bến Nghé, quận 1, Thành phố Hồ Chí Minh",
    "Giấy tờ tùy thân: Căn cước công dân số 079203001234, cấp ngày 15/04/2021",
    "Quan hệ với người được khai sinh: cha đẻ. Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
    "Ngày, tháng, năm sinh: 05/11/2023, ghi bằng chữ: ngày năm tháng mười một năm hai nghìn không trăm hai mươi ba",
    "Nơi sinh: Bệnh viện Từ Dũ, Thành phố Hồ Chí Minh. Dân tộc: Kinh. Quốc tịch: Việt Nam",
    "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, được sự thỏa thuận",
    "nhất trí của các bên liên quan theo quy định pháp luật. Tôi chịu hoàn toàn trách nhiệm trước",
    "pháp luật về nội dung cam đoan của mình. Làm tại Thành phố Hồ Chí Minh, ngày 05 tháng 01 năm 2026.",
    "Người yêu cầu ký, ghi rõ họ, chữ đệm, tên.",
]


def build(pages: int, folder: Path) -> tuple[Path, list[Path]]:
    """The batch PDF and its pages as JPEG files (the same bytes the PDF embeds)."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / "batch.pdf"
    rng = random.Random(2026)
    if not pdf.exists():
        images = []
        for n in range(pages):
            name = NAMES[n % len(NAMES)]
            lines = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", TITLES[n % len(TITLES)]]
            body = [line.format(name=name) for line in BODY]
            lines += (body * 3)[: 22 + n % 6] + [f"Trang {n + 1}"]
            image = render_page(lines, dpi=300, title_lines=3, noise=0.0005, seed=n)
            skew = rng.uniform(-1.5, 1.5)
            image = image.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
            image.info["dpi"] = (300, 300)
            images.append(image)
        first, *rest = images
        first.save(pdf, save_all=True, append_images=rest, resolution=300.0, quality=85)
    jpegs = []
    for n, page in enumerate(PdfReader(pdf).pages, 1):
        (image,) = page["/Resources"]["/XObject"].values()
        path = folder / f"page-{n:04d}.jpg"
        path.write_bytes(image.get_object().get_data())  # the stream as stored (pypdf's .images re-encodes)
        jpegs.append(path)
    return pdf, jpegs


def timed(run) -> tuple[float, int, int]:
    """Wall time of `run()` (which returns a Popen) and the peak memory of its process tree: the sum
    of RSS (counts pages forked workers share with their parent once per process) and of PSS
    (shares them out: the memory the tree really holds)."""
    start = time.monotonic()
    proc = run()
    peak_rss = peak_pss = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        rss = pss = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                info = p.memory_full_info()
                rss += info.rss
                pss += info.pss
        except psutil.Error:
            pass  # a Tesseract ended between listing and reading: take the next sample
        else:
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{proc.args[:3]} failed with exit code {proc.returncode} (see bench/out/*/sohoa-scan.log)")
    return elapsed, peak_rss, peak_pss


def raw_tesseract(jpegs: list[Path], folder: Path) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(page: Path):
        subprocess.run(["tesseract", str(page), str(folder / page.stem), "-l", "vie+eng", "pdf"],
                       check=True, capture_output=True, env=env)

    folder.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with ThreadPoolExecutor(CORES) as pool:
        list(pool.map(one, jpegs))
    return time.monotonic() - start


def sohoa_scan(pdf: Path, archive: Path) -> tuple[float, int, int]:
    shutil.rmtree(archive, ignore_errors=True)
    sohoa = Path(sys.executable).with_name("sohoa")
    log = open(archive.parent / "sohoa-scan.log", "w")  # progress lines, and the reason if it fails
    with log:
        return timed(lambda: subprocess.Popen([str(sohoa), "scan", str(pdf), "--archive", str(archive), "--json"],
                                              stdout=subprocess.DEVNULL, stderr=log))


def ocrmypdf(pdf: Path, out: Path) -> float | str:
    if not OCRMYPDF.exists():
        return f"not installed ({OCRMYPDF})"
    probe = subprocess.run([str(OCRMYPDF), "--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"does not run: {probe.stderr.strip().splitlines()[-1:]}"
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    start = time.monotonic()
    run = subprocess.run([str(OCRMYPDF), "-l", "vie+eng", "--output-type", "pdf", "--jobs", str(CORES),
                          str(pdf), str(out)], capture_output=True, text=True, env=env)
    if run.returncode != 0:
        return f"failed: {run.stderr.strip().splitlines()[-1:]}"
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--only", choices=["a", "b", "c"], action="append", help="run only these (repeatable)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run (a) and (b) this many times, alternating their order, and keep each one's best: "
                             "on a shared machine the best run is the least disturbed")
    args = parser.parse_args()
    wanted = set(args.only or "abc")
    folder = OUT / f"throughput-{args.pages}"
    pdf, jpegs = build(args.pages, folder)
    n = len(jpegs)
    print(f"{n} pages A4 300 dpi (JPEG in one PDF, {pdf.stat().st_size / 1e6:.1f} MB), {CORES} cores")

    def rate(seconds: float) -> float:
        return n / seconds * 60

    a = b = c = None
    rss = pss = 0
    for turn in range(args.repeat):
        for which in ("ab" if turn % 2 == 0 else "ba"):
            if which == "a" and "a" in wanted:
                seconds = raw_tesseract(jpegs, folder / "raw")
                print(f"    run {turn + 1}: (a) {seconds:.1f} s  (load {os.getloadavg()[0]:.1f})")
                a = min(a or seconds, seconds)
            if which == "b" and "b" in wanted:
                seconds, run_rss, run_pss = sohoa_scan(pdf, folder / "archive")
                print(f"    run {turn + 1}: (b) {seconds:.1f} s  (load {os.getloadavg()[0]:.1f})")
                b, rss, pss = min(b or seconds, seconds), max(rss, run_rss), max(pss, run_pss)
    if a:
        print(f"(a) raw tesseract -l vie+eng pdf, {CORES} in parallel: {a:6.1f} s  {rate(a):6.1f} pages/min")
    if b:
        print(f"(b) sohoa scan batch.pdf:                         {b:6.1f} s  {rate(b):6.1f} pages/min"
              f"  peak memory of the process tree: RSS {rss / 2**20:.0f} MB, PSS {pss / 2**20:.0f} MB")
    if "c" in wanted:
        c = ocrmypdf(pdf, folder / "ocrmypdf.pdf")
        if isinstance(c, str):
            print(f"(c) ocrmypdf: {c}")
            c = None
        else:
            print(f"(c) ocrmypdf -l vie+eng --jobs {CORES}:               {c:6.1f} s  {rate(c):6.1f} pages/min")
    if a and b:
        print(f"b/a = {rate(b) / rate(a):.2f}  (target >= 0.90)")
    if b and c:
        print(f"b/c = {rate(b) / rate(c):.2f}  (target >= 1.30)")


if __name__ == "__main__":
    main()
