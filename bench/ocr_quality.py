"""OCR quality on poor scans: Sohoa's page path beside plain Tesseract, same pages, same run.

    .venv/bin/pip install rapidfuzz                       # or: pip install -e '.[bench]'
    .venv/bin/python bench/ocr_quality.py                 # 70 pages, ~6 min on 2 cores
    .venv/bin/python bench/ocr_quality.py --tree /tmp/sohoa-main   # Sohoa's path from another checkout
    .venv/bin/python bench/ocr_quality.py --classes clean,blurred --per-class 4   # a quick look
    .venv/bin/python bench/ocr_quality.py --preparations --classes clean,faded,blurred,noisy
                                                          # which preparation of a poor page reads best

Renders its own corpus (samples/render.py, samples/papers.py): Vietnamese forms of 14 types and
Vietnamese and English running text, at 300 and 200 dpi, as PNG, greyscale TIFF or JPEG, in these
classes: clean; faded photocopies (grey print on grey paper at several contrasts, some grainy or
slightly soft); over-bright scans; pale colour paper (pink, blue, yellow forms); blurred (a Gaussian
of 1-3 px at 300 dpi, with a little grain, JPEG; ID cards among them); noisy (heavy grain);
and straight pages that are hard to deskew (a photo, an engraving's hatching or a map on the page,
non-square pixels). Each page is then read

  (plain) by `tesseract PAGE - -l vie` (English pages: `-l vie+eng`), one process per core,
          OMP_THREAD_LIMIT=1;
  (sohoa) by Sohoa's page path, `digitize.scan.pages.read_page` — blank check, skew, orientation,
          preparation of poor pages, OCR — one worker process per core, from this checkout or from
          `--tree DIR` (e.g. `git archive main | tar -x -C DIR`, to compare with main);

and scored against the text it was rendered from, per class: CER (character edit distance over
the truth's length, whitespace folded), CER without diacritics (marks and đ folded on both sides),
bag-of-words recall (the truth's words, lower-cased, found in the reading, with multiplicity),
and pages wrongly called blank (Sohoa) or read as nothing at all (plain). Also the CPU seconds a
page costs (less disturbed by other work on the machine than wall time; each path's wall time is
printed as it ends). Prints the table (Markdown) and the issue's targets.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from textscore import distance, unmarked  # bench/, beside this script

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "ocr-quality"
CORES = os.cpu_count() or 1

VI_TEXT = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung",
    "một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương năm 2019;",
    "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ về thực hiện thủ tục",
    "hành chính trên môi trường điện tử; xét đề nghị của Trưởng phòng Tư pháp quận Hoàn Kiếm.",
    "Điều 1. Chấp thuận hồ sơ đề nghị của bà Nguyễn Thị Lan, sinh ngày 02 tháng 9 năm 1990,",
    "số định danh cá nhân 001190012345, nơi cư trú tại số 18 phố Hàng Trống, phường Hàng Trống.",
    "Điều 2. Giao Bộ phận tiếp nhận và trả kết quả thông báo cho người yêu cầu, số hóa hồ sơ và",
    "lưu trữ bản điện tử theo quy định; thời hạn giải quyết không quá năm ngày làm việc.",
    "Điều 3. Chánh Văn phòng Ủy ban nhân dân quận, Trưởng phòng Tư pháp, Chủ tịch Ủy ban nhân dân",
    "phường Hàng Trống và bà Đặng Thị Hương chịu trách nhiệm thi hành Quyết định này./.",
    "Nơi nhận: như Điều 3; lưu VT, TP. Ký thay Chủ tịch, Phó Chủ tịch Trần Văn Bình.",
]
EN_TEXT = [
    "INVESTMENT REGISTRATION CERTIFICATE",
    "Project code: 2143658709. First registration: 12 March 2024. Second amendment: 30 June 2025.",
    "Investor: GREEN HARBOUR LOGISTICS PTE. LTD., a company established under the laws of Singapore,",
    "enterprise registration number 201912345K, registered office at 10 Anson Road, Singapore.",
    "Legal representative: Mr. David Tan Wei Ming, Director, born on 04 February 1978, passport",
    "number K1234567 issued by the Immigration and Checkpoints Authority of Singapore.",
    "Project name: Green Harbour warehouse and distribution centre. Objectives: warehousing,",
    "cargo handling and logistics services. Location: Lot C2, Dinh Vu Industrial Zone, Hai Phong.",
    "Land area: 52,000 square metres. Total investment capital: 250,000,000,000 dong, equal to",
    "ten million United States dollars, of which the investor contributes 50,000,000,000 dong.",
    "Duration of the project: 50 years from the date of issue of the first certificate.",
]


@dataclass
class PageSpec:
    name: str
    cls: str
    lang: str  # vie | eng
    dpi: int
    path: str
    truth: str


@dataclass
class Reading:
    text: str = ""
    blank: bool = False
    words: int = 0
    confidence: float | None = None
    rescan: list[str] = field(default_factory=list)
    seconds: float = 0.0


# -- the corpus ----------------------------------------------------------------------------------
def _truth_of(rows) -> str:
    return "\n".join(r if isinstance(r, str) else " ".join(x for x in r if x != "C") for r in rows)


def build(folder: Path, per_class: int, classes: list[str]) -> list[PageSpec]:
    """Render every page of the corpus (deterministic) and return their specs."""
    from samples.papers import Style, paper_set, render
    from samples.render import add_picture, degrade, render_page, save

    folder.mkdir(parents=True, exist_ok=True)
    forms = [p for p in paper_set(28) if p.style.header != "columns"]
    cards = [p for p in paper_set(60) if "cccd" in p.name]
    specs: list[PageSpec] = []

    def base(n: int, dpi: int, point: float = 11, height_mm: int = 160):
        """The n-th base page at `dpi`: a form, Vietnamese running text or English running text."""
        kind = n % 3
        if kind == 0 and height_mm == 160:
            paper = forms[n // 3 % len(forms)]
            style = Style(**{**paper.style.__dict__, "dpi": dpi, "point": point, "angle": 0.0, "noise": 0.0005})
            return render(paper.rows, style, seed=n), _truth_of(paper.rows), "vie"
        lines = EN_TEXT if kind == 2 else VI_TEXT
        lines = lines[n % 3:] + lines[:n % 3]
        image = render_page(lines, dpi=dpi, size_mm=(210, height_mm), point_size=point, noise=0.0005, seed=n,
                            font="serif" if n % 2 else "sans")
        return image, "\n".join(lines), "eng" if kind == 2 else "vie"

    def add(cls: str, n: int, image, truth: str, lang: str, dpi: int, fmt: str) -> None:
        name = f"{cls}-{n:02d}"
        path = folder / f"{name}.{fmt}"
        if fmt == "jpg":
            save(image.convert("RGB") if image.mode not in ("L", "RGB") else image, path, quality=80)
        elif fmt == "tif":
            save(image.convert("L"), path)
        else:
            save(image, path)
        specs.append(PageSpec(name, cls, lang, dpi, str(path), truth))

    formats = ["png", "jpg", "tif"]
    faded = [dict(ink=140, paper=215, grain=8), dict(ink=165, paper=220, grain=10, blur=1), dict(ink=120, paper=200),
             dict(ink=170, paper=210, grain=12, blur=1), dict(ink=150, paper=225, grain=6), dict(ink=160, paper=205)]
    colours = [dict(ink=60, paper=(250, 205, 215)), dict(ink=90, paper=(205, 225, 250), grain=8),
               dict(ink=120, paper=(250, 240, 190), grain=6)]
    # out of focus by 1-4 px at 300 dpi, small print, a little grain (the last: an ID card)
    blurs = [dict(blur=1.5, grain=10), dict(blur=3, grain=12), dict(blur=4, grain=12), dict(blur=4, grain=15)]
    # below the text of an A4 page: the figure of a report, a site map, a portrait
    pictures = [("photo", (0.55, 0.5, 0.92, 0.95)), ("hatching", (0.1, 0.5, 0.9, 0.95)),
                ("hatching", (0.55, 0.5, 0.92, 0.95)), ("map", (0.1, 0.5, 0.9, 0.95)), ("photo", (0.1, 0.5, 0.9, 0.95))]
    for n in range(per_class):
        dpi = 300 if n % 2 == 0 else 200
        fmt = formats[n % 3]
        if "clean" in classes:
            image, truth, lang = base(n, dpi)
            add("clean", n, image, truth, lang, dpi, fmt)
        if "faded" in classes:
            image, truth, lang = base(n + 1, dpi)
            poor = dict(faded[n % len(faded)])
            poor["blur"] = poor.get("blur", 0) * dpi / 300
            add("faded", n, degrade(image, seed=n, **poor), truth, lang, dpi, fmt)
        if "bright" in classes:
            image, truth, lang = base(n + 2, dpi)
            add("bright", n, degrade(image, ink=150 + 10 * (n % 3), paper=255, seed=n), truth, lang, dpi, fmt)
        if "colour" in classes:
            image, truth, lang = base(n + 3, dpi)
            add("colour", n, degrade(image, seed=n, **colours[n % len(colours)]), truth, lang, dpi,
                "jpg" if n % 2 else "png")
        if "blurred" in classes:
            poor = blurs[n % len(blurs)]
            if n % len(blurs) == len(blurs) - 1:  # an ID card copied by a cheap camera
                card = cards[n // len(blurs) % len(cards)]
                style = Style(**{**card.style.__dict__, "dpi": 300, "point": 10, "angle": 0.0, "noise": 0.0005})
                image, truth, lang, dpi = render(card.rows, style, seed=n), _truth_of(card.rows), "vie", 300
            else:
                image, truth, lang = base(n + 4, dpi, point=9)
            add("blurred", n, degrade(image, blur=poor["blur"] * dpi / 300, grain=poor["grain"], seed=n),
                truth, lang, dpi, "jpg")
        if "noisy" in classes:
            image, truth, lang = base(n + 5, dpi)
            add("noisy", n, degrade(image, grain=30 + 15 * (n % 2), seed=n), truth, lang, dpi,
                "jpg" if n % 2 else "png")
        if "skew-hard" in classes:
            image, truth, lang = base(n + 6, dpi, height_mm=297)
            if n % len(pictures) == len(pictures) - 1:  # non-square pixels: 300×150 or 200×100 dpi
                image = image.resize((image.width, image.height // 2))
                image.info["dpi"] = (dpi, dpi // 2)
            else:
                kind, box = pictures[n % len(pictures)]
                image = add_picture(image, kind, box, seed=n)
            add("skew-hard", n, image, truth, lang, dpi, "png")
    (folder / "corpus.json").write_text(json.dumps([asdict(s) for s in specs], ensure_ascii=False, indent=1))
    return specs


# -- reading -------------------------------------------------------------------------------------
def read_plain(specs: list[PageSpec]) -> dict[str, Reading]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(spec: PageSpec) -> tuple[str, Reading]:
        language = "vie" if spec.lang == "vie" else "vie+eng"
        with tempfile.TemporaryFile() as out:
            run = subprocess.Popen(["tesseract", spec.path, "-", "-l", language, "--dpi", str(spec.dpi)],
                                   stdout=out, stderr=subprocess.DEVNULL, env=env)
            _, _, usage = os.wait4(run.pid, 0)  # the CPU this one Tesseract used
            run.returncode = 0
            out.seek(0)
            text = unicodedata.normalize("NFC", out.read().decode("utf-8")).strip()
        return spec.name, Reading(text=text, blank=not text, words=len(text.split()),
                                  seconds=usage.ru_utime + usage.ru_stime)

    with ThreadPoolExecutor(CORES) as pool:
        return dict(pool.map(one, specs))


def read_sohoa(corpus: Path, tree: Path) -> dict[str, Reading]:
    """Sohoa's page path over the corpus, in a process of its own importing `tree`'s code."""
    out = corpus / f"sohoa-{tree.name}.json"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, __file__, "--worker", str(corpus / "corpus.json"), str(out)],
                   check=True, env=env, cwd=tree)
    return {name: Reading(**r) for name, r in json.loads(out.read_text()).items()}


def _worker(manifest: str, out: str) -> None:
    """Runs with PYTHONPATH set to the checkout being measured."""
    from concurrent.futures import ProcessPoolExecutor

    specs = [PageSpec(**s) for s in json.loads(Path(manifest).read_text())]
    with ProcessPoolExecutor(CORES) as pool:
        results = dict(pool.map(_sohoa_page, specs))
    Path(out).write_text(json.dumps(results, ensure_ascii=False))


def _sohoa_page(spec: PageSpec) -> tuple[str, dict]:
    from digitize import prepare
    from digitize.scan.pages import PageTask, read_page
    from ocr import TesseractEngine

    pdf = Path(spec.path).with_suffix(".sohoa.pdf")
    start = _cpu()
    task = PageTask(Path(spec.path), spec.dpi, pdf, codes=False, blank_pdf=True, owned=False)
    done = read_page(TesseractEngine(), task)
    seconds = _cpu() - start
    pdf.unlink(missing_ok=True)
    rescan = prepare.rescan_reasons(spec.dpi, done.blank, done.words, done.confidence)
    return spec.name, asdict(Reading(done.text, done.blank, done.words, done.confidence, rescan, seconds))


def _cpu() -> float:
    """CPU seconds of this process and the commands it waited for (OSD runs the `tesseract` command)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# -- which preparation reads poor pages best (--preparations) --------------------------------------
