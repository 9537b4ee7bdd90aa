"""The server under load: clerks upload papers over HTTP while staff search, against `sohoa scan`.

    .venv/bin/python bench/serve.py                                  # 4 clerks × 3 papers, 2 staff, ~3 min
    .venv/bin/python bench/serve.py --clerks 8 --papers 5 --staff 4 --engine tantivy --prefill 10000   # issue 13's size

Makes a fresh archive (`sohoa init`, a register of one record per clerk), a user and a token of each
role (tests/serving.py), with `--prefill N` N synthetic papers besides (bench/search.py's, put in
through the catalog and index directly, not OCR, so that search is timed over an archive of that
size), and starts `sohoa serve --workers W` on a free localhost port. Renders
cheap one-line papers as tests/conftest.py's small_batch does, each with words of its own. Then C
clerk threads (httpx, the clerk's token) each upload P papers one by one (POST /api/v1/scans; odd
clerks attach theirs to their record's component, even ones send none) and follow each paper's job
to its end by its event stream (GET /api/v1/jobs/{id}/events; `--poll S`: GET /jobs/{id} every S
s), while S staff threads search (GET /api/v1/search, varied queries: names without marks, lot
numbers, document words, misspelt names) until the clerks are done, each pausing `--think` seconds
after an answer as a person reading the hits does (`--think 0`: flat out). Afterwards the same
pages are archived by `sohoa scan` into a fresh archive, timed the same way. Prints pages/min of
both and their ratio, search p50/p95 over HTTP during the load, errors (non-2xx answers and failed
jobs) and the peak resident memory of the server and its workers (the process tree, polled every
100 ms). Writes bench/out/serve/ (gitignored).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import REGISTER_HEADER, SOHOA, Sohoa, small_batch  # noqa: E402
from tests.serving import Server, add_accounts  # noqa: E402

OUT = ROOT / "bench" / "out" / "serve"
COMPONENT = "Giấy chứng sinh"
QUERIES = ["nguyen van binh", "binh", "giay to", "lo {n}", "giấy tờ số {n}", "nguyen van binb", "van binh lo {n}",
           "so {n}"]


def record_code(clerk: int) -> str:
    return f"000.00.53.H48-261201-{clerk + 1:04d}"


def register(path: Path, clerks: int) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REGISTER_HEADER)
    for c in range(clerks):
        writer.writerow([record_code(c), "1.001193", "Đăng ký khai sinh", "UBND phường Bến Nghé", "1", "2026-12-01",
                         "", f"Nguyễn Văn Bình {c}", f"0792100{c:05d}", "false", COMPONENT])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def prefill(root: Path, count: int) -> float:
    """`count` synthetic papers (bench/search.py's) into the catalog with their metadata, then
    indexed, as a scan would leave them but without their PDFs (search never opens them): seconds taken."""
    import hashlib

    from bench.search import make_paper
    from digitize import metadata
    from digitize.archive import Archive
    from digitize.catalog import NewPaper, PageInfo
    from index import nfc

    start = time.monotonic()
    with Archive(root) as archive:
        catalog = archive.catalog
        with catalog.transaction():
            for i in range(count):
                made = make_paper(i)
                text = nfc(made["text"])
                paper_id = catalog.add_paper(NewPaper(
                    sha256=hashlib.sha256(f"prefill {i}".encode()).hexdigest(), source_name=made["source_name"],
                    source_path=f"/prefill/{made['source_name']}", pdf_path=made["pdf_path"], text=text,
                    pages=[PageInfo(1654, 2339, 200, "L", 90.0, "ocr", "vie")], ocr_languages="vie",
                    scanned_by="prefill"))
                # the generator's own values, as extraction would find them (extracting takes 0.2 s a paper)
                found = {f: metadata.Found(str(made[f]), 90.0, str(made[f])) for f in metadata.FIELDS
                         if made.get(f) is not None}
                metadata.store(catalog, paper_id, found)
        archive.sync_index(timeout=600)
    return time.monotonic() - start


def workers_ready(server: Server, count: int, timeout: float = 300) -> None:
    """Wait for the server's scan workers to have started (Tesseract loaded): a server is started
    once and then serves for hours, so its start is not counted, as `sohoa scan`'s is."""
    deadline = time.monotonic() + timeout
    while len(re.findall(r"sohoa\.worker: worker \S+ ready", server.log.read_text(errors="replace"))) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"the scan workers did not start: {server.log}")
        time.sleep(0.2)


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


class PeakRSS(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc, self.peak, self.done = psutil.Process(pid), 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, tree_rss(self.proc))
            except psutil.Error:
                return
            self.done.wait(0.1)


def percentile(values: list[float], q: int) -> str:
    if len(values) < 2:
        return f"{values[0]:.1f} ms" if values else "–"  # --staff 0: no searches
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1]:.1f} ms"


def follow(client: httpx.Client, job_id: int, poll: float, timeout: float) -> dict | str:
    """The job once done or failed, else what went wrong: by its event stream (GET /jobs/{id}/events,
    as the web page follows it), or with `poll` > 0 by GET /jobs/{id} every `poll` seconds."""
    deadline = time.monotonic() + timeout
    if poll <= 0:
        with client.stream("GET", f"/jobs/{job_id}/events", timeout=timeout) as stream:
            if stream.status_code != 200:
                return f"GET /jobs/{job_id}/events {stream.status_code}"
            job: dict = {}
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    job = json.loads(line[6:])
            return job if job.get("state") in ("done", "failed") else f"job {job_id}: stream ended with {job}"
    while time.monotonic() < deadline:
        answer = client.get(f"/jobs/{job_id}")
        if answer.status_code != 200:
            return f"GET /jobs {answer.status_code}"
        if answer.json()["state"] in ("done", "failed"):
            return answer.json()
        time.sleep(poll)
    return f"job {job_id} not done after {timeout:.0f} s"


