"""Reindex, re-extract and backup as jobs (issue 15): an admin submits them, the jobs table keeps
their parameters, progress and outcome, the broker (or the server's own workers) hands them to
`sohoa worker`, and each is safe to run twice — a worker killed mid-reindex has the job finished by
another, a backup run again writes a complete file under its final name. A clerk may not ask."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from digitize import queue
from digitize.archive import Archive
from digitize.errors import BadArgument, Forbidden
from digitize.services import jobs
from digitize.services.actor import Actor
from tests.citizen_papers import ANH_ID
from tests.conftest import SOHOA
from tests.serving import Server, add_accounts

ADMIN = Actor("quan-tri", role="admin", channel="api")
CLERK = Actor("thu", role="clerk", channel="api")


@pytest.fixture
def root(scanned, tmp_path) -> Path:
    """A copy of the session's archive of citizen papers."""
    shutil.copytree(scanned[0], tmp_path / "archive")
    return tmp_path / "archive"


@pytest.fixture
def announcing(redis_url):
    """This process announces new jobs to the test's Redis, as `sohoa serve --broker` does."""
    yield queue.configure(redis_url)
    queue.configure(None)


def stored(root: Path, job_id: int) -> dict:
    with Archive(root) as archive:
        return jobs.get(archive, ADMIN, job_id)


def submit(root: Path, submit_job, *args, **kwargs) -> dict:
    with Archive(root) as archive:
        return submit_job(archive, ADMIN, *args, **kwargs)


