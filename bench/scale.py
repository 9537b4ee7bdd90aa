"""Scaling out (issue 15): OCR throughput through the broker with 1 and 2 worker processes; search and
coverage on PostgreSQL where bench/scale_search.py and bench/scale_catalog.py exist.

    .venv/bin/python bench/scale.py                          # every part there is
    .venv/bin/python bench/scale.py --only throughput --pages 24 --pages-per-job 2 --repeat 2
    .venv/bin/python bench/scale.py --only search ...        # bench/scale_search.py run(args)
    .venv/bin/python bench/scale.py --only catalog ...       # bench/scale_catalog.py run(args)

The search and catalog parts get this script's parsed options; `args.rest` holds the ones it does
not know (theirs), to parse as they like.

Throughput: the pages of bench/ocr_throughput.py (A4, 300 dpi, dust, up to ±1.5° skew), as files of
`--pages-per-job` pages, each a scan job. For each run a fresh archive and an emptied Redis
(`redis-server --save ''` on a free port, tests/redis_server.py): every job is queued and announced
to the broker as `POST /scans` does (jobs.submit_scan) to W `sohoa worker --broker URL
--processes 1` processes, timed until the last job has ended. W = 1 and 2, in turn, and
`sohoa scan --jobs 1` of the same files into a fresh archive (the same OCR without any queue: what
the queue costs one worker). The workers are started (and given 5 s) before the jobs are submitted:
the clock runs from the first submission to the last job's end; `sohoa scan`'s includes its start.
Beside the wall time, the CPU seconds a page cost the whole process trees (worker, OCR processes)
and how many cores' worth other work on the machine took meanwhile: if two workers spend the CPU
per page one does, the queue costs nothing and what is short of 2× is the cores' other work.
Goal: 2 workers ≥ 1.8× one. This machine is shared: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))
OUT = ROOT / "bench" / "out" / "scale"
SOHOA = Path(sys.executable).with_name("sohoa")
WARM = 5.0  # seconds for the workers to start before the jobs come
CLERK = {"name": "bench", "role": "clerk", "agencies": (), "channel": "api"}


def build(pages: int, per_job: int, folder: Path) -> list[Path]:
    """The scan files (multi-page TIFFs), made once and kept in bench/out/scale/."""
    from PIL import Image

    from ocr_throughput import page_lines
    from samples.render import render_page

    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for start in range(0, pages, per_job):
        path = folder / f"job-{start // per_job:03d}-{per_job}p.tif"
        if not path.exists():
            images = [render_page(page_lines(n), dpi=300, title_lines=3, noise=0.0005, seed=n)
                      for n in range(start, min(pages, start + per_job))]
            images = [i.rotate(((n * 7) % 30 - 15) / 10, resample=Image.Resampling.BICUBIC, fillcolor=255)
                      for n, i in enumerate(images, start)]
            images[0].save(path, save_all=True, append_images=images[1:], compression="tiff_lzw", dpi=(300, 300))
        files.append(path)
    return files


def tree_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these processes, the children they waited for (each job's OCR
    processes) and their live descendants."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for p in [root, *root.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


class Load:
    """The machine's busy CPU seconds through a run (psutil.cpu_times): less the run's own, what other
    work on this shared machine took from its cores."""

    def __init__(self):
        self.start, self.began = self._busy(), time.monotonic()

    @staticmethod
    def _busy() -> float:
        import psutil

        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0.0)

    def others(self, own_cpu: float) -> float:
        """Cores' worth of other work during the run (0.5: half a core busy with others' jobs)."""
        return max(0.0, self._busy() - self.start - own_cpu) / max(1e-9, time.monotonic() - self.began)


def _cpu(load: Load, own: float, pages: int) -> dict:
    return {"cpu": own / pages, "load": load.others(own)}


def fresh_archive(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(SOHOA), "init", "--archive", str(folder)], check=True, capture_output=True)
    return folder


def through_broker(files: list[Path], workers: int, redis, pages: int) -> dict:
    from digitize import queue
    from digitize.archive import Archive
    from digitize.services import jobs
    from digitize.services.actor import Actor

    archive_root = fresh_archive(OUT / f"archive-{workers}w")
    redis.flush()
    uploads = OUT / "uploads"
    shutil.rmtree(uploads, ignore_errors=True)
    uploads.mkdir()
    copies = []
    for n, f in enumerate(files):
        copies.append(uploads / f"{n:04d}.tif")
        shutil.copyfile(f, copies[-1])  # the job owns (moves) its upload
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    procs = [subprocess.Popen([str(SOHOA), "worker", "--archive", str(archive_root), "--broker", redis.url,
                               "--processes", "1"], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(OUT / f"worker-{workers}w-{n}.log", "w")) for n in range(workers)]
    time.sleep(WARM)  # the workers up and waiting, as on a worker host: the run times the jobs, not the start
    start, load, cpu = time.monotonic(), Load(), tree_cpu([p.pid for p in procs])
    queue.configure(redis.url)
    with Archive(archive_root) as archive:
        ids = [jobs.submit_scan(archive, Actor(**CLERK), copy, f.name)["id"] for copy, f in zip(copies, files)]
    queue.configure(None)
    try:
        with Archive(archive_root) as archive:
            while True:
                states = [archive.catalog.jobs.get(i)["state"] for i in ids]
                if all(s in ("done", "failed") for s in states):
                    break
                if any(p.poll() is not None for p in procs):
                    raise SystemExit(f"a worker ended early (see {OUT}/worker-*.log)")
                time.sleep(0.2)
            elapsed = time.monotonic() - start
            cpu = tree_cpu([p.pid for p in procs]) - cpu
            failed = [archive.catalog.jobs.get(i)["error"] for i in ids if archive.catalog.jobs.get(i)["state"] == "failed"]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(60)
    if failed:
        raise SystemExit(f"{len(failed)} jobs failed: {failed[0]}")
    return {"what": f"broker, {workers} worker{'s' if workers > 1 else ''}", "seconds": elapsed,
            "ppm": pages / elapsed * 60, **_cpu(load, cpu, pages)}


def plain_scan(files: list[Path], pages: int) -> dict:
    archive_root = fresh_archive(OUT / "archive-scan")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    load, start = Load(), time.monotonic()
    proc = subprocess.Popen([str(SOHOA), "scan", *map(str, files), "--archive", str(archive_root), "--jobs", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(OUT / "scan.log", "w"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # it, and the OCR processes it waited for
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"sohoa scan failed (see {OUT}/scan.log)")
    return {"what": "sohoa scan --jobs 1 (no queue)", "seconds": elapsed, "ppm": pages / elapsed * 60,
            **_cpu(load, cpu, pages)}


def throughput(args) -> None:
    from tests.redis_server import Redis

    files = build(args.pages, args.pages_per_job, OUT / "files")
    redis = Redis()
    runs: dict[str, list[dict]] = {}
    try:
        for round_ in range(args.repeat):
            for run in (lambda: through_broker(files, 1, redis, args.pages),
                        lambda: through_broker(files, 2, redis, args.pages),
                        lambda: plain_scan(files, args.pages)):
                result = run()
                runs.setdefault(result["what"], []).append(result)
                print(f"round {round_ + 1}: {result['what']:32} {result['seconds']:6.1f} s  "
                      f"{result['ppm']:5.1f} pages/min  {result['cpu']:.2f} CPU s/page  "
                      f"(others' work: {result['load']:.2f} cores)", flush=True)
    finally:
        redis.stop()
    print(f"\n{args.pages} pages, {len(files)} jobs of {args.pages_per_job} pages, {os.cpu_count()} cores, "
          f"median of {args.repeat}:")
    print("| run | seconds | pages/min | CPU s/page | others' work (cores) |\n|---|---:|---:|---:|---:|")
    median = {}
    for what, results in runs.items():
        median[what] = statistics.median(r["ppm"] for r in results)
        print(f"| {what} | {statistics.median(r['seconds'] for r in results):.1f} | {median[what]:.1f} | "
              f"{statistics.median(r['cpu'] for r in results):.2f} | "
              f"{', '.join(format(r['load'], '.1f') for r in results)} |")
    one, two = median["broker, 1 worker"], median["broker, 2 workers"]
    scan = median["sohoa scan --jobs 1 (no queue)"]
    pairs = [b["ppm"] / a["ppm"] for a, b in zip(runs["broker, 1 worker"], runs["broker, 2 workers"])]
    print(f"\n2 workers / 1 worker: {two / one:.2f}x (per round: {', '.join(f'{p:.2f}' for p in pairs)}; goal >= 1.8)")
    print(f"1 worker through the broker / sohoa scan --jobs 1: {one / scan:.2f}")


def delegated(name: str, args) -> None:
    path = ROOT / "bench" / f"{name}.py"
    if not path.exists():
        print(f"{name}: bench/{name}.py is not there (yet); skipped")
        return
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.run(args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["throughput", "search", "catalog"], help="one part only")
    parser.add_argument("--pages", type=int, default=24, help="throughput: pages in all [24]")
    parser.add_argument("--pages-per-job", type=int, default=2, help="throughput: pages of one job's file [2]")
    parser.add_argument("--repeat", type=int, default=1, help="throughput: rounds of the three runs [1]")
    args, rest = parser.parse_known_args()
    args.rest = rest  # the search and catalog parts' own options
    OUT.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "throughput"):
        throughput(args)
    if args.only in (None, "search"):
        delegated("scale_search", args)
    if args.only in (None, "catalog"):
        delegated("scale_catalog", args)


if __name__ == "__main__":
    main()