def clerk_run(server: Server, token: str, clerk: int, files: list[Path], errors: list, timeout: float, poll: float):
    with server.bearer(token) as client:
        for path in files:
            data = {"record": record_code(clerk), "component": COMPONENT} if clerk % 2 else {}
            sent = client.post("/scans", data=data, files=[("files", (path.name, path.read_bytes(), "image/png"))])
            if sent.status_code != 202:
                errors.append(f"POST /scans {sent.status_code}: {sent.text[:200]}")
                continue
            for queued in sent.json()["jobs"]:
                job = follow(client, queued["id"], poll, timeout)
                if isinstance(job, str):
                    errors.append(job)
                elif job["state"] == "failed":
                    errors.append(f"job {job['id']} failed: {job.get('error')}")


def staff_run(server: Server, token: str, seed: int, total: int, stop: threading.Event, latencies: list,
              errors: list, think: float):
    with server.bearer(token) as client:
        for i in itertools.count(seed):
            if stop.is_set():
                return
            q = QUERIES[i % len(QUERIES)].format(n=(i * 7) % max(total, 1))
            start = time.perf_counter()
            answer = client.get("/search", params={"q": q})
            latencies.append(time.perf_counter() - start)
            if answer.status_code != 200:
                errors.append(f"GET /search {answer.status_code}: {answer.text[:200]}")
            stop.wait(think)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clerks", type=int, default=4, help="simulated clerks uploading [4; the issue: 8]")
    parser.add_argument("--papers", type=int, default=3, help="papers each clerk uploads [3; the issue: 5]")
    parser.add_argument("--staff", type=int, default=2, help="staff searching meanwhile [2; the issue: 4]")
    parser.add_argument("--think", type=float, default=3.0,
                        help="seconds a staff member reads the hits before searching again [3; 0: flat out]")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="sohoa serve --workers [one per core, its default]")
    parser.add_argument("--engine", choices=["whoosh", "tantivy"], default="whoosh")
    parser.add_argument("--prefill", type=int, default=0, metavar="N",
                        help="synthetic papers in the archive before the clerks start [0; the issue: 10000]")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a job may take [600]")
    parser.add_argument("--poll", type=float, default=0, metavar="SECONDS",
                        help="clerks poll GET /jobs/{id} this often instead of following its events [0: events]")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    total = args.clerks * args.papers
    pages = small_batch(args.out / "pages", total)
    batches = [pages[c * args.papers:(c + 1) * args.papers] for c in range(args.clerks)]

    served = args.out / "archive"
    Sohoa(served, "bench")("init", "--engine", args.engine)
    Sohoa(served, "bench")("records", "import", register(args.out / "register.csv", args.clerks))
    tokens = add_accounts(served, args.out)
    prefilled = prefill(served, args.prefill) if args.prefill else 0.0

    server = Server(served, workers=args.workers)
    workers_ready(server, args.workers)
    errors: list[str] = []
    latencies: list[float] = []
    try:
        memory = PeakRSS(server.proc.pid)
        memory.start()
        stop = threading.Event()
        staff = [threading.Thread(target=staff_run, args=(server, tokens["staff"], s * 1000, total, stop, latencies,
                                                          errors, args.think)) for s in range(args.staff)]
        clerks = [threading.Thread(target=clerk_run, args=(server, tokens["clerk"], c, batches[c], errors,
                                                           args.timeout, args.poll)) for c in range(args.clerks)]
        for t in staff:
            t.start()
        start = time.monotonic()
        for t in clerks:
            t.start()
        for t in clerks:
            t.join()
        http_seconds = time.monotonic() - start
        stop.set()
        for t in staff:
            t.join()
        memory.done.set()
        memory.join()
        with server.bearer(tokens["staff"]) as client:
            found = client.get("/search", params={"q": "nguyen van binh", "limit": 1}).json()["total"]
    finally:
        server.stop()

    fresh = args.out / "scan-archive"
    Sohoa(fresh, "bench")("init", "--engine", args.engine)
    start = time.monotonic()
    scan = subprocess.run([str(SOHOA), "scan", str(args.out / "pages"), "--archive", str(fresh), "--user", "bench"],
                          capture_output=True, text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    scan_seconds = time.monotonic() - start
    if scan.returncode != 0:
        errors.append(f"sohoa scan exit {scan.returncode}: {scan.stderr.strip()[:200]}")

    http_rate, scan_rate = total / http_seconds * 60, total / scan_seconds * 60
    ms = [s * 1000 for s in latencies]
    print(f"{args.clerks} clerks × {args.papers} papers ({total} one-page papers), {args.staff} staff "
          f"(--think {args.think:g} s), --workers {args.workers}, {args.engine}, "
          f"{args.prefill} papers before ({prefilled:.0f} s to pre-fill); "
          f"{found} papers found for 'nguyen van binh' afterwards")
    print()
    print("| HTTP pages/min | scan pages/min | ratio | searches | search p50 | search p95 | errors | server peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {http_rate:.1f} | {scan_rate:.1f} | {http_rate / scan_rate:.2f}× | {len(ms)} | "
          f"{percentile(ms, 50)} | {percentile(ms, 95)} | {len(errors)} | {memory.peak / 2**20:.0f} MB |")
    for error in errors[:10]:
        print("  error:", error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
