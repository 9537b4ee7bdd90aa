"""OCR throughput: raw parallel Tesseract vs `sohoa scan` vs OCRmyPDF on the same scanned batches.

    .venv/bin/python bench/ocr_throughput.py              # 40 pages of each batch: (a), (b), (c)
    .venv/bin/python bench/ocr_throughput.py --batch mixed --repeat 2   # the mixed-language batch only
    .venv/bin/python bench/ocr_throughput.py --pages 200 --only b --batch clean   # the memory figure

Builds N A4 pages at 300 dpi (samples/render.py, scanner dust, a slight random skew of up to ±1.5°),
stores them as one multi-page PDF of JPEG pages (as a scanner's feeder does), and extracts the very
same JPEGs as page files for raw Tesseract. Two batches: *clean*, N Vietnamese pages; *mixed*, half
Vietnamese and half English pages in runs of 1-4 (papers as a feeder stack holds them), their lines
wrapped to the page so that the text read can be scored. Then, for each batch, in one run:

  (a) `tesseract PAGE out -l vie+eng pdf` over all pages, one process per core, OMP_THREAD_LIMIT=1
  (b) `sohoa scan batch.pdf` into a fresh archive (deskew, orientation check, blank check included)
  (c) `ocrmypdf -l vie+eng --output-type pdf --jobs CORES` where installed (bench/out/ocrmypdf-venv),
      on the clean batch

and prints pages/min for each, the ratios b/a and b/c, and the peak memory of (b): the sum of the
resident memory of sohoa and every process under it (workers, Tesseracts), polled every 50 ms. The
CPU time of (a) and (b) (their whole process trees) is printed too, and b/a by CPU time: on a
machine shared with other work, wall times swing with the load, CPU times much less. For
the mixed batch it also prints the language (b) recorded for each kind of page and its character
error rate per language (with marks, and with marks stripped) against the rendered text.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from PIL import Image, ImageFont
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from samples.render import font_path, page_size, render_page  # noqa: E402
from textscore import distance, unmarked  # noqa: E402  (bench/, beside this script)

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


EN_TITLES = ["INVESTMENT REGISTRATION CERTIFICATE", "CERTIFICATE OF INCORPORATION", "BOARD RESOLUTION",
             "LETTER OF AUTHORIZATION", "CERTIFICATE OF GOOD STANDING"]
EN_COMPANIES = ["Pacific Star", "Northern Light", "Golden Bridge", "Blue Ocean", "Summit Precision"]
EN_BODY = [
    "This certificate is issued to {name} Company Limited, a company incorporated under the laws of",
    "Singapore with its registered office at 80 Robinson Road, #17-02, Singapore 068898.",
    "The investor is permitted to carry out the investment project described below in the VSIP II",
    "Industrial Park, Bình Dương Province, subject to the conditions stated in this certificate.",
    "Project name: manufacturing of precision electronic components for export markets.",
    "Total investment capital: fifty million United States dollars (USD 50,000,000), of which the",
    "contributed capital of the investor is fifteen million United States dollars (USD 15,000,000).",
    "Duration of the project: fifty (50) years from the date of issue of the first certificate.",
    "The board of directors resolved unanimously to appoint Mr. John Michael Smith, passport",
    "No. C4851207, as the legal representative, with full authority to sign all documents.",
    "Witness our hands this fifth day of January, two thousand and twenty six.",
]


def page_lines(n: int, english: bool = False) -> list[str]:
    if english:
        lines = ["SOCIALIST REPUBLIC OF VIETNAM", "Independence - Freedom - Happiness", EN_TITLES[n % len(EN_TITLES)]]
        body = [line.format(name=EN_COMPANIES[n % len(EN_COMPANIES)]) for line in EN_BODY]
        return lines + (body * 3)[: 22 + n % 6] + [f"Page {n + 1}"]
    lines = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", TITLES[n % len(TITLES)]]
    body = [line.format(name=NAMES[n % len(NAMES)]) for line in BODY]
    return lines + (body * 3)[: 22 + n % 6] + [f"Trang {n + 1}"]


def fitted(lines: list[str], dpi: int = 300) -> list[str]:
    """`lines` broken between words to fit render_page's 12 pt lines on A4 (the clean batch's run off
    the right edge), and as many as the page holds: the text a reading can be scored against."""
    font = ImageFont.truetype(str(font_path("serif")), round(12 * dpi / 72))
    width, height = page_size(dpi)
    margin, step = round(20 / 25.4 * dpi), round(12 * dpi / 72 * 1.7)
    out = []
    for line in lines:
        current = ""
        for word in line.split():
            if current and font.getlength(f"{current} {word}") > width - 2 * margin:
                out.append(current)
                current = word
            else:
                current = f"{current} {word}".strip()
        out.append(current)
    return out[: (height - 2 * margin) // step]


def mixed_languages(pages: int) -> list[bool]:
    """True for an English page: runs of 3, 1, 2 and 4 pages, each Vietnamese then English."""
    english = []
    while len(english) < pages:
        for run in (3, 1, 2, 4):
            english += [False] * run + [True] * run
    return english[:pages]


def build(pages: int, folder: Path, mixed: bool = False) -> tuple[Path, list[Path]]:
    """The batch PDF and its pages as JPEG files (the same bytes the PDF embeds)."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / "batch.pdf"
    rng = random.Random(2026)
    if not pdf.exists():
        images = []
        for n in range(pages):
            if mixed:
                lines = fitted(page_lines(n, mixed_languages(pages)[n]))
            else:
                lines = page_lines(n)
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