def worker_once(root: Path, broker: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """A real `sohoa worker --once`, from the broker when given."""
    return subprocess.run([str(SOHOA), "worker", "--archive", str(root), "--processes", "1", "--once",
                           *(("--broker", broker) if broker else ())],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def sohoa(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(SOHOA), *map(str, args)], capture_output=True, text=True, timeout=300)


def papers(root: Path) -> int:
    with sqlite3.connect(root / "catalog.sqlite") as db:
        return db.execute("SELECT count(*) FROM papers").fetchone()[0]


def test_a_reindex_job_goes_through_the_broker_to_a_sohoa_worker(root, announcing):
    queued = submit(root, jobs.submit_reindex, engine="tantivy")  # a switch: the rebuild is seen to happen
    assert (queued["kind"], queued["state"], queued["outcome"]) == ("reindex", "queued", None)
    assert announcing.redis.llen(f"sohoa:{queue.QUEUE}") == 1
    ran = worker_once(root, announcing.url)
    assert ran.returncode == 0, ran.stderr
    done = stored(root, queued["id"])
    total = papers(root)
    assert (done["state"], done["attempts"], done["error"]) == ("done", 1, None)
    assert done["outcome"] == {"papers": total, "engine": "tantivy"} and (done["done"], done["total"]) == (total, total)
    assert (root / "index.engine").read_text().strip() == "tantivy"
    assert announcing.redis.llen(f"sohoa:{queue.QUEUE}") == 0
    found = sohoa("search", ANH_ID, "--archive", root, "--json")
    assert found.returncode == 0 and json.loads(found.stdout), found.stderr
    check = sohoa("check", "--archive", root)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_backup_job_writes_a_file_that_restores(root, tmp_path, announcing):
    folder = tmp_path / "backups"
    folder.mkdir()
    queued = submit(root, jobs.submit_backup, folder, name="tinh.tar.gz")
    ran = worker_once(root, announcing.url)
    assert ran.returncode == 0, ran.stderr
    done = stored(root, queued["id"])
    assert done["state"] == "done", done["error"]
    assert done["outcome"]["file"] == str(folder / "tinh.tar.gz") and done["outcome"]["papers"] == papers(root)
    assert (done["done"], done["total"]) == (papers(root), papers(root))
    assert [p.name for p in folder.iterdir()] == ["tinh.tar.gz"]  # no partial file left beside it
    restored = sohoa("restore", folder / "tinh.tar.gz", "--archive", tmp_path / "restored", "--json")
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["papers"] == papers(root)


def test_a_backup_run_again_replaces_the_file_whole_and_removes_the_killed_attempts_partial(root, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    queued = submit(root, jobs.submit_backup, folder)  # no broker: the table is the queue
    name = queued["source_name"].rsplit("/", 1)[1]
    with Archive(root) as archive:  # a first worker took it, wrote half a file and was killed
        first = archive.catalog.jobs.claim("host-a:1", 60, 3, job_id=queued["id"])
        archive.catalog.db.execute("UPDATE jobs SET lease_until = 0 WHERE id = ?", (queued["id"],))
    half = folder / f".{name}.job{queued['id']}-{first['attempts']}.partial"
    half.write_bytes(b"\x1f\x8b half a backup")
    assert jobs.run_worker(root, processes=1, once=True) == 1
    done = stored(root, queued["id"])
    assert (done["state"], done["attempts"]) == ("done", 2), done["error"]
    assert [p.name for p in folder.iterdir()] == [name]
    restored = sohoa("restore", folder / name, "--archive", tmp_path / "restored")
    assert restored.returncode == 0, restored.stderr


def test_a_re_extract_job_run_by_the_embedded_queue_extracts_again(root):
    with sqlite3.connect(root / "catalog.sqlite") as db:
        before = db.execute("SELECT paper_id, field, value FROM paper_metadata WHERE source = 'extracted' "
                            "ORDER BY 1, 2").fetchall()
        db.execute("DELETE FROM paper_metadata WHERE source = 'extracted'")
        db.execute("UPDATE papers SET extracted_at = NULL")
    assert before
    queued = submit(root, jobs.submit_extract)  # those never extracted: now all of them
    assert queued["source_name"] == "re-extract (papers never extracted)"
    assert jobs.run_worker(root, processes=1, once=True) == 1
    done = stored(root, queued["id"])
    assert done["state"] == "done" and done["outcome"] == {"papers": papers(root)}, done["error"]
    with sqlite3.connect(root / "catalog.sqlite") as db:
        assert db.execute("SELECT paper_id, field, value FROM paper_metadata WHERE source = 'extracted' "
                          "ORDER BY 1, 2").fetchall() == before


def test_only_an_admin_submits_them_and_a_backup_folder_must_be_absolute(root):
    with Archive(root) as archive:
        for submit_job in (jobs.submit_reindex, jobs.submit_extract):
            with pytest.raises(Forbidden):
                submit_job(archive, CLERK)
        with pytest.raises(Forbidden):
            jobs.submit_backup(archive, CLERK, "/srv/backups")
        with pytest.raises(BadArgument, match="absolute path") as refused:
            jobs.submit_backup(archive, ADMIN, "backups")
        assert refused.value.field == "folder"
        with pytest.raises(BadArgument, match="plain file name"):
            jobs.submit_backup(archive, ADMIN, "/srv/backups", name="../x.tar")
        with pytest.raises(BadArgument):
            jobs.submit_reindex(archive, ADMIN, engine="lucene")
        assert archive.catalog.jobs.list() == []


def test_over_http_an_admin_queues_them_a_clerk_gets_403_and_neither_sees_the_others_jobs(root, tmp_path):
    tokens = add_accounts(root, tmp_path)
    server = Server(root, workers=1)  # no broker: the server's own worker runs them
    try:
        admin, clerk = server.bearer(tokens["admin"]), server.bearer(tokens["clerk"])
        for path, body in (("/jobs/reindex", {}), ("/jobs/re-extract", {"every": True}),
                           ("/jobs/backup", {"folder": str(tmp_path)})):
            refused = clerk.post(path, json=body)
            assert refused.status_code == 403 and refused.json()["error"]["kind"] == "Forbidden", refused.text
        relative = admin.post("/jobs/backup", json={"folder": "backups"})
        assert relative.status_code == 422 and relative.json()["error"]["field"] == "folder", relative.text
        sent = admin.post("/jobs/re-extract", json={"every": True})
        assert sent.status_code == 202, sent.text
        job_id = sent.json()["id"]
        deadline = time.monotonic() + 120
        while (job := admin.get(f"/jobs/{job_id}").json())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["state"] == "done" and job["outcome"] == {"papers": papers(root)}, job
        assert admin.get("/jobs").json()[0]["id"] == job_id
        assert clerk.get(f"/jobs/{job_id}").status_code == 404  # an admin's job is not a clerk's to see
        assert clerk.get("/jobs").json() == []
        unknown = admin.post("/jobs/re-extract", json={"papers": [999999]})
        assert unknown.status_code == 404, unknown.text
    finally:
        server.stop()


@pytest.mark.slow
def test_a_worker_killed_mid_reindex_has_the_job_finished_by_another(root, tmp_path, redis_url, monkeypatch):
    monkeypatch.setenv("SOHOA_JOB_LEASE", "3")  # the killed worker's job is taken over within seconds
    command = [str(SOHOA), "worker", "--archive", str(root), "--broker", redis_url, "--processes", "1"]
    # SIGKILL by itself, the second paper into the rebuild (digitize/crashpoints.py)
    victim = subprocess.Popen(command, stdout=open(tmp_path / "victim.log", "w"), stderr=subprocess.STDOUT,
                              start_new_session=True, env={**os.environ, "SOHOA_CRASH_AT": "reindex-build:2"})
    survivor = None
    try:
        queue.configure(redis_url)
        try:
            queued = submit(root, jobs.submit_reindex)
        finally:
            queue.configure(None)
        assert victim.wait(120) == -signal.SIGKILL, (tmp_path / "victim.log").read_text()
        os.killpg(victim.pid, signal.SIGKILL)  # its OCR processes too
        killed = stored(root, queued["id"])
        assert killed["state"] == "running" and killed["attempts"] == 1
        survivor = subprocess.Popen(command, stdout=open(tmp_path / "survivor.log", "w"), stderr=subprocess.STDOUT,
                                    start_new_session=True)
        deadline = time.monotonic() + 180
        while (job := stored(root, queued["id"]))["state"] not in ("done", "failed"):
            assert survivor.poll() is None and time.monotonic() < deadline, (tmp_path / "survivor.log").read_text()
            time.sleep(0.2)
        assert (job["state"], job["attempts"], job["outcome"]) == ("done", 2, {"papers": papers(root),
                                                                             "engine": "whoosh"}), job
        with Archive(root) as archive:
            assert archive.catalog.jobs.get(queued["id"])["worker"].endswith(f":{survivor.pid}")
    finally:
        if survivor is not None:
            survivor.terminate()
            survivor.wait(60)
        try:
            os.killpg(victim.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    check = sohoa("check", "--archive", root)
    assert check.returncode == 0, check.stdout + check.stderr
    found = sohoa("search", ANH_ID, "--archive", root, "--json")
    assert found.returncode == 0 and json.loads(found.stdout), found.stderr
