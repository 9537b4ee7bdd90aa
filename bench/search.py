"""Search benchmark: Whoosh vs tantivy on synthetic Vietnamese papers.

    .venv/bin/python bench/search.py --papers 10000            # quick
    .venv/bin/python bench/search.py --papers 100000 --out bench/out/search-100k

For each engine, in its own process: build the index through `rebuild()` (what `sohoa
reindex` does), killed with SIGKILL half-way and started again, so the figures include
resuming; then, in a fresh process, time `search()` (hits with snippets, as the CLI prints
them) over the same queries for both engines. Prints indexing rate, peak memory (max RSS of
the build processes), index size, p50/p95 latency per kind of query, and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index import Filters, fold, open_index  # noqa: E402
from index.analysis import ocr_variants  # noqa: E402

FAMILY = ("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trương Lương Mai "
          "Cao Đoàn Tạ Lâm Hà Tô Kiều Châu").split()
FAMILY_WEIGHTS = [38, 11, 9.5, 7, 5, 4, 4.5, 3.9, 3, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5] + [0.4] * 12
MIDDLE = "Văn Thị Hữu Đức Minh Ngọc Thanh Quốc Xuân Thu Hoài Kim Bảo Gia Trọng Công Thùy Mỹ Phương Anh".split()
GIVEN = ("An Anh Bình Cường Châu Dũng Duy Giang Hà Hải Hạnh Hiếu Hoa Hùng Hương Huy Khánh Khoa Lan Linh Long "
         "Mai Minh Nam Nga Ngân Ngọc Nhung Phong Phúc Phương Quang Quân Sơn Tâm Thảo Thắng Thành Thủy Trang "
         "Trung Tuấn Tú Vân Việt Yến Hằng Đạt Hòa Lộc Nhân Khôi Vy Trâm Tiến Toàn Hiền Quyên Oanh").split()
TYPES = [
    "Giấy khai sinh", "Căn cước công dân", "Chứng minh nhân dân", "Giấy chứng nhận quyền sử dụng đất",
    "Giấy chứng nhận đăng ký doanh nghiệp", "Giấy phép xây dựng", "Phiếu lý lịch tư pháp",
    "Giấy chứng nhận kết hôn", "Giấy xác nhận tình trạng hôn nhân", "Đơn đề nghị cấp bản sao trích lục",
    "Tờ khai đăng ký thường trú", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "Quyết định giao đất",
]
EXPIRING = {"Căn cước công dân": 15, "Chứng minh nhân dân": 15, "Giấy phép xây dựng": 2,
            "Phiếu lý lịch tư pháp": 1, "Giấy xác nhận tình trạng hôn nhân": 1}
PLACES = ("phường Bến Nghé, quận 1, Thành phố Hồ Chí Minh;phường Hàng Bài, quận Hoàn Kiếm, Hà Nội;"
          "xã Tân Phú, huyện Đức Hòa, tỉnh Long An;phường 3, thành phố Đà Lạt, tỉnh Lâm Đồng;"
          "xã Hòa Phước, huyện Hòa Vang, thành phố Đà Nẵng;thị trấn Củ Chi, huyện Củ Chi;"
          "phường Vĩnh Ninh, thành phố Huế;xã Nghĩa Trung, huyện Bù Đăng, tỉnh Bình Phước").split(";")
AGENCIES = ["UBND phường Bến Nghé", "UBND quận 1", "UBND huyện Đức Hòa", "Sở Tư pháp", "Công an tỉnh Long An",
            "Sở Xây dựng", "Văn phòng đăng ký đất đai", "Sở Kế hoạch và Đầu tư", "Cục Cảnh sát QLHC về TTXH"]
PROCEDURES = [("1.001193", "Đăng ký khai sinh"), ("1.000656", "Đăng ký kết hôn"), ("1.009972", "Cấp giấy phép xây dựng"),
              ("1.001612", "Đăng ký thường trú"), ("2.000488", "Cấp phiếu lý lịch tư pháp"),
              ("1.004227", "Đăng ký biến động đất đai"), ("2.001610", "Đăng ký thành lập doanh nghiệp")]
FILLER = (
    "Căn cứ Luật Hộ tịch ngày 20 tháng 11 năm 2014; Căn cứ Nghị định số 123/2015/NĐ-CP của Chính phủ quy định chi "
    "tiết một số điều và biện pháp thi hành Luật Hộ tịch; Xét đề nghị của công chức tư pháp hộ tịch; Người yêu cầu "
    "cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật về cam đoan của mình; "
    "Đề nghị cơ quan có thẩm quyền xem xét giải quyết; Nơi nhận như trên lưu văn thư; Thông tin về người được cấp; "
    "Quốc tịch Việt Nam; Dân tộc Kinh; Nơi thường trú; Số định danh cá nhân; Ngày cấp; Nơi cấp; Có giá trị đến; "
    "Ủy ban nhân dân chứng thực bản sao đúng với bản chính; Hồ sơ gồm các giấy tờ sau; Thời hạn giải quyết; "
    "Phí lệ phí theo quy định; Kết quả giải quyết thủ tục hành chính được trả tại bộ phận một cửa; Ghi chú; "
    "Mục đích sử dụng đất ở tại đô thị; Diện tích xây dựng tầng một; Tổng diện tích sàn; Chiều cao công trình; "
    "Tình trạng hôn nhân hiện nay chưa đăng ký kết hôn với ai; Không có án tích; Ngành nghề kinh doanh; Vốn điều lệ"
).split("; ")
COMMON = ("giấy chứng nhận đăng ký hồ sơ ủy ban nhân dân người yêu cầu nơi cư trú quyết định thủ tục hành chính "
          "diện tích đất ở kết hôn khai sinh xây dựng doanh nghiệp tư pháp thường trú").split()


def make_paper(i: int, seed: int = 7) -> dict:
    r = random.Random(seed * 1_000_003 + i)
    name = f"{r.choices(FAMILY, FAMILY_WEIGHTS)[0]} {r.choice(MIDDLE)} {r.choice(GIVEN)}"
    born = r.randint(1945, 2010)
    cccd = f"{r.randint(1, 96):03d}{(0 if born < 2000 else 2) + r.randint(0, 1)}{born % 100:02d}{r.randint(0, 999999):06d}"
    doc_type = r.choice(TYPES)
    issued = f"{r.randint(2005, 2025)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
    years = EXPIRING.get(doc_type)
    expiry = f"{int(issued[:4]) + years}{issued[4:]}" if years else None
    place, agency = r.choice(PLACES), r.choice(AGENCIES)
    code, proc = r.choice(PROCEDURES)
    record = f"000.00.{r.randint(10, 99)}.H{r.randint(10, 99)}-{issued[2:4]}{issued[5:7]}{issued[8:10]}-{r.randint(1, 9999):04d}"
    lines = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", doc_type.upper(),
             f"Số: {r.randint(1, 999)}/{r.choice(['QĐ-UBND', 'GKS', 'GPXD', 'LLTP'])}",
             f"Họ và tên: {name}", f"Ngày, tháng, năm sinh: {r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{born}",
             f"Số định danh cá nhân: {cccd}", f"Nơi cư trú: {place}", f"Cấp ngày {issued[8:]}/{issued[5:7]}/{issued[:4]}"]
    size = sum(map(len, lines))
    while size < 1500:
        line = r.choice(FILLER)
        lines.append(line)
        size += len(line) + 1
    return {
        "id": i + 1, "text": "\n".join(lines), "source_name": f"scan-{i + 1:06d}.pdf",
        "pdf_path": f"papers/{i % 256:02x}/{i + 1:064d}.pdf", "record_code": record, "component": doc_type,
        "applicant_name": name, "applicant_id": cccd, "procedure_code": code, "procedure_name": proc,
        "agency": agency, "doc_type": doc_type, "holder_name": name, "holder_id": cccd, "issue_date": issued,
        "birth_date": f"{born}-01-01", "expiry_date": expiry, "number": None, "issuer": agency,
        "replaced_by": (i + 2) if r.random() < 0.03 else None,
    }


VARIANTS = 100  # fielded, fuzzy and --valid queries timed, each


def make_queries(papers: int, count: int, seed: int = 11) -> dict[str, list[tuple[str, Filters | None]]]:
    r = random.Random(seed)
    sample = [make_paper(r.randrange(papers)) for _ in range(count)]
    n = len(sample)
    kinds: dict[str, list] = {"name": [], "id": [], "type": [], "words": [], "fielded": [], "fuzzy": [], "slip": [],
                              "valid": []}
    slips = random.Random(seed + 1)  # its own draws: the other kinds stay the queries they were
    variants = min(n, VARIANTS)
    for k, p in enumerate(sample):
        share = k / n
        if share < 0.4:
            kinds["name"].append(fold(p["holder_name"]))
        elif share < 0.6:
            kinds["id"].append(p["holder_id"])
        elif share < 0.8:
            kinds["type"].append(fold(p["doc_type"]))
        else:
            kinds["words"].append(" ".join(fold(w) for w in r.sample(COMMON, r.choice([2, 3]))))
        if k >= variants:
            continue
        # variants, one each per sampled paper
        kinds["fielded"].append(r.choice([f'holder:"{fold(p["holder_name"])}"', f"id:{p['holder_id']}",
                                          f'type:"{fold(p["doc_type"])}" holder:{fold(p["holder_name"]).split()[-1]}']))
        words = [w for w in fold(p["holder_name"]).split()]
        long = [j for j, w in enumerate(words) if len(w) >= 5] or [0]
        j = r.choice(long)
        w = words[j]
        if len(w) >= 5:
            pos = r.randrange(1, len(w))
            words[j] = w[:pos] + r.choice("aeiouhnt") + w[pos + 1:]  # one OCR-like substitution
        kinds["fuzzy"].append(" ".join(words))
        # one OCR confusion (rn for m, l for i, cl for d...) in a word of any length, as copied from a poor scan
        words = fold(p["holder_name"]).split()
        j = slips.choice([j for j, w in enumerate(words) if ocr_variants(w)] or [0])
        words[j] = slips.choice(sorted(ocr_variants(words[j])) or [words[j]])
        kinds["slip"].append(" ".join(words))
    kinds["valid"] = [fold(p["holder_name"]) for p in sample[:variants]]
    return {k: [(q, Filters.make(valid=True) if k == "valid" else None) for q in v] for k, v in kinds.items()}


# ---------------------------------------------------------------------------- child processes

MAIN_KINDS = ("name", "id", "type", "words")  # the 40/20/20/20 mix the issue asks for


def _stats(times: list[float]) -> dict:
    return {"n": len(times), "p50": statistics.median(times), "p95": statistics.quantiles(times, n=20)[-1]}


def child_build(engine: str, papers: int, out: Path) -> None:
    """Rebuild the engine's index from the synthetic papers; prints progress lines and a result."""
    ix = open_index(out / engine / "index", engine)
    start = time.perf_counter()
    docs = (make_paper(i) for i in range(papers))

    def progress(read, skipped):
        print(json.dumps({"progress": read, "skipped": skipped, "seconds": time.perf_counter() - start}), flush=True)

    count = ix.rebuild(docs, on_progress=progress, chunk=max(1000, min(10_000, papers // 10)))
    ix.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"done": count, "seconds": time.perf_counter() - start, "peak_mb": rss}), flush=True)


