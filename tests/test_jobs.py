"""Background scan jobs: the catalog's queue, claims and leases, and `sohoa worker` running them
with real Tesseract — a bad file fails its job alone, a killed worker's job is run again and its
paper archived once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from digitize.archive import Archive
from digitize.errors import Forbidden, NotFound
from digitize.services import jobs, papers
from digitize.services.actor import Actor
from tests.conftest import SOHOA, Sohoa, make_scan, page_lines
from tests.postgres import archive_sql

pytestmark = pytest.mark.usefixtures("catalog_backend")  # on SQLite and on PostgreSQL (tests/postgres.py)

CLERK = Actor("thu", role="clerk", agencies=("UBND phường Bến Nghé",), channel="api", address="10.0.0.7")


@pytest.fixture
def root(tmp_path) -> Path:
    Sohoa(tmp_path / "archive", "admin")("init")
    return tmp_path / "archive"


def upload(tmp_path: Path, name: str, pages: int = 1, holder: str = "Nguyễn Văn An") -> Path:
    """A scan as the server's upload leaves it: a file under a name of the server's own."""
    folder = tmp_path / "upload"
    folder.mkdir(exist_ok=True)
    made = make_scan(folder / name, page_lines("GIẤY KHAI SINH", holder), dpi=200, pages=pages)
    return made.rename(folder / f"{len(list(folder.iterdir())):04d}{made.suffix}")


def submit(root: Path, path: Path, name: str, actor: Actor = CLERK, **options) -> dict:
    with Archive(root) as archive:
        return jobs.submit_scan(archive, actor, path, name, **options)


def job(root: Path, job_id: int, actor: Actor = CLERK) -> dict:
    with Archive(root) as archive:
        return jobs.get(archive, actor, job_id)


def test_claims_are_atomic_and_leases_expire(root):
    with Archive(root) as archive:
        queue = archive.catalog.jobs
        first = queue.add("scan", "a.pdf", "/nowhere/a.pdf", "0" * 64, {}, {"name": "thu"})
        second = queue.add("scan", "b.pdf", "/nowhere/b.pdf", "1" * 64, {}, {"name": "thu"})
        assert queue.claim("w1", 60, 3)["id"] == first
        assert queue.claim("w2", 60, 3)["id"] == second
        assert queue.claim("w3", 60, 3) is None
        # w1 dies: its lease runs out, w3 takes the job over, and w1 can no longer touch it
        archive.catalog.db.execute("UPDATE jobs SET lease_until = 0 WHERE id = ?", (first,))
        again = queue.claim("w3", 60, 3)
        assert (again["id"], again["attempts"]) == (first, 2)
        assert queue.progress(first, "w1", 1, 1, 60) is False
        queue.finish(first, "w1", "done")
        assert queue.get(first)["state"] == "running"
        # a job whose workers keep dying is failed after three attempts
        for _ in range(2):
            archive.catalog.db.execute("UPDATE jobs SET lease_until = 0 WHERE id = ?", (first,))
            claimed = queue.claim("w4", 60, 3)
        assert claimed is None or claimed["id"] != first
        failed = queue.get(first)
        assert failed["state"] == "failed" and "stopped 3 times" in failed["error"]["message"]


def test_a_job_scans_as_its_clerk_and_lists_its_papers(root, tmp_path):
    path = upload(tmp_path, "khai sinh.tif", pages=2)
    queued = submit(root, path, "../../khai sinh.tif")
    assert queued["state"] == "queued" and queued["source_name"] == "../../khai sinh.tif"
    assert not path.exists()  # the job owns the file now
    assert jobs.run_worker(root, processes=1, once=True) == 1
    done = job(root, queued["id"])
    assert (done["state"], done["pages_done"], done["pages_total"], done["error"]) == ("done", 2, 2, None)
    [paper] = done["papers"]
    assert paper["status"] == "new" and paper["pages"] == 2 and paper["source_name"] == "khai sinh.tif"
    assert not list((root / "tmp" / jobs.JOBS_DIR).iterdir())  # the upload went with its job
    with Archive(root) as archive:
        assert "Nguyễn Văn An" in papers.text(archive, CLERK, paper["id"])
        [logged] = [e for e in archive.catalog.audit.events(paper_id=paper["id"]) if e["action"] == "scan"]
        assert logged["user"] == "thu"


def test_a_bad_file_fails_its_job_alone_and_is_set_aside(root, tmp_path):
    broken = tmp_path / "upload" / "0000.pdf"
    broken.parent.mkdir()
    broken.write_bytes(b"%PDF-1.7\n this is not a PDF at all")
    bad = submit(root, broken, "hỏng.pdf")
    good = submit(root, upload(tmp_path, "tot.png"), "tốt.png")
    assert jobs.run_worker(root, processes=1, once=True) == 2
    failed, done = job(root, bad["id"]), job(root, good["id"])
    assert failed["state"] == "failed" and failed["error"]["kind"] == "InputError"
    assert "hỏng.pdf" in failed["error"]["message"] and "\n" not in failed["error"]["message"]
    assert done["state"] == "done" and done["papers"][0]["status"] == "new"
    assert any(p.name.endswith("-hỏng.pdf") for p in (root / "quarantine").iterdir())


def test_the_same_file_twice_is_one_paper(root, tmp_path):
    first = upload(tmp_path, "a.png")
    copy = tmp_path / "copy.png"
    copy.write_bytes(first.read_bytes())
    one, two = submit(root, first, "a.png"), submit(root, copy, "a (copy).png")
    jobs.run_worker(root, processes=1, once=True)
    papers = [job(root, one["id"])["papers"][0], job(root, two["id"])["papers"][0]]
    assert [p["status"] for p in papers] == ["new", "skipped"] and papers[0]["id"] == papers[1]["id"]


def test_wrong_target_and_rights_are_refused_at_once(root, tmp_path):
    path = upload(tmp_path, "a.png")
    with pytest.raises(NotFound):
        submit(root, path, "a.png", record="000.00.53.H48-260105-9999")
    assert path.exists()  # refused before the job took the file
    with pytest.raises(Forbidden):
        submit(root, path, "a.png", actor=Actor("lan", role="staff"))
    queued = submit(root, path, "a.png")
    with pytest.raises(NotFound):  # a clerk of another agency does not see it
        job(root, queued["id"], Actor("minh", role="clerk", agencies=("Sở Tư pháp",)))
    with Archive(root) as archive:
        assert [j["id"] for j in jobs.list_jobs(archive, CLERK)] == [queued["id"]]
        assert jobs.list_jobs(archive, Actor("minh", role="clerk", agencies=("Sở Tư pháp",))) == []


def test_events_follow_a_worker_process_to_the_end(root, tmp_path):
    queued = submit(root, upload(tmp_path, "ba trang.tif", pages=3), "ba trang.tif")
    worker = subprocess.Popen([str(SOHOA), "worker", "--archive", str(root), "--once", "--processes", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with Archive(root) as archive:
        seen = list(jobs.events(archive, CLERK, queued["id"], poll=0.05))
    assert worker.wait(120) == 0, worker.stdout.read()
    assert seen[-1]["state"] == "done" and seen[-1]["pages_done"] == 3
    done = [e["pages_done"] for e in seen]
    assert done == sorted(done) and len(set(e["state"] for e in seen)) >= 2


@pytest.mark.slow
def test_a_worker_killed_mid_job_has_its_job_run_again_and_the_paper_archived_once(root, tmp_path):
    queued = submit(root, upload(tmp_path, "nam trang.tif", pages=5), "nam trang.tif")
    env = {**os.environ, "SOHOA_JOB_LEASE": "3"}
    command = [str(SOHOA), "worker", "--archive", str(root), "--processes", "1"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    deadline = time.monotonic() + 120
    while job(root, queued["id"])["pages_done"] < 2:
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its OCR processes
    first.wait()
    assert job(root, queued["id"])["state"] == "running"
    second = subprocess.Popen(command + ["--once"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while job(root, queued["id"])["state"] == "running":  # --once may find the lease not yet run out
        if second.poll() is not None:
            second = subprocess.Popen(command + ["--once"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        assert time.monotonic() < deadline + 120
        time.sleep(0.2)
    second.wait(120)
    done = job(root, queued["id"])
    assert done["state"] == "done" and done["attempts"] == 2 and done["pages_done"] == 5
    assert archive_sql(root, "SELECT count(*) FROM papers") == [(1,)]
    check = subprocess.run([str(SOHOA), "check", "--archive", str(root)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
