"""Register import against size: hostile JSON registers and growing honest ones, through the real `sohoa`.

    .venv/bin/python bench/register_import.py               # the table below, about a minute
    .venv/bin/python bench/register_import.py --scale 4     # honest registers four times larger

Writes bench/out/register/ (gitignored). The hostile files are issue 11's: one record with 20,000
components of ~750 bytes (15 MB) and a register nested 100,000 levels deep; both must be refused at
once (exit 3, one line per problem, nothing imported). The honest registers show the time per
component staying flat as records and components grow, i.e. import is linear in the components.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOHOA = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())"]


def record(n: int, components: int, width: int = 20) -> dict:
    return {"record_code": f"000.00.53.H48-2601{1 + n // 10000:02d}-{n % 10000:04d}",  # up to 300,000 records
            "procedure_code": "1.001193", "procedure_name": "Đăng ký khai sinh", "agency": "UBND phường Bến Nghé",
            "channel": 1, "received_date": "2026-01-05", "applicant_name": "Nguyễn Văn An",
            "applicant_id": "079203001234", "requires_paper_result": True,
            "components": [{"name": f"Thành phần {i} " + "x" * width, "status": "đã nộp"} for i in range(components)]}


def run(archive: Path, path: Path) -> tuple[float, int, str]:
    """Wall seconds, exit code and first stderr line of `sohoa records import PATH` in a fresh archive."""
    shutil.rmtree(archive, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run([*SOHOA, "records", "import", str(path), "--archive", str(archive)],
                          cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, done.returncode, (done.stderr.splitlines() or [""])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="multiply the honest registers' record counts")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "register")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    archive = args.out / "archive"
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    hostile = {
        "1 record, 20,000 components (15 MB)": json.dumps([record(1, 20_000, width=730)], ensure_ascii=False),
        "nested 100,000 levels deep": "[" * 100_000 + "]" * 100_000,
    }
    print(f"\n{'hostile register':40} {'MB':>6} {'seconds':>8} {'exit':>5}  first line of stderr")
    for label, text in hostile.items():
        path = args.out / f"hostile-{len(text)}.json"
        path.write_text(text, encoding="utf-8")
        wall, code, line = run(archive, path)
        print(f"{label:40} {path.stat().st_size / 1e6:6.1f} {wall:8.2f} {code:5}  {line[:110]}")

    print(f"\n{'honest register':40} {'components':>10} {'seconds':>8} {'µs/component':>13}")
    for records, components in ((1000, 25), (4000, 25), (1000, 100), (4000, 100)):
        records *= args.scale
        path = args.out / f"honest-{records}x{components}.json"
        path.write_text(json.dumps([record(n, components) for n in range(records)], ensure_ascii=False),
                        encoding="utf-8")
        wall, code, line = run(archive, path)
        with sqlite3.connect(archive / "catalog.sqlite") as db:
            stored = db.execute("SELECT count(*) FROM components").fetchone()[0]
        assert code == 0 and stored == records * components, (code, line, stored)
        label = f"{records:,} records x {components} components"
        print(f"{label:40} {stored:10,} {wall:8.2f} {wall / stored * 1e6:13.1f}")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other work slows every figure)")


if __name__ == "__main__":
    main()