def child_query(engine: str, papers: int, count: int, out: Path) -> None:
    ix = open_index(out / engine / "index", engine)
    queries = make_queries(papers, count)
    for q, f in queries["name"][:10]:  # warm-up: open files, caches
        ix.search(q, filters=f)
    result, mix = {}, []
    for kind, items in queries.items():
        times, found = [], 0
        for q, f in items:
            t = time.perf_counter()
            hits = ix.search(q, limit=10, filters=f)
            times.append((time.perf_counter() - t) * 1000)
            found += bool(hits)
        result[kind] = _stats(times) | {"found": found / len(items)}
        if kind in MAIN_KINDS:
            mix += times
    ix.close()
    result = {"mix": _stats(mix)} | result
    print(json.dumps(result), flush=True)


# ---------------------------------------------------------------------------- parent

def _vm_hwm(pid: int) -> float:
    """Peak resident memory of a running process so far, in MB (Linux)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_build(engine: str, papers: int, out: Path, kill_at: float) -> dict:
    """Build in a child, SIGKILL it after the commit past ``kill_at`` of the papers, resume."""
    cmd = [sys.executable, __file__, "--child-build", engine, "--papers", str(papers), "--out", str(out)]
    runs, peak, killed_at = [], 0.0, None
    for attempt in (1, 2):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        last, skipped = {}, 0
        for line in proc.stdout:
            last = json.loads(line)
            skipped = last.get("skipped", skipped)
            peak = max(peak, _vm_hwm(proc.pid))
            print(f"  {engine} build: {line.strip()}", file=sys.stderr, flush=True)
            if attempt == 1 and kill_at and last.get("progress", 0) >= kill_at * papers and "done" not in last:
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = last["progress"]
                break
        proc.wait()
        peak = max(peak, last.get("peak_mb", 0))
        runs.append({"seconds": time.perf_counter() - start, "skipped": skipped, **last})
        if "done" in last:
            break
    total = sum(r["seconds"] for r in runs)
    size = sum(f.stat().st_size for f in (out / engine / "index").rglob("*") if f.is_file())
    skipped = runs[-1].get("skipped") if len(runs) > 1 else None
    return {"papers": runs[-1]["done"], "seconds": total, "rate": papers / total, "peak_mb": peak,
            "size_mb": size / 1e6, "killed_at": killed_at, "resume_skipped": skipped,
            "resume_seconds": runs[-1]["seconds"] if len(runs) > 1 else None}


def run_queries(engine: str, papers: int, count: int, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--child-query", engine, "--papers", str(papers), "--queries", str(count),
           "--out", str(out)]
    return json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines()[-1])


def generator_rate() -> float:
    """Synthetic papers made per second (counted in every build's time)."""
    t = time.perf_counter()
    for i in range(2000):
        make_paper(i)
    return 2000 / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=250, help="sampled papers the queries are made from (≥ 200)")
    ap.add_argument("--engines", default="whoosh,tantivy")
    ap.add_argument("--out", type=Path, help="work folder [default bench/out/search-N]")
    ap.add_argument("--kill-at", type=float, default=0.5, help="kill each build at this fraction, then resume (0: no)")
    ap.add_argument("--queries-only", action="store_true", help="reuse the indexes already built in --out")
    ap.add_argument("--print", action="store_true", help="print the report saved in --out and stop")
    ap.add_argument("--child-build", help=argparse.SUPPRESS)
    ap.add_argument("--child-query", help=argparse.SUPPRESS)
    a = ap.parse_args()
    out = a.out or Path(__file__).parent / "out" / f"search-{a.papers}"
    if a.child_build:
        return child_build(a.child_build, a.papers, out)
    if a.child_query:
        return child_query(a.child_query, a.papers, a.queries, out)

    if a.print:
        return print_report(json.loads((out / "report.json").read_text()))
    out.mkdir(parents=True, exist_ok=True)
    gen_rate = generator_rate()
    engines = a.engines.split(",")
    report = {"papers": a.papers, "queries": a.queries, "generator_papers_per_s": gen_rate, "engines": {}}
    saved = out / "report.json"
    if a.queries_only and saved.exists():
        report = json.loads(saved.read_text()) | {"queries": a.queries}
    for engine in engines:
        if not a.queries_only:
            report["engines"][engine] = {"build": run_build(engine, a.papers, out, a.kill_at)}
        report["engines"].setdefault(engine, {})["search"] = run_queries(engine, a.papers, a.queries, out)
        saved.write_text(json.dumps(report, indent=2))
    print_report(report)