def scored(archive: Path, pages: int) -> dict[str, dict]:
    """Per language of the mixed batch: the languages (b) recorded for its pages, and the character
    error rate of (b)'s text against the rendered lines, with marks and with marks stripped."""
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        (text,) = db.execute("SELECT text FROM papers").fetchone()
        recorded = [language for (language,) in db.execute("SELECT language FROM pages ORDER BY page_no")]
    read = text.split("\f")
    table: dict[str, dict] = {}
    for n, english in enumerate(mixed_languages(pages)):
        truth = " ".join(unicodedata.normalize("NFC", " ".join(fitted(page_lines(n, english)))).split())
        got = " ".join(read[n].split())
        row = table.setdefault("English" if english else "Vietnamese",
                               {"pages": 0, "languages": {}, "errors": 0, "errors_unmarked": 0, "chars": 0})
        row["pages"] += 1
        row["languages"][recorded[n]] = row["languages"].get(recorded[n], 0) + 1
        row["errors"] += distance(got, truth)
        row["errors_unmarked"] += distance(unmarked(got), unmarked(truth))
        row["chars"] += len(truth)
    return table


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


def children_cpu() -> float:
    """CPU seconds of every finished process this one has waited for (and theirs, waited for by them)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
    parser.add_argument("--batch", choices=["clean", "mixed", "both"], default="both",
                        help="clean: Vietnamese pages; mixed: half Vietnamese, half English pages")
    parser.add_argument("--only", choices=["a", "b", "c"], action="append", help="run only these (repeatable)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run (a) and (b) this many times, alternating their order, and keep each one's best: "
                             "on a shared machine the best run is the least disturbed")
    args = parser.parse_args()
    wanted = set(args.only or "abc")
    for batch in (["clean", "mixed"] if args.batch == "both" else [args.batch]):
        run_batch(batch, args.pages, wanted, args.repeat)


def run_batch(batch: str, pages: int, wanted: set[str], repeat: int) -> None:
    mixed = batch == "mixed"
    folder = OUT / (f"throughput-mixed-{pages}" if mixed else f"throughput-{pages}")
    pdf, jpegs = build(pages, folder, mixed=mixed)
    n = len(jpegs)
    kind = "half Vietnamese, half English" if mixed else "Vietnamese"
    print(f"{batch} batch: {n} pages A4 300 dpi, {kind} (JPEG in one PDF, {pdf.stat().st_size / 1e6:.1f} MB), "
          f"{CORES} cores")

    def rate(seconds: float) -> float:
        return n / seconds * 60

    a = b = c = None
    cpu: dict[str, float] = {}  # the least CPU time a run of (a) or (b) took: what a shared machine disturbs least
    rss = pss = 0
    for turn in range(repeat):
        for which in ("ab" if turn % 2 == 0 else "ba"):
            if which not in wanted:
                continue
            before = children_cpu()
            if which == "a":
                seconds = raw_tesseract(jpegs, folder / "raw")
                a = min(a or seconds, seconds)
            else:
                seconds, run_rss, run_pss = sohoa_scan(pdf, folder / "archive")
                b, rss, pss = min(b or seconds, seconds), max(rss, run_rss), max(pss, run_pss)
            used = children_cpu() - before
            cpu[which] = min(cpu.get(which, used), used)
            print(f"    run {turn + 1}: ({which}) {seconds:.1f} s, CPU {used:.1f} s  (load {os.getloadavg()[0]:.1f})")
    if a:
        print(f"(a) raw tesseract -l vie+eng pdf, {CORES} in parallel: {a:6.1f} s  {rate(a):6.1f} pages/min"
              f"  CPU {cpu['a']:.1f} s")
    if b:
        print(f"(b) sohoa scan batch.pdf:                         {b:6.1f} s  {rate(b):6.1f} pages/min"
              f"  CPU {cpu['b']:.1f} s  peak memory of the process tree: RSS {rss / 2**20:.0f} MB, PSS {pss / 2**20:.0f} MB")
    if "c" in wanted and not mixed:
        c = ocrmypdf(pdf, folder / "ocrmypdf.pdf")
        if isinstance(c, str):
            print(f"(c) ocrmypdf: {c}")
            c = None
        else:
            print(f"(c) ocrmypdf -l vie+eng --jobs {CORES}:               {c:6.1f} s  {rate(c):6.1f} pages/min")
    if a and b:
        print(f"b/a = {rate(b) / rate(a):.2f}  (target >= 0.90); by CPU time {cpu['a'] / cpu['b']:.2f}")
    if b and c:
        print(f"b/c = {rate(b) / rate(c):.2f}  (target >= 1.30)")
    if b and mixed:
        print("(b) on the mixed batch: | pages | languages recorded | CER | CER without marks |")
        for language, row in scored(folder / "archive", n).items():
            languages = ", ".join(f"{k} {v}" for k, v in sorted(row["languages"].items()))
            print(f"    {language:10} | {row['pages']:3} | {languages:22} | {row['errors'] / row['chars']:6.2%} |"
                  f" {row['errors_unmarked'] / row['chars']:6.2%} |")
    print()


if __name__ == "__main__":
    main()