def _sauvola(grey, dpi: int, k: float = 0.2):
    """Sauvola's binarisation: a pixel is ink under mean × (1 + k (sd / 128 − 1)) of its window."""
    import numpy as np
    from PIL import Image

    a = np.asarray(grey, dtype=np.float64)
    window = int(31 * dpi / 300) | 1
    padded = np.pad(a, window // 2 + 1, mode="edge")
    h, w = a.shape

    def box(values):
        s = values.cumsum(0).cumsum(1)
        return (s[window:window + h, window:window + w] - s[:h, window:window + w]
                - s[window:window + h, :w] + s[:h, :w]) / window ** 2

    mean = box(padded)
    sd = np.sqrt(np.maximum(box(padded * padded) - mean * mean, 0))
    return Image.fromarray(np.where(a > mean * (1 + k * (sd / 128 - 1)), 255, 0).astype(np.uint8))


def preparations() -> dict:
    """Each candidate: (image, dpi, analysis) -> (image to read, dpi to read it at, tesseract options)."""
    from PIL import ImageFilter

    from digitize.prepare import cleaned

    def unsharp(image, dpi):
        return image.convert("L").filter(ImageFilter.UnsharpMask(radius=3 * dpi / 300, percent=250, threshold=0))

    return {
        "as scanned": lambda im, dpi, a: (im, dpi, []),
        "psm 4 (one column)": lambda im, dpi, a: (im, dpi, ["--psm", "4"]),
        "psm 6 (one block)": lambda im, dpi, a: (im, dpi, ["--psm", "6"]),
        "upscaled 2x": lambda im, dpi, a: (im.convert("L").resize((im.width * 2, im.height * 2)), dpi * 2, []),
        "unsharp mask 3 px": lambda im, dpi, a: (unsharp(im, dpi), dpi, []),
        "Sauvola": lambda im, dpi, a: (_sauvola(im.convert("L"), dpi), dpi, []),
        "unsharp + Sauvola": lambda im, dpi, a: (_sauvola(unsharp(im, dpi), dpi), dpi, []),
        "cleaned (Sohoa)": lambda im, dpi, a: (cleaned(im, a, dpi, sharpen=False), dpi, []),
        "cleaned + sharpened (Sohoa)": lambda im, dpi, a: (cleaned(im, a, dpi, sharpen=True), dpi, []),
    }


def compare_preparations(specs: list[PageSpec]) -> str:
    """Plain Tesseract on each page prepared each way: CER and word recall per class."""
    from PIL import Image

    from digitize.prepare import analyse

    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    ways = preparations()

    def one(job):
        spec, way = job
        with Image.open(spec.path) as image:
            image.load()
        image, dpi, options = ways[way](image, spec.dpi, analyse(image, spec.dpi))
        path = OUT / f"{spec.name}-prepared-{abs(hash(way))}.png"
        image.save(path, dpi=(dpi, dpi))
        language = "vie" if spec.lang == "vie" else "vie+eng"
        run = subprocess.run(["tesseract", str(path), "-", "-l", language, "--dpi", str(dpi), *options],
                             capture_output=True, text=True, env=env)
        path.unlink()
        return spec, way, score(spec.truth, Reading(text=unicodedata.normalize("NFC", run.stdout)))

    with ThreadPoolExecutor(CORES) as pool:
        results = list(pool.map(one, [(s, w) for s in specs for w in ways]))
    classes = list(dict.fromkeys(s.cls for s in specs))
    lines = ["| preparation | " + " | ".join(f"{c} CER | {c} word recall" for c in classes) + " |",
             "|---|" + "---:|---:|" * len(classes)]
    for way in ways:
        cells = []
        for cls in classes:
            mine = [r for s, w, r in results if w == way and s.cls == cls]
            cells += [f"{sum(r['cer'] for r in mine) / len(mine):.2%}", f"{sum(r['recall'] for r in mine) / len(mine):.1%}"]
        lines.append(f"| {way} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- scoring -------------------------------------------------------------------------------------
def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _words(text: str) -> Counter:
    return Counter(w for w in re.findall(r"\w+", _folded(text).lower()))


def score(truth: str, reading: Reading) -> dict:
    t, r = _folded(truth), _folded(reading.text)
    words = _words(truth)
    return {"cer": distance(t, r) / len(t),
            "cer_unmarked": distance(unmarked(t), unmarked(r)) / len(t),
            "recall": sum((words & _words(reading.text)).values()) / sum(words.values()),
            "blank": reading.blank, "seconds": reading.seconds,
            "unreadable": any("unreadable" in reason for reason in reading.rescan)}


def table(specs: list[PageSpec], runs: dict[str, dict[str, Reading]]) -> tuple[str, dict]:
    classes = list(dict.fromkeys(s.cls for s in specs))
    names = list(runs)
    figures: dict = {}
    head = "| class | pages | " + " | ".join(f"{m} {n}" for m in ("CER", "CER no marks", "word recall") for n in names) \
        + " | blank or empty " + " / ".join(names) + " | CPU s/page " + " / ".join(names) + " |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for cls in classes + ["all"]:
        chosen = [s for s in specs if cls in ("all", s.cls)]
        row = {}
        for n in names:
            scores = [score(s.truth, runs[n][s.name]) for s in chosen]
            row[n] = {k: sum(x[k] for x in scores) / len(scores) for k in ("cer", "cer_unmarked", "recall", "seconds")}
            row[n]["blank"] = sum(x["blank"] for x in scores)
        figures[cls] = row
        cells = [f"{row[n][k]:.2%}" for k in ("cer", "cer_unmarked") for n in names]
        cells += [f"{row[n]['recall']:.1%}" for n in names]
        cells += [" / ".join(str(row[n]["blank"]) for n in names), " / ".join(f"{row[n]['seconds']:.2f}" for n in names)]
        lines.append(f"| {cls} | {len(chosen)} | " + " | ".join(cells) + " |")
    return "\n".join(lines), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=10, help="pages in each class")
    parser.add_argument("--classes", default="clean,faded,bright,colour,blurred,noisy,skew-hard")
    parser.add_argument("--tree", type=Path, action="append",
                        help="also run Sohoa's page path from this checkout (repeatable); this one is always run")
    parser.add_argument("--preparations", action="store_true",
                        help="instead: read each page of the classes prepared in each candidate way (plain Tesseract)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(*args.worker)
    sys.path.insert(0, str(ROOT))
    classes = args.classes.split(",")
    specs = build(OUT, args.per_class, classes)
    print(f"{len(specs)} pages in {len(classes)} classes, {CORES} cores, load {os.getloadavg()[0]:.1f}", flush=True)
    if args.preparations:
        print(compare_preparations(specs))
        return
    runs: dict[str, dict[str, Reading]] = {}
    start = time.monotonic()
    runs["plain"] = read_plain(specs)
    print(f"plain tesseract: {time.monotonic() - start:.0f} s", flush=True)
    for tree in [ROOT, *(args.tree or [])]:
        start = time.monotonic()
        label = "sohoa" if tree == ROOT else f"sohoa@{tree.name}"
        runs[label] = read_sohoa(OUT, tree.resolve())
        print(f"{label}: {time.monotonic() - start:.0f} s  (load {os.getloadavg()[0]:.1f})", flush=True)
    text, figures = table(specs, runs)
    per_page = {s.name: {n: {**score(s.truth, runs[n][s.name]), "confidence": runs[n][s.name].confidence,
                             "rescan": runs[n][s.name].rescan} for n in runs} for s in specs}
    (OUT / "scores.json").write_text(json.dumps(per_page, ensure_ascii=False, indent=1))  # each page's figures
    print()
    print(text)
    unreadable = [s.name for s in specs if any("unreadable" in r for r in runs["sohoa"][s.name].rescan)]
    print(f"\nflagged 'faded or unreadable': {', '.join(unreadable) or 'none'}")
    _targets(figures)


def _targets(figures: dict) -> None:
    sohoa, plain = ({c: row[k] for c, row in figures.items()} for k in ("sohoa", "plain"))
    print("targets:")
    print(f"  pages with text called blank: {sohoa['all']['blank']} (target 0)")
    if "faded" in sohoa and "clean" in sohoa:
        ratio = sohoa["faded"]["cer"] / max(sohoa["clean"]["cer"], 1e-9)
        print(f"  faded CER {sohoa['faded']['cer']:.2%} = {ratio:.2f}x clean {sohoa['clean']['cer']:.2%} (target <= 1.5x)")
    if "blurred" in sohoa and "clean" in plain:
        ratio = sohoa["blurred"]["recall"] / plain["clean"]["recall"]
        print(f"  blurred word recall {sohoa['blurred']['recall']:.1%} = {ratio:.1%} of plain Tesseract's on clean pages"
              f" {plain['clean']['recall']:.1%} (target >= 95 %)")
    for name, row in figures.get("clean", {}).items():
        print(f"  clean pages, {name}: CER {row['cer']:.2%}, {row['seconds']:.2f} s/page")


if __name__ == "__main__":
    main()