def print_report(report: dict) -> None:
    engines = report["engines"]
    print(f"\n{report['papers']:,} synthetic papers (~1,500 chars); generator alone: "
          f"{report['generator_papers_per_s']:,.0f} papers/s (included in the build time)")
    print(f"{'':24}" + "".join(f"{e:>14}" for e in engines) + ("   2nd/1st" if len(engines) == 2 else ""))

    def row(label, values, fmt, ratio=True, higher_is_better=False):
        """One line; the ratio says how many times better the second engine does."""
        cells = "".join(f"{fmt.format(v):>14}" if v is not None else f"{'-':>14}" for v in values)
        r = ""
        if ratio and len(values) == 2 and all(values):
            r = f"{(values[1] / values[0] if higher_is_better else values[0] / values[1]):>9.1f}×"
        print(f"{label:24}{cells}{r}")

    builds = [engines[e].get("build", {}) for e in engines]
    row("indexing papers/s", [b.get("rate") for b in builds], "{:,.0f}", higher_is_better=True)
    row("build seconds", [b.get("seconds") for b in builds], "{:,.1f}")
    row("build peak MB (RSS)", [b.get("peak_mb") for b in builds], "{:,.0f}")
    row("index size MB", [b.get("size_mb") for b in builds], "{:,.0f}")
    row("killed at / skipped", [f"{b.get('killed_at')}/{b.get('resume_skipped')}" if b.get("killed_at") else None
                                for b in builds], "{}", ratio=False)
    searches = [engines[e]["search"] for e in engines]
    for kind in searches[0]:
        n = searches[0][kind]["n"]
        for p in ("p50", "p95"):
            row(f"{kind} ({n}) {p} ms", [s[kind][p] for s in searches], "{:,.2f}")
    row("found something (name)", [s["name"]["found"] * 100 for s in searches], "{:.0f} %", ratio=False)


if __name__ == "__main__":
    main()
