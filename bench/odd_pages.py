"""Odd PDF pages through `sohoa scan`: time, peak memory and what was read (issue 11, items 2, 4, 5).

    .venv/bin/python bench/odd_pages.py                 # all cases, ~1–2 min after the fix
    .venv/bin/python bench/odd_pages.py vector-5000 jbig2

Each case is one small PDF made here, scanned into a fresh archive by the real command in its own
process; peak memory is the largest resident size of that process and everything it ran (pdftoppm,
OCR workers), from wait4. The table says how the scan ended, the page's pixels and dpi as
archived, and how many characters of text the archive holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from samples.render import render_page  # noqa: E402
from tests.conftest import page_lines  # noqa: E402
from tests.pdfs import deflated_rows, image_pdf, jbig2, vector_pdf  # noqa: E402

SOHOA = ROOT / ".venv" / "bin" / "sohoa"
LINES = page_lines("GIẤY CHỨNG SINH", "Đặng Thị Hương", ["Nơi sinh: Bệnh viện Từ Dũ"])


def _jpeg(image) -> bytes:
    from io import BytesIO
    out = BytesIO()
    image.convert("L").save(out, "JPEG", quality=85)
    return out.getvalue()


def build(case: str, folder: Path) -> Path:
    path = folder / f"{case}.pdf"
    page = render_page(LINES, dpi=200, title_lines=3, size_mm=(210, 150))
    if case == "vector-5000":
        return vector_pdf(path, (5000, 5000))
    if case == "vector-14400":
        return vector_pdf(path, (14400, 14400))
    if case == "image-in-1pt-box":
        return image_pdf(path, [(_jpeg(page), page.width, page.height, "/DCTDecode")], size_pt=(1, 1))
    if case == "81mp-page-of-3":
        small = (_jpeg(page), page.width, page.height, "/DCTDecode")
        big = (deflated_rows(b"\xff" * 9000, 9000), 9000, 9000, "/FlateDecode")
        return image_pdf(path, [small, big, small])
    if case == "jbig2":
        return image_pdf(path, [(jbig2(page), page.width, page.height, "/JBIG2Decode")], bits=1)
    raise SystemExit(f"unknown case {case}")


CASES = ["vector-5000", "vector-14400", "image-in-1pt-box", "81mp-page-of-3", "jbig2"]


def run(case: str, folder: Path) -> dict:
    pdf = build(case, folder)
    archive = folder / f"archive-{case}"
    start = time.monotonic()
    with open(folder / "out", "w+") as out, open(folder / "err", "w+") as err:
        proc = subprocess.Popen([str(SOHOA), "scan", str(pdf), "--json", "--archive", str(archive)],
                                stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # wait4: the rusage of this scan and all it ran
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        out.seek(0), err.seek(0)
        out, err = out.read(), err.read()
    row = json.loads(out.splitlines()[-1]) if out.strip() else {"status": "crashed", "error": err[-200:]}
    result = {"case": case, "exit": proc.returncode, "status": row["status"], "error": row.get("error") or "",
              "wall": wall, "peak_mb": usage.ru_maxrss / 1024, "pages": "", "chars": 0}
    if row["status"] == "new":
        show = json.loads(subprocess.run([str(SOHOA), "show", str(row["id"]), "--json", "--archive", str(archive)],
                                         capture_output=True, text=True).stdout)
        result["pages"] = "; ".join(f"{p['width']}×{p['height']} {p['dpi']} dpi" for p in show["pages"])
        text = subprocess.run([str(SOHOA), "text", str(row["id"]), "--archive", str(archive)],
                              capture_output=True, text=True).stdout
        result["chars"] = sum(not c.isspace() for c in text)
    return result


def main() -> None:
    cases = sys.argv[1:] or CASES
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            rows.append(run(case, Path(tmp)))
            r = rows[-1]
            print(f"  {case}: exit {r['exit']}, {r['wall']:.1f} s", file=sys.stderr)
    print(f"{'case':18} {'exit':>4} {'wall s':>7} {'peak MB':>8} {'chars':>6}  pages / error")
    for r in rows:
        what = r["pages"] if r["status"] == "new" else f"{r['status']}: {r['error']}"
        print(f"{r['case']:18} {r['exit']:>4} {r['wall']:>7.1f} {r['peak_mb']:>8.0f} {r['chars']:>6}  {what[:110]}")


if __name__ == "__main__":
    main()
