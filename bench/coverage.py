"""Coverage at scale: import a generated register and time the reports through the real `sohoa` command.

    .venv/bin/python bench/coverage.py                   # 1,000,000 records, 4 components each
    .venv/bin/python bench/coverage.py --records 100000  # a quicker look

Writes bench/out/coverage/register.csv and an archive beside it (both gitignored). Papers and
attachments for a realistic share (most components scanned, most issued results, some reused
papers) go straight into the catalog with SQL: OCR is not what is measured here, and the catalog's
triggers keep the per-record counters exactly as they would for scans. Targets (issue 5): import
under 3 minutes, each report under 2 seconds, on the 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOHOA = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())"]

AGENCIES = [(f"000.00.{n:02d}.H29", name) for n, name in enumerate([
    "UBND phường Bến Nghé", "UBND phường Đa Kao", "UBND phường Tân Định", "UBND quận 1", "UBND quận 3",
    "Sở Tư pháp TP. Hồ Chí Minh", "Sở Xây dựng", "Sở Tài nguyên và Môi trường", "Sở Kế hoạch và Đầu tư",
    "Sở Lao động - Thương binh và Xã hội", "Công an TP. Hồ Chí Minh", "UBND huyện Cần Giờ"], start=10)]
COMPONENT_WORDS = ["Tờ khai", "Bản sao CCCD", "Giấy chứng sinh", "Giấy tờ đất", "Bản vẽ thiết kế",
                   "Giấy ủy quyền", "Đơn đề nghị", "Hợp đồng", "Giấy xác nhận", "Sơ yếu lý lịch"]


def procedures(rng: random.Random) -> list[tuple[str, str, bool, list[str]]]:
    out = []
    for n in range(40):
        comps = rng.sample(COMPONENT_WORDS, 4)
        out.append((f"1.{1000 + n * 37:06d}", f"Thủ tục hành chính số {n + 1}", rng.random() < 0.6, comps))
    return out


def generate(path: Path, count: int, rng: random.Random) -> None:
    procs = procedures(rng)
    start = date(2025, 1, 1)
    seq: dict[tuple[str, int], int] = {}
    header = ["record_code", "procedure_code", "procedure_name", "agency", "channel", "received_date", "due_date",
              "applicant_name", "applicant_id", "requires_paper_result", "components"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(count):
            code, agency = AGENCIES[i % len(AGENCIES)]
            day = rng.randrange(365)
            n = seq[(code, day)] = seq.get((code, day), 0) + 1
            received = start + timedelta(days=day)
            proc = procs[rng.randrange(len(procs))]
            w.writerow([f"{code}-{received:%y%m%d}-{n:04d}", proc[0], proc[1], agency, 1 + i % 3,
                        received.isoformat(), (received + timedelta(days=rng.randrange(1, 15))).isoformat(),
                        f"Người nộp {i}", f"079{i:09d}", "true" if proc[2] else "false", ";".join(proc[3])])


def attach_papers(catalog: Path, rng: random.Random) -> tuple[int, float]:
    """Papers for ~85% of components, ~75% of results; ~30% of records reuse an earlier paper."""
    db = sqlite3.connect(catalog, isolation_level=None)
    db.execute("PRAGMA cache_size = -400000")
    started = time.perf_counter()
    db.execute("BEGIN")
    papers, links = paper_links(db.execute("SELECT record_code, requires_paper_result FROM records").fetchall(),
                                db.execute("SELECT record_code, name FROM components"), rng)
    db.executemany(
        f"""INSERT INTO papers (sha256, source_name, source_path, pdf_path, page_count, text, ocr_languages,
            scanned_by, scanned_at, indexed) VALUES (?, 'scan.pdf', '/in/scan.pdf', 'ab/x.pdf', 1, '', 'vie',
            'bench', '{STAMP}', 1)""", papers)
    db.executemany(
        f"""INSERT INTO attachments (paper_id, record_code, component, is_result, reused, attached_by, attached_at)
            VALUES (?,?,?,?,?, 'bench', '{STAMP}')""", links)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return len(links), elapsed


STAMP = "2025-12-31T12:00:00+07:00"


def paper_links(records, components, rng: random.Random) -> tuple[list[tuple], list[tuple]]:
    """The papers [(sha256,)] and links [(paper_id, record_code, component, is_result, reused)] of
    `attach_papers` for records [(record_code, requires_paper_result)] and components [(code, name)]."""
    comps = {}
    for code, name in components:
        comps.setdefault(code, []).append(name)
    papers, links = [], []
    for code, requires in records:
        complete = rng.random() < 0.75  # most records fully scanned; the rest miss one component
        names = comps[code]
        skip = -1 if complete else rng.randrange(len(names))
        for j, name in enumerate(names):
            if j == skip:
                continue
            if j == 1 and rng.random() < 0.3 and papers:  # the ID card copy, reused from an earlier record
                links.append((rng.randrange(1, len(papers) + 1), code, name, 0, 1))
                continue
            papers.append((f"{len(papers) + 1:064x}",))
            links.append((len(papers), code, name, 0, 0))
        if requires and rng.random() < 0.85:
            papers.append((f"{len(papers) + 1:064x}",))
            links.append((len(papers), code, "", 1, 0))
    return papers, links


def run(archive: Path, *args: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one `sohoa` run. On a shared machine the CPU time is the steadier
    figure: other processes stretch the wall clock, not the work done."""
    env = dict(os.environ, SOHOA_ARCHIVE=str(archive), SOHOA_USER="bench")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        subprocess.run([*SOHOA, *args], cwd=ROOT, env=env, stdout=sink, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "coverage")
    parser.add_argument("--seed", type=int, default=766)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    register = args.out / f"register-{args.records}.csv"
    archive = args.out / "archive"
    shutil.rmtree(archive, ignore_errors=True)

    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    t = time.perf_counter()
    if not register.exists():
        generate(register, args.records, rng)
    print(f"register: {args.records:,} records x 4 components, {register.stat().st_size / 1e6:.0f} MB "
          f"({time.perf_counter() - t:.1f} s to generate or find)")

    for label in ("import (sohoa records import)", "re-import, same file (all updates)"):
        wall, cpu = run(archive, "records", "import", str(register))
        print(f"{label:45} {wall:6.1f} s wall, {cpu:6.1f} s CPU   (target < 180 s)")
    links, elapsed = attach_papers(archive / "catalog.sqlite", rng)
    print(f"{'attachments via SQL (counter triggers)':45} {elapsed:6.1f} s wall   ({links:,} links)")

    reports = [
        ("coverage (total)", ["coverage"]),
        ("coverage --by agency,month --json", ["coverage", "--by", "agency,month", "--json"]),
        ("coverage --by procedure,month --csv", ["coverage", "--by", "procedure,month", "--csv"]),
        ("coverage --by agency --from/--to (1 quarter)", ["coverage", "--by", "agency", "--from", "2025-04-01",
                                                          "--to", "2025-06-30"]),
        ("coverage --missing (first 1000, the default)", ["coverage", "--missing"]),
        ("coverage --missing --json (first 1000)", ["coverage", "--missing", "--json"]),
        ("coverage --missing --limit 0 (every record)", ["coverage", "--missing", "--limit", "0"]),
        ("coverage --missing --json --limit 0", ["coverage", "--missing", "--json", "--limit", "0"]),
        ("coverage --html", ["coverage", "--html", str(args.out / "coverage.html")]),
        ("sohoa --help (interpreter + imports)", ["--help"]),
    ]
    for label, argv in reports:
        wall, cpu = min(run(archive, *argv) for _ in range(3))
        print(f"{label:45} {wall:6.2f} s wall, {cpu:6.2f} s CPU   (best of 3{'; target < 2 s' if 'help' not in label else ''})")
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        missing = db.execute("SELECT count(*) FROM records WHERE NOT (missing = 0 AND (NOT (requires_paper_result = 1 "
                             "AND (result_pending = 0 OR result_papers > 0)) OR result_papers > 0))").fetchone()[0]
    print(f"records not digitized (strict): {missing:,}; catalog {(archive / 'catalog.sqlite').stat().st_size / 1e6:.0f} MB")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work slows every figure)")


if __name__ == "__main__":
    main()
